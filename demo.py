"""The demo commune: ``flask --app app demo`` creates it, idempotently.

Everything is computed from ``today``: the current school year, its holiday
periods and booking windows, the month whose bookings are still open.
"""
import datetime

from domain import commune
from domain.catalogue.opening import open_days
from domain.catalogue.pricing import family_bracket, prices_for
from domain.catalogue.school_calendar import school_year_start
from domain.catalogue.standard import create_standard_year
from domain.clock import utc_now
from domain.family.accounts import new_session_token
from domain.family.passwords import hash_password
from domain.files import store_bytes
from domain.pdf import simple_document
from models import (
    Activity,
    Booking,
    BookingWindow,
    Child,
    DayOverride,
    Document,
    DossierValidation,
    Enrolment,
    Family,
    Guardian,
    HealthRecord,
    Invoice,
    Message,
    MessageThread,
    Modalite,
    News,
    Payment,
    PickupPerson,
    QFDeclaration,
    School,
    User,
    Vaccination,
    db,
)

#: (login, password) of every demo account, as the README lists them.
DEMO_LOGINS = {
    "famille 16122": ("16122", "famille-lena-16122"),
    "famille 16123": ("16123", "famille-bernard-16123"),
    "famille 16123 (Karim)": ("karim.bernard@example.org", "karim-bernard-16123"),
    "famille 16124": ("16124", "famille-petit-16124"),
    "agent": ("agent@mairie.example.org", "agent-mairie-2026"),
    "administrateur": ("admin@mairie.example.org", "admin-mairie-2026"),
}

def create_demo(today, zone=None, commune_name=None):
    """Create the demo commune for the school year of ``today``; False if already there.

    The commune's row is seeded with ``zone`` and ``commune_name`` (the
    environment's) unless it exists; its zone is the one the demo follows.
    """
    start_year = school_year_start(today)
    with db.atomic():
        if Family.select().where(Family.account_number == 16122).exists():
            return False
        row = commune.seed(commune_name, zone)
        _set_commune_settings(row)
        zone = row.holiday_zone
        _create_schools()
        year = create_standard_year(start_year, zone)
        staff = _create_staff()
        _create_family_16122(year)
        _create_family_16123(year, today, zone, staff["agent"])
        _create_family_16124(year)
        _limit_places(year, today, zone)
        _issue_past_months(year, today, zone, staff["agent"])
        _create_news_and_documents(today, staff["agent"], year)
    return True


def _set_commune_settings(row):
    """The demo commune's settings: the guide's deadline (the 20th) and main inscription
    period (10 March to 20 August), with the addresses families read on invoices and emails."""
    row.contact_email = row.contact_email or "enfance@mairie.example.org"
    row.address = row.address or "Mairie de Saint-Exemple\n1 place de la Mairie\n31000 Saint-Exemple"
    row.phone = row.phone or "05 61 00 00 00"
    row.regie_address = row.regie_address or ("Régie Enfance, Mairie de Saint-Exemple\n"
                                              "1 place de la Mairie\n31000 Saint-Exemple")
    row.regie_hours = row.regie_hours or ("Lundi, mardi, jeudi et vendredi de 8h30 à 12h00 "
                                          "et de 13h30 à 17h00 ; mercredi de 8h30 à 12h00")
    row.deadline_day = commune.DEFAULT_DEADLINE_DAY
    (row.main_period_opens_month, row.main_period_opens_day), \
        (row.main_period_closes_month, row.main_period_closes_day) = commune.DEFAULT_MAIN_PERIOD
    row.save()


def _create_schools():
    """The demo commune's schools: its maternelle sends GS pupils to its élémentaire."""
    jaures = School.create(name="École élémentaire Jean Jaurès", kind=School.ELEMENTAIRE,
                           levels="CP,CE1,CE2,CM1,CM2")
    School.create(name="École maternelle Jules Ferry", kind=School.MATERNELLE,
                  levels="TPS,PS,MS,GS", next_school=jaures)
    School.create(name="École Sainte-Marie", kind=School.PRIVEE, levels=",".join(Child.LEVELS))


