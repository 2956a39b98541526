"""PLANNING - RÉSERVATIONS: the calendar, its edit mode, the recap and TERMINER."""
import datetime

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from blueprints.common import commune_settings, message_url
from blueprints.htmx import current_actor, is_htmx, render
from blueprints.planning import acting_family_id, bp, is_on_behalf
from domain import clock
from domain.booking import changes as booking_changes, waiting_list
from domain.booking.calendar import (
    VIEW_LABELS,
    VIEWS,
    display_range,
    first_changeable_month,
    load_planning,
    load_twin_lines,
    parse_range,
)
from domain.booking.days import ChoiceError, parse_day_tokens, radio_tokens, resolve_choices
from domain.catalogue.categories import service_of
from domain.family import guardian_access
from domain.family.contact import family_email_address
from domain.formats import date_fr
from models import parse_id

NO_DAY_TEXT = "Pas d'accueil sur cette période."


def zone():
    return commune_settings().holiday_zone


def ep(view):
    """The endpoint of ``view`` in this request's registration (family or staff)."""
    return f"{request.blueprint}.{view}"




def show_by():
    """Whether the recap names who made each change: when several guardians sign in for
    the family, or staff act for it."""
    return is_on_behalf() or guardian_access.several_accounts(acting_family_id())


def line_message_url(line, period_label):
    """A link to write to the line's service about its bookings, pre-filled."""
    return message_url(service_of(line.activity),
                       f"Réservations {period_label} - {line.child.first_name} - "
                       f"{line.activity.full_label}")


def request_range(values, default=None):
    return parse_range(values.get("vue"), values.get("du"), clock.today(), default)


def one_line(key, day_range):
    """(planning, line) of the family's line ``<child id>-<activity id>``, else 404."""
    child_id, _, activity_id = (key or "").partition("-")
    child_id, activity_id = parse_id(child_id), parse_id(activity_id)
    if child_id is None or activity_id is None:
        abort(404)
    planning = load_planning(acting_family_id(), day_range, clock.now(), zone(),
                             child_id, activity_id, override=is_on_behalf())
    if not planning.lines:
        abort(404)
    return planning, planning.lines[0]


def show(planning, edit_key=None, errors=None, ticked=None, status=200, note=None,
         fragment=False):
    """The whole page, or one line's fragment for htmx (a GET with ``ligne``, or
    ``fragment``); ``edit_key``'s line editable. ``ticked`` ({date: [modalité ids]}) is
    what a refused form had ticked, shown as it was."""
    if planning.family is not None and not is_on_behalf():
        current_user.family = planning.family  # already loaded: saves the header a query
    line = next((ln for ln in planning.lines if ln.key == edit_key), None)
    note = note or session.pop("planning_note", None)
    fragment = "planning/_line.html" if (fragment or request.args.get("ligne")) else None
    # The fragment of a line not in edit mode: the only line loaded (see one_line).
    shown = line or (planning.lines[0] if fragment and is_htmx() and planning.lines else None)
    twins = load_twin_lines(acting_family_id(), line) if line else []
    context = dict(planning=planning, edit_key=edit_key, errors=errors, ticked=ticked, note=note,
                   views=VIEWS, view_labels=VIEW_LABELS, line=shown, twins=twins,
                   also=set(request.form.getlist("aussi")), editing=line is not None,
                   pending_count=planning.pending_count, line_message_url=line_message_url,
                   no_day_text=NO_DAY_TEXT)
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
    return url_for(ep("index"), vue=day_range.view, du=day_range.first, ligne=line.key,
                   modifier=1, _anchor=f"ligne-{line.key}")


def read_choices(line, form):
    """(ticked {date: [modalité ids]}, {date: DayStatus} of the days the form decides) of
    a line's form: the desktop grid (checkboxes ``jours``, every day of the range) or the
    phone list (one radio group per day shown, ``forme=liste``: only those days change)."""
    if form.get("forme") == "liste":
        tokens, shown = radio_tokens(form.items(multi=True))
        shown = set(shown)
        days = {d: s for d, s in line.days.items() if d.isoformat() in shown}
    else:
        tokens, days = form.getlist("jours"), line.days
    return parse_day_tokens(tokens, line.modalite_ids, line.days), days


