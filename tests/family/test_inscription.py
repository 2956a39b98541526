"""Tab INSCRIPTION: the lines of each child, opening them, ALAE auto-booking, refusals."""
import datetime
import html
import re
import threading

import pytest

from domain import audit
from domain.booking import inscription
from domain.catalogue.opening import open_days
from domain.catalogue.school_calendar import holiday_period, is_public_holiday
from domain.clock import PARIS
from models import (
    Activity,
    AuditLog,
    Booking,
    DossierValidation,
    Enrolment,
    Family,
    QFDeclaration,
    SchoolYear,
)
from tests import factories
from tests.conftest import AuthActions
from tests.helpers import activity, demo_child as child, demo_family, enrol_online, unescaped

LABEL_RE = re.compile(r"2026/2027 - ([^<]+?)\s*<")


def section(page, kid):
    """The HTML of one child's section of the page."""
    start = page.index(f'id="enfant-{kid.id}"')
    end = page.find("</section>", start)
    return page[start:end]


def labels(fragment):
    """The line names shown in a fragment (``2026/2027 - <name>``)."""
    return [html.unescape(name) for name in LABEL_RE.findall(fragment)]


def open_line_names(fragment):
    """Names of the lines marked open (``Ouverte``) in a fragment."""
    items = re.findall(r'<li class="line line-open">(.*?)</li>', fragment, re.S)
    return [labels(item)[0] for item in items]


def checkbox_names(fragment):
    """Names of the lines offered with a checkbox."""
    items = re.findall(r'<li class="line line-choice">(.*?)</li>', fragment, re.S)
    return [labels(item)[0] for item in items]


# --- What is offered ---------------------------------------------------------


def test_lena_gets_the_maternel_and_everyone_lines_grouped_as_the_guide(client, auth, db):
    auth.login("famille 16122")
    page = unescaped(client.get("/inscription/"))
    lena = section(page, child("LENA"))
    assert set(labels(lena)) == {
        "ALAE Matin", "ALAE Soir 1", "ALAE Soir 2", "Garderie Mercredi Scolaire",
        "Restauration Maternelle", "CL Maternel Mercredis",
        "CLV Élémentaire ou maternel Automne", "CLV Élémentaire ou maternel Noël",
        "CLV Élémentaire ou maternel Hiver", "CLV Élémentaire ou maternel Printemps",
        "CLV Élémentaire ou maternel Été", "Mercredi bus CL", "Vacances bus CL"}
    assert open_line_names(lena) == ["Restauration Maternelle"]
    assert "CL Maternel Mercredis" in checkbox_names(lena)
    legends = re.findall(r"<legend>(.*?)</legend>", lena)
    assert legends == ["ALAE", "Restauration", "Centres de loisirs"]
    # On 26/11/2026 a line opened now takes effect in January 2027.
    assert "prend effet le <strong>01/01/2027</strong>" in page
    assert "ENREGISTRER" in lena


def test_holiday_lines_with_nothing_left_are_not_offered(client, auth, db):
    auth.login("famille 16122")
    lena = section(unescaped(client.get("/inscription/")), child("LENA"))
    # Automne's booking window closed on 30/09; Noël's is open until 02/12, so its line
    # opens now although the monthly rule would start other lines in January.
    assert "CLV Élémentaire ou maternel Automne" not in checkbox_names(lena)
    assert "CLV Élémentaire ou maternel Noël" in checkbox_names(lena)
    assert "CLV Élémentaire ou maternel Hiver" in checkbox_names(lena)
    assert lena.count("Réservations closes") == 1
    response = enrol_online(client, auth, child("LENA"), activity("CLV Élémentaire ou maternel Automne"))
    assert "les réservations de ces vacances sont closes depuis le 30/09/2026" in unescaped(response)
    assert Enrolment.select().where(Enrolment.child == child("LENA")).count() == 1
    enrol_online(client, auth, child("LENA"), activity("CLV Élémentaire ou maternel Noël"))
    assert Enrolment.select().where(Enrolment.child == child("LENA")).count() == 2


