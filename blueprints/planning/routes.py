"""PLANNING - RÉSERVATIONS: the calendar, its edit mode, the recap and TERMINER."""
from flask import (abort, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user

from blueprints.common import commune_settings, is_htmx, message_url, render
from domain.catalogue.categories import service_of
from blueprints.planning import bp
from blueprints.planning.forms import NO_BOOKING, DayForm
from domain import clock
from domain.booking import changes as booking_changes
from domain.booking.days import ChoiceError, parse_day_tokens, resolve_choices
from domain.booking.calendar import VIEW_LABELS, VIEWS, load_planning, parse_range
from domain.formats import date_fr, day_label
from models import parse_id

NO_DAY_TEXT = "Pas d'accueil sur cette période."


def zone():
    return commune_settings().holiday_zone


def refused_status(status):
    """``status`` for a plain request; 200 under htmx, which swaps only 2xx answers."""
    return 200 if is_htmx() else status


def line_message_url(line, period_label):
    """A link to write to the line's service about its bookings, pre-filled."""
    return message_url(service_of(line.activity),
                       f"Réservations {period_label} - {line.child.first_name} - "
                       f"{line.activity.full_label}")


def request_range(values):
    return parse_range(values.get("vue"), values.get("du"), clock.today())


def one_line(key, day_range):
    """(planning, line) of the family's line ``<child id>-<activity id>``, else 404."""
    child_id, _, activity_id = (key or "").partition("-")
    child_id, activity_id = parse_id(child_id), parse_id(activity_id)
    if child_id is None or activity_id is None:
        abort(404)
    planning = load_planning(current_user.family_id, day_range, clock.now(), zone(),
                             child_id, activity_id)
    if not planning.lines:
        abort(404)
    return planning, planning.lines[0]


def show(planning, edit_key=None, errors=None, ticked=None, day_form=None, status=200):
    """The whole page, or one line's fragment for htmx; ``edit_key``'s line editable."""
    if planning.family is not None:
        current_user.family = planning.family  # already loaded: saves the header a query
    line = next((ln for ln in planning.lines if ln.key == edit_key), None)
    if line is not None and day_form is None:
        day_form = DayForm(formdata=None)
        free = [d for d, s in line.days.items() if s.changeable and s.desired is None]
        day_form.jour.data = free[0].isoformat() if free else ""
    if day_form is not None and line is not None:
        day_form.set_choices(line, [d for d, s in line.days.items() if s.changeable])
    note = session.pop("planning_note", None)
    fragment = "planning/_line.html" if request.args.get("ligne") else None
    # The fragment of a line not in edit mode: the only line loaded (see one_line).
    shown = line or (planning.lines[0] if fragment and is_htmx() and planning.lines else None)
    context = dict(planning=planning, edit_key=edit_key, errors=errors, ticked=ticked, note=note,
                   day_form=day_form, views=VIEWS, view_labels=VIEW_LABELS, line=shown,
                   editing=line is not None, pending_count=planning.pending_count,
                   line_message_url=line_message_url, no_day_text=NO_DAY_TEXT, active_tab="planning")
    return render("planning/index.html", fragment, status=status, **context)


def ensure_editable(line):
    """Refuse any change to a line that cannot be changed in the range (stale or forged)."""
    if not line.state.allowed:
        raise ChoiceError([line.state.reason])


def keep_note(line, text):
    """A message for the next page, shown in ``line``'s own box (where the page scrolls
    to), unlike a flash at the top of the page."""
    session["planning_note"] = {"key": line.key, "text": text}


def edit_url(line, day_range):
    return url_for("planning.index", vue=day_range.view, du=day_range.first, ligne=line.key,
                   modifier=1, _anchor=f"ligne-{line.key}")


@bp.route("/")
def index():
    """The calendar of every open line; ``ligne`` + ``modifier=1``: that line in edit mode."""
    day_range = request_range(request.args)
    key = request.args.get("ligne")
    editing = request.args.get("modifier") == "1"
    if key and is_htmx():
        planning, line = one_line(key, day_range)
        key = line.key  # "01-8" is line "1-8"
    else:
        planning = load_planning(current_user.family_id, day_range, clock.now(), zone())
    return show(planning, key if editing else None)


@bp.route("/basculer", methods=["POST"])
def toggle():
    """One tick (htmx): keep the month's choice, answer the cells of the changed days."""
    day_range = request_range(request.form)
    planning, line = one_line(request.form.get("ligne"), day_range)
    before = sum(1 for s in line.days.values() if s.pending)
    chosen, changed, errors = {}, [], []
    try:
        ensure_editable(line)
        chosen = parse_day_tokens(request.form.getlist("jours"), line.modalite_ids, line.days)
        wanted = resolve_choices(chosen, line.days, line.desired, prefer_new=True)
        changed = booking_changes.save_choices(current_user.family_id, line, wanted)
    except ChoiceError as error:
        errors = error.messages
    if not is_htmx():
        for message in errors:
            flash(message, "error")
        return redirect(edit_url(line, day_range), code=303)
    after = sum(1 for s in line.days.values() if s.pending)
    # The changed days, and any day whose ticks differ from what the server holds.
    days = [d for d, s in line.days.items() if d in changed or (
        (s.changeable or d in chosen)
        and sorted(chosen.get(d, [])) != ([s.desired] if s.desired else []))]
    return render_template("planning/_toggle.html", line=line, days=days, errors=errors,
                           pending_count=planning.pending_count + after - before)


@bp.route("/valider", methods=["POST"])
def validate_month():
    """VALIDER: keep the ticked days of the range as pending changes (plain form)."""
    day_range = request_range(request.form)
    planning, line = one_line(request.form.get("ligne"), day_range)
    chosen = None
    try:
        ensure_editable(line)
        chosen = parse_day_tokens(request.form.getlist("jours"), line.modalite_ids, line.days)
        wanted = resolve_choices(chosen, line.days, line.desired, prefer_new=False)
        booking_changes.save_choices(current_user.family_id, line, wanted)
    except ChoiceError as error:
        return show(planning, line.key, error.messages, chosen, status=refused_status(422))
    flash(f"{line.child.first_name} – {line.activity.name} : vos choix ({day_range.label}) sont "
          "gardés. Cliquez sur « TERMINER LES MODIFICATIONS » pour les enregistrer.", "success")
    return redirect(url_for("planning.index", vue=day_range.view, du=day_range.first),
                    code=303)


@bp.route("/cocher", methods=["POST"])
def tick_all():
    """The icon: tick every open day of the range that can take the modalité."""
    day_range = request_range(request.form)
    planning, line = one_line(request.form.get("ligne"), day_range)
    modalite_id = parse_id(request.form.get("cocher"))
    modalite = line.modalite(modalite_id) if modalite_id else None
    if modalite is None or not line.state.allowed:
        errors = [line.state.reason or "Cette modalité n'appartient pas à cette activité."]
        return show(planning, line.key, errors, status=refused_status(422))
    wanted = {d: modalite.id for d, s in line.days.items()
              if s.changeable and not s.full_for_child}
    try:
        changed = booking_changes.save_choices(current_user.family_id, line, wanted)
    except ChoiceError as error:
        return show(planning, line.key, error.messages, status=refused_status(422))
    keep_note(line, f"{len(wanted)} jour(s) cochés pour « {modalite.name} » ({len(changed)} "
                    "changement(s)). Cliquez sur « VALIDER ».")
    return redirect(edit_url(line, day_range), code=303)


@bp.route("/jour", methods=["POST"])
def choose_day():
    """The phone flow: one day, one modalité d'accueil (or none), VALIDER."""
    day_range = request_range(request.form)
    planning, line = one_line(request.form.get("ligne"), day_range)
    form = DayForm()
    form.set_choices(line, [d for d, s in line.days.items() if s.changeable])
    if form.validate_on_submit():
        try:
            ensure_editable(line)
            day, wanted = _day_choice(form, line)
            result = resolve_choices({day: [wanted]} if wanted else {}, {day: line.days[day]},
                                     line.desired, prefer_new=False)
            booking_changes.save_choices(current_user.family_id, line, result)
        except ChoiceError as error:
            form.jour.errors = list(error.messages)
        else:
            name = line.modalite(wanted).name if wanted else "pas de réservation"
            keep_note(line, f"{day_label(day)} ({date_fr(day)}) : {name} — gardé. Choisissez "
                            "un autre jour ou cliquez sur « TERMINER LES MODIFICATIONS ».")
            return redirect(edit_url(line, day_range), code=303)
    return show(planning, line.key, day_form=form, status=refused_status(422))


def _day_choice(form, line):
    """(date, modalité id or None) of the phone form, refused when not of this line."""
    try:
        chosen = parse_day_tokens(
            [f"{form.modalite.data if form.modalite.data != NO_BOOKING else 0}:{form.jour.data}"],
            line.modalite_ids | {0}, line.days)
    except ChoiceError:
        raise ChoiceError(["Ce jour ou cette modalité ne fait pas partie de cette activité."])
    day, (modalite_id,) = next(iter(chosen.items()))
    if not line.days[day].changeable:
        raise ChoiceError([f"{day_label(day)} ({date_fr(day)}) : {line.days[day].why_not}"])
    return day, modalite_id or None


@bp.route("/recapitulatif")
def recap():
    """"Validation des modifications": every pending change, its cost, the total."""
    result = booking_changes.load_recap(current_user.family_id, clock.now(), zone())
    return render_template("planning/recap.html", recap=result, error=None,
                           back_url=url_for("planning.index"), active_tab="planning")


@bp.route("/tout-supprimer", methods=["POST"])
def drop_all():
    """TOUT SUPPRIMER: drop every pending change."""
    count = booking_changes.drop_all(current_user.family_id)
    flash(f"{count} modification(s) en attente supprimée(s) : rien n'a été réservé.", "info")
    return redirect(url_for("planning.index"), code=303)


@bp.route("/retirer/<int:pending_id>", methods=["POST"])
def drop_one(pending_id):
    """Drop one pending change (of this family only)."""
    if not booking_changes.drop_one(current_user.family_id, pending_id):
        abort(404)
    flash("La modification est retirée.", "info")
    return redirect(url_for("planning.recap"), code=303)


@bp.route("/terminer", methods=["POST"])
def finish():
    """TERMINER: commit every pending change at once, then the recap email."""
    now = clock.now()
    result = booking_changes.finish(current_user.family_id, current_user.email, now, zone())
    if result.committed and not result.recap.lines:  # every change was already made
        flash("Vos modifications étaient déjà enregistrées : aucun e-mail n'est envoyé.", "info")
        return redirect(url_for("planning.index"), code=303)
    if result.committed:
        first = min(line.day for line in result.recap.lines) if result.recap.lines else None
        session["planning_done"] = {"periods": result.recap.by_child_and_month(),
                                    "email": current_user.email,
                                    "du": first.replace(day=1).isoformat() if first else None}
        return redirect(url_for("planning.done"), code=303)
    if not result.recap.lines:
        flash(result.message, "error")
        return redirect(url_for("planning.recap"), code=303)
    return render_template("planning/recap.html", recap=result.recap, error=result.message,
                           back_url=url_for("planning.index"),
                           active_tab="planning"), refused_status(409)


@bp.route("/terminee")
def done():
    """"VOTRE RESERVATION EST TERMINEE" with each child's month and its cost."""
    return render_template("planning/done.html", done=session.get("planning_done"),
                           active_tab="planning")
