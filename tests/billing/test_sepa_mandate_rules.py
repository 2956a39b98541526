"""A SEPA mandate: the IBAN and BIC checked with a French message by the field, the
holder's name (70 characters), a signature date never in the future, a new unique
reference (RUM) per mandate, the mandate in force revoked by the next one, each step
audited with the IBAN masked; its PDF says the SEPA form's mentions; two rejected
debits suspend it."""
import datetime
import io

import pypdf
import pytest

from domain import audit, clock
from domain.billing import mandates
from domain.billing.mandates import MandateError
from models import AuditLog, Family, Mandate, User

NOW = datetime.datetime(2027, 2, 1, 9, 0, tzinfo=clock.PARIS)
IBAN = "fr76 3000 6000 0112\t3456 7890 189"
COMPACT = "FR7630006000011234567890189"


def bernard():
    return Family.get(Family.account_number == 16123)


def agent():
    return User.get(User.email == "agent@mairie.example.org")


def refusal(**fields):
    arguments = dict(family_id=bernard().id, holder="BERNARD Sophie", iban_text=IBAN,
                     bic_text="", actor=None, now=NOW)
    arguments.update(fields)
    with pytest.raises(MandateError) as refused:
        mandates.sign(**arguments)
    assert Mandate.select().count() == 0
    return str(refused.value), refused.value.field


def summaries(action):
    return [audit.details_of(e) for e in AuditLog.select().where(AuditLog.action == action)
            .order_by(AuditLog.id)]


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    return " ".join(text.split())


@pytest.mark.parametrize("iban, message", [
    ("", "Indiquez l'IBAN du compte à débiter."),
    (None, "Indiquez l'IBAN du compte à débiter."),
    (" \t ", "Indiquez l'IBAN du compte à débiter."),
    ("FR7630006000011234567890188", "Cet IBAN est faux (sa clé de contrôle ne correspond pas) "
                                    ": vérifiez-le sur votre RIB."),
    ("ZZ7630006000011234567890189", "Cet IBAN ne commence pas par un code de pays connu "
                                    "(FR76… pour un compte en France)."),
    ("FR761234", "Cet IBAN n'a pas la forme d'un IBAN (FR76 suivi de 23 caractères pour un "
                 "compte en France) : vérifiez-le sur votre RIB."),
    ("BR1800360305000010009795493C1", "Le prélèvement n'est possible que sur un compte de la "
                                      "zone SEPA."),
])
def test_a_wrong_iban_is_refused_next_to_the_iban(db, iban, message):
    assert refusal(iban_text=iban) == (message, "iban")


@pytest.mark.parametrize("bic", ["AGRIFRPP1", "AGRI FRP", "12RIFRPPXXX", "AGRIFRPPXXXX"])
def test_a_bic_not_of_8_or_11_characters_is_refused_next_to_the_bic(db, bic):
    assert refusal(bic_text=bic) == ("Ce BIC n'a pas la forme d'un BIC (8 ou 11 caractères, "
                                     "par exemple AGRIFRPPXXX).", "bic")


@pytest.mark.parametrize("holder, message", [
    ("  ", "Indiquez le nom du titulaire du compte."),
    (None, "Indiquez le nom du titulaire du compte."),
    ("B" * 71, "70 caractères au plus pour le titulaire du compte."),
])
def test_the_holder_is_required_and_70_characters_at_most(db, holder, message):
    assert refusal(holder=holder) == (message, "holder")
    mandate = mandates.sign(bernard().id, "B" * 70, IBAN, "", None, NOW)
    assert Mandate.get_by_id(mandate.id).holder == "B" * 70


def test_a_signature_date_in_the_future_is_refused(db):
    assert refusal(signed_on=datetime.date(2027, 2, 2)) == (
        "La date de signature ne peut pas être dans le futur.", "signed_on")


def test_an_online_mandate_keeps_the_iban_compact_the_bic_found_and_the_consent(db):
    mandate = mandates.sign(bernard().id, "  BERNARD   Sophie ", IBAN, "", None, NOW,
                            consent_address="2001:db8::" + "1" * 80)
    mandate = Mandate.get_by_id(mandate.id)
    assert (mandate.rum, mandate.holder, mandate.iban, mandate.bic) == \
        ("PF-16123-1", "BERNARD Sophie", COMPACT, "AGRIFRPPXXX")
    assert mandate.signed_on == datetime.date(2027, 2, 1)
    assert mandate.signed_at == datetime.datetime(2027, 2, 1, 8, 0)
    assert mandate.signature == Mandate.ONLINE and mandate.status == Mandate.ACTIVE
    assert mandate.consent_address == ("2001:db8::" + "1" * 80)[:64]
    assert mandates.active_mandate(bernard().id).id == mandate.id
    [signed] = summaries(audit.MANDATE_SIGNED)
    assert signed["summary"] == "Mandat PF-16123-1 (en ligne) sur le compte FR76 •••• •••• 0189"
    assert signed["after"] == {"rum": "PF-16123-1", "signature": Mandate.ONLINE,
                               "iban": "FR76 •••• •••• 0189"}


