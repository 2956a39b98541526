"""Back office, day to day: home counts, validations, families, bookings on behalf, audit."""
import datetime
import io

import pytest

from domain import audit
from domain.catalogue.pricing import brackets_by_day, family_bracket
from domain.catalogue.years import current_school_year
from models import (
    AuditLog,
    Booking,
    Child,
    DossierValidation,
    Enrolment,
    Family,
    MessageThread,
    QFDeclaration,
    User,
)
from tests.family.test_dossier_quotient import attestation_pdf
from tests.family.test_messagerie import post_message
from tests.helpers import (
    assert_enrols_online,
    demo_family as family,
    error_of,
    png_bytes,
    unescaped,
)
from tests.planning_support import activity, child, modalite, page_token, text_of, token

CL_ELEM = "CL Élémentaire Mercredis"
CL_MAT = "CL Maternel Mercredis"
SANS = "Après-midi SANS repas"


def agent():
    return User.get(User.email == "agent@mairie.example.org")


def refuse(client, path, prefix, token, reason):
    """Refuser in a validation queue: the refusal form of one item (``prefix``), sent."""
    return client.post(path, data={f"{prefix}-csrf_token": token, f"{prefix}-reason": reason})


def send_actualisation(client, auth):
    """Family 16124 sends its actualisation with a PDF attachment, then signs out."""
    auth.login("famille 16124")
    response = post_message(client, auth, service="Actualisation Dossier Famille",
                            theme="Centre de loisirs", subject="Actualisation",
                            body="Voici mon dossier.",
                            attachment_1=(io.BytesIO(attestation_pdf()), "domicile.pdf"))
    assert response.status_code == 303
    auth.logout()


def declare_qf(client, auth, quotient, content, filename, who="famille 16124", password=None):
    """``who`` (a demo login, or an email with its ``password``) declares ``quotient`` with
    the attestation ``content``, then signs out."""
    auth.login(who, password=password)
    response = client.post("/mon-dossier/quotient", content_type="multipart/form-data", data={
        "csrf_token": auth.csrf("/mon-dossier/quotient"), "quotient": quotient,
        "attestation": (io.BytesIO(content), filename)})
    assert response.status_code == 303
    auth.logout()


def book_as_family(client, auth, kid, activity_name, days, month):
    """The family's own path: VALIDER the month's ticks, then TERMINER."""
    auth.login("famille 16124")
    mod = modalite(activity_name, SANS)
    response = client.post("/planning/valider", data={
        "ligne": f"{kid.id}-{activity(activity_name).id}", "vue": "mensuel", "du": month,
        "jours": [token(day, mod) for day in days], "csrf_token": page_token(client)})
    assert response.status_code == 303, text_of(response.get_data(as_text=True))[:500]
    response = client.post("/planning/terminer", data={"csrf_token": page_token(client)})
    assert response.status_code == 303
    auth.logout()


# --- Home -------------------------------------------------------------------------


def test_home_counts_what_waits_with_links(client, auth, db):
    send_actualisation(client, auth)
    declare_qf(client, auth, "650", attestation_pdf(), "caf.pdf")
    auth.login("agent")
    page = unescaped(client.get("/agents/"))
    assert "1 dossier à valider" in text_of(page)
    assert "1 quotient à valider" in text_of(page)
    assert 'href="/agents/validations/dossiers"' in page
    assert 'href="/agents/validations/quotients"' in page
    # The unread actualisation message, per service and in the nav's badge.
    assert "Actualisation Dossier Famille</a></th>" in page
    assert 'MESSAGES <span class="badge"' in page


def test_staff_pages_refuse_families_and_anonymous(client, auth, db):
    for path in ("/agents/", "/agents/validations/dossiers", "/agents/validations/quotients",
                 "/agents/familles/", "/agents/journal/",
                 f"/agents/familles/{family(16122).id}"):
        assert client.get(path).status_code == 302
    auth.login("famille 16122")
    assert client.get("/agents/familles/").status_code == 404


# --- Dossiers à valider ---------------------------------------------------------------


