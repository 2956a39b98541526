"""Espace agents, administrateur: school years, "Préparer l'année suivante", tariffs,
QF brackets, activities, modalités and the booking windows of the holidays."""
import datetime
import json

import pytest

from domain.catalogue.school_calendar import holiday_periods
from domain.catalogue.windows import guide_windows
from models import (
    Activity,
    AuditLog,
    Booking,
    BookingWindow,
    Modalite,
    QFBracket,
    SchoolYear,
    Tariff,
)
from tests.planning_support import CL, SANS, enrol, line_key, page_token, sign_in, text_of, token
from tests.staff.test_staff_attendance import book_januarys_wednesdays

HIVER = "CLV Élémentaire ou maternel Hiver"


def admin_post(client, path, data=None, page="/agents/admin/catalogue/"):
    data = dict(data or {})
    data["csrf_token"] = page_token(client, page)
    return client.post(path, data=data)


def test_the_guide_pattern_gives_the_guides_own_windows():
    windows = guide_windows(holiday_periods(2025, "C"))
    assert {p: (o and o.strftime("%d/%m"), c.strftime("%d/%m"))
            for p, (o, c) in windows.items()} == {
        "Automne": (None, "01/10"), "Noël": ("03/11", "03/12"), "Hiver": ("05/01", "04/02"),
        "Printemps": ("09/03", "01/04"), "Été": ("04/05", "17/06")}


def test_agents_get_403_families_404(client, auth):
    auth.login("agent")
    assert client.get("/agents/admin/catalogue/").status_code == 403
    auth.logout()
    auth.login("famille 16122")
    assert client.get("/agents/admin/catalogue/").status_code == 404


def lena_booked_then_next_year_prepared(client, auth, lena):
    """LENA books January's Wednesdays, then the administrateur presses « Préparer l'année
    suivante » on 2026/2027: (that year, the answer)."""
    book_januarys_wednesdays(client, lena)
    auth.logout()
    auth.login("administrateur")
    current = SchoolYear.get(SchoolYear.label == "2026/2027")
    return current, admin_post(client, f"/agents/admin/catalogue/{current.id}/preparer")


