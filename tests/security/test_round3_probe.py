"""An outside probe of round 3's features: régies, the bank's return file, a login per
guardian. Each test is a hole found (it failed before its fix) or a door tried that held.
"""
import datetime
import html
import io
import re
import time

import pytest

from domain import audit
from domain.billing import bank_returns, mandates, regies
from domain.booking import illness
from models import (
    Attendance,
    AuditLog,
    Booking,
    CalendarFeed,
    Family,
    Guardian,
    OutgoingEmail,
    Regie,
    User,
)
from tests.conftest import AuthActions
from tests.helpers import activity, csrf_from, demo_child, text_of
from tests.security.test_lockouts import parallel, postgres_only
from tests.security.test_route_matrix import client_as, csrf_token, objects

NEW_PASSWORD = "un-mot-de-passe-solide-2027"


def signed_in(app, who):
    client = app.test_client()
    response = AuthActions(client).login(who)
    assert response.status_code in (302, 303)
    return client


def invitation_paths(mailbox, address):
    """The links of every invitation ``address`` received, oldest first."""
    assert OutgoingEmail.select().where(OutgoingEmail.recipient == address).exists()
    return [re.search(r"http://localhost(/invitation/\S+)", mailbox.text(mail)).group(1)
            for mail in mailbox.to(address)]


def staff_post(app, url, family, **data):
    staff = signed_in(app, "agent")
    token = csrf_from(staff.get(f"/agents/familles/{family.id}").get_data(as_text=True))
    return staff.post(url, data={"csrf_token": token, **data})


def test_an_invitation_link_is_dead_once_the_access_is_removed_and_given_again(
        app, db, mailbox):
    """Hole: the link of a first invitation (sent to an address later found wrong) came
    back to life when staff removed the access and invited the guardian again at their
    corrected address: both accounts' fingerprints were "no password yet". Whoever held
    the first mail could choose the password and read the family's record."""
    family = Family.get(Family.account_number == 16122)
    marc = Guardian.get(Guardian.first_name == "Marc")
    base = f"/agents/familles/{family.id}/responsables/{marc.id}/acces"
    staff_post(app, base, family)
    first = invitation_paths(mailbox, "marc.dupont@example.org")[-1]
    assert app.test_client().get(first).status_code == 200  # valid while it is the one
    staff_post(app, base + "/retirer", family, motif="Adresse erronée")
    assert app.test_client().get(first).status_code == 400  # removed: dead
    Guardian.update(email="marc.nouveau@example.org").where(Guardian.id == marc.id).execute()
    staff_post(app, base, family)
    again = invitation_paths(mailbox, "marc.nouveau@example.org")[-1]

    old = app.test_client()
    page = old.get(first)
    assert page.status_code == 400
    response = old.post(first, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                     "csrf_token": csrf_from(old.get("/connexion"))})
    assert response.status_code == 400
    assert User.get(User.guardian == marc).password_hash == ""
    # The new link, at the corrected address, works (once).
    new = app.test_client()
    page = new.get(again)
    assert page.status_code == 200
    response = new.post(again, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                     "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303
    assert app.test_client().get(again).status_code == 400
    assert AuthActions(app.test_client()).login("marc.nouveau@example.org",
                                                NEW_PASSWORD).status_code == 303


# --- The bank's return file ------------------------------------------------------------

def camt(entries):
    return (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">'
            b"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>AVIS-1</MsgId></GrpHdr>"
            b"<Ntfctn><Id>N1</Id>" + entries + b"</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>")


def returned(e2e, amount="1.00", code="AM04"):
    return (f"<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>"
            f"<AmtDtls><InstdAmt><Amt Ccy=\"EUR\">{amount}</Amt></InstdAmt></AmtDtls>"
            f"<RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf></TxDtls></NtryDtls>").encode()


def upload(app, data):
    """The agent uploads ``data`` on the matrix's collection (debit MATRICE-1, 1,00 €):
    ``(response, the dry run's page text or the field's error)``."""
    ids = objects(app)
    client = client_as(app, "agent")
    url = f"/agents/facturation/prelevements/{ids['collection']}/retour"
    response = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client), "fichier": (io.BytesIO(data), "retour.xml")})
    assert response.status_code in (303, 422), response.status_code
    if response.status_code == 422:
        error = re.search(r'id="fichier-error">([^<]+)<', response.get_data(as_text=True))
        assert error, "the refusal is said by the field"
        return response, error.group(1)
    page = client.get(response.location)
    assert page.status_code == 200
    return response, text_of(page.get_data(as_text=True))