def test_private_school_child_gets_only_lines_open_to_other_schools(client, auth, db):
    auth.login("famille 16124")
    tom = section(unescaped(client.get("/inscription/")), child("TOM"))
    expected = {a.name for a in Activity.select().where(
        Activity.open_to_other_schools & (Activity.audience != Activity.FOR_MATERNEL))}
    assert set(labels(tom)) == expected
    assert "CL Élémentaire Mercredis" in expected and "Vacances bus CL" in expected
    for name in ("ALAE Matin", "Garderie Mercredi Scolaire", "Restauration Élémentaire",
                 "CL Maternel Mercredis"):
        assert name not in labels(tom)
    assert "seuls les centres de loisirs et leurs bus" in tom


def test_two_children_each_get_their_own_group(client, auth, db):
    auth.login("famille 16123")
    page = unescaped(client.get("/inscription/"))
    hugo, chloe = section(page, child("HUGO")), section(page, child("CHLOE"))
    assert "Restauration Élémentaire" in labels(hugo)
    assert "Restauration Maternelle" not in labels(hugo)
    assert "CL Maternel Mercredis" in labels(chloe)
    assert "CL Élémentaire Mercredis" not in labels(chloe)
    assert set(open_line_names(hugo)) == {"ALAE Matin", "ALAE Soir 1", "Restauration Élémentaire"}
    assert set(open_line_names(chloe)) == {"ALAE Matin", "ALAE Soir 1", "Restauration Maternelle",
                                           "CL Maternel Mercredis"}


# --- Opening lines -----------------------------------------------------------


def test_enregistrer_opens_and_validates_the_line(client, auth, db):
    auth.login("famille 16122")
    lena, cl = child("LENA"), activity("CL Maternel Mercredis")
    response = enrol_online(client, auth, lena, cl)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/inscription/#enfant-%d" % lena.id)
    enrolment = Enrolment.get((Enrolment.child == lena) & (Enrolment.activity == cl))
    assert enrolment.created_by.family.account_number == 16122
    # Only an ALAE line books by itself; the centre's days are booked in PLANNING.
    assert Booking.select().where(Booking.child == lena).count() == 0
    page = unescaped(client.get("/inscription/"))
    assert "« 2026/2027 - CL Maternel Mercredis » est ouverte et validée" in page
    assert set(open_line_names(section(page, lena))) == {"Restauration Maternelle",
                                                        "CL Maternel Mercredis"}
    log = AuditLog.get(AuditLog.action == audit.INSCRIPTION_OPENED)
    assert log.family.account_number == 16122 and log.user_id == enrolment.created_by_id
    assert audit.details_of(log)["summary"] == "LENA DUPONT : 2026/2027 - CL Maternel Mercredis ouverte"


def test_several_lines_at_once(client, auth, db):
    auth.login("famille 16122")
    lena = child("LENA")
    names = ["Garderie Mercredi Scolaire", "CL Maternel Mercredis", "Mercredi bus CL"]
    response = enrol_online(client, auth, lena, *[activity(n) for n in names])
    assert response.status_code == 303
    opened = {e.activity.name for e in Enrolment.select().where(Enrolment.child == lena)}
    assert opened == set(names) | {"Restauration Maternelle"}
    assert AuditLog.select().where(AuditLog.action == audit.INSCRIPTION_OPENED).count() == 3


@pytest.mark.parametrize("name, weekdays", [("ALAE Soir 1", {0, 1, 3, 4}),
                                             ("ALAE Matin", {0, 1, 2, 3, 4})])
