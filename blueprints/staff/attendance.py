"""Espace agents: the attendance registers (présent / absent / excusé), the canteen's meal
counts and the occupancy of the activities."""
import datetime

from flask import abort, flash, redirect, request, url_for

from blueprints.common import commune_settings, send_stored_file
from blueprints.htmx import current_actor, is_htmx, is_htmx_request, render
from blueprints.staff import bp
from blueprints.staff.exports import logged_csv, parse_day, register_viewed
from domain import clock, exports
from domain.booking import attendance, illness
from domain.catalogue import school_calendar
from domain.catalogue.years import current_school_year
from domain.dates import add_months, within_calendar
from models import Activity, Attendance, Modalite, SchoolYear, parse_id

GROUPS = (("", "Tous les groupes"), ("maternel", "Maternelle"), ("elementaire", "Élémentaire"))


def _year_of(day):
    year = (SchoolYear.select().where((SchoolYear.start_date <= day)
                                      & (SchoolYear.end_date >= day)).first())
    return year or current_school_year(day)


class RegisterQuery:
    """The register's filters as read from the query string (or a posted form)."""

    def __init__(self, values):
        self.day, self.date_error = parse_day(values.get("date"), clock.today())
        if not self.date_error and not school_calendar.is_covered(self.day.year):
            first, last = school_calendar.covered_years()
            self.day = clock.today()
            self.date_error = f"Choisissez une date des années {first} à {last}."
        self.year = _year_of(self.day)
        zone = commune_settings().holiday_zone
        self.activities = attendance.activities_of_day(self.year, self.day, zone) \
            if self.year else []
        activity_id = parse_id(values.get("activite"))
        self.activity = next((a for a in self.activities if a.id == activity_id), None)
        if self.activity is None and activity_id is not None:
            # A day the activity does not run (or a closed day): still show its bookings.
            self.activity = Activity.get_or_none(Activity.id == activity_id)
        self.schools = attendance.schools()
        school = (values.get("ecole") or "").strip()
        self.school = school if school in self.schools else ""
        group = values.get("groupe") or ""
        self.group = group if group in dict(GROUPS) else ""

    def args(self, **extra):
        """The filters as URL arguments."""
        values = {"date": self.day.isoformat(), "activite": self.activity.id if self.activity
                  else None, "ecole": self.school or None, "groupe": self.group or None}
        values.update(extra)
        return {k: v for k, v in values.items() if v is not None}

    def rows(self):
        if self.activity is None:
            return []
        return attendance.register(self.activity, self.day, self.school, self.group)


#: Past this many children, the register of every school and group at once shows its
#: table of contents (each group's link) instead: 2,000 rows made 3.5 MB for a tablet.
LONG_REGISTER = 150


def _show_register(query, add_errors=None, status=200):
    contents = []
    if query.activity and not query.school and not query.group:
        contents = attendance.group_counts(query.activity, query.day)
        if sum(count for *_, count in contents) <= LONG_REGISTER:
            contents = []
    rows = [] if contents else query.rows()
    future = attendance.is_future(query.day)
    addable = attendance.addable_children(query.activity, query.day) \
        if query.activity and not future else []
    modalites = list(query.activity.modalites.order_by(Modalite.position, Modalite.id)) \
        if addable else []
    if query.activity is not None:
        register_viewed("Registre de présence", query.activity, query.day, rows)
    return render("staff/attendance/register.html", q=query, rows=rows, contents=contents,
                  groups=attendance.by_group(rows), totals=attendance.totals(rows),
                  group_choices=GROUPS, statuses=attendance.STATUSES, labels=Attendance.LABELS,
                  future=future, addable=addable, modalites=modalites,
                  add_errors=add_errors or {}, added=request.form if add_errors else {},
                  status=400 if query.date_error else status)


@bp.route("/presences/")
def attendance_register():
    """The register of a day: pick the date and activity, tick each child (not on a day
    to come), add a child present without a booking."""
    return _show_register(RegisterQuery(request.args))