def apply_to_twins(planning, line, changed, shown, form):
    """"Appliquer aussi à": the same days for the twin lines ticked in ``form`` (only this
    family's own twin lines), see :func:`booking_changes.mirror_choices`.
    Returns (messages, refusals, [twin lines changed])."""
    keys = set(form.getlist("aussi"))
    if not keys:
        return [], [], []
    twins = []
    for twin in load_twin_lines(acting_family_id(), line):
        if twin.key in keys and booking_changes.is_twin(line, twin):
            twins.extend(load_planning(acting_family_id(), planning.range, clock.now(),
                                       zone(), twin.child.id, twin.activity.id,
                                       override=is_on_behalf()).lines)
    done, refusals = booking_changes.mirror_choices(acting_family_id(), line, changed,
                                                    shown, twins, current_user.id)
    messages = [f"Aussi pour {twin.child.first_name} : {len(changed)} jour(s) modifié(s)."
                for twin, changed in done if changed]
    return messages, refusals, [twin for twin, changed in done if changed]



@bp.route("/")
def index():
    """The calendar of every open line; ``ligne`` + ``modifier=1``: that line in edit mode.
    Without ``du``, the first month that can still be changed."""
    default = None
    if not request.args.get("du"):
        default = first_changeable_month(acting_family_id(), clock.now(), zone())
    day_range = request_range(request.args, default)
    key = request.args.get("ligne")
    editing = request.args.get("modifier") == "1"
    if key and is_htmx():
        planning, line = one_line(key, day_range)
        key = line.key  # "01-8" is line "1-8"
    else:
        planning = load_planning(acting_family_id(), day_range, clock.now(), zone(),
                                 override=is_on_behalf())
    return show(planning, key if editing else None)


@bp.route("/basculer", methods=["POST"])
def toggle():
    """One tick (htmx): keep the choice, answer what changed out of band: the grid's
    cells (or the phone list's days), the line's message and the pending count."""
    day_range = request_range(request.form)
    planning, line = one_line(request.form.get("ligne"), day_range)
    before = sum(1 for s in line.days.values() if s.pending)
    chosen, changed, errors, notes, twins = {}, [], [], [], []
    try:
        ensure_editable(line)
        chosen, days = read_choices(line, request.form)
        wanted = resolve_choices(chosen, days, line.desired, prefer_new=True)
        changed = booking_changes.save_choices(acting_family_id(), line, wanted,
                                               current_user.id)
        notes, errors, twins = apply_to_twins(planning, line, changed, list(days),
                                              request.form)
    except ChoiceError as error:
        errors = error.messages
    if not is_htmx():
        for message in errors:
            flash(message, "error")
        return redirect(edit_url(line, day_range), code=303)
    after = sum(1 for s in line.days.values() if s.pending)
    count = planning.pending_count + after - before
    if notes:
        count = booking_changes.pending_count(acting_family_id())
    as_list = request.form.get("forme") == "liste"
    shown = ({d for d in line.days if request.form.get(f"j-{d.isoformat()}") is not None}
             if as_list else set(line.days))
    # The changed days, and any day whose ticks differ from what the server holds.
    days = [d for d, s in line.days.items() if d in changed or (
        d in shown and (s.changeable or d in chosen)
        and sorted(chosen.get(d, [])) != ([s.desired] if s.desired else []))]
    return render_template("planning/_toggle.html", line=line, days=days, errors=errors,
                           refused=set(days) - set(changed), notes=notes, as_list=as_list,
                           pending_count=count, twins=twins, planning=planning,
                           line_message_url=line_message_url, no_day_text=NO_DAY_TEXT)


@bp.route("/valider", methods=["POST"])
def validate_month():
    """VALIDER: keep the ticked days as pending changes (plain form: the grid or the
    phone list); with ``terminer``, then on to the recap."""
    day_range = request_range(request.form)
    planning, line = one_line(request.form.get("ligne"), day_range)
    chosen = None
    try:
        ensure_editable(line)
        chosen, days = read_choices(line, request.form)
        wanted = resolve_choices(chosen, days, line.desired, prefer_new=False)
        changed = booking_changes.save_choices(acting_family_id(), line, wanted,
                                               current_user.id)
        notes, refusals, _ = apply_to_twins(planning, line, changed, list(days), request.form)
    except ChoiceError as error:
        return show(planning, line.key, error.messages, chosen, status=422)
    if refusals:
        return show(planning, line.key, refusals, status=422,
                    note={"key": line.key, "text": " ".join(notes)} if notes else None)
    if request.form.get("terminer"):
        return redirect(url_for(ep("recap")), code=303)
    keep_note(line, " ".join([f"{line.child.first_name} – {line.activity.name} : vos choix "
                              f"({day_range.label}) sont gardés. Cliquez sur « TERMINER LES "
                              "MODIFICATIONS » pour les enregistrer."] + notes))
    return redirect(url_for(ep("index"), vue=day_range.view, du=day_range.first,
                            _anchor=f"ligne-{line.key}"), code=303)


