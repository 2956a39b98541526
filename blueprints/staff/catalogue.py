"""Espace agents, administrateur: the school years and their catalogue (activities,
modalités, tariffs, QF brackets, booking windows); "Préparer l'année suivante" and
"Publier"."""
from flask import flash, redirect, request, url_for

from blueprints.common import commune_settings, get_or_404
from blueprints.htmx import current_actor, render
from blueprints.staff import admin_bp
from blueprints.staff.commune_forms import CreateYearForm
from blueprints.staff.exports import parse_day
from domain import clock
from domain.catalogue import editing, windows as booking_windows, years
from domain.formats import date_fr
from models import Activity, SchoolYear


def _create_year_form():
    form = CreateYearForm()
    form.start_year.choices = years.first_year_choices(clock.today())
    return form


@admin_bp.route("/catalogue/")
def catalogue_years(create_form=None, status=200):
    """Every school year, drafts marked; prepare the next one, publish a draft; with no
    year yet, « Créer l'année scolaire »."""
    all_years = years.all_years()
    return render("staff/catalogue/years.html", years=all_years,
                  latest=all_years[0] if all_years else None,
                  create_form=create_form or _create_year_form(), status=status)


@admin_bp.route("/catalogue/creer", methods=["POST"])
def create_year():
    """Créer l'année scolaire: its dates from the official calendar of the commune's zone,
    its catalogue the standard one or empty (a draft, to check and publish)."""
    form = _create_year_form()
    if not form.validate_on_submit():
        return catalogue_years(create_form=form, status=422)
    try:
        new = years.create_year(form.start_year.data, commune_settings().holiday_zone,
                                form.start_from.data, current_actor())
    except years.YearError as error:
        form.start_year.errors = list(form.start_year.errors) + [str(error)]
        return catalogue_years(create_form=form, status=422)
    flash(f"L'année {new.label} est créée, du {date_fr(new.start_date)} au "
          f"{date_fr(new.end_date)} (brouillon, invisible des familles) : vérifiez ses "
          "activités, tarifs et fenêtres de réservation, puis publiez-la.", "success")
    return redirect(url_for("staff.admin.catalogue_year", year_id=new.id), code=303)


@admin_bp.route("/catalogue/<int:year_id>/preparer", methods=["POST"])
def prepare_year(year_id):
    """Préparer l'année suivante: copy this year into the next one, as a draft."""
    year = get_or_404(SchoolYear.select().where(SchoolYear.id == year_id))
    try:
        new = years.prepare_next_year(year, commune_settings().holiday_zone, current_actor())
    except years.YearError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.admin.catalogue_years"), code=303)
    flash(f"L'année {new.label} est préparée (brouillon, invisible des familles) : vérifiez "
          "ses activités, tarifs et fenêtres de réservation, puis publiez-la.", "success")
    return redirect(url_for("staff.admin.catalogue_year", year_id=new.id), code=303)


@admin_bp.route("/catalogue/<int:year_id>/publier", methods=["POST"])
def publish_year(year_id):
    """Publish a draft year once its box is ticked (families see it at once)."""
    year = get_or_404(SchoolYear.select().where(SchoolYear.id == year_id))
    if not year.is_published and request.form.get("confirmer") != "1":
        return _year_page(year, errors={"confirmer": "Cochez la case pour confirmer la "
                                                     "publication : les familles verront "
                                                     "cette année."}, status=422)
    try:
        years.publish(year, current_actor())
    except years.YearError as error:
        flash(str(error), "error")
    else:
        flash(f"L'année {year.label} est publiée : les familles la voient.", "success")
    return redirect(url_for("staff.admin.catalogue_year", year_id=year.id), code=303)


def _year_page(year, errors=None, values=None, status=200):
    brackets, grid = editing.tariff_grid(year)
    return render("staff/catalogue/year.html", year=year, brackets=brackets, grid=grid,
                  activities=list(year.activities.order_by(Activity.position, Activity.id)),
                  windows=booking_windows.windows_of(year), errors=errors or {},
                  values=values or {}, euros_input=editing.euros_input,
                  categories=editing.CATEGORY_LABELS, audiences=editing.AUDIENCE_LABELS,
                  weekday_labels=editing.WEEKDAY_LABELS, status=status)


@admin_bp.route("/catalogue/<int:year_id>")
def catalogue_year(year_id):
    """A year's catalogue: activities, tariffs by QF bracket, brackets, windows."""
    return _year_page(get_or_404(SchoolYear.select().where(SchoolYear.id == year_id)))