@bp.route("/presences/pointer", methods=["POST"])
def attendance_mark():
    """Tick one child: htmx gets the row back, a plain form goes back to the register."""
    query = RegisterQuery(request.form)
    child_id = parse_id(request.form.get("enfant"))
    status = request.form.get("statut", "")
    if query.activity is None or child_id is None or query.date_error or \
            status not in (*attendance.STATUSES, ""):
        abort(400)
    try:
        attendance.mark(query.activity, child_id, query.day, status,
                        current_actor(),
                        justification=request.form.get("justificatif", ""))
    except attendance.NotBooked:
        abort(404)
    except attendance.FutureDay as refused:
        if is_htmx():
            return str(refused), 422
        flash(str(refused), "error")
        return redirect(url_for("staff.attendance_register", **query.args()), code=303)
    if is_htmx_request():
        row = next((r for r in attendance.register(query.activity, query.day)
                    if r.child.id == child_id), None)
        if row is None:
            abort(404)
        return render("staff/attendance/_row.html", row=row, q=query, future=False,
                      statuses=attendance.STATUSES, labels=Attendance.LABELS)
    return redirect(url_for("staff.attendance_register", **query.args(),
                            _anchor=f"enfant-{child_id}"), code=303)


@bp.route("/presences/maladie/<int:mark_id>", methods=["POST"])
def attendance_illness(mark_id):
    """Accept or refuse the certificate of a day a family declared ill (audited); back
    to the register."""
    query = RegisterQuery(request.form)
    decision = request.form.get("decision", "")
    if decision not in ("accepter", "refuser"):
        abort(400)
    try:
        illness.review(mark_id, decision == "accepter", current_actor())
    except illness.IllnessError as refused:
        flash(str(refused), "error")
    else:
        flash("Justificatif accepté : la journée ne sera pas facturée." if decision == "accepter"
              else "Justificatif refusé : la journée sera facturée.", "success")
    args = query.args() if query.activity and not query.date_error else {}
    return redirect(url_for("staff.attendance_register", **args), code=303)


@bp.route("/presences/maladie/<int:mark_id>/certificat")
def attendance_illness_certificate(mark_id):
    """The medical certificate a family sent for a day declared ill, as a download."""
    mark = Attendance.get_or_none((Attendance.id == mark_id) & (Attendance.illness != "")
                                  & Attendance.certificate.is_null(False))
    if mark is None:
        abort(404)
    return send_stored_file(mark.certificate)


@bp.route("/presences/ajouter", methods=["POST"])
def attendance_add():
    """Add a child present without a booking: its day is booked (billed as any booked
    day) and flagged "ajouté sur place" (audited)."""
    query = RegisterQuery(request.form)
    if query.activity is None or query.date_error:
        abort(400)
    child_id = parse_id(request.form.get("ajout-enfant"))
    modalite_id = parse_id(request.form.get("ajout-modalite"))
    errors = {}
    if child_id is None:
        errors["enfant"] = "Choisissez l'enfant présent."
    if modalite_id is None:
        errors["modalite"] = "Choisissez la modalité de l'accueil."
    if not errors:
        try:
            child = attendance.add_present(query.activity, child_id, modalite_id, query.day,
                                           current_actor())
        except attendance.FutureDay as refused:
            errors["enfant"] = str(refused)
        except attendance.CannotAdd as refused:
            key = "modalite" if "modalité" in str(refused) else "enfant"
            errors[key] = str(refused)
    if errors:
        return _show_register(query, add_errors=errors, status=422)
    flash(f"{child.first_name} {child.last_name} est ajouté(e) présent(e) : la journée est "
          "réservée et sera facturée.", "success")
    return redirect(url_for("staff.attendance_register", **query.args(),
                            _anchor=f"enfant-{child.id}"), code=303)