def test_prepare_change_a_tariff_publish_and_existing_bookings_keep_their_price(
        app, client, auth, lena):  # noqa: F811
    current, response = lena_booked_then_next_year_prepared(client, auth, lena)
    assert response.status_code == 303
    draft = SchoolYear.get(SchoolYear.label == "2027/2028")
    assert draft.is_published is False
    assert (draft.start_date, draft.end_date) == (datetime.date(2027, 9, 1),
                                                 datetime.date(2028, 7, 3))
    # Everything copied: activities, modalités (both Garderie hours), tariffs, brackets.
    old_names = [a.name for a in current.activities.order_by(Activity.position)]
    new_names = [a.name for a in draft.activities.order_by(Activity.position)]
    assert new_names == old_names
    garderie = draft.activities.where(Activity.name == "Garderie Mercredi Scolaire").get()
    assert [m.name for m in garderie.modalites.order_by(Modalite.position)] == \
        ["Garderie 11h00-12h30", "Garderie 11h30-12h30"]
    assert QFBracket.select().where(QFBracket.school_year == draft).count() == 3
    assert Tariff.select().join(Modalite).join(Activity).where(
        Activity.school_year == draft).count() == Tariff.select().join(Modalite).join(
        Activity).where(Activity.school_year == current).count()
    # Windows moved onto 2027/2028's holidays, by the same pattern.
    windows = {w.period: (w.opens_on, w.closes_on) for w in draft.booking_windows}
    assert windows == guide_windows(holiday_periods(2027, "C"))
    page = text_of(client.get(f"/agents/admin/catalogue/{draft.id}").get_data(as_text=True))
    assert "Catalogue 2027/2028 (brouillon)" in page
    # Families do not see the draft.
    auth.logout()
    auth.login("famille 16122")
    assert "2027/2028" not in client.get("/inscription/").get_data(as_text=True)

    # The administrateur raises the CL SANS repas price of tranche 2 (LENA's) in 2026/2027.
    auth.logout()
    auth.login("administrateur")
    sans = Modalite.select().join(Activity).where(
        (Activity.school_year == current) & (Activity.name == CL) & (Modalite.name == SANS)
    ).get()
    bracket = QFBracket.get((QFBracket.school_year == current) & (QFBracket.position == 2))
    page = f"/agents/admin/catalogue/{current.id}"
    response = admin_post(client, f"/agents/admin/catalogue/{current.id}/tarifs",
                          {f"tarif-{sans.id}-{bracket.id}": "6,10"}, page)
    assert response.status_code == 303
    assert Tariff.get(modalite=sans, bracket=bracket).price_cents == 610
    # LENA's bookings keep 5,20 €.
    assert {b.price_cents for b in Booking.select().where(Booking.child == lena)} == {520}
    log = AuditLog.select().where(AuditLog.action == "catalogue.edited").order_by(
        AuditLog.id.desc()).first()
    assert json.loads(log.details)["before"] == 520 and json.loads(log.details)["after"] == 610

    # Publier asks for its box to be ticked first.
    unconfirmed = admin_post(client, f"/agents/admin/catalogue/{draft.id}/publier")
    assert unconfirmed.status_code == 422 and "Cochez la case pour confirmer la publication" \
        in text_of(unconfirmed.get_data(as_text=True))
    assert SchoolYear.get_by_id(draft.id).is_published is False
    response = admin_post(client, f"/agents/admin/catalogue/{draft.id}/publier",
                          {"confirmer": "1"})
    assert response.status_code == 303
    assert SchoolYear.get_by_id(draft.id).is_published is True
    # Preparing the same year twice says so.
    admin_post(client, f"/agents/admin/catalogue/{current.id}/preparer")
    assert "L'année 2027/2028 existe déjà." in text_of(client.get(
        "/agents/admin/catalogue/").get_data(as_text=True))


def test_bad_catalogue_input_gets_french_messages_and_changes_nothing(client, auth):
    auth.login("administrateur")
    year = SchoolYear.get()
    sans = Modalite.select().join(Activity).where((Activity.name == CL)
                                                  & (Modalite.name == SANS)).get()
    bracket = QFBracket.get(QFBracket.position == 1)
    page = f"/agents/admin/catalogue/{year.id}"
    response = admin_post(client, f"{page}/tarifs", {f"tarif-{sans.id}-{bracket.id}": "cinq"},
                          page)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'aria-describedby="tarif-{sans.id}-{bracket.id}-error"' in html
    assert "Saisissez un montant en euros, par exemple 5,20." in html
    assert 'value="cinq"' in html  # nothing typed is lost
    assert Tariff.get(modalite=sans, bracket=bracket).price_cents == 390
    hiver = BookingWindow.get(BookingWindow.period == "Hiver")
    response = admin_post(client, f"{page}/fenetres", {
        f"ouverture-{hiver.id}": "2027-01-20", f"fin-{hiver.id}": "2027-01-10"}, page)
    assert response.status_code == 422
    assert "La date de fin doit être après la date d'ouverture." in text_of(
        response.get_data(as_text=True))
    response = admin_post(client, f"{page}/tranches", {
        f"qf-label-{bracket.id}": "Tranche 1", f"qf-min-{bracket.id}": "0",
        f"qf-max-{bracket.id}": "beaucoup"}, page)
    assert response.status_code == 422
    assert "Indiquez un quotient (nombre entier) ou laissez vide." in response.get_data(
        as_text=True)
    activity_page = f"/agents/admin/catalogue/activite/{sans.activity_id}"
    response = admin_post(client, activity_page, {"name": "", "category": "alae",
                                                  "audience": "tous", "capacity": "-3"},
                          activity_page)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Indiquez le nom de l'activité." in text_of(html) and "Cochez au moins un jour." in html
    assert "Indiquez un nombre de places entre 1 et 999" in html
    assert Activity.get_by_id(sans.activity_id).name == CL