def test_validated_actualisation_sends_the_accuse_and_opens_inscription(client, auth, db,
                                                                        mailbox):
    send_actualisation(client, auth)
    auth.login("agent")
    page = unescaped(client.get("/agents/validations/dossiers"))
    assert "Famille 16124 – PETIT : dossier 2026/2027" in page
    assert "domicile.pdf" in page and "Centre de loisirs" in page
    validation = DossierValidation.get(DossierValidation.family == family(16124))
    mailbox.clear()
    response = client.post(f"/agents/validations/dossiers/{validation.id}/valider",
                           data={"csrf_token": auth.csrf("/agents/validations/dossiers")})
    assert response.status_code == 303
    assert DossierValidation.get_by_id(validation.id).status == DossierValidation.VALIDATED
    [mail] = mailbox.to("famille.petit@example.org")
    assert mail["Subject"] == "Portail Famille : votre dossier 2026/2027 est validé"
    assert "accusé de réception" in mailbox.text(mail)
    thread = MessageThread.get(MessageThread.family == family(16124))
    [accuse] = [m for m in thread.messages if m.from_staff]
    assert accuse.body.startswith("Accusé de réception : l'actualisation de votre dossier")
    assert accuse.author_id == agent().id
    log = AuditLog.get(AuditLog.action == audit.DOSSIER_VALIDATED)
    assert log.user_id == agent().id and log.family_id == family(16124).id
    # The queue is empty; the family can ENREGISTRER a line at once.
    assert "Aucune actualisation" in unescaped(client.get("/agents/validations/dossiers"))
    auth.logout()
    auth.login("famille 16124")
    tom, cl = child("TOM"), activity(CL_ELEM)
    assert_enrols_online(client, auth, tom, cl)