def test_entries_nested_in_entries_are_not_read_again_and_again(app, db):
    """Hole: each ``Ntry`` read every ``TxDtls`` below it, its nested ``Ntry``'s too: one
    debit under 300 nested entries gave 300 lines (and 5 MB of them hours of CPU: the
    reading was quadratic). Only the schema's path (Ntfctn/Ntry/NtryDtls/TxDtls) is read."""
    depth = 300
    data = camt(b"<Ntry>" * depth + returned("MATRICE-1") + b"</Ntry>" * depth)
    kind, _, lines = bank_returns.parse(data)
    assert kind == bank_returns.CAMT054 and len(lines) <= 1


def test_a_deeply_nested_file_is_read_in_linear_time(app, db):
    depth = 200_000
    data = camt(b"<Ntry>" * depth + returned("MATRICE-1") + b"</Ntry>" * depth)
    started = time.monotonic()
    response, said = upload(app, data)
    assert time.monotonic() - started < 30
    assert response.status_code == 422 and "aucun prélèvement rejeté" in said


def test_a_camt_with_thousands_of_entries_is_checked(app, db):
    """3,000 returned debits (a large commune's collection): the dry run lists them."""
    entries = b"".join(b"<Ntry>" + returned(f"INCONNU-{n}") + b"</Ntry>" for n in range(3000))
    response, said = upload(app, camt(entries + b"<Ntry>" + returned("MATRICE-1")
                                      + b"</Ntry>"))
    assert response.status_code == 303
    assert "1 à enregistrer, 3000 laissé(s) de côté" in said


def test_a_camt_with_more_entries_than_any_collection_is_refused_in_french(app, db):
    """Bounded: 40,000 distinct references (under 5 MB) were looked up in one query
    (a 40,000-parameter IN, at the mercy of the database's limit) and gave a dry run
    page of 40,000 lines, read again on every visit. More returned debits than any
    collection holds is now refused by the field; lookups go by chunks."""
    entries = b"".join(b"<Ntry><NtryDtls><TxDtls><Refs><EndToEndId>X%d</EndToEndId></Refs>"
                       b"<RtrInf/></TxDtls></NtryDtls></Ntry>" % n for n in range(40_000))
    data = camt(entries)
    assert len(data) < bank_returns.MAX_FILE_BYTES
    response, said = upload(app, data)
    assert response.status_code == 422 and "rejets" in said


@pytest.mark.parametrize("amount", ["١.٠٠", "１.００", "1_0.0", "1.00.0", "1e0", "-1.00"])
def test_an_amount_that_is_not_plain_digits_is_left_out(app, db, amount):
    """Hole (low): Decimal read "١.٠٠" (Arabic-Indic digits) and "1_0" as numbers, so a
    garbled amount could match. An amount the bank gives must read as ISO 20022 digits,
    else the line is left out for a rejection by hand."""
    response, said = upload(app, camt(b"<Ntry>" + returned("MATRICE-1", amount) + b"</Ntry>"))
    assert response.status_code == 303
    assert "0 à enregistrer, 1 laissé(s) de côté" in said, said
    assert "montant" in said


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<Document><CstmrPmtStsRpt>&lol3;</CstmrPmtStsRpt></Document>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b"<Document><CstmrPmtStsRpt>&x;</CstmrPmtStsRpt></Document>")