@bp.route("/cocher", methods=["POST"])
def tick_all():
    """Tout cocher: every open day of the range that can take the modalité (and the same
    for the twin lines ticked in "Appliquer aussi à")."""
    day_range = request_range(request.form)
    planning, line = one_line(request.form.get("ligne"), day_range)
    modalite_id = parse_id(request.form.get("cocher"))
    modalite = line.modalite(modalite_id) if modalite_id else None
    if modalite is None or not line.state.allowed:
        errors = [line.state.reason or "Cette modalité n'appartient pas à cette activité."]
        return show(planning, line.key, errors, status=422, fragment=True)
    wanted = line.tick_all(modalite.id)
    try:
        changed = booking_changes.save_choices(acting_family_id(), line, wanted,
                                               current_user.id)
    except ChoiceError as error:
        return show(planning, line.key, error.messages, status=422,
                    fragment=True)
    notes, refusals, _ = apply_to_twins(planning, line, list(wanted), list(wanted),
                                        request.form)
    text = " ".join([f"{len(wanted)} jour(s) cochés pour « {modalite.name} » ({len(changed)} "
                     "changement(s))."] + notes)
    if is_htmx():
        planning.pending_count = booking_changes.pending_count(acting_family_id())
        return show(planning, line.key, refusals, note={"key": line.key, "text": text},
                    fragment=True)
    keep_note(line, text + " Cliquez sur « VALIDER ».")
    for message in refusals:
        flash(message, "error")
    return redirect(edit_url(line, day_range), code=303)


@bp.route("/recapitulatif")
def recap():
    """"Validation des modifications": every pending change, its cost, the total."""
    result = booking_changes.load_recap(acting_family_id(), clock.now(), zone())
    return render_template("planning/recap.html", recap=result, error=None,
                           back_url=url_for(ep("index")), show_by=show_by())


@bp.route("/tout-supprimer", methods=["POST"])
def drop_all():
    """TOUT SUPPRIMER: drop every pending change."""
    count = booking_changes.drop_all(acting_family_id())
    flash(f"{count} modification(s) en attente supprimée(s) : rien n'a été réservé.", "info")
    return redirect(url_for(ep("index")), code=303)


@bp.route("/retirer/<int:pending_id>", methods=["POST"])
def drop_one(pending_id):
    """Drop one pending change (of this family only)."""
    if not booking_changes.drop_one(acting_family_id(), pending_id):
        abort(404)
    flash("La modification est retirée.", "info")
    return redirect(url_for(ep("recap")), code=303)


@bp.route("/terminer", methods=["POST"])
def finish():
    """TERMINER: commit every pending change at once, then the recap email."""
    now = clock.now()
    if is_on_behalf():
        return finish_on_behalf(now)
    result = booking_changes.finish(acting_family_id(), current_user.email, now, zone(),
                                    actor=current_actor())
    if result.committed and not result.recap.lines:  # every change was already made
        flash("Vos modifications étaient déjà enregistrées : aucun e-mail n'est envoyé.", "info")
        return redirect(url_for(ep("index")), code=303)
    if result.committed:
        # What the confirmation shows is read back from TERMINER's audit row (see done).
        session["planning_done"] = {"audit": result.audit_id}
        return redirect(url_for(ep("done")), code=303)
    if not result.recap.lines:
        flash(result.message, "error")
        return redirect(url_for(ep("recap")), code=303)
    return render_template("planning/recap.html", recap=result.recap, error=result.message,
                           back_url=url_for(ep("index")), show_by=show_by()), 409


@bp.route("/terminee")
def done():
    """"VOTRE RESERVATION EST TERMINEE": per child and line, the period's cost (every day
    booked in it, added up by TERMINER) and that period's calendar, as the guide shows:
    only the lines TERMINER changed are loaded."""
    kept = session.get("planning_done")
    listed = (booking_changes.confirmation(acting_family_id(), kept.get("audit"))
              if kept else None)
    done_ = changes = None
    if listed is not None:
        periods = listed["periods"]
        done_ = {"periods": periods, "email": current_user.email,
                 "du": periods[0]["first"] if periods else None}
        changes = listed["changes"] if show_by() else None  # who made each change
    calendars = {}
    periods = (done_ or {}).get("periods", [])
    for first in sorted({p["first"] for p in periods}):
        day_range = display_range("mensuel", parse_range("mensuel", first, clock.today()).first)
        touched = {(p["child_id"], p["activity_id"]) for p in periods if p["first"] == first}
        planning = load_planning(acting_family_id(), day_range, clock.now(), zone(),
                                 only=touched)
        for line in planning.lines:
            calendars[(line.child.id, line.activity.id, first)] = (line, day_range)
    return render_template("planning/done.html", done=done_, calendars=calendars,
                           show_by=changes is not None, changes=changes)


