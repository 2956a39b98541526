"""In Chromium: the attendance register (a day to come offers no button; an
excused absence with its justification; a child added present), the monthly run's
preview per family with its confirmation box (desktop and a 768 px tablet), and the
actualisation's texts on a 360×740 phone. axe-clean, no CSP error; screenshots under
test-artifacts/screenshots/."""
import pytest
from playwright.sync_api import expect

import models
from models import Activity, Attendance, Booking, Child, Invoice
from tests.conftest import axe_violations, browser_login, opened_page, screenshot

pytestmark = pytest.mark.browser


def ids(server):
    with server.app.app_context(), models.db.connection_context():
        return {"matin": Activity.get(Activity.name == "ALAE Matin").id,
                "cantine": Activity.get(Activity.name == "Restauration Élémentaire").id,
                "hugo": Child.get(Child.first_name == "HUGO").id}


def test_the_register_ticks_today_not_tomorrow_and_adds_a_child(staff_page, live_server):
    page, server = staff_page, live_server
    server.app.config["PORTAIL_TODAY"] = "2027-01-12T09:00"
    known = ids(server)
    browser_login(page, server, "agent")
    # Tomorrow: the children are listed, no button to tick.
    page.goto(f"{server.url}/agents/presences/?date=2027-01-13&activite={known['matin']}")
    row = page.locator(".att-row", has_text="BERNARD HUGO")
    expect(row.get_by_text("Jour à venir : le pointage ouvre le jour même.")).to_be_visible()
    expect(page.get_by_role("button", name="Présent : HUGO BERNARD")).to_have_count(0)
    expect(page.get_by_role("button", name="Excusé : HUGO BERNARD")).to_have_count(0)
    screenshot(page, "issue18-register-tomorrow")
    # Today: HUGO excused with a medical certificate, by htmx.
    page.goto(f"{server.url}/agents/presences/?date=2027-01-12&activite={known['matin']}")
    row = page.locator(".att-row", has_text="BERNARD HUGO")
    row.get_by_label("Justificatif (si excusé) de HUGO BERNARD").fill("Certificat médical")
    row.get_by_role("button", name="Excusé : HUGO BERNARD").click()
    expect(page.locator(".att-row", has_text="BERNARD HUGO").get_by_role("status")).to_contain_text(
        "Excusé (justificatif : Certificat médical)")
    if page.device == "tablet":
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
    screenshot(page, "issue18-register-today")
    # The canteen: HUGO came without a booking.
    page.goto(f"{server.url}/agents/presences/?date=2027-01-12&activite={known['cantine']}")
    page.get_by_label("Enfant (inscrit à l'activité, non réservé ce jour)").select_option(
        str(known["hugo"]))
    page.get_by_role("button", name="Ajouter présent").click()
    expect(page.locator(".att-row", has_text="BERNARD HUGO")
           .get_by_text("Ajouté sur place (sans réservation)")).to_be_visible()
    screenshot(page, "issue18-register-added")
    assert axe_violations(page) == []
    assert page.csp_errors == []
    with server.app.app_context(), models.db.connection_context():
        assert Booking.select().where((Booking.child == known["hugo"])
                                      & (Booking.activity == known["cantine"])).count() == 1
        assert Attendance.get((Attendance.child == known["hugo"])
                              & (Attendance.activity == known["matin"])).justification \
            == "Certificat médical"


def test_the_preview_per_family_then_emettre_once_the_box_is_ticked(staff_page, live_server):
    page, server = staff_page, live_server
    server.app.config["PORTAIL_TODAY"] = "2027-02-01T09:00"
    browser_login(page, server, "administrateur")
    page.goto(f"{server.url}/agents/admin/facturation/emission?mois=2027-01")
    family = page.locator("#apercu-famille-16123")
    expect(family).to_contain_text("16123 – BERNARD")
    expect(family).to_contain_text("HUGO – ALAE Matin - Matin 7h30-8h20 : 20 × 0,60\u00a0€ = "
                                   "12,00\u00a0€")
    if page.device == "tablet":
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
    screenshot(page, "issue18-billing-preview")
    # Émettre without the box: nothing issued, the message by the box.
    page.get_by_role("button", name="Émettre").click()
    expect(page.get_by_text("Cochez la case pour confirmer l'émission.")).to_be_visible()
    screenshot(page, "issue18-billing-unconfirmed")
    page.get_by_label("Je confirme l'émission").check()
    page.get_by_role("button", name="Émettre").click()
    expect(page.get_by_text("mis en file d'envoi")).to_be_visible()
    assert axe_violations(page) == []
    assert page.csp_errors == []
    with server.app.app_context(), models.db.connection_context():
        assert Invoice.select().where((Invoice.period_year == 2027)
                                      & (Invoice.period_month == 1)).count() >= 1


def test_a_month_not_over_is_refused_unless_forced(browser, live_server):
    with opened_page(browser, "desktop") as page:
        server = live_server
        server.app.config["PORTAIL_TODAY"] = "2027-01-15T10:00"
        browser_login(page, server, "administrateur")
        page.goto(f"{server.url}/agents/admin/facturation/emission?mois=2027-01")
        expect(page.locator("#mois-non-termine")).to_contain_text(
            "Janvier 2027 n'est pas terminé")
        page.get_by_label("Je confirme l'émission").check()
        page.get_by_role("button", name="Émettre").click()
        expect(page.locator("#force-error")).to_contain_text("forcez l'émission")
        screenshot(page, "issue18-billing-not-over")
        with server.app.app_context(), models.db.connection_context():
            assert not Invoice.select().where((Invoice.period_year == 2027)
                                              & (Invoice.period_month == 1)).exists()


def test_actualisation_texts_on_a_phone(browser, live_server):
    with opened_page(browser, "phone") as page:
        server = live_server
        browser_login(page, server, "famille 16124")
        page.goto(f"{server.url}/mon-dossier/actualisation")
        expect(page.get_by_text("Votre dossier 2026/2027 est actuellement :")).to_contain_text(
            "à actualiser")
        remaining = page.locator("#actualisation-remaining")
        expect(remaining).to_have_text("Il reste 5 rubrique(s) à vérifier avant d'envoyer "
                                       "votre message.")
        for left in range(4, -1, -1):
            page.get_by_role("button", name="J'ai vérifié cette rubrique").first.click()
            if left:
                expect(remaining).to_have_text(f"Il reste {left} rubrique(s) à vérifier avant "
                                               "d'envoyer votre message.")
        expect(remaining).to_have_text("Toutes les rubriques sont vérifiées : vous pouvez "
                                       "envoyer votre message.")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "issue18-actualisation")
        assert axe_violations(page) == []
        assert page.csp_errors == []