def test_an_activity_and_a_new_modalite_are_saved_and_audited(client, auth):
    auth.login("administrateur")
    garderie = Activity.get(Activity.name == "Garderie Mercredi Scolaire")
    page = f"/agents/admin/catalogue/activite/{garderie.id}"
    response = client.post(page, data={
        "name": "Garderie Mercredi Scolaire", "category": "garderie", "audience": "tous",
        "weekdays": ["3"], "capacity": "25", "csrf_token": page_token(client, page)})
    assert response.status_code == 303
    assert Activity.get_by_id(garderie.id).capacity == 25
    brackets = list(QFBracket.select().order_by(QFBracket.position))
    data = {"modalite": "Garderie 11h45-12h30", "csrf_token": page_token(client, page)}
    data.update({f"prix-{b.id}": price for b, price in zip(brackets, ("0,50", "0,80", "1"))})
    assert client.post(f"{page}/modalite", data=data).status_code == 303
    new = Modalite.get(Modalite.name == "Garderie 11h45-12h30")
    assert sorted(t.price_cents for t in new.tariffs) == [50, 80, 100]
    assert AuditLog.select().where(AuditLog.action == "catalogue.edited").count() == 2


WINDOW_CASES = [
    ("2026-11-30T23:59", False),  # the minute before the window opens
    ("2026-12-01T00:00", True),   # its first minute
    ("2026-12-10T23:59", True),   # its last minute
    ("2026-12-11T00:00", False),  # just after
]


@pytest.mark.parametrize("now, allowed", WINDOW_CASES)
def test_a_window_edited_by_staff_changes_what_families_can_book(app, client, auth, lena,  # noqa
                                                                  now, allowed):
    auth.logout()
    auth.login("administrateur")
    year = SchoolYear.get()
    hiver = BookingWindow.get(BookingWindow.period == "Hiver")
    page = f"/agents/admin/catalogue/{year.id}"
    data = {f"ouverture-{w.id}": (w.opens_on.isoformat() if w.opens_on else "")
            for w in BookingWindow.select()}
    data.update({f"fin-{w.id}": w.closes_on.isoformat() for w in BookingWindow.select()})
    data.update({f"ouverture-{hiver.id}": "01/12/2026", f"fin-{hiver.id}": "2026-12-10"})
    assert admin_post(client, f"{page}/fenetres", data, page).status_code == 303
    hiver = BookingWindow.get_by_id(hiver.id)
    assert (hiver.opens_on, hiver.closes_on) == (datetime.date(2026, 12, 1),
                                                 datetime.date(2026, 12, 10))
    family = app.test_client()
    sign_in(family, lena.family.users.get())
    enrol(lena, HIVER)
    app.config["PORTAIL_TODAY"] = now
    day = datetime.date(2027, 2, 8)
    clv = Activity.get(Activity.name == HIVER)
    response = family.post("/planning/valider", data={
        "ligne": line_key(lena, HIVER), "vue": "mensuel", "du": "2027-02-01",
        "jours": [token(day, clv.modalites.order_by(Modalite.position).first())],
        "csrf_token": page_token(family)})
    text = text_of(family.get("/planning/?du=2027-02-01").get_data(as_text=True))
    if allowed:
        assert response.status_code == 303
        assert "Modifications possibles jusqu'au 10/12/2026 à 23h59." in text
    else:
        assert response.status_code == 422
        assert "(période de réservation : du 01/12/2026 au 10/12/2026)" in text