def test_refusal_needs_a_reason_next_to_the_field_then_is_sent(client, auth, db, mailbox):
    send_actualisation(client, auth)
    auth.login("agent")
    validation = DossierValidation.get(DossierValidation.family == family(16124))
    token_ = auth.csrf("/agents/validations/dossiers")
    path = f"/agents/validations/dossiers/{validation.id}/refuser"
    response = refuse(client, path, f"refus-{validation.id}", token_, "  ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Indiquez le motif du refus" in error_of(page, f"refus-{validation.id}-reason")
    assert DossierValidation.get_by_id(validation.id).status == DossierValidation.PENDING
    mailbox.clear()
    response = refuse(client, path, f"refus-{validation.id}", token_,
                      "Le justificatif de domicile manque.")
    assert response.status_code == 303
    assert DossierValidation.get_by_id(validation.id).status == DossierValidation.REFUSED
    [mail] = mailbox.to("famille.petit@example.org")
    assert "Le justificatif de domicile manque." in mailbox.text(mail)
    log = AuditLog.get(AuditLog.action == audit.DOSSIER_REFUSED)
    assert audit.details_of(log)["reason"] == "Le justificatif de domicile manque."
    # A second click (another agent meanwhile) is refused, not a 500.
    response = client.post(f"/agents/validations/dossiers/{validation.id}/valider",
                           data={"csrf_token": token_}, follow_redirects=True)
    assert "déjà été traité" in unescaped(response)


# --- Quotients à valider ---------------------------------------------------------------


def test_qf_validated_from_next_month_prices_every_booking_from_its_date(client, auth, db,
                                                                        mailbox):
    """16124 declares QF 650; validated from 01/12: January's days are at 3,90 €, the one
    booked before the validation (at 6,50 €, not invoiced) included."""
    tom = child("TOM")
    year = current_school_year(datetime.date(2026, 11, 26))
    DossierValidation.create(family=family(16124), school_year=year,
                             status=DossierValidation.VALIDATED)
    Enrolment.create(child=tom, activity=activity(CL_ELEM))
    book_as_family(client, auth, tom, CL_ELEM, [datetime.date(2027, 1, 6)], "2027-01-01")
    declare_qf(client, auth, "650", attestation_pdf(), "caf.pdf")
    auth.login("agent")
    page = unescaped(client.get("/agents/validations/quotients"))
    declaration = QFDeclaration.get(QFDeclaration.family == family(16124))
    assert "quotient 650" in page and "Tranche 1 (QF jusqu'à 700)" in page
    assert f'<iframe class="attestation-preview" src="/agents/validations/quotients/{declaration.id}/attestation/apercu"' in page
    assert 'value="2026-12-01"' in page  # default: the 1st of next month
    preview = client.get(f"/agents/validations/quotients/{declaration.id}/attestation/apercu")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF-")
    assert preview.headers["Content-Disposition"].startswith("inline")
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert "script-src" not in preview.headers["Content-Security-Policy"]
    download = client.get(f"/agents/validations/quotients/{declaration.id}/attestation")
    assert download.headers["Content-Disposition"].startswith("attachment")
    mailbox.clear()
    response = client.post(f"/agents/validations/quotients/{declaration.id}/valider", data={
        f"qf-{declaration.id}-csrf_token": auth.csrf("/agents/validations/quotients"),
        f"qf-{declaration.id}-effective_from": "2026-12-01"})
    assert response.status_code == 303
    saved = QFDeclaration.get_by_id(declaration.id)
    assert saved.status == QFDeclaration.VALIDATED
    assert saved.effective_from == datetime.date(2026, 12, 1)
    [mail] = mailbox.to("famille.petit@example.org")
    assert "01/12/2026" in mailbox.text(mail)
    # The bracket is date-aware: November still at the top bracket, December at the first.
    brackets = brackets_by_day(family(16124), year, [datetime.date(2026, 11, 30),
                                                     datetime.date(2026, 12, 2)])
    assert brackets[datetime.date(2026, 11, 30)].position == 3
    assert brackets[datetime.date(2026, 12, 2)].position == 1
    assert family_bracket(family(16124), year, datetime.date(2026, 11, 30)).position == 3
    auth.logout()
    book_as_family(client, auth, tom, CL_ELEM, [datetime.date(2027, 1, 6),
                                                 datetime.date(2027, 1, 13)], "2027-01-01")
    prices = {b.date: b.price_cents for b in Booking.select().where(Booking.child == tom)}
    assert prices == {datetime.date(2027, 1, 6): 390, datetime.date(2027, 1, 13): 390}
    log = AuditLog.get(AuditLog.action == audit.QUOTIENT_VALIDATED)
    assert audit.details_of(log)["after"] == {"quotient": 650, "date_effet": "2026-12-01"}


def test_qf_refusal_and_bad_date_are_french_messages(client, auth, db, mailbox):
    declare_qf(client, auth, "650", png_bytes(), "caf.png")
    auth.login("agent")
    declaration = QFDeclaration.get(QFDeclaration.family == family(16124))
    page = unescaped(client.get("/agents/validations/quotients"))
    assert f'<img class="attestation-preview" src="/agents/validations/quotients/{declaration.id}/attestation/apercu"' in page
    token_ = auth.csrf("/agents/validations/quotients")
    prefix = f"qf-{declaration.id}"
    response = client.post(f"/agents/validations/quotients/{declaration.id}/valider", data={
        f"{prefix}-csrf_token": token_, f"{prefix}-effective_from": "31/02/2026"})
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), f"{prefix}-effective_from") == \
        "Indiquez une date valide (JJ/MM/AAAA)."
    path = f"/agents/validations/quotients/{declaration.id}/refuser"
    response = refuse(client, path, f"{prefix}-refus", token_, "")
    assert response.status_code == 422
    assert "Indiquez le motif" in error_of(response.get_data(as_text=True),
                                           f"{prefix}-refus-reason")
    mailbox.clear()
    response = refuse(client, path, f"{prefix}-refus", token_, "L'attestation date de 2024.")
    assert response.status_code == 303
    assert QFDeclaration.get_by_id(declaration.id).status == QFDeclaration.REFUSED
    [mail] = mailbox.to("famille.petit@example.org")
    assert "L'attestation date de 2024." in mailbox.text(mail)


# --- Families ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["dupont", "16122", "LENA", "famille.dupont@example",
                                   "06 12 34", "0612345678", "+33 6 12 34 56 78"])
def test_search_finds_a_family_by_each_kind_of_text(client, auth, db, query):
    auth.login("agent")
    page = unescaped(client.get("/agents/familles/", query_string={"q": query}))
    assert "1 famille trouvée" in page and ">DUPONT</a>" in page