def test_a_bic_typed_is_kept_in_capitals_and_an_unknown_bank_gives_none(db):
    typed = mandates.sign(bernard().id, "BERNARD Sophie", IBAN, " bnpa frpp ", None, NOW)
    assert Mandate.get_by_id(typed.id).bic == "BNPAFRPP"
    swiss = mandates.sign(bernard().id, "BERNARD Sophie", "CH9300762011623852957", "", None, NOW)
    assert Mandate.get_by_id(swiss.id).bic == ""


def test_a_paper_mandate_recorded_by_staff_keeps_its_signature_day(db):
    mandate = mandates.sign(bernard().id, "BERNARD Sophie", IBAN, "AGRIFRPPXXX", agent(), NOW,
                            signature=Mandate.PAPER, signed_on=datetime.date(2027, 1, 20))
    mandate = Mandate.get_by_id(mandate.id)
    assert mandate.signed_on == datetime.date(2027, 1, 20) and mandate.signed_by_id == agent().id
    assert mandate.signature == Mandate.PAPER
    [signed] = summaries(audit.MANDATE_SIGNED)
    assert signed["summary"] == "Mandat PF-16123-1 (papier) sur le compte FR76 •••• •••• 0189"
    assert AuditLog.get(AuditLog.action == audit.MANDATE_SIGNED).user_id == agent().id
    text = pdf_text(mandates.mandate_pdf(mandate, "Mairie de Villeneuve", "", ""))
    assert "Mandat papier signé le 20/01/2027." in text
    assert "Identifiant créancier SEPA (ICS) : à compléter par la commune" in text
    assert "Créancier : Mairie de Villeneuve Débiteur : BERNARD Sophie" in text


def test_a_new_iban_revokes_the_mandate_in_force_and_makes_a_new_reference(db):
    first = mandates.sign(bernard().id, "BERNARD Sophie", IBAN, "", None, NOW)
    later = NOW + datetime.timedelta(days=3)
    second = mandates.sign(bernard().id, "BERNARD Sophie", "GB33BUKB20201555555555", "", None,
                           later)
    first, second = Mandate.get_by_id(first.id), Mandate.get_by_id(second.id)
    assert first.status == Mandate.REVOKED
    assert first.revoked_at == datetime.datetime(2027, 2, 4, 8, 0)
    assert (second.rum, second.status, second.bic) == ("PF-16123-2", Mandate.ACTIVE, "BUKBGB22")
    assert [m.id for m in mandates.family_mandates(bernard().id)] == [second.id, first.id]
    assert mandates.active_mandate(bernard().id).id == second.id
    assert summaries(audit.MANDATE_SIGNED)[-1]["summary"] == (
        "Mandat PF-16123-2 (en ligne) sur le compte GB33 •••• •••• 5555, "
        "remplace le mandat PF-16123-1")


def test_revoking_stops_the_mandate_and_is_audited_once(db):
    assert mandates.revoke(bernard().id, None, NOW) is None
    mandate = mandates.sign(bernard().id, "BERNARD Sophie", IBAN, "", None, NOW)
    revoked = mandates.revoke(bernard().id, agent(), NOW + datetime.timedelta(hours=1))
    assert revoked.id == mandate.id and revoked.status == Mandate.REVOKED
    assert revoked.revoked_at == datetime.datetime(2027, 2, 1, 9, 0)
    assert mandates.active_mandate(bernard().id) is None
    assert mandates.revoke(bernard().id, agent(), NOW) is None
    [entry] = summaries(audit.MANDATE_REVOKED)
    assert entry["summary"] == "Mandat PF-16123-1 révoqué"
    assert entry["before"] == {"status": Mandate.ACTIVE}
    assert entry["after"] == {"status": Mandate.REVOKED}
    revoked_entry = AuditLog.get(AuditLog.action == audit.MANDATE_REVOKED)
    assert (revoked_entry.family_id, revoked_entry.user_id) == (bernard().id, agent().id)
    text = pdf_text(mandates.mandate_pdf(revoked, "Mairie", "FR72ZZZ123456", ""))
    assert "Ce mandat est révoqué." in text


