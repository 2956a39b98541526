"""Espace agents: close days (strike, school event) and set the places of a day.

Open to agents as well as administrateurs: a strike or a school event is known by
the services on the ground, often the day before, and closing the day must not
wait for the administrateur; the catalogue itself (activities, tariffs) stays theirs.

Closing goes in two steps: the form shows a confirmation page (the bookings that
will be cancelled, the families that will be emailed), whose button closes.
"Rouvrir" shows the cancelled bookings that can be restored before lifting.
"""
from flask import abort, flash, redirect, request, url_for

from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from blueprints.staff.exports import parse_day
from domain import clock
from domain.booking import closures
from domain.catalogue.opening import open_days
from domain.catalogue.years import current_school_year
from domain.commune import holiday_zone
from models import Activity, SchoolYear, parse_id


def _activities():
    """Activities of the current school year and of the years after it."""
    year = current_school_year(clock.today())
    query = Activity.select(Activity, SchoolYear).join(SchoolYear)
    if year is not None:
        query = query.where(SchoolYear.start_date >= year.start_date)
    return list(query.order_by(SchoolYear.start_date, Activity.position, Activity.id))


def _page(errors=None, values=None, status=200):
    today = clock.today()
    return render("staff/closures/index.html", activities=_activities(),
                  schools=closures.open_schools(), closures_in_force=closures.in_force(today),
                  overrides=closures.upcoming(today), errors=errors or {},
                  values=values or {}, status=status)


@bp.route("/fermetures/")
def closures_index():
    """Closures and capacity overrides to come, and the two forms."""
    return _page()


def _read(form, errors):
    day, error = parse_day(form.get("date"), None)
    if error or day is None:
        errors["date"] = error or "Indiquez la date."
    raw = form.get("activite", "")
    activity = None
    if raw not in ("", "toutes"):
        activity_id = parse_id(raw)
        activity = next((a for a in _activities() if a.id == activity_id), None)
        if activity is None:
            errors["activite"] = "Choisissez une activité de la liste."
    return day, activity


def _read_closure(form):
    """(ClosureRequest or None, errors) from the closing form."""
    errors = {}
    day, activity = _read(form, errors)
    if form.get("activite", "") == "":
        errors["activite"] = "Choisissez une activité, ou « Toutes les activités »."
    last, error = parse_day(form.get("au"), None)
    if error:
        errors["au"] = error
    school = None
    raw_school = form.get("ecole", "")
    if raw_school not in ("", "commune"):
        school_id = parse_id(raw_school)
        school = next((s for s in closures.open_schools() if s.id == school_id), None)
        if school is None:
            errors["ecole"] = "Choisissez une école de la liste, ou toute la commune."
    if errors:
        return None, errors
    try:
        return closures.check(school, activity, day, last, form.get("motif", ""),
                              clock.today()), {}
    except closures.ClosureError as error:
        return None, {error.field: error.message}


@bp.route("/fermetures/fermer", methods=["POST"])
def close_day():
    """First the confirmation page (what will be cancelled, who will be emailed); with
    ``confirmer``, close: the bookings are cancelled (not billed), the families emailed."""
    closure_request, errors = _read_closure(request.form)
    values = {"form": "fermer", **request.form.to_dict()}
    if closure_request is not None:
        if request.form.get("confirmer") != "1":
            return render("staff/closures/confirm.html",
                          preview=closures.preview(closure_request), values=values)
        try:
            _, done = closures.close(closure_request, current_actor())
        except closures.ClosureError as error:
            errors[error.field] = error.message
        else:
            flash(f"Fermeture {closure_request.days_label} ({closure_request.scope_label}) : "
                  f"{done.booking_count} réservation(s) annulée(s), {len(done.emailed)} "
                  "famille(s) prévenue(s) par email.", "success")
            return redirect(url_for("staff.closures_index"), code=303)
    return _page(errors, values, status=422)


def _closure_or_404(closure_id):
    closure = closures.closure_by_id(closure_id)
    if closure is None:
        abort(404)
    return closure


@bp.route("/fermetures/<int:closure_id>/rouvrir", methods=["GET", "POST"])
def reopen_day(closure_id):
    """Lift a closure: the page lists the cancelled bookings and which can come back;
    the button restores them (unless unticked) and emails the families."""
    closure = _closure_or_404(closure_id)
    today = clock.today()
    if request.method == "GET":
        items = closures.reopen_preview(closure, today)
        return render("staff/closures/reopen.html", closure=closure, items=items,
                      restorable=[i for i in items if not i.why_not],
                      families={i.row.child.family_id for i in items},
                      label=closures.scope_label(closure.school, closure.activity))
    restore = request.form.get("retablir") == "1"
    try:
        restored, refused = closures.reopen(closure, current_actor(),
                                            restore, today)
    except closures.ClosureError:
        abort(404)
    message = f"Fermeture du {closure.first_day:%d/%m/%Y} levée"
    if restore:
        message += f" : {restored} réservation(s) rétablie(s)"
        if refused:
            message += f", {refused} impossible(s) à rétablir"
    flash(message + ".", "success")
    return redirect(url_for("staff.closures_index"), code=303)


@bp.route("/fermetures/places", methods=["POST"])
def set_places():
    """Set (or clear) the places of an activity on a day; below what is booked, or on
    a day without service, the page says so and lists the children concerned."""
    errors = {}
    day, activity = _read(request.form, errors)
    if activity is None and "activite" not in errors:
        errors["activite"] = "Choisissez une activité."
    values = {"form": "places", **request.form.to_dict()}
    places = None
    try:
        places = closures.parse_places(request.form.get("places"))
    except closures.ClosureError as error:
        errors[error.field] = error.message
    if not errors:
        promoted = closures.set_capacity(activity, day, places, current_actor(), clock.now(),
                                         holiday_zone())
        booked = closures.booked_count(activity, day)
        shown = places if places is not None else activity.capacity
        flash(f"{activity.name}, {day:%d/%m/%Y} : {shown if shown is not None else 'sans limite'}"
              f" place(s), {booked} réservée(s).", "success")
        if promoted:
            flash(f"{len(promoted)} famille(s) de la liste d'attente ont reçu une place "
                  "(prévenues par e-mail).", "success")
        if not open_days(activity, day, day, holiday_zone()):
            flash(f"Attention : {activity.name} n'a pas lieu le {day:%d/%m/%Y} ; ces places "
                  "ne servent qu'en cas d'ouverture.", "error")
        if shown is not None and booked > shown:
            flash(f"Attention : {booked} enfant(s) déjà réservé(s), au-delà des {shown} "
                  "place(s) ; réservations maintenues : "
                  + ", ".join(closures.booked_children(activity, day)) + ".", "error")
        return redirect(url_for("staff.closures_index"), code=303)
    return _page(errors, values, status=422)