def test_search_answers_htmx_with_the_results_only_and_paginates(client, auth, db):
    auth.login("agent")
    for number in range(30):
        Family.create(account_number=20000 + number, name=f"MARTIN{number:02d}")
    response = client.get("/agents/familles/", query_string={"q": "martin"},
                          headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="resultats-familles"') and "<html" not in body
    assert "30 familles trouvées" in body and "Page 1 sur 2" in body
    assert "MARTIN19" in body and "MARTIN20" not in body
    page2 = unescaped(client.get("/agents/familles/", query_string={"q": "martin", "page": "2"}))
    assert "MARTIN20" in page2 and "Page 2 sur 2" in page2
    # Odd input is no error.
    for odd in ("%", "_", "'; drop table family; --", "x" * 500):
        assert client.get("/agents/familles/", query_string={"q": odd,
                                                             "page": "abc"}).status_code == 200


def test_family_page_and_health_record_access_is_logged(client, auth, db):
    auth.login("agent")
    dupont = family(16122)
    page = text_of(client.get(f"/agents/familles/{dupont.id}").get_data(as_text=True))
    for text in ("Julie DUPONT", "Monique DUPONT", "LENA DUPONT", "Restauration Maternelle",
                 "Historique du quotient familial", "850", "Dossier 2026/2027 : validé",
                 "Planning – Novembre 2026"):
        assert text in page, text
    assert AuditLog.select().where(AuditLog.action == audit.HEALTH_VIEWED).count() == 0
    lena = child("LENA")
    page = unescaped(client.get(f"/agents/familles/{dupont.id}/enfants/{lena.id}/fiche-sanitaire"))
    assert "Dr Martin" in page
    log = AuditLog.get(AuditLog.action == audit.HEALTH_VIEWED)
    assert (log.user_id, log.family_id) == (agent().id, dupont.id)
    assert audit.details_of(log)["after"] == {"enfant": lena.id}
    # Another family's child through this family's URL: 404.
    tom = child("TOM")
    assert client.get(f"/agents/familles/{dupont.id}/enfants/{tom.id}/fiche-sanitaire"
                      ).status_code == 404


def test_staff_edit_of_coordonnees_is_audited_with_before_and_after(client, auth, db):
    auth.login("agent")
    dupont = family(16122)
    path = f"/agents/familles/{dupont.id}/coordonnees"
    token_ = auth.csrf(path)
    data = {"csrf_token": token_, "address": "3 place de la Mairie", "postal_code": "31000",
            "city": "Saint-Exemple"}
    for index, phone in enumerate(("06 12 34 56 78", "06 98 76 54 32")):
        data[f"guardians-{index}-phone_mobile"] = phone
    bad = dict(data, postal_code="310")
    response = client.post(path, data=bad)
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "postal_code") == \
        "Le code postal compte 5 chiffres."
    assert client.post(path, data=data).status_code == 303
    log = AuditLog.get(AuditLog.action == audit.FAMILY_EDITED)
    details = audit.details_of(log)
    assert details["before"]["adresse"] == "12 rue des Écoles"
    assert details["after"]["adresse"] == "3 place de la Mairie"
    assert log.user_id == agent().id


def test_staff_edit_of_health_record_is_audited(client, auth, db):
    auth.login("agent")
    dupont, lena = family(16122), child("LENA")
    path = f"/agents/familles/{dupont.id}/enfants/{lena.id}/fiche-sanitaire/modifier"
    token_ = auth.csrf(path)
    response = client.post(path, data={"csrf_token": token_, "doctor_name": "Dr Martin",
                                       "doctor_phone": "12", "diet": ""})
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "doctor_phone").startswith(
        "Ce numéro de téléphone n'existe pas")
    # The demo gives LENA a peanut allergy with a PAI; staff add the kiwi.
    response = client.post(path, data={"csrf_token": token_, "doctor_name": "Dr Martin",
                                       "doctor_phone": "05 61 00 00 02",
                                       "allergies": "Arachide, kiwi", "has_pai": "y",
                                       "pai_details": lena.health_records.get().pai_details,
                                       "diet": ""})
    assert response.status_code == 303
    details = audit.details_of(AuditLog.get(AuditLog.action == audit.HEALTH_EDITED))
    assert details["before"] == {"allergies": "Arachide"}
    assert details["after"] == {"allergies": "Arachide, kiwi"}