def test_alae_line_books_every_open_school_day_from_its_start(client, auth, db, name, weekdays):
    auth.login("famille 16122")
    lena, alae = child("LENA"), activity(name)
    year = SchoolYear.get()
    assert enrol_online(client, auth, lena, alae).status_code == 303
    bookings = list(Booking.select().where((Booking.child == lena) & (Booking.activity == alae))
                    .order_by(Booking.date))
    days = [b.date for b in bookings]
    expected = open_days(alae, datetime.date(2027, 1, 1), year.end_date, "C")
    assert days == expected
    assert len(days) > 80  # January to early July, four or five days a week
    # From the first school day of January (01/01 is a holiday, 02-03 a weekend).
    assert days[0] == datetime.date(2027, 1, 4) and days[-1] == year.end_date
    assert {d.weekday() for d in days} == weekdays       # no Wednesday for the Soir lines
    assert not [d for d in days if holiday_period(d, "C")]
    assert not [d for d in days if is_public_holiday(d)]
    for public_holiday in (datetime.date(2027, 3, 29), datetime.date(2027, 5, 6),
                           datetime.date(2027, 5, 17)):  # Easter Monday, Ascension, Whit Monday
        assert public_holiday not in days
    # Bracket 2 (QF 850): the middle tariff, fixed on every booking.
    middle = {"ALAE Soir 1": 120, "ALAE Matin": 90}[name]
    assert {b.price_cents for b in bookings} == {middle}
    assert {b.modalite.activity_id for b in bookings} == {alae.id}
    page = unescaped(client.get("/inscription/"))
    assert f"{len(days)} jours d'école réservés à partir du 04/01/2027" in page
    log = AuditLog.get(AuditLog.action == audit.INSCRIPTION_OPENED)
    assert f"{len(days)} jours réservés du 04/01/2027 au 02/07/2027" in log.details


def test_alae_price_follows_the_familys_bracket(client, auth, db):
    auth.login("famille 16123")
    hugo, soir2 = child("HUGO"), activity("ALAE Soir 2")
    # Soir 1 and Soir 2 exclude each other: HUGO's Soir 1 ends when Soir 2 would start.
    Enrolment.update(closed_from=datetime.date(2027, 1, 1)).where(
        (Enrolment.child == hugo) & (Enrolment.activity == activity("ALAE Soir 1"))).execute()
    assert enrol_online(client, auth, hugo, soir2).status_code == 303
    prices = {b.price_cents for b in Booking.select().where(
        (Booking.child == hugo) & (Booking.activity == soir2))}
    assert prices == {110}  # QF 650: bracket 1


def test_alae_price_is_the_highest_without_a_validated_quotient(client, auth, db):
    QFDeclaration.update(status=QFDeclaration.REFUSED).execute()
    auth.login("famille 16122")
    lena, soir2 = child("LENA"), activity("ALAE Soir 2")
    assert enrol_online(client, auth, lena, soir2).status_code == 303
    prices = {b.price_cents for b in Booking.select().where(Booking.child == lena)}
    assert prices == {210}


def test_alae_opening_keeps_days_already_booked(client, auth, db):
    lena, matin = child("LENA"), activity("ALAE Matin")
    day = datetime.date(2027, 1, 5)
    factories.booking(lena, "ALAE Matin", day, price_cents=1)
    auth.login("famille 16122")
    assert enrol_online(client, auth, lena, matin).status_code == 303
    booked = Booking.select().where((Booking.child == lena) & (Booking.activity == matin))
    assert booked.where(Booking.date == day).get().price_cents == 1
    assert booked.count() == len(open_days(matin, datetime.date(2027, 1, 1),
                                           SchoolYear.get().end_date, "C"))


# --- Double submit -----------------------------------------------------------


def test_double_submit_opens_the_line_once(client, auth, db):
    auth.login("famille 16122")
    lena, soir = child("LENA"), activity("ALAE Soir 1")
    assert enrol_online(client, auth, lena, soir).status_code == 303
    count = Booking.select().count()
    again = enrol_online(client, auth, lena, soir)
    assert again.status_code == 303
    assert "déjà ouvertes" in unescaped(client.get("/inscription/"))
    assert Enrolment.select().where((Enrolment.child == lena)
                                    & (Enrolment.activity == soir)).count() == 1
    assert Booking.select().count() == count
    assert AuditLog.select().where(AuditLog.action == audit.INSCRIPTION_OPENED).count() == 1