def _user(login_email, password, role=User.ROLE_FAMILY, family=None, name=""):
    return User.create(email=login_email, password_hash=hash_password(password), role=role,
                       family=family, display_name=name, session_token=new_session_token())


def _create_staff():
    return {
        "agent": _user("agent@mairie.example.org", DEMO_LOGINS["agent"][1], User.ROLE_AGENT,
                       name="Sophie Agent"),
        "admin": _user("admin@mairie.example.org", DEMO_LOGINS["administrateur"][1],
                       User.ROLE_ADMIN, name="Paul Administrateur"),
    }


def _activity(year, name):
    return Activity.get((Activity.school_year == year) & (Activity.name == name))


def _validated_qf(family, quotient):
    QFDeclaration.create(family=family, quotient=quotient, status=QFDeclaration.VALIDATED,
                         reviewed_at=utc_now())


def _demo_family(number, name, address, guardians):
    """A family of the commune, its guardians, each (first name, relationship, mobile,
    email, profession, employer), and the first guardian's sign-in account (their email)."""
    family = Family.create(account_number=number, name=name, address=address,
                           postal_code="31000", city="Saint-Exemple")
    created = [Guardian.create(family=family, last_name=name, first_name=first,
                               relationship=relationship, phone_mobile=mobile, email=email,
                               profession=profession, employer=employer, position=position)
               for position, (first, relationship, mobile, email, profession, employer)
               in enumerate(guardians, 1)]
    user = _user(guardians[0][3], DEMO_LOGINS[f"famille {number}"][1], family=family)
    User.update(guardian=created[0]).where(User.id == user.id).execute()
    return family


def _create_family_16122(year):
    family = _demo_family(16122, "DUPONT", "12 rue des Écoles", [
        ("Julie", "Mère", "06 12 34 56 78", "famille.dupont@example.org", "Infirmière",
         "CHU de Toulouse"),
        ("Marc", "Père", "06 98 76 54 32", "marc.dupont@example.org", "Technicien", "Airbus")])
    PickupPerson.create(family=family, last_name="DUPONT", first_name="Monique",
                        relationship="Grand-mère", phone="05 61 00 00 01")
    lena = Child.create(family=family, first_name="LENA", last_name="DUPONT",
                        birth_date=datetime.date(year.start_date.year - 4, 3, 14),
                        school_name="École maternelle Jules Ferry", class_level="MS")
    HealthRecord.create(child=lena, doctor_name="Dr Martin", doctor_phone="05 61 00 00 02",
                        allergies="Arachide", has_pai=True,
                        pai_details="PAI alimentaire : stylo d'adrénaline dans la trousse "
                                    "d'urgence du centre.")
    Vaccination.create(child=lena, name="DTP", date=datetime.date(year.start_date.year - 3, 5, 2))
    _validated_qf(family, 850)
    DossierValidation.create(family=family, school_year=year, status=DossierValidation.VALIDATED,
                             theme="Renouvellement en école publique", submitted_at=utc_now(),
                             reviewed_at=utc_now())
    Enrolment.create(child=lena, activity=_activity(year, "Restauration Maternelle"))
    return family