@pytest.mark.parametrize("data", [
    BOMB, XXE, b"\x00" * 1000, b"\xff\xfe<\x00D\x00", "<Document>é</Document>".encode("latin-1"),
    b"<Document><CstmrPmtStsRpt>" * 50, b"<" + b"a" * 100_000,
    b"<Document/>" + b" " * (5 * 1024 * 1024), camt(b"<Ntry>" + returned("x" * 200_000) * 2
                                                 + b"</Ntry>")])
def test_garbled_files_and_xml_bombs_are_refused_in_french(app, db, data):
    """Held: defusedxml refuses DTDs and entities, the size is capped, and every
    refusal is a French message by the field (a long reference is only not found)."""
    response, said = upload(app, data)
    assert response.status_code in (303, 422)
    if response.status_code == 422:
        assert "fichier" in said.lower() or "rejet" in said.lower()


def test_the_amount_of_each_transaction_of_an_entry_is_checked(app, db):
    """Hole: the amount under ``TxDtls/AmtDtls`` was never read (``a or b`` on XML
    elements: one without children is false), so a batch entry's returned debit was
    recorded whatever amount the bank gave. Two debits in one entry, one at 9,99 €."""
    entry = (b'<Ntry><Amt Ccy="EUR">10.99</Amt><NtryDtls>'
             + returned("MATRICE-1", "9.99")[len(b"<NtryDtls>"):-len(b"</NtryDtls>")]
             + returned("AUTRE-1", "1.00")[len(b"<NtryDtls>"):-len(b"</NtryDtls>")]
             + b"</NtryDtls></Ntry>")
    response, said = upload(app, camt(entry))
    assert response.status_code == 303
    assert "0 à enregistrer, 2 laissé(s) de côté" in said
    assert "La banque indique 9,99 €, le débit était de 1,00 €" in said


# --- Régies ----------------------------------------------------------------------------

def regie_form(app):
    client = client_as(app, "admin")
    return client, {"csrf_token": csrf_token(client), "name": "Régie extrascolaire",
                    "invoice_prefix": "CL", "credit_prefix": "ACL", "payfip_client": ""}