def test_a_mandate_belongs_to_its_family_only(db):
    mandate = mandates.sign(bernard().id, "BERNARD Sophie", IBAN, "", None, NOW)
    assert mandates.mandate_of_family(mandate.id, bernard().id).id == mandate.id
    other = Family.select().where(Family.id != bernard().id).first()
    with pytest.raises(LookupError):
        mandates.mandate_of_family(mandate.id, other.id)


def test_the_online_mandate_pdf_says_the_sepa_mentions_and_the_paris_time_of_consent(db):
    mandate = mandates.sign(bernard().id, "BERNARD Sophie", IBAN, "", None, NOW,
                            consent_address="203.0.113.7")
    text = pdf_text(mandates.mandate_pdf(Mandate.get_by_id(mandate.id), "Mairie de Villeneuve",
                                         "FR72ZZZ123456", "1 place de la Mairie"))
    assert text.startswith("Mandat de prélèvement SEPA Référence unique du mandat")
    assert "BIC : AGRIFRPPXXX Type de paiement : récurrent En signant" in text
    for line in ("Référence unique du mandat (RUM) : PF-16123-1",
                 "Identifiant créancier SEPA (ICS) : FR72ZZZ123456",
                 "Créancier : Mairie de Villeneuve, 1 place de la Mairie",
                 "Débiteur : BERNARD Sophie", f"IBAN : {COMPACT}", "BIC : AGRIFRPPXXX",
                 "Type de paiement : récurrent",
                 "vous autorisez Mairie de Villeneuve à envoyer des instructions",
                 "conformément aux instructions de Mairie de Villeneuve.",
                 "Signé en ligne le 01/02/2027 (consentement enregistré le 01/02/2027 à 09:00, "
                 "depuis 203.0.113.7)."):
        assert line in text
    assert "Ce mandat est" not in text
    no_bic = mandates.sign(bernard().id, "BERNARD Sophie", "CH9300762011623852957", "", None, NOW)
    text = pdf_text(mandates.mandate_pdf(Mandate.get_by_id(no_bic.id), "Mairie", "", ""))
    assert "BIC : -" in text and "Signé en ligne le 01/02/2027 (consentement enregistré le " \
        "01/02/2027 à 09:00)." in text


def test_the_second_rejected_debit_suspends_the_mandate(db):
    mandate = mandates.sign(bernard().id, "BERNARD Sophie", IBAN, "", None, NOW)
    once = mandates.record_rejection(mandate.id)
    assert (once.rejections, once.status) == (1, Mandate.ACTIVE)
    twice = mandates.record_rejection(mandate.id)
    assert (twice.rejections, twice.status) == (2, Mandate.SUSPENDED)
    text = pdf_text(mandates.mandate_pdf(twice, "Mairie", "", ""))
    assert "Ce mandat est suspendu." in text


def test_a_revoked_mandate_rejected_twice_stays_revoked(db):
    mandate = mandates.sign(bernard().id, "BERNARD Sophie", IBAN, "", None, NOW)
    mandates.revoke(bernard().id, None, NOW)
    mandates.record_rejection(mandate.id)
    assert mandates.record_rejection(mandate.id).status == Mandate.REVOKED


@pytest.mark.parametrize("ics, valid", [("FR72ZZZ123456", True), ("fr72 zzz 123456", True),
                                        ("FR73ZZZ123456", False), ("FR72ZZZ", False),
                                        (None, False), ("FR72ZZZ12345", False)])
def test_the_creditor_identifier_is_checked_with_its_key(ics, valid):
    assert mandates.valid_creditor_id(ics) is valid


def test_another_familys_mandate_is_left_alone(db):
    other = Family.select().where(Family.id != bernard().id).order_by(Family.id).first()
    theirs = mandates.sign(other.id, "AUTRE Nom", "GB33BUKB20201555555555", "", None, NOW)
    first = mandates.sign(bernard().id, "BERNARD Sophie", IBAN, "", None, NOW)
    assert first.rum == "PF-16123-1"
    second = mandates.sign(bernard().id, "BERNARD Sophie", "CH9300762011623852957", "", None, NOW)
    assert second.rum == "PF-16123-2"
    assert mandates.revoke(bernard().id, None, NOW).id == second.id
    mandates.record_rejection(second.id)
    mandates.record_rejection(second.id)
    assert [m.id for m in mandates.family_mandates(bernard().id)] == [second.id, first.id]
    theirs = Mandate.get_by_id(theirs.id)
    assert (theirs.status, theirs.rejections, theirs.revoked_at) == (Mandate.ACTIVE, 0, None)
    assert mandates.active_mandate(other.id).id == theirs.id
    assert [m.id for m in mandates.family_mandates(other.id)] == [theirs.id]