# --- On behalf of the family ------------------------------------------------------------


def on_behalf(client, auth, kid, days, reason, month="2026-12-01"):
    """Staff tick ``days`` (SANS repas; the others of ``month`` unticked) in the family's
    own calendar, VALIDER, then TERMINER with ``reason``: TERMINER's answer."""
    base = f"/agents/familles/{kid.family_id}/planning/"
    csrf = auth.csrf(base + "recapitulatif")
    client.post(base + "valider", data={
        "ligne": f"{kid.id}-{activity(CL_MAT).id}", "vue": "mensuel", "du": month,
        "csrf_token": csrf, "jours": [token(day, modalite(CL_MAT, SANS)) for day in days]})
    return client.post(base + "terminer", data={"csrf_token": csrf, "motif": reason})


def test_agent_books_a_wednesday_for_lena_after_the_20th(client, auth, db, mailbox):
    lena = child("LENA")
    Enrolment.create(child=lena, activity=activity(CL_MAT))
    auth.login("agent")
    wednesday = datetime.date(2026, 12, 2)  # December: closed to the family since 21/11
    sans = modalite(CL_MAT, SANS)
    response = on_behalf(client, auth, lena, [wednesday], "")
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "motif").startswith(
        "Indiquez le motif des modifications")
    mailbox.clear()
    response = on_behalf(client, auth, lena, [wednesday], "Demande de la mère par téléphone.")
    assert response.status_code == 303
    booking = Booking.get((Booking.child == lena) & (Booking.date == wednesday))
    assert booking.modalite_id == sans.id and booking.price_cents == 520
    [mail] = mailbox.to("famille.dupont@example.org")
    assert "(modifié par le service)" in mail["Subject"]
    assert "Demande de la mère par téléphone." in mailbox.text(mail)
    assert "Mer. 02/12/2026" in mailbox.text(mail)
    log = AuditLog.get(AuditLog.action == audit.BOOKING_ON_BEHALF)
    details = audit.details_of(log)
    assert log.user_id == agent().id and log.at is not None
    assert details["reason"] == "Demande de la mère par téléphone."
    assert "02/12/2026" in details["summary"] and "LENA" in details["summary"]
    assert details["after"] == {"modifications": 1}
    journal = unescaped(client.get("/agents/journal/", query_string={"famille": "16122"}))
    assert "Réservation pour la famille" in journal and "Demande de la mère" in journal
    home = text_of(client.get("/agents/").get_data(as_text=True))
    assert "1 réservation faite pour les familles cette semaine" in home
    # The family's own deadline is unchanged: it still cannot change December.
    auth.logout()
    auth.login("famille 16122")
    response = client.post("/planning/valider", data={
        "ligne": f"{lena.id}-{activity(CL_MAT).id}", "vue": "mensuel", "du": "2026-12-01",
        "jours": [], "csrf_token": page_token(client)})
    assert Booking.get_or_none(Booking.id == booking.id) is not None


def test_agent_overrides_a_full_day_and_cancels(client, auth, db, mailbox):
    lena = child("LENA")
    Enrolment.create(child=lena, activity=activity(CL_MAT))
    auth.login("agent")
    from models import DayOverride, PendingChange
    full = DayOverride.get(DayOverride.capacity.is_null(False))
    # Fill it completely.
    DayOverride.update(capacity=1).where(DayOverride.id == full.id).execute()
    month = full.date.replace(day=1).isoformat()
    assert on_behalf(client, auth, lena, [full.date], "Place accordée par la directrice.",
                     month).status_code == 303
    assert Booking.select().where((Booking.activity == activity(CL_MAT))
                                  & (Booking.date == full.date)).count() == 2
    response = on_behalf(client, auth, lena, [], "Enfant malade.", month)
    assert response.status_code == 303
    assert Booking.get_or_none((Booking.child == lena) & (Booking.date == full.date)) is None
    # A closed day and a past day cannot be ticked, even by staff.
    for day in (datetime.date(2026, 12, 3), datetime.date(2026, 11, 25)):
        on_behalf(client, auth, lena, [day], "Essai.", day.replace(day=1).isoformat())
        assert not Booking.select().where((Booking.child == lena)
                                          & (Booking.date == day)).exists(), day
        assert not PendingChange.select().where(PendingChange.child == lena).exists(), day