def test_next_year_is_offered_in_inscription_during_the_main_period_once_published(
        app, client, auth, lena):  # noqa: F811
    from models import DossierValidation, Enrolment
    from tests.conftest import csrf_from
    current, _ = lena_booked_then_next_year_prepared(client, auth, lena)
    draft = SchoolYear.get(SchoolYear.label == "2027/2028")
    sans = Modalite.select().join(Activity).where(
        (Activity.school_year == current) & (Activity.name == CL) & (Modalite.name == SANS)).get()
    bracket = QFBracket.get((QFBracket.school_year == current) & (QFBracket.position == 2))
    page = f"/agents/admin/catalogue/{current.id}"
    admin_post(client, f"{page}/tarifs", {f"tarif-{sans.id}-{bracket.id}": "6,10"}, page)
    auth.logout()
    auth.login("famille 16122")
    app.config["PORTAIL_TODAY"] = "2027-03-15T10:00"
    # A draft is never offered, even in the main period.
    assert "2027/2028" not in client.get("/inscription/").get_data(as_text=True)
    auth.logout()
    auth.login("administrateur")
    admin_post(client, f"/agents/admin/catalogue/{draft.id}/publier", {"confirmer": "1"})
    auth.logout()
    auth.login("famille 16122")
    # The actualisation now concerns 2027/2028; staff validate it.
    assert "2027/2028" in text_of(client.get("/mon-dossier/actualisation").get_data(as_text=True))
    DossierValidation.create(family=lena.family, school_year=draft,
                             status=DossierValidation.VALIDATED)
    html = client.get("/inscription/").get_data(as_text=True)
    assert "Année 2026/2027" in text_of(html) and "Année 2027/2028" in text_of(html)
    html = client.get(f"/inscription/?annee={draft.id}").get_data(as_text=True)
    text = text_of(html)
    assert "l'année scolaire 2027/2028" in text
    assert "2027/2028 - CL Maternel Mercredis" in text
    assert "2026/2027 - CL Maternel Mercredis" not in text  # the two years never mix
    next_cl = Activity.get((Activity.school_year == draft) & (Activity.name == CL))
    response = client.post(f"/inscription/enfant/{lena.id}?annee={draft.id}", data={
        f"enfant-{lena.id}-csrf_token": csrf_from(html),
        f"enfant-{lena.id}-activites": [str(next_cl.id)]})
    assert response.status_code == 303
    assert f"annee={draft.id}" in response.headers["Location"]
    assert Enrolment.select().where((Enrolment.child == lena)
                                    & (Enrolment.activity == next_cl)).exists()
    # Her 2026/2027 bookings keep their price (5,20 €, before the change to 6,10 €).
    assert {b.price_cents for b in Booking.select().where(Booking.child == lena)} == {520}
    # Outside the main period the next year is not offered.
    app.config["PORTAIL_TODAY"] = "2027-08-21T10:00"
    assert "Année 2027/2028" not in text_of(client.get("/inscription/").get_data(as_text=True))


def test_each_bracket_field_has_its_own_label_naming_its_row(client, auth):
    """The brackets' table: every input's label says which field of which tranche, not
    the same "(tranche 1/2/3)" repeated on every row."""
    import re
    auth.login("administrateur")
    year = SchoolYear.select().order_by(SchoolYear.id).first()
    html = client.get(f"/agents/admin/catalogue/{year.id}").get_data(as_text=True)
    brackets = list(QFBracket.select().where(QFBracket.school_year == year)
                    .order_by(QFBracket.position))
    labels = []
    for row, bracket in enumerate(brackets, 1):
        for field, label in (("label", "Libellé"), ("min", "QF de"), ("max", "QF jusqu&#39;à")):
            found = re.search(rf'<label class="visually-hidden" for="qf-{field}-{bracket.id}">'
                              r'([^<]*)</label>', html)
            assert found and found.group(1) == f"{label} (tranche {row})", (field, row)
            labels.append(found.group(1))
    assert len(set(labels)) == len(labels) == 3 * len(brackets)