@pytest.mark.parametrize("field, value, message", [
    ("payfip_client", "١٢٣٤٥٦", "Le numéro client PayFiP compte 6 chiffres."),
    ("payfip_client", "１２３４５６", "Le numéro client PayFiP compte 6 chiffres."),
    ("invoice_prefix", "F C", "De 1 à 4 lettres majuscules sans accent"),
    ("invoice_prefix", "ÉTÉ", "De 1 à 4 lettres majuscules sans accent"),
    ("invoice_prefix", "X" * 5000, "4 lettres au plus."),
    ("invoice_prefix", "A", "Le préfixe A est celui de la régie"),  # the main one's credits
    ("credit_prefix", "F", "Le préfixe F est celui de la régie"),   # the main one's invoices
    ("credit_prefix", "cl", "Les factures et les avoirs ont chacun leur préfixe."),
    ("name", "  régie DES accueils   PÉRISCOLAIRES ", "Une régie s'appelle déjà"),
    ("name", "   ", "Indiquez le nom de la régie."),
    ("name", "x" * 121, "120 caractères au plus."),
])
def test_a_refused_regie_says_why_by_its_field_and_saves_nothing(app, db, field, value,
                                                                 message):
    """Hole: the PayFiP number was checked with ``\\d``, which takes every script's digits:
    "١٢٣٤٥٦" was saved, and PayFiP refuses every payment of the régie. Held: prefixes
    with spaces, accents or 5,000 letters, those of another régie (either kind),
    a name already taken under other case and spacing."""
    client, data = regie_form(app)
    data[field] = value
    before = Regie.select().count()
    response = client.post("/agents/admin/facturation/regies/nouvelle", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error"[^>]*>(.*?)</', page, re.S)
    assert error and message in html.unescape(error.group(1))
    assert Regie.select().count() == before


@pytest.mark.parametrize("query", ["999999", "١", "0", "-1", "1 OR 1=1", "x" * 5000, ""])
def test_an_unknown_regie_is_a_404_on_the_exports_and_its_page(app, db, query):
    client = client_as(app, "agent")
    for kind in ("factures", "paiements"):
        response = client.get(f"/agents/facturation/export/{kind}.csv",
                              query_string={"regie": query})
        assert response.status_code == (200 if query == "" else 404)
    admin = client_as(app, "admin")
    assert admin.get(f"/agents/admin/facturation/regies/{query or 0}/modifier"
                     ).status_code == 404


def test_the_creditor_identifier_takes_ascii_digits_only():
    """Hole (found on the way): the ICS check read "FR٧٢ZZZ123456" as valid (``\\d`` and
    ``int()`` take Arabic-Indic digits), and the pain.008 would carry it to the bank."""
    assert mandates.valid_creditor_id("FR72ZZZ123456")
    assert not mandates.valid_creditor_id("FR٧٢ZZZ123456")
    assert not mandates.valid_creditor_id("FR72ZZZ١٢٣٤٥٦")


# --- A login per guardian: what held --------------------------------------------------

KARIM = "famille 16123 (Karim)"


def test_a_removed_guardians_session_is_dead_at_once(app, db):
    """Karim is signed in (page open, CSRF token in hand) when staff remove his access:
    his next page and his next write go to the sign-in page; Nadia's session lives on."""
    family = Family.get(Family.account_number == 16123)
    karim_guardian = Guardian.get(Guardian.first_name == "Karim")
    karim, nadia = signed_in(app, KARIM), signed_in(app, "famille 16123")
    token = csrf_from(karim.get("/mon-dossier/"))
    staff_post(app, f"/agents/familles/{family.id}/responsables/{karim_guardian.id}/acces/"
                    "retirer", family, motif="Décision du juge")
    for response in (karim.get("/mon-dossier/"), karim.get("/planning/"),
                     karim.post("/messagerie/envoyer", data={
                         "csrf_token": token, "service": "ALAE - Restauration",
                         "theme": "Informations", "subject": "s", "body": "b"})):
        assert response.status_code in (302, 303, 401)
        assert "/connexion" in response.headers.get("Location", response.headers.get(
            "HX-Redirect", ""))
    assert AuthActions(app.test_client()).login(KARIM).status_code == 401
    assert nadia.get("/mon-dossier/").status_code == 200


def test_the_second_guardian_cannot_invite_the_first_nor_anyone_else(app, db):
    """Karim (guardian 2 of 16123): inviting Nadia (active) is refused with a message,
    a guardian of another family is a 404; nothing is sent, no account is made."""
    karim = signed_in(app, KARIM)
    page = karim.get("/mon-dossier/").get_data(as_text=True)
    nadia = Guardian.get(Guardian.first_name == "Nadia")
    marc = Guardian.get(Guardian.first_name == "Marc")
    users, mails = User.select().count(), OutgoingEmail.select().count()
    response = karim.post(f"/mon-dossier/responsables/{nadia.id}/acces",
                          data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert "Vous ne pouvez pas donner d'ici accès" in html.unescape(
        karim.get(response.location).get_data(as_text=True))
    assert karim.post(f"/mon-dossier/responsables/{marc.id}/acces",
                      data={"csrf_token": csrf_from(page)}).status_code == 404
    # No family route removes an access: the staff's is a 404 for him.
    family = Family.get(Family.account_number == 16123)
    assert karim.post(f"/agents/familles/{family.id}/responsables/{nadia.id}/acces/retirer",
                      data={"csrf_token": csrf_from(page), "motif": ""}).status_code == 404
    assert (User.select().count(), OutgoingEmail.select().count()) == (users, mails)
    assert User.get(User.email == "famille.bernard@example.org").is_active


def test_an_invitation_to_another_familys_address_is_refused(app, db):
    """Marc's email (16122) is set to Nadia's sign-in address (16123), in other case and
    with spaces: Julie's invitation is refused by name, no account is made."""
    marc = Guardian.get(Guardian.first_name == "Marc")
    Guardian.update(email="  Famille.BERNARD@example.org ").where(
        Guardian.id == marc.id).execute()
    julie = signed_in(app, "famille 16122")
    page = julie.get("/mon-dossier/").get_data(as_text=True)
    response = julie.post(f"/mon-dossier/responsables/{marc.id}/acces",
                          data={"csrf_token": csrf_from(page)})
    assert "L'adresse famille.bernard@example.org est déjà celle d'un autre compte" in \
        html.unescape(julie.get(response.location).get_data(as_text=True))
    assert not User.select().where(User.guardian == marc).exists()


def test_an_expired_invitation_and_one_opened_by_another_family(app, db, mailbox):
    """The link expires (INVITATION_MAX_AGE); opened by a signed-in family (16123) it
    sets Marc's password but the session stays 16123's and shows nothing of 16122."""
    julie = signed_in(app, "famille 16122")
    marc = Guardian.get(Guardian.first_name == "Marc")
    julie.post(f"/mon-dossier/responsables/{marc.id}/acces",
               data={"csrf_token": csrf_from(julie.get("/mon-dossier/"))})
    link = invitation_paths(mailbox, "marc.dupont@example.org")[-1]
    app.config["INVITATION_MAX_AGE"] = -1
    assert app.test_client().get(link).status_code == 400
    app.config["INVITATION_MAX_AGE"] = 7 * 24 * 3600
    other = signed_in(app, "famille 16123")
    page = other.get(link)
    assert page.status_code == 200
    other.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    dossier = html.unescape(other.get("/mon-dossier/").get_data(as_text=True))
    assert "16123" in dossier and "LENA" not in dossier
    assert other.get(link).status_code == 400  # used


# --- Every staff write on these features names its agent in the journal -------------

def test_each_staff_write_of_these_features_is_audited_under_its_agent(app, db):
    family = Family.get(Family.account_number == 16122)
    marc = Guardian.get(Guardian.first_name == "Marc")
    agent = User.get(User.email == "agent@mairie.example.org")
    admin = User.get(User.email == "admin@mairie.example.org")
    base = f"/agents/familles/{family.id}/responsables/{marc.id}/acces"
    assert staff_post(app, base, family).status_code == 303
    assert staff_post(app, base + "/retirer", family, motif="Séparation").status_code == 303
    client, data = regie_form(app)
    assert client.post("/agents/admin/facturation/regies/nouvelle", data=data
                       ).status_code == 303
    regie = Regie.get(Regie.name == "Régie extrascolaire")
    data["name"] = "Régie des mercredis"
    assert client.post(f"/agents/admin/facturation/regies/{regie.id}/modifier", data=data
                       ).status_code == 303
    ids = objects(app)
    staff = client_as(app, "agent")
    response = staff.post(
        f"/agents/facturation/prelevements/{ids['collection']}/retour",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(staff), "fichier": (io.BytesIO(
            camt(b"<Ntry>" + returned("MATRICE-1") + b"</Ntry>")), "retour.xml")})
    assert staff.post(response.location, data={"csrf_token": csrf_token(staff)}
                      ).status_code == 303
    assert staff.post(f"/agents/presences/maladie/{ids['illness_mark']}", data={
        "csrf_token": csrf_token(staff), "decision": "refuser"}).status_code in (302, 303)
    expected = {audit.ILLNESS_REVIEWED: agent, audit.GUARDIAN_ACCESS_GIVEN: agent, audit.GUARDIAN_ACCESS_REMOVED: agent,
                audit.REGIE_CREATED: admin, audit.REGIE_UPDATED: admin,
                audit.DEBIT_RETURN_IMPORTED: agent, "debit.rejected": agent}
    for action, who in expected.items():
        rows = list(AuditLog.select().where(AuditLog.action == action))
        assert len(rows) == 1 and rows[0].user_id == who.id, action
    removed = AuditLog.get(AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED)
    assert removed.family_id == family.id and "Séparation" in removed.details


@pytest.mark.parametrize("kind", ["factures", "paiements"])
def test_a_regies_csv_neutralises_formulas_and_has_one_charset(app, db, kind):
    """Held: one régie's export writes a family name that is a formula as text, in UTF-8
    with one BOM, said once in the header; the file is named by the régie's prefix."""
    ids = objects(app)
    Family.update(name="=HYPERLINK(\"http://x\";\"é\")").where(
        Family.account_number == 16122).execute()
    client = client_as(app, "agent")
    main = Regie.select().order_by(Regie.id).first()
    response = client.get(f"/agents/facturation/export/{kind}.csv",
                          query_string={"regie": main.id, "du": "2026-01-01",
                                        "au": "2027-12-31"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f"{kind}-{main.invoice_prefix}-" in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith("\ufeff".encode()) and body.count("\ufeff".encode()) == 1
    text = body.decode("utf-8")
    if kind == "factures" or ids["payment"]:
        assert ";'=HYPERLINK(" in text or ";\"'=HYPERLINK(" in text
    assert ";=HYPERLINK" not in text and ";\"=HYPERLINK" not in text


def test_two_regies_saved_at_once_cannot_cross_their_prefixes(app, db, monkeypatch):
    """Hole (PostgreSQL): two administrateurs saving at once « R / S » and « S / R » both
    passed the check (each read before the other wrote, and no unique index spans the
    two columns): S then numbered one's credit notes and the other's invoices, in one
    counter, so neither series ran without gaps. Régie writes now take the main
    régie's row lock first."""
    postgres_only(app)
    checked = regies._checked

    def slow_check(*args):
        values = checked(*args)
        time.sleep(0.5)  # both read before either writes
        return values
    monkeypatch.setattr(regies, "_checked", slow_check)
    with app.app_context():
        admin = User.get(User.email == "admin@mairie.example.org")
        regies.main_regie()
    pairs = [("Régie une", "R", "S"), ("Régie deux", "S", "R")]

    def save(index):
        name, invoice, credit = pairs[index]
        return regies.create_regie(admin, name, invoice, credit, "", []).name
    results = parallel(app, 2, save)
    assert sorted(str(r) for r in results).count("Régie une") + \
        sorted(str(r) for r in results).count("Régie deux") == 1, results
    assert any("est celui de la régie" in str(r) for r in results), results


def test_a_removed_guardian_keeps_no_calendar_address(app, db):
    """Hole: the family's private calendar address (PLANNING › agenda) is the family's,
    and a bearer key. Karim copied it while he had access; after staff removed it (a
    judge's decision, say) his calendar app kept reading where and when the children
    are, for ever. Removing an access now revokes the family's address (410); Nadia
    makes a new one from PLANNING, which Karim cannot see."""
    family = Family.get(Family.account_number == 16123)
    karim = signed_in(app, KARIM)
    page = karim.get("/planning/agenda").get_data(as_text=True)
    karim.post("/planning/agenda/renouveler", data={"renouveler-csrf_token": csrf_from(page)})
    token = CalendarFeed.get(CalendarFeed.family == family).token
    outside = app.test_client()
    assert outside.get(f"/agenda/{token}.ics").status_code == 200
    karim_guardian = Guardian.get(Guardian.first_name == "Karim")
    response = staff_post(app, f"/agents/familles/{family.id}/responsables/"
                               f"{karim_guardian.id}/acces/retirer", family, motif="Juge")
    assert response.status_code == 303
    assert outside.get(f"/agenda/{token}.ics").status_code == 410
    removed = AuditLog.get(AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED)
    assert "agenda" in removed.details
    nadia = signed_in(app, "famille 16123")
    page = nadia.get("/planning/agenda").get_data(as_text=True)
    nadia.post("/planning/agenda/renouveler", data={"renouveler-csrf_token": csrf_from(page)})
    fresh = CalendarFeed.get((CalendarFeed.family == family)
                             & CalendarFeed.revoked_at.is_null())
    assert outside.get(f"/agenda/{fresh.token}.ics").status_code == 200


# --- PLANNING: illness cells ------------------------------------------------------------

ILL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def declare_ill(client, booking):
    page = client.get("/planning/malade").get_data(as_text=True)
    return client.post("/planning/malade", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "jour": str(booking.id),
        "certificat": (io.BytesIO(ILL_PDF), "certificat.pdf")})


def hugo_matin(day):
    return Booking.get((Booking.child == demo_child("HUGO"))
                       & (Booking.activity == activity("ALAE Matin")) & (Booking.date == day))


def test_a_day_staff_reviewed_or_saw_present_cannot_be_declared_again(app, db):
    """Hole: « Mon enfant est malade » posted again for a day already declared reset it:
    a certificate staff had refused (the day billed) went back to « en attente » with a
    new file, the refusal wiped; and a day staff had ticked « présent » (the child came)
    became « excusé, malade ». The page offers neither; the POST now refuses both."""
    app.config["PORTAIL_TODAY"] = "2027-01-14T07:30"
    thursday, friday = datetime.date(2027, 1, 14), datetime.date(2027, 1, 15)
    nadia = signed_in(app, "famille 16123")
    assert declare_ill(nadia, hugo_matin(friday)).status_code == 303
    mark = Attendance.get((Attendance.child == demo_child("HUGO")) & (Attendance.date == friday))
    agent = User.get(User.email == "agent@mairie.example.org")
    illness.review(mark.id, False, agent)
    again = declare_ill(nadia, hugo_matin(friday))
    assert again.status_code == 400
    assert "déjà" in html.unescape(again.get_data(as_text=True))
    assert Attendance.get_by_id(mark.id).illness == Attendance.ILLNESS_REFUSED

    Attendance.create(child=demo_child("HUGO"), activity=activity("ALAE Matin"),
                      date=thursday, status=Attendance.PRESENT, marked_by=agent)
    present = declare_ill(nadia, hugo_matin(thursday))
    assert present.status_code == 400
    assert Attendance.get((Attendance.child == demo_child("HUGO"))
                          & (Attendance.date == thursday)).status == Attendance.PRESENT


@pytest.mark.parametrize("name", ["Régie 🦄 des 𝔐ercredis", "Régie \u202etxet\u202c ١٢ 漢字",
                                  "<b>Régie</b> & « ÉTÉ » \u0301"])
def test_an_invoice_pdf_of_a_regie_with_any_name_is_made(app, db, name):
    """Held: a régie named with emoji, bidi controls, other scripts or markup: its
    invoices' PDF is made, for staff and the family (glyphs the font lacks are left
    out, nothing is interpreted)."""
    ids = objects(app)
    client, data = regie_form(app)
    main = Regie.select().order_by(Regie.id).first()
    Regie.create(name="Régie seconde", invoice_prefix="Q", credit_prefix="QA")
    data.update(name=name, invoice_prefix=main.invoice_prefix,
                credit_prefix=main.credit_prefix)
    saved = client.post(f"/agents/admin/facturation/regies/{main.id}/modifier", data=data)
    assert saved.status_code == 303, saved.get_data(as_text=True)[-2000:]
    for who, url in (("agent", f"/agents/facturation/factures/{ids['invoice']}.pdf"),
                     ("owner", f"/facturation/factures/{ids['invoice']}.pdf")):
        response = client_as(app, who).get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
