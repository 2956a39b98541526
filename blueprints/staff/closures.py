"""Espace agents: close a day (strike, school event) and set the places of a day.

Open to agents as well as administrateurs: a strike or a school event is known by
the services on the ground, often the day before, and closing the day must not
wait for the administrateur; the catalogue itself (activities, tariffs) stays theirs.
"""
from flask import flash, redirect, request, url_for

from blueprints.common import get_or_404
from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from blueprints.staff.exports import parse_day
from domain import clock
from domain.booking import closures
from domain.catalogue.years import current_school_year
from models import Activity, DayOverride, SchoolYear, parse_id


def _activities():
    """Activities of the current school year and of the years after it."""
    year = current_school_year(clock.today())
    query = Activity.select(Activity, SchoolYear).join(SchoolYear)
    if year is not None:
        query = query.where(SchoolYear.start_date >= year.start_date)
    return list(query.order_by(SchoolYear.start_date, Activity.position, Activity.id))


def _page(errors=None, values=None, status=200):
    return render("staff/closures/index.html", activities=_activities(),
                  overrides=closures.upcoming(clock.today()), errors=errors or {},
                  values=values or {}, status=status)


@bp.route("/fermetures/")
def closures_index():
    """Closed days and capacity overrides to come, and the two forms."""
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


@bp.route("/fermetures/fermer", methods=["POST"])
def close_day():
    """Close a day: its bookings are cancelled (not billed) and the families emailed."""
    errors = {}
    day, activity = _read(request.form, errors)
    if request.form.get("activite", "") == "":
        errors["activite"] = "Choisissez une activité, ou « Toutes les activités »."
    values = {"form": "fermer", **request.form.to_dict()}
    if not errors:
        try:
            result = closures.close_day(activity, day, request.form.get("motif", ""),
                                        current_actor(), clock.today())
        except closures.ClosureError as error:
            errors[error.field] = error.message
        else:
            flash(f"Journée du {day:%d/%m/%Y} fermée : {result.cancelled} réservation(s) "
                  f"annulée(s), {result.families} famille(s) prévenue(s) par email.", "success")
            return redirect(url_for("staff.closures_index"), code=303)
    return _page(errors, values, status=422)


@bp.route("/fermetures/<int:override_id>/rouvrir", methods=["POST"])
def reopen_day(override_id):
    """Lift a closure."""
    override = get_or_404(DayOverride.select().where((DayOverride.id == override_id)
                                                     & (DayOverride.is_open == False)))  # noqa: E712
    closures.reopen_day(override, current_actor())
    flash(f"Journée du {override.date:%d/%m/%Y} rouverte.", "success")
    return redirect(url_for("staff.closures_index"), code=303)


@bp.route("/fermetures/places", methods=["POST"])
def set_places():
    """Set (or clear) the places of an activity on a day."""
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
        closures.set_capacity(activity, day, places, current_actor())
        booked = closures.booked_count(activity, day)
        shown = places if places is not None else activity.capacity
        flash(f"{activity.name}, {day:%d/%m/%Y} : {shown if shown is not None else 'sans limite'}"
              f" place(s), {booked} réservée(s).", "success")
        return redirect(url_for("staff.closures_index"), code=303)
    return _page(errors, values, status=422)