def test_line_opened_meanwhile_by_another_request_is_skipped(db, monkeypatch):
    """The unique index catches a duplicate the first check could not see."""
    lena, soir, cl = child("LENA"), activity("ALAE Soir 1"), activity("CL Maternel Mercredis")
    user = lena.family.users.get()
    real_zone = inscription.commune.holiday_zone

    def zone_after_a_concurrent_commit():
        # Another request opens ALAE Soir 1 just after this one checked what is open.
        Enrolment.create(child=lena, activity=soir)
        return real_zone()

    monkeypatch.setattr(inscription.commune, "holiday_zone", zone_after_a_concurrent_commit)
    now = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
    opened = inscription.open_lines(user, lena, [str(soir.id), str(cl.id)], SchoolYear.get(), now)
    assert [line.activity.name for line in opened] == ["CL Maternel Mercredis"]
    assert Enrolment.select().where(Enrolment.child == lena).count() == 3
    assert Booking.select().where(Booking.child == lena).count() == 0


def test_simultaneous_submits_open_the_line_once(app, db):
    """Eight clients post the same ALAE line at once: one enrolment, one year of bookings."""
    lena, soir = child("LENA"), activity("ALAE Soir 1")
    clients = []
    for _ in range(8):
        client = app.test_client()
        actions = AuthActions(client)
        actions.login("famille 16122")
        clients.append((client, actions.csrf("/inscription/")))
    barrier = threading.Barrier(len(clients))
    statuses = []

    def post(client, token):
        barrier.wait()
        response = client.post(f"/inscription/enfant/{lena.id}",
                               data={f"enfant-{lena.id}-csrf_token": token,
                                     f"enfant-{lena.id}-activites": [str(soir.id)]})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * 8
    assert Enrolment.select().where((Enrolment.child == lena)
                                    & (Enrolment.activity == soir)).count() == 1
    expected = len(open_days(soir, datetime.date(2027, 1, 1), SchoolYear.get().end_date, "C"))
    assert Booking.select().where(Booking.activity == soir, Booking.child == lena).count() \
        == expected
    assert AuditLog.select().where(AuditLog.action == audit.INSCRIPTION_OPENED).count() == 1


# --- Read-only: outside the period, dossier not validated ---------------------


def test_outside_any_period_the_tab_is_read_only(app, client, auth, db):
    app.config["PORTAIL_TODAY"] = "2027-06-21T00:00"  # a line would start in August: too late
    auth.login("famille 16122")
    page = unescaped(client.get("/inscription/"))
    assert "La période d'inscription est fermée" in page
    assert "toute modification (ajout ou annulation) se fait via la messagerie" in page
    assert 'type="checkbox"' not in page and "ENREGISTRER" not in page
    lena = section(page, child("LENA"))
    assert open_line_names(lena) == ["Restauration Maternelle"]
    assert "CL Maternel Mercredis" in labels(lena)  # still shown, as not open
    link = re.search(r'href="([^"]*messagerie[^"]*)"[^>]*>Écrire au service Centres de Loisirs',
                     page).group(1)
    assert link.startswith("/messagerie/")
    if "/envoyer" in link:  # the pre-filled message, where the messagerie offers it
        assert "service=Centres+de+Loisirs" in link and "theme=Modifications" in link
        assert "subject=Inscription+LENA" in link
        form = unescaped(client.get(html.unescape(link)))
        assert 'value="Inscription LENA - 2026/2027"' in form
    response = enrol_online(client, auth, child("LENA"), activity("CL Maternel Mercredis"))
    assert response.status_code == 303
    assert "La période d'inscription est terminée" in unescaped(client.get("/inscription/"))
    assert Enrolment.select().where(Enrolment.child == child("LENA")).count() == 1


def test_the_last_minute_of_the_20th_is_still_open_in_june(app, client, auth, db):
    app.config["PORTAIL_TODAY"] = "2027-06-20T23:59"
    auth.login("famille 16122")
    page = unescaped(client.get("/inscription/"))
    assert "prend effet le <strong>01/07/2027</strong>" in page
    assert enrol_online(client, auth, child("LENA"), activity("ALAE Matin")).status_code == 303
    days = [b.date for b in Booking.select().where(Booking.child == child("LENA"))
            .order_by(Booking.date)]
    assert days == [datetime.date(2027, 7, 1), datetime.date(2027, 7, 2)]