@admin_bp.route("/catalogue/<int:year_id>/tarifs", methods=["POST"])
def save_tariffs(year_id):
    """Save the tariff grid; bookings already made keep their price."""
    year = get_or_404(SchoolYear.select().where(SchoolYear.id == year_id))
    raw = {}
    for key, value in request.form.items():
        if key.startswith("tarif-"):
            parts = key.split("-")
            if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                raw[(int(parts[1]), int(parts[2]))] = value
    try:
        count = editing.save_tariffs(year, raw, current_actor())
    except editing.CatalogueError as error:
        return _year_page(year, error.errors, request.form.to_dict(), status=422)
    flash(f"{count} tarif(s) modifié(s) ; les réservations déjà faites gardent leur prix.",
          "success")
    return redirect(url_for("staff.admin.catalogue_year", year_id=year.id, _anchor="tarifs"),
                    code=303)


@admin_bp.route("/catalogue/<int:year_id>/tranches", methods=["POST"])
def save_brackets(year_id):
    year = get_or_404(SchoolYear.select().where(SchoolYear.id == year_id))
    raw = {b.id: (request.form.get(f"qf-label-{b.id}"), request.form.get(f"qf-min-{b.id}"),
                  request.form.get(f"qf-max-{b.id}")) for b in year.qf_brackets}
    try:
        editing.save_brackets(year, raw, current_actor())
    except editing.CatalogueError as error:
        return _year_page(year, error.errors, request.form.to_dict(), status=422)
    flash("Tranches de quotient familial enregistrées.", "success")
    return redirect(url_for("staff.admin.catalogue_year", year_id=year.id, _anchor="tranches"),
                    code=303)


@admin_bp.route("/catalogue/<int:year_id>/fenetres", methods=["POST"])
def save_windows(year_id):
    """Save the booking windows of the holiday periods (all or nothing)."""
    year = get_or_404(SchoolYear.select().where(SchoolYear.id == year_id))
    errors, parsed = {}, []
    for window in booking_windows.windows_of(year):
        opens_raw = (request.form.get(f"ouverture-{window.id}") or "").strip()
        opens, error = parse_day(opens_raw, None)
        if error:
            errors[f"ouverture-{window.id}"] = error
        closes, error = parse_day(request.form.get(f"fin-{window.id}"), None)
        if error or closes is None:
            errors[f"fin-{window.id}"] = error or "Indiquez la date de fin."
        elif opens is not None and closes < opens:
            errors[f"fin-{window.id}"] = "La date de fin doit être après la date d'ouverture."
        parsed.append((window, opens, closes))
    if errors:
        return _year_page(year, errors, request.form.to_dict(), status=422)
    for window, opens, closes in parsed:
        if (window.opens_on, window.closes_on) != (opens, closes):
            booking_windows.save_window(window, opens, closes, current_actor())
    flash("Fenêtres de réservation enregistrées.", "success")
    return redirect(url_for("staff.admin.catalogue_year", year_id=year.id, _anchor="fenetres"),
                    code=303)


def _activity_page(activity, errors=None, values=None, status=200):
    brackets, grid = editing.tariff_grid(activity.school_year)
    return render("staff/catalogue/activity.html", activity=activity, errors=errors or {},
                  values=values, brackets=brackets,
                  rows=[row for row in grid if row[0].id == activity.id],
                  categories=editing.CATEGORY_LABELS, audiences=editing.AUDIENCE_LABELS,
                  weekday_labels=editing.WEEKDAY_LABELS, periods=editing.PERIODS,
                  euros_input=editing.euros_input, status=status)


def _activity(activity_id):
    return get_or_404(Activity.select(Activity, SchoolYear).join(SchoolYear)
                      .where(Activity.id == activity_id))


@admin_bp.route("/catalogue/activite/<int:activity_id>", methods=["GET", "POST"])
def edit_activity(activity_id):
    """An activity: category, audience, weekdays, period, capacity, exclusive group."""
    activity = _activity(activity_id)
    if request.method == "GET":
        return _activity_page(activity)
    form = {key: request.form.get(key) for key in ("name", "category", "audience",
                                                     "holiday_period", "capacity",
                                                     "open_to_other_schools",
                                                     "exclusive_group")}
    form["weekdays"] = request.form.getlist("weekdays")
    try:
        editing.save_activity(activity, form, current_actor())
    except editing.CatalogueError as error:
        return _activity_page(activity, error.errors, form, status=422)
    flash(f"Activité « {activity.name} » enregistrée.", "success")
    return redirect(url_for("staff.admin.edit_activity", activity_id=activity.id), code=303)


@admin_bp.route("/catalogue/activite/<int:activity_id>/modalite", methods=["POST"])
def add_modalite(activity_id):
    """A new modalité with its hours and its price for every QF bracket."""
    activity = _activity(activity_id)
    prices = {b.id: request.form.get(f"prix-{b.id}") for b in activity.school_year.qf_brackets}
    try:
        modalite = editing.add_modalite(activity, request.form.get("modalite"), prices,
                                        current_actor())
    except editing.CatalogueError as error:
        return _activity_page(activity, error.errors, request.form.to_dict(), status=422)
    flash(f"Modalité « {modalite.name} » ajoutée.", "success")
    return redirect(url_for("staff.admin.edit_activity", activity_id=activity.id), code=303)