def _create_family_16123(year, today, zone, agent):
    family = _demo_family(16123, "BERNARD", "3 allée des Tilleuls", [
        ("Nadia", "Mère", "07 81 22 33 44", "famille.bernard@example.org", "Comptable", "Mairie"),
        ("Karim", "Père", "07 55 66 77 88", "karim.bernard@example.org", "Chauffeur", "Tisséo")])
    # The second guardian has a login of their own on the same family.
    karim = _user(DEMO_LOGINS["famille 16123 (Karim)"][0], DEMO_LOGINS["famille 16123 (Karim)"][1],
                  family=family)
    User.update(guardian=family.guardians.where(Guardian.position == 2).get()).where(
        User.id == karim.id).execute()
    hugo = Child.create(family=family, first_name="HUGO", last_name="BERNARD",
                        birth_date=datetime.date(year.start_date.year - 8, 1, 20),
                        school_name="École élémentaire Jean Jaurès", class_level="CE2",
                        photo_consent=True)
    chloe = Child.create(family=family, first_name="CHLOE", last_name="BERNARD",
                         birth_date=datetime.date(year.start_date.year - 5, 6, 2),
                         school_name="École maternelle Jules Ferry", class_level="GS")
    HealthRecord.create(child=hugo, doctor_name="Dr Roux", allergies="Arachide",
                        has_pai=True, pai_details="Trousse d'urgence dans le sac de l'ALAE.")
    HealthRecord.create(child=chloe, doctor_name="Dr Roux")
    _validated_qf(family, 650)
    DossierValidation.create(family=family, school_year=year, status=DossierValidation.VALIDATED,
                             theme="Renouvellement en école publique", submitted_at=utc_now(),
                             reviewed_at=utc_now())
    bracket = family_bracket(family, year)
    # ALAE lines book every open school day of the year.
    for child in (hugo, chloe):
        for name in ("ALAE Matin", "ALAE Soir 1"):
            act = _activity(year, name)
            Enrolment.create(child=child, activity=act)
            _book(child, act, open_days(act, year.start_date, year.end_date, zone), bracket)
    Enrolment.create(child=hugo, activity=_activity(year, "Restauration Élémentaire"))
    Enrolment.create(child=chloe, activity=_activity(year, "Restauration Maternelle"))
    cl = _activity(year, "CL Maternel Mercredis")
    Enrolment.create(child=chloe, activity=cl)
    # A few Wednesdays at the centre, last month (invoiced) and next months.
    last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
    last_month = open_days(cl, last_month_end.replace(day=1), last_month_end, zone)
    _book(chloe, cl, last_month[:2], bracket, modalite_position=1)
    # Messages: a thread with two unread answers from the services.
    thread = MessageThread.create(family=family, service="ALAE - Restauration",
                                  theme="Informations", subject="Sortie scolaire du jeudi")
    Message.create(thread=thread, from_staff=False, body="Bonjour, HUGO mangera-t-il à la "
                   "cantine le jour de la sortie ? Merci.")
    Message.create(thread=thread, author=agent, from_staff=True,
                   body="Bonjour, oui : un pique-nique sera fourni par la cantine.")
    thread2 = MessageThread.create(family=family, service="Règlement - Facture",
                                   theme="Informations", subject="Votre facture est disponible")
    Message.create(thread=thread2, author=agent, from_staff=True,
                   body="Bonjour, votre facture du mois est disponible dans l'onglet FACTURATION.")
    return family


def _book(child, activity, days, bracket, modalite_position=1):
    modalite = activity.modalites.where(Modalite.position == modalite_position).get()
    price = prices_for(bracket, [modalite])[modalite.id]
    Booking.insert_many([
        {"child": child, "activity": activity, "modalite": modalite, "date": day,
         "price_cents": price} for day in days
    ]).execute()


def _issue_past_months(year, today, zone, agent):
    """The demo's invoices, made by the monthly run for every month of the year already
    over (issued on the 1st of the next month); September is paid at the counter."""
    from domain.billing.invoicing import refresh_status
    from domain.billing.run import issue_month
    from domain.clock import PARIS
    month = year.start_date.replace(day=1)
    first_ids = None
    while month < today.replace(day=1):
        issued = (month + datetime.timedelta(days=32)).replace(day=1)
        ids = issue_month(month.year, month.month, zone,
                          datetime.datetime.combine(issued, datetime.time(9, 0), PARIS))
        first_ids = first_ids or ids
        month = issued
    for invoice in Invoice.select().where(Invoice.id.in_(first_ids or [])):
        # Paid at the régie ten days after its issue (demo data: no staff action to audit).
        paid_at = invoice.issued_at + datetime.timedelta(days=10, hours=1)
        Payment.create(invoice=invoice, amount_cents=invoice.total_cents,
                       provider=Payment.COUNTER, transaction_id=f"G-demo-{invoice.number}",
                       status=Payment.PAID, created_at=paid_at, verified_at=paid_at, user=agent,
                       method="cheque", reference="Chèque n° 1234567")
        refresh_status(invoice.id)