def test_unvalidated_dossier_is_read_only_and_points_to_mon_dossier(client, auth, db):
    auth.login("famille 16124")
    page = unescaped(client.get("/inscription/"))
    assert "Votre dossier famille n'est pas encore validé pour l'année scolaire 2026/2027" in page
    assert 'href="/mon-dossier/"' in page
    assert 'type="checkbox"' not in page and "ENREGISTRER" not in page
    tom, cl = child("TOM"), activity("CL Élémentaire Mercredis")
    response = enrol_online(client, auth, tom, cl)
    assert response.status_code == 303
    assert "actualisez-le dans MON DOSSIER" in unescaped(client.get("/inscription/"))
    assert Enrolment.select().where(Enrolment.child == tom).count() == 0


def test_pending_dossier_is_not_enough(client, auth, db):
    family = Family.get(Family.account_number == 16122)
    DossierValidation.update(status=DossierValidation.PENDING).where(
        DossierValidation.family == family).execute()
    auth.login("famille 16122")
    assert "n'est pas encore validé" in unescaped(client.get("/inscription/"))
    enrol_online(client, auth, child("LENA"), activity("CL Maternel Mercredis"))
    assert Enrolment.select().where(Enrolment.child == child("LENA")).count() == 1


# --- Bad input ---------------------------------------------------------------


def _nothing_changed(before):
    assert Enrolment.select().count() == before["enrolments"]
    assert Booking.select().count() == before["bookings"]
    assert AuditLog.select().where(AuditLog.action == audit.INSCRIPTION_OPENED).count() == 0


def _counts():
    return {"enrolments": Enrolment.select().count(), "bookings": Booking.select().count()}


def child_error(page, kid):
    """The error in ``kid``'s form, which its boxes point at (``aria-describedby``)."""
    error_id = f"enfant-{kid.id}-erreur"
    match = re.search(rf'<p class="error" id="{error_id}"[^>]*>([^<]*)</p>', page)
    assert match and f'aria-describedby="{error_id}"' in page
    return match.group(1)


@pytest.mark.parametrize("raw, message", [
    (["999999"], "Cette activité n'existe pas"),
    (["abc"], "Cette activité n'existe pas"),
    (["-3"], "Cette activité n'existe pas"),
    (["99999999999999999999"], "Cette activité n'existe pas"),
    (["²"], "Cette activité n'existe pas"),  # a digit for str.isdigit(), not for int()
    (["0x1"], "Cette activité n'existe pas"),
    ([], "Cochez au moins une activité à ouvrir."),
])
def test_forged_ids_are_refused_with_a_french_message(client, auth, db, raw, message):
    auth.login("famille 16122")
    before = _counts()
    response = enrol_online(client, auth, child("LENA"), raw=raw)
    assert response.status_code == 422
    page = unescaped(response)
    assert message in child_error(page, child("LENA"))
    assert 'role="alert"' in page and "aria-describedby=\"enfant-" in page
    _nothing_changed(before)


@pytest.mark.parametrize("name, reason", [
    ("CL Élémentaire Mercredis", "elle est réservée aux enfants d'élémentaire"),
    ("Restauration Élémentaire", "elle est réservée aux enfants d'élémentaire"),
])
def test_a_line_that_does_not_fit_the_child_is_refused(client, auth, db, name, reason):
    auth.login("famille 16122")
    before = _counts()
    # A valid line ticked with it is not opened either: all or nothing.
    response = enrol_online(client, auth, child("LENA"), activity("ALAE Matin"), activity(name))
    page = unescaped(response)
    assert response.status_code == 422
    assert (f"« 2026/2027 - {name} » ne peut pas être ouverte pour LENA : {reason}."
            in child_error(page, child("LENA")))
    # What the parent ticked is kept.
    assert re.search(r'value="%d" id="[^"]+" checked' % activity("ALAE Matin").id, page)
    _nothing_changed(before)