# --- Audit log ------------------------------------------------------------------------


def test_audit_log_filters_and_bad_filters(client, auth, db):
    auth.login("agent")
    audit.record(agent(), family(16122), audit.FAMILY_EDITED, summary="Adresse corrigée.")
    audit.record(agent(), family(16123), audit.FAMILY_EDITED, summary="Téléphone corrigé.")
    page = unescaped(client.get("/agents/journal/", query_string={"famille": "16123"}))
    assert "Téléphone corrigé." in page and "Adresse corrigée." not in page
    page = unescaped(client.get("/agents/journal/", query_string={"agent": str(agent().id),
                                                                   "du": "2026-11-26",
                                                                   "au": "2026-11-26"}))
    assert "Téléphone corrigé." in page and "Adresse corrigée." in page
    page = unescaped(client.get("/agents/journal/", query_string={"du": "2026-11-27"}))
    assert "Téléphone corrigé." not in page
    assert "0 ligne" in page and "0 lignes" not in page  # French counts 0 in the singular
    response = client.get("/agents/journal/", query_string={"famille": "99999", "du": "hier",
                                                             "agent": "abc"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert error_of(body, "du") == "Indiquez une date valide (JJ/MM/AAAA)."
    assert "Not a valid choice" not in body
    assert client.post("/agents/journal/").status_code in (400, 405)


# --- Access ------------------------------------------------------------------------------

MY_MODULES = ("blueprints.staff.validations", "blueprints.staff.families",
              "blueprints.staff.audit", "blueprints.staff.routes")


def my_staff_rules(app):
    """Every rule of the day-to-day back office, from the URL map (a new view is covered
    without touching this test)."""
    rules = [rule for rule in app.url_map.iter_rules()
             if app.view_functions[rule.endpoint].__module__ in MY_MODULES]
    assert len(rules) >= 15
    return rules


def paths_of(rules):
    """(method, path) of each rule, ids set to 1."""
    for rule in rules:
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1")
        yield ("GET" if "GET" in rule.methods else "POST"), path


def test_every_day_to_day_staff_route_refuses_anonymous_and_families(app, client, auth, db):
    rules = my_staff_rules(app)
    token = auth.csrf("/connexion")
    for method, path in paths_of(rules):
        assert path.startswith("/agents/"), path
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 302 and "/connexion" in response.headers["Location"], \
            path
    auth.login("famille 16122")
    token = auth.csrf("/mon-dossier/")
    for method, path in paths_of(rules):
        assert client.open(path, method=method,
                           data={"csrf_token": token}).status_code == 404, path


def test_staff_edit_a_childs_class_is_audited_and_bad_values_are_french(client, auth, db):
    auth.login("agent")
    dupont, lena = family(16122), child("LENA")
    path = f"/agents/familles/{dupont.id}/enfants/{lena.id}/modifier"
    token_ = auth.csrf(path)
    data = {"csrf_token": token_, "last_name": "Dupont", "first_name": "Lena",
            "birth_date": "2022-03-14", "school_name": "École maternelle Jules Ferry",
            "school_type": "publique", "class_level": "GS"}
    for name, value, message in (("class_level", "6EME", "Choisissez une classe de la liste."),
                                 ("school_type", "autre", "Choisissez un type d'école de la liste."),
                                 ("birth_date", "2031-01-01", "Indiquez une date de naissance plausible (JJ/MM/AAAA)."),
                                 ("first_name", " ", "Indiquez le prénom.")):
        response = client.post(path, data=dict(data, **{name: value}))
        assert response.status_code == 422
        assert error_of(response.get_data(as_text=True), name) == message, name
    assert Child.get_by_id(lena.id).class_level == "MS"
    assert client.post(path, data=data).status_code == 303
    saved = Child.get_by_id(lena.id)
    assert (saved.class_level, saved.first_name, saved.last_name) == ("GS", "LENA", "DUPONT")
    details = audit.details_of(AuditLog.get(AuditLog.action == audit.CHILD_EDITED))
    assert details["before"] == {"class_level": "MS"} and details["after"] == {"class_level": "GS"}