def _create_family_16124(year):
    family = _demo_family(16124, "PETIT", "8 chemin du Moulin", [
        ("Claire", "Mère", "06 44 55 66 77", "famille.petit@example.org", "Architecte",
         "Indépendante")])
    tom = Child.create(family=family, first_name="TOM", last_name="PETIT",
                       birth_date=datetime.date(year.start_date.year - 7, 9, 9),
                       school_name="École Sainte-Marie", school_type=Child.SCHOOL_PRIVATE,
                       class_level="CE1")
    HealthRecord.create(child=tom)
    return family


def _limit_places(year, today, zone):
    """A Wednesday of the first month still open, nearly full (one place left)."""
    cl = _activity(year, "CL Maternel Mercredis")
    month = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    if today.day > 20:
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    month_end = (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    wednesdays = open_days(cl, month, month_end, zone)
    if len(wednesdays) < 2:
        return
    day = wednesdays[1]
    chloe = Child.get(Child.first_name == "CHLOE")
    _book(chloe, cl, [day], family_bracket(chloe.family, year), modalite_position=1)
    DayOverride.create(activity=cl, date=day, capacity=2,
                       reason="Sortie au musée : places limitées")


PERIOD_AFTER_VACANCES = {"Automne": "d'automne", "Noël": "de Noël", "Hiver": "d'hiver",
                         "Printemps": "de printemps", "Été": "d'été"}


def _period_of(window):
    """``de Noël``, ``d'hiver``…: the period's name as it reads after « vacances »."""
    return PERIOD_AFTER_VACANCES.get(window.period, f"de {window.period}")


def _create_news_and_documents(today, agent, year):
    # One news item per holiday period, shown while its booking window is open (never
    # "bookings are open" once they are closed).
    for window in BookingWindow.select().where(BookingWindow.school_year == year):
        if window.closes_on < today:
            continue
        News.create(title=f"Réservations des centres de loisirs : vacances {_period_of(window)}",
                    body=f"Les réservations des centres de loisirs pour les vacances "
                         f"{_period_of(window)} sont ouvertes dans l'onglet PLANNING - "
                         f"RÉSERVATIONS jusqu'au {window.closes_on.strftime('%d/%m/%Y')} inclus.",
                    service="Centres de Loisirs", author=agent,
                    display_from=window.opens_on or year.start_date,
                    display_until=window.closes_on)
    News.create(title="Menus de la restauration scolaire",
                body="Les menus du mois sont disponibles dans « Mes documents dématérialisés ».",
                service="ALAE - Restauration", author=agent,
                display_from=today - datetime.timedelta(days=20))
    menu = store_bytes(simple_document("Menus du mois", [
        "Lundi : carottes râpées, poisson pané, riz, yaourt.",
        "Mardi : potage, poulet rôti, haricots verts, fruit.",
        "Jeudi : salade, lasagnes, fromage, compote.",
        "Vendredi : betteraves, omelette, pommes de terre, fruit."]),
        "menus-du-mois.pdf", "application/pdf")
    Document.create(category="menu", title="Menus du mois", file=menu)
    rules = store_bytes(simple_document("Règlement intérieur des accueils périscolaires", [
        "Les réservations de la restauration, de la garderie du mercredi et des centres de "
        "loisirs du mercredi se font avant le 20 de chaque mois pour le mois suivant.",
        "Les réservations des centres de loisirs des vacances se font pendant la période "
        "indiquée sur le calendrier des réservations."]),
        "reglement-interieur.pdf", "application/pdf")
    Document.create(category="reglement", title="Règlement intérieur des accueils périscolaires",
                    file=rules)