def test_a_public_school_line_is_refused_to_a_private_school_child(client, auth, db):
    factories.dossier_validation(demo_family(16124))
    auth.login("famille 16124")
    before = _counts()
    response = enrol_online(client, auth, child("TOM"), activity("ALAE Matin"))
    assert response.status_code == 422
    assert ("réservée aux enfants des écoles publiques de la commune"
            in child_error(unescaped(response), child("TOM")))
    _nothing_changed(before)
    assert enrol_online(client, auth, child("TOM"), activity("CL Élémentaire Mercredis")) \
        .status_code == 303


def test_an_activity_of_another_school_year_is_refused(client, auth, db):
    old_cl = factories.activity(factories.school_year(2025), "CL Maternel Mercredis",
                                audience=Activity.FOR_MATERNEL)
    auth.login("famille 16122")
    before = _counts()
    response = enrol_online(client, auth, child("LENA"), old_cl)
    assert response.status_code == 422
    assert ("« 2025/2026 - CL Maternel Mercredis » n'est pas une activité de l'année "
            "scolaire 2026/2027.") in child_error(unescaped(response), child("LENA"))
    _nothing_changed(before)


def test_another_familys_child_is_404(client, auth, db):
    auth.login("famille 16122")
    before = _counts()
    hugo = child("HUGO")
    response = enrol_online(client, auth, hugo, activity("ALAE Soir 2"))
    assert response.status_code == 404
    assert "Page introuvable" in unescaped(response)
    assert enrol_online(client, auth, hugo, raw=["1"]).status_code == 404
    assert client.post("/inscription/enfant/999999",
                       data={"enfant-999999-csrf_token": auth.csrf("/inscription/")}
                       ).status_code == 404
    _nothing_changed(before)


def test_post_without_csrf_is_refused(client, auth, db):
    auth.login("famille 16122")
    lena = child("LENA")
    response = client.post(f"/inscription/enfant/{lena.id}",
                           data={f"enfant-{lena.id}-activites": [str(activity("ALAE Matin").id)]})
    assert response.status_code == 400
    assert Enrolment.select().where(Enrolment.child == lena).count() == 1


def test_get_on_the_form_url_is_not_allowed(client, auth, db):
    auth.login("famille 16122")
    assert client.get(f"/inscription/enfant/{child('LENA').id}").status_code == 405


# --- Queries: none per child, line or day ------------------------------------


class QueryLog:
    """Counts the SQL statements peewee runs (its DEBUG log), by kind."""

    def __init__(self):
        import logging
        self.statements = []
        self.logger = logging.getLogger("peewee")
        self.handler = logging.Handler()
        self.handler.emit = lambda record: self.statements.append(str(record.msg[0])
                                                                  if isinstance(record.msg, tuple)
                                                                  else str(record.msg))

    def __enter__(self):
        import logging
        self.level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)


def test_the_page_runs_as_many_queries_for_two_children_as_for_one(client, auth, db):
    auth.login("famille 16122")
    with QueryLog() as one_child:
        client.get("/inscription/")
    auth.logout()
    auth.login("famille 16123")
    with QueryLog() as two_children:
        client.get("/inscription/")
    assert len(one_child.statements) == len(two_children.statements) <= 10


def test_alae_opening_inserts_the_year_in_one_statement(client, auth, db):
    auth.login("famille 16122")
    token, lena, matin = auth.csrf("/inscription/"), child("LENA"), activity("ALAE Matin")
    with QueryLog() as log:
        client.post(f"/inscription/enfant/{lena.id}",
                    data={f"enfant-{lena.id}-csrf_token": token,
                          f"enfant-{lena.id}-activites": [str(matin.id)]})
    inserts = [s for s in log.statements if s.startswith('INSERT INTO "booking"')]
    assert len(inserts) == 1
    assert Booking.select().where(Booking.child == lena).count() > 100
    # +3 for the confirmation d'inscription (the family, the stored PDF, the document).
    assert len(log.statements) <= 23, len(log.statements)