@bp.route("/presences/imprimer")
def attendance_print():
    """The register to print: one page per school and group, a box to tick by hand."""
    query = RegisterQuery(request.args)
    if query.activity is None:
        return redirect(url_for("staff.attendance_register", **query.args()), code=303)
    rows = query.rows()
    register_viewed("Registre à imprimer", query.activity, query.day, rows)
    return render("staff/attendance/print.html", q=query, groups=attendance.by_group(rows),
                  labels=Attendance.LABELS)


@bp.route("/presences/export.csv")
def attendance_csv():
    """The register as CSV for a spreadsheet."""
    query = RegisterQuery(request.args)
    if query.activity is None:
        abort(404)
    header = ["Date", "Activité", "École", "Groupe", "Classe", "Nom", "Prénom", "Modalité",
              "PAI", "Allergies", "Régime", "Personnes autorisées", "Statut"]
    lines = [[query.day, query.activity.name, r.child.school_name, r.child.group_label,
              r.child.class_level, r.child.last_name, r.child.first_name, r.modalite.name,
              r.has_pai, r.allergies, r.diet,
              " | ".join(f"{name} ({rel}) {phone}".strip() for name, rel, phone in r.pickup),
              Attendance.LABELS.get(r.status, "")] for r in query.rows()]
    return logged_csv(f"présences avec données de santé, {query.activity.name}",
                      exports.csv_text(header, lines), exports.filename("presences", query.day))


# --- Meal counts -------------------------------------------------------------


def _meal_range(values):
    """(first, last, period, error) of the meal counts: a week from Monday or a month."""
    day, error = parse_day(values.get("date"), clock.today())
    period = "mois" if values.get("periode") == "mois" else "semaine"
    if period == "mois":
        first = day.replace(day=1)
        last = add_months(first, 1) - datetime.timedelta(days=1)
    else:
        first = day - datetime.timedelta(days=day.weekday())
        last = first + datetime.timedelta(days=6)
    return first, last, period, error


@bp.route("/repas/")
def meal_counts():
    """Meals per day and school, what the commune orders from its caterer."""
    first, last, period, error = _meal_range(request.args)
    days, schools, counts, per_day = attendance.meal_counts(first, last)
    return render("staff/attendance/meals.html", first=first, last=last, period=period,
                  date_error=error, days=days, schools=schools, counts=counts,
                  per_day=per_day, total=sum(c.meals for c in per_day.values()),
                  total_diet=sum(c.diet for c in per_day.values()),
                  total_pai=sum(c.pai for c in per_day.values()),
                  status=400 if error else 200)


@bp.route("/repas/export.csv")
def meal_counts_csv():
    first, last, period, _ = _meal_range(request.args)
    days, schools, counts, _ = attendance.meal_counts(first, last)
    return logged_csv("repas", exports.csv_text(list(attendance.MEAL_COLUMNS),
                                                attendance.meal_rows(days, schools, counts)),
                      exports.filename("repas", first))


# --- Occupancy ---------------------------------------------------------------


def _month(values):
    raw = (values.get("mois") or "").strip()
    today = clock.today().replace(day=1)
    if not raw:
        return today, ""
    try:
        first = datetime.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        first = None
    if first is None or not within_calendar(first):
        return today, "Saisissez un mois valide au format AAAA-MM."
    return first, ""


@bp.route("/occupation/")
def occupancy():
    """Booked / capacity per activity and day over a month: the full days stand out."""
    first, error = _month(request.args)
    last = add_months(first, 1) - datetime.timedelta(days=1)
    year = _year_of(first) if SchoolYear.select().exists() else None
    table = attendance.occupancy(year, first, last, commune_settings().holiday_zone) \
        if year else []
    return render("staff/attendance/occupancy.html", first=first, month_error=error,
                  table=table, previous=add_months(first, -1), next=add_months(first, 1),
                  status=400 if error else 200)

