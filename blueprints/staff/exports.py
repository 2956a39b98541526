"""Espace agents: CSV exports (families, enrolments, bookings of a period) and the one way
a CSV file is sent (:func:`csv_response`)."""
import datetime

from flask import Response, request

from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from domain import audit, clock, exports
from domain.catalogue.years import current_school_year
from domain.dates import CALENDAR_FIRST, CALENDAR_LAST, add_months, within_calendar
from models import Activity, Booking, Child, Enrolment, Family, Guardian, Modalite

DATE_ERROR = "Saisissez une date valide au format JJ/MM/AAAA."
#: A real date, but one the portal never works with (its calendars stop there).
DATE_RANGE_ERROR = (f"Choisissez une date entre {CALENDAR_FIRST.year} et "
                    f"{CALENDAR_LAST.year}.")


def parse_day(raw, default):
    """(date, error) from ``YYYY-MM-DD`` (a date field) or ``DD/MM/YYYY`` (typed)."""
    raw = (raw or "").strip()
    if not raw:
        return default, ""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
        return (day, "") if within_calendar(day) else (default, DATE_RANGE_ERROR)
    return default, DATE_ERROR


def csv_response(text, filename):
    """A CSV download (never cached: it holds families' data)."""
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _period(values):
    """(first, last, error) of the bookings export: ``du``/``au`` (default: this month)."""
    start = clock.today().replace(day=1)
    first, error_first = parse_day(values.get("du"), start)
    last, error_last = parse_day(values.get("au"),
                                 add_months(first, 1) - datetime.timedelta(days=1))
    errors = {}
    if error_first:
        errors["du"] = error_first
    if error_last:
        errors["au"] = error_last
    if not errors and last < first:
        errors["au"] = "La date de fin doit être après la date de début."
    if not errors and (last - first).days > 366:
        errors["au"] = "Une période d'un an au plus."
    return first, last, errors


@bp.route("/exports/")
def exports_index():
    """The exports page: what can be downloaded, with the period of the bookings."""
    first, last, errors = _period(request.args)
    return render("staff/exports/index.html", first=first, last=last, errors=errors,
                  status=400 if errors else 200)


def logged_csv(kind, text, filename):
    """A CSV download that leaves its one audit row (who, which export, when): every
    export goes through here."""
    audit.record(current_actor(), None, audit.EXPORT_DOWNLOADED,
                 f"Export {kind} ({filename})")
    return csv_response(text, filename)


def register_viewed(kind, activity, day, rows):
    """One audit row for a register showing ``rows`` children's health data (allergies,
    PAI, diet): who saw it, which register, how many children."""
    if rows:
        audit.record(current_actor(), None, audit.REGISTER_VIEWED,
                     f"{kind} : {activity.name} du {day.strftime('%d/%m/%Y')} "
                     f"({len(rows)} enfant{'s' if len(rows) > 1 else ''})",
                     after={"activite": activity.id, "date": day.isoformat(),
                            "enfants": len(rows)})


@bp.route("/exports/familles.csv")
def export_families():
    """Every family with its guardians' contacts."""
    guardians = {}
    for g in Guardian.select().order_by(Guardian.family, Guardian.position, Guardian.id):
        guardians.setdefault(g.family_id, []).append(g)
    header = ["N° de compte", "Nom", "Adresse", "Code postal", "Ville", "Responsable 1",
              "Téléphone 1", "Email 1", "Responsable 2", "Téléphone 2", "Email 2", "Créé le"]
    rows = []
    for family in Family.select().order_by(Family.account_number):
        people = guardians.get(family.id, [])[:2]
        cells = []
        for index in range(2):
            g = people[index] if index < len(people) else None
            cells += ([f"{g.first_name} {g.last_name}", g.phone_mobile or g.phone_home, g.email]
                      if g else ["", "", ""])
        rows.append([family.account_number, family.name, family.address, family.postal_code,
                     family.city, *cells, family.created_at])
    return logged_csv("familles", exports.csv_text(header, rows),
                   exports.filename("familles", clock.today()))


@bp.route("/exports/inscriptions.csv")
def export_enrolments():
    """The lines opened for each child in the current school year."""
    year = current_school_year(clock.today())
    query = (Enrolment.select(Enrolment, Child, Family, Activity)
             .join(Child).join(Family).switch(Enrolment).join(Activity)
             .where(Activity.school_year == year)
             .order_by(Family.account_number, Child.first_name, Activity.position))
    header = ["Année scolaire", "N° de compte", "Famille", "Enfant", "Classe", "École",
              "Activité", "Inscrit le"]
    rows = [[year.label if year else "", e.child.family.account_number, e.child.family.name,
             f"{e.child.first_name} {e.child.last_name}", e.child.class_level,
             e.child.school_name, e.activity.name, e.created_at] for e in query]
    return logged_csv("inscriptions", exports.csv_text(header, rows),
                   exports.filename("inscriptions", clock.today()))


@bp.route("/exports/reservations.csv")
def export_bookings():
    """The committed bookings of a period, with their price."""
    first, last, errors = _period(request.args)
    if errors:
        return render("staff/exports/index.html", first=first, last=last, errors=errors,
                      status=400)
    query = (Booking.select(Booking, Child, Family, Activity, Modalite)
             .join(Child).join(Family).switch(Booking).join(Activity)
             .switch(Booking).join(Modalite)
             .where((Booking.date >= first) & (Booking.date <= last))
             .order_by(Booking.date, Family.account_number, Child.first_name, Activity.position))
    header = ["Date", "N° de compte", "Famille", "Enfant", "École", "Activité", "Modalité",
              "Prix", "Réservé le"]
    rows = [[b.date, b.child.family.account_number, b.child.family.name,
             f"{b.child.first_name} {b.child.last_name}", b.child.school_name, b.activity.name,
             b.modalite.name, exports.Cents(b.price_cents), b.created_at] for b in query]
    return logged_csv("réservations", exports.csv_text(header, rows),
                   f"reservations-{first.isoformat()}-{last.isoformat()}.csv")