def parse_date(value):
    """A ``YYYY-MM-DD`` form value as a date, None when it is not one."""
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def back_to_calendar():
    """Where a waiting-list form sent from the calendar (``retour=planning``) goes back:
    the range it showed, at its line; None for the waiting-list page."""
    if request.form.get("retour") != "planning":
        return None
    day_range = request_range(request.form)
    child_id, _, activity_id = (request.form.get("ligne") or "").partition("-")
    child_id, activity_id = parse_id(child_id), parse_id(activity_id)
    anchor = f"ligne-{child_id}-{activity_id}" if child_id and activity_id else None
    return url_for("planning.index", vue=day_range.view, du=day_range.first, _anchor=anchor)


@bp.route("/liste-attente")
def waiting_list_page():
    """The family's waiting lists: each day waited for, its rank, and "Quitter la liste"."""
    entries = waiting_list.family_entries(current_user.family_id)
    return render_template("planning/waiting_list.html", entries=entries, error=None)


@bp.route("/liste-attente", methods=["POST"])
def join_waiting_list():
    """A full day's "Liste d'attente": the child joins the list of that day and line."""
    child_id, _, activity_id = (request.form.get("ligne") or "").partition("-")
    child_id, activity_id = parse_id(child_id), parse_id(activity_id)
    when, _, wanted = (request.form.get("attente") or "").partition(":")
    modalite_id = parse_id(wanted or request.form.get("modalite") or "")
    day = parse_date(when or request.form.get("date"))
    if child_id is None or activity_id is None or not waiting_list.is_family_child(
            current_user.family_id, child_id):
        abort(404)
    try:
        if modalite_id is None or day is None:
            raise waiting_list.WaitingListError("Choisissez le jour et la modalité.")
        entry = waiting_list.join(current_user.family_id, child_id, activity_id, modalite_id,
                                  day, clock.now(), zone())
    except waiting_list.WaitingListError as error:
        back = back_to_calendar()
        if back:
            flash(str(error), "error")
            return redirect(back, code=303)
        entries = waiting_list.family_entries(current_user.family_id)
        return render_template("planning/waiting_list.html", entries=entries,
                               error=str(error)), 422
    flash(f"{entry.child.first_name} est sur la liste d'attente du {date_fr(entry.date)} : "
          f"rang {entry.rank}. Vous serez prévenu(e) par e-mail si une place se libère.", "info")
    return redirect(back_to_calendar() or url_for("planning.waiting_list_page"), code=303)


@bp.route("/liste-attente/<int:entry_id>/quitter", methods=["POST"])
def leave_waiting_list(entry_id):
    """"Quitter la liste": the families behind move up (this family's entries only)."""
    if not waiting_list.leave(current_user.family_id, entry_id):
        abort(404)
    flash("Vous avez quitté la liste d'attente.", "info")
    return redirect(back_to_calendar() or url_for("planning.waiting_list_page"), code=303)


def finish_on_behalf(now):
    """Staff's TERMINER in a family's calendar: the reason asked once for every change,
    committed with the staff's override (no deadline, no place limit), audited, and the
    family's recap email « modifié par le service »."""
    family_id = acting_family_id()
    reason = (request.form.get("motif") or "").strip()[:500]
    if not reason:
        result = booking_changes.load_recap(family_id, now, zone(), override=True)
        return render_template("planning/recap.html", recap=result, error=None,
                               reason_error="Indiquez le motif des modifications : il est "
                                            "enregistré dans le journal et envoyé à la famille.",
                               back_url=url_for(ep("index"))), 422
    result = booking_changes.finish_on_behalf(
        family_id, current_actor(), reason, now, zone(),
        family_email_address(family_id))
    if not result.committed:
        if not result.recap.lines:
            flash(result.message, "error")
            return redirect(url_for(ep("recap")), code=303)
        return render_template("planning/recap.html", recap=result.recap, error=result.message,
                               reason=reason, back_url=url_for(ep("index"))), 409
    flash(f"{result.recap.summary} pour la famille ; elle reçoit le récapitulatif par email "
          "(« modifié par le service »).", "success")
    return redirect(url_for("staff.family", family_id=family_id) + "#planning", code=303)
