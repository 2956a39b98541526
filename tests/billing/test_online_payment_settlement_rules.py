"""How an online attempt is settled from PayFiP's answer, at each boundary: P or V pays
only when amount, reference, client number and idOp all match; R or Z is refused, A
cancelled, anything else leaves the attempt waiting; an idOp without result expires at
15 minutes exactly; a payment of an invoice already settled, or of more than it still
owes, counts and is flagged for refund; what the family reads after each outcome.

A stand-in for PayFiP's web service answers here, so that each answer can be chosen."""
import datetime
from types import SimpleNamespace

import pytest

from domain.billing import payments
from domain.billing.adjustments import record_counter_payment
from domain.billing.invoicing import due_cents_of
from domain.billing.payfip import PayFiPError
from models import Family, Invoice, Payment, User
from tests.billing_support import october_invoice

NOW = datetime.datetime(2026, 11, 26, 10, tzinfo=datetime.timezone.utc)
NUMCLI = "123456"


class FakePayFiP:
    """Answers ``read_result`` with ``detail`` (or raises ``error``); records operations."""

    def __init__(self, detail=None, error=None, idop="OP1"):
        self.settings = SimpleNamespace(numcli=NUMCLI)
        self.detail, self.error, self.idop = detail, error, idop
        self.created, self.reads = [], 0

    def for_client(self, numcli):
        """The client of the invoice's régie: the demo's one régie has the portal's
        number, so the same fake answers."""
        assert numcli == self.settings.numcli
        return self

    def create_operation(self, amount_cents, refdet, email, exer, objet):
        if self.error:
            raise self.error
        self.created.append((amount_cents, refdet, email, exer, objet))
        return f"{self.idop}-{len(self.created)}"

    def read_result(self, idop):
        self.reads += 1
        if self.error:
            raise self.error
        return self.detail


def detail(**fields):
    values = {"resultrans": "P", "montant": "4600", "refdet": "F202600002", "numcli": NUMCLI,
              "idOp": "OP1", "numauto": "A1B2C3", "dattrans": "26112026", "heurtrans": "1000"}
    values.update(fields)
    return SimpleNamespace(**values)


def attempt(invoice, amount=4600, idop="OP1", expires=NOW + datetime.timedelta(minutes=15),
            status=Payment.PENDING, provider=Payment.ONLINE):
    return Payment.create(invoice=invoice, amount_cents=amount, transaction_id=idop,
                          status=status, provider=provider, refdet="F202600002",
                          created_at=NOW.replace(tzinfo=None),
                          expires_at=expires.replace(tzinfo=None) if expires else None)


def family():
    return Family.get(Family.account_number == 16123)


def agent():
    return User.get(User.email == "agent@mairie.example.org")


NOTE = ("resultrans=P montant=4600 refdet=F202600002 numauto=A1B2C3 dattrans=26112026 "
        "heurtrans=1000")


@pytest.mark.parametrize("code", ["P", "V"])
def test_a_matching_p_or_v_result_pays_the_invoice_with_its_authorisation_number(db, code):
    invoice = october_invoice()
    payment = payments.check_payment(FakePayFiP(detail(resultrans=code)),
                                     attempt(invoice).id, NOW)
    assert payment.status == Payment.PAID
    assert payment.outcome == NOTE.replace("resultrans=P", f"resultrans={code}")
    assert payment.reference == "A1B2C3"
    assert payment.verified_at == payment.checked_at == NOW.replace(tzinfo=None)
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    assert due_cents_of(invoice.id)[1] == 0


def test_fields_are_compared_without_surrounding_spaces_and_an_empty_numcli_or_idop_passes(db):
    invoice = october_invoice()
    answer = detail(montant=" 4600 ", refdet="F202600002 ", numcli="", idOp="", numauto=None)
    payment = payments.check_payment(FakePayFiP(answer), attempt(invoice).id, NOW)
    assert payment.status == Payment.PAID
    assert payment.reference == ""
    assert "numauto= dattrans=" in payment.outcome


@pytest.mark.parametrize("fields, differences", [
    ({"montant": "4599"}, "montant"),
    ({"montant": "46.00"}, "montant"),
    ({"refdet": "F202600003"}, "référence"),
    ({"numcli": "654321"}, "client"),
    ({"idOp": "OP2"}, "idOp"),
    ({"montant": "1", "refdet": "X", "numcli": "9", "idOp": "OP9"},
     "montant, référence, client, idOp"),
])
def test_a_result_that_differs_from_the_attempt_is_an_anomaly_not_a_payment(db, fields,
                                                                           differences):
    invoice = october_invoice()
    payment = payments.check_payment(FakePayFiP(detail(**fields)), attempt(invoice).id, NOW)
    assert payment.status == Payment.ANOMALY
    assert payment.outcome.startswith(f"Différence de {differences} : resultrans=P ")
    assert payment.verified_at is None and payment.reference == ""
    assert Invoice.get_by_id(invoice.id).status == Invoice.ISSUED
    assert due_cents_of(invoice.id)[1] == 4600
    assert [p.id for p in payments.attempts_to_review()] == [payment.id]


@pytest.mark.parametrize("code, status", [("R", Payment.REFUSED), ("Z", Payment.REFUSED),
                                          ("A", Payment.CANCELLED)])
def test_refused_or_cancelled_leaves_the_invoice_owing(db, code, status):
    invoice = october_invoice()
    payment = payments.check_payment(FakePayFiP(detail(resultrans=code)),
                                     attempt(invoice).id, NOW)
    assert payment.status == status
    assert payment.outcome == NOTE.replace("resultrans=P", f"resultrans={code}")
    assert payment.verified_at is None
    assert due_cents_of(invoice.id)[1] == 4600
    assert payments.attempts_to_review() == []


def test_an_unknown_result_leaves_the_attempt_waiting_and_says_so(db):
    invoice = october_invoice()
    payment = payments.check_payment(FakePayFiP(detail(resultrans="X")),
                                     attempt(invoice).id, NOW)
    assert payment.status == Payment.PENDING
    assert payment.outcome == "Résultat inconnu : " + NOTE.replace("resultrans=P",
                                                                   "resultrans=X")
    assert payment.checked_at == NOW.replace(tzinfo=None)


@pytest.mark.parametrize("code, minutes, status", [
    ("P5", 14, Payment.PENDING), ("P5", 15, Payment.EXPIRED), ("P1", 15, Payment.EXPIRED),
    ("P1", 14, Payment.PENDING), ("P2", 30, Payment.PENDING)])
def test_an_attempt_without_result_expires_at_fifteen_minutes_exactly(db, code, minutes,
                                                                     status):
    invoice = october_invoice()
    error = PayFiPError(code, "pas de résultat")
    payment = attempt(invoice)
    now = NOW + datetime.timedelta(minutes=minutes)
    payment = payments.check_payment(FakePayFiP(error=error), payment.id, now)
    assert payment.status == status
    assert payment.outcome == f"recupererDetailPaiementSecurise : {code} pas de résultat"
    assert payment.checked_at == now.replace(tzinfo=None)
    assert due_cents_of(invoice.id)[1] == 4600


def test_an_attempt_without_expiry_and_without_result_expires(db):
    payment = attempt(october_invoice(), expires=None)
    result = payments.check_payment(FakePayFiP(error=PayFiPError("P5", "rien")), payment.id,
                                    NOW)
    assert result.status == Payment.EXPIRED


def test_an_expired_attempt_that_turns_out_paid_pays(db):
    invoice = october_invoice()
    payment = attempt(invoice, status=Payment.EXPIRED)
    assert payments.check_payment(FakePayFiP(detail()), payment.id, NOW).status == Payment.PAID
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID


@pytest.mark.parametrize("status", [Payment.PAID, Payment.REFUSED, Payment.CANCELLED,
                                    Payment.ANOMALY, Payment.FAILED])
def test_a_settled_attempt_is_never_asked_again(db, status):
    payment = attempt(october_invoice(), status=status)
    client = FakePayFiP(detail(resultrans="R"))
    assert payments.check_payment(client, payment.id, NOW).status == status
    assert client.reads == 0


def test_a_counter_payment_is_not_checked_with_payfip(db):
    payment = attempt(october_invoice(), provider=Payment.COUNTER)
    client = FakePayFiP(detail())
    assert payments.check_payment(client, payment.id, NOW).status == Payment.PENDING
    assert client.reads == 0


def test_paying_an_invoice_already_settled_counts_and_is_flagged_as_double(db):
    invoice = october_invoice()
    payment = attempt(invoice)
    record_counter_payment(invoice.id, 4600, "especes", "", agent(), NOW)  # due exactly 0
    payment = payments.check_payment(FakePayFiP(detail()), payment.id, NOW)
    assert payment.status == Payment.PAID
    assert payment.outcome == payments.DOUBLE + NOTE
    assert due_cents_of(invoice.id)[1] == -4600
    assert [p.id for p in payments.attempts_to_review()] == [payment.id]


def test_paying_more_than_still_owed_is_flagged_with_the_exact_surplus(db):
    invoice = october_invoice()
    payment = attempt(invoice)
    record_counter_payment(invoice.id, 1, "especes", "", agent(), NOW)  # 45,99 € left
    payment = payments.check_payment(FakePayFiP(detail()), payment.id, NOW)
    assert payment.status == Payment.PAID
    assert payment.outcome == "Trop-perçu de 0,01\u00a0€ à rembourser. " + NOTE
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    assert [p.id for p in payments.attempts_to_review()] == [payment.id]


def test_staff_review_the_newest_attempt_first(db):
    invoice = october_invoice()
    first = attempt(invoice, idop="OP1")
    payments.check_payment(FakePayFiP(detail(montant="1")), first.id, NOW)
    second = attempt(invoice, idop="OP2")
    Payment.update(created_at=(NOW + datetime.timedelta(hours=1)).replace(tzinfo=None)).where(
        Payment.id == second.id).execute()
    payments.check_payment(FakePayFiP(detail(montant="2", idOp="OP2")), second.id, NOW)
    assert [p.transaction_id for p in payments.attempts_to_review()] == ["OP2", "OP1"]
    Payment.update(created_at=(NOW - datetime.timedelta(hours=1)).replace(tzinfo=None)).where(
        Payment.id == second.id).execute()
    assert [p.transaction_id for p in payments.attempts_to_review()] == ["OP1", "OP2"]


def test_one_cent_left_owing_when_paid_in_full_online_is_a_surplus_not_a_double(db):
    invoice = october_invoice()
    payment = attempt(invoice)
    record_counter_payment(invoice.id, 4599, "especes", "", agent(), NOW)  # 0,01 € left
    payment = payments.check_payment(FakePayFiP(detail()), payment.id, NOW)
    assert payment.outcome == "Trop-perçu de 45,99\u00a0€ à rembourser. " + NOTE


@pytest.mark.parametrize("counter", [4600, 100])
def test_a_flagged_payment_keeps_1000_characters_of_outcome(db, counter):
    invoice = october_invoice()
    payment = attempt(invoice)
    record_counter_payment(invoice.id, counter, "especes", "", agent(), NOW)
    payment = payments.check_payment(FakePayFiP(detail(numauto="9" * 2000)), payment.id, NOW)
    assert payment.status == Payment.PAID
    assert len(payment.outcome) == 1000 and payment.reference == "9" * 120


def test_the_outcome_kept_is_at_most_1000_characters(db):
    payment = attempt(october_invoice())
    long = "Z" * 2000
    payment = payments.check_payment(FakePayFiP(detail(resultrans=long)), payment.id, NOW)
    assert payment.status == Payment.PENDING
    assert len(payment.outcome) == 1000


def test_check_pending_asks_again_for_every_waiting_online_attempt(db):
    invoice = october_invoice()
    attempt(invoice, idop="OP1")
    attempt(invoice, idop="OP2", status=Payment.REFUSED)
    attempt(invoice, idop="OP3", provider=Payment.COUNTER)
    client = FakePayFiP(detail())
    assert payments.check_pending(client, NOW) == {Payment.PAID: 1}
    assert client.reads == 1


def test_starting_a_payment_asks_payfip_for_what_is_due_and_lives_15_minutes(db):
    invoice = october_invoice()
    client = FakePayFiP()
    payment = payments.start_online_payment(client, invoice.id, family().id, None,
                                            "f@example.org", NOW)
    assert client.created == [(4600, "F202600002", "f@example.org", invoice.issued_at.year,
                               "Facture F2026-00002")]
    assert (payment.status, payment.amount_cents, payment.transaction_id, payment.refdet) == (
        Payment.PENDING, 4600, "OP1-1", "F202600002")
    assert payment.expires_at == (NOW + datetime.timedelta(minutes=15)).replace(tzinfo=None)
    assert payment.created_at == NOW.replace(tzinfo=None)
    # one minute before the end the attempt is reused; at the 15th minute it is not
    later = NOW + datetime.timedelta(minutes=14)
    assert payments.start_online_payment(client, invoice.id, family().id, None, "",
                                         later).id == payment.id
    end = NOW + datetime.timedelta(minutes=15)
    assert payments.start_online_payment(client, invoice.id, family().id, None, "",
                                         end).id != payment.id
    assert len(client.created) == 2


def test_a_live_attempt_is_reused_only_for_the_same_amount(db):
    invoice = october_invoice()
    client = FakePayFiP()
    first = payments.start_online_payment(client, invoice.id, family().id, None, "", NOW)
    record_counter_payment(invoice.id, 100, "especes", "", agent(), NOW)
    second = payments.start_online_payment(client, invoice.id, family().id, None, "", NOW)
    assert second.id != first.id and second.amount_cents == 4500
    assert payments.live_attempt(invoice.id, NOW).id == second.id  # the newest


def test_a_provider_refusing_to_start_leaves_a_failed_attempt_and_says_so(db):
    invoice = october_invoice()
    error = PayFiPError("P9", "indisponible")
    client = FakePayFiP(error=error)
    with pytest.raises(payments.ProviderUnavailable) as raised:
        payments.start_online_payment(client, invoice.id, family().id, agent(), "", NOW)
    assert raised.value.__cause__ is error and str(raised.value) == str(error)
    [payment] = Payment.select().where(Payment.invoice == invoice.id)
    assert (payment.status, payment.amount_cents, payment.refdet) == (
        Payment.FAILED, 4600, "F202600002")
    assert payment.outcome == "creerPaiementSecurise : P9 indisponible"
    assert payment.user_id == agent().id
    assert payment.created_at == NOW.replace(tzinfo=None)
    assert payment.transaction_id.startswith("E-")
    assert payments.live_attempt(invoice.id, NOW) is None


def test_a_long_refusal_to_start_is_kept_to_500_characters(db):
    client = FakePayFiP(error=PayFiPError("P9", "x" * 900))
    with pytest.raises(payments.ProviderUnavailable):
        payments.start_online_payment(client, october_invoice().id, family().id, None, "", NOW)
    assert len(Payment.get(Payment.status == Payment.FAILED).outcome) == 500


def test_a_result_without_client_number_or_idop_fields_still_pays(db):
    invoice = october_invoice()
    answer = SimpleNamespace(resultrans="V", montant="4600", refdet="F202600002")
    payment = payments.check_payment(FakePayFiP(answer), attempt(invoice).id, NOW)
    assert payment.status == Payment.PAID
    assert payment.outcome == ("resultrans=V montant=4600 refdet=F202600002 numauto= "
                               "dattrans= heurtrans=")


def test_only_the_familys_own_invoices_can_be_paid_online(db):
    invoice = october_invoice()
    other = Family.select().where(Family.id != invoice.family_id).first()
    with pytest.raises(LookupError) as unknown:
        payments.payable_online(invoice.id, other.id)
    assert unknown.value.args == (invoice.id,)
    assert payments.payable_online(invoice.id, invoice.family_id)[1] == 4600


def test_an_invoice_handed_over_to_the_treasury_cannot_be_paid_here(db):
    invoice = october_invoice()
    Invoice.update(handed_over_at=NOW.replace(tzinfo=None)).where(
        Invoice.id == invoice.id).execute()
    with pytest.raises(payments.PaymentNotPossible) as refused:
        payments.payable_online(invoice.id, invoice.family_id)
    assert str(refused.value) == payments.HANDED_OVER_TEXT.format(number="F2026-00002")


def test_a_settled_invoice_says_it_is_settled_and_under_one_euro_goes_to_the_regie(db):
    invoice = october_invoice()
    record_counter_payment(invoice.id, 4501, "especes", "", agent(), NOW)
    with pytest.raises(payments.PaymentNotPossible) as refused:
        payments.payable_online(invoice.id, invoice.family_id)
    assert str(refused.value) == ("Le paiement en ligne commence à 1,00 € : réglez les "
                                  "0,99\u00a0€ de la facture N° F2026-00002 à la régie de la "
                                  "mairie.")
    record_counter_payment(invoice.id, 98, "especes", "", agent(), NOW)
    with pytest.raises(payments.PaymentNotPossible) as refused:
        payments.payable_online(invoice.id, invoice.family_id)
    assert "réglez les 0,01\u00a0€ de la facture" in str(refused.value)  # one cent: not settled
    record_counter_payment(invoice.id, 1, "especes", "", agent(), NOW)
    with pytest.raises(payments.PaymentNotPossible) as refused:
        payments.payable_online(invoice.id, invoice.family_id)
    assert str(refused.value) == "La facture N° F2026-00002 est déjà réglée."


def test_an_attempt_is_found_only_by_its_family_and_a_sane_idop(db):
    invoice = october_invoice()
    attempt(invoice, idop="A" * 64)
    attempt(invoice, idop="B" * 65)  # longer than any idOp: never looked up
    other = Family.select().where(Family.id != invoice.family_id).first()
    assert payments.family_attempt("A" * 64, invoice.family_id).amount_cents == 4600
    assert payments.family_attempt("A" * 64, other.id) is None
    assert payments.attempt_by_idop("A" * 64).amount_cents == 4600
    for idop in ("", None, "B" * 65):
        assert payments.family_attempt(idop, invoice.family_id) is None
        assert payments.attempt_by_idop(idop) is None
    Payment.update(provider=Payment.COUNTER).execute()
    assert payments.family_attempt("A" * 64, invoice.family_id) is None
    assert payments.attempt_by_idop("A" * 64) is None


@pytest.mark.parametrize("status, text", [
    (Payment.PAID, "Votre paiement de 46,00\u00a0€ pour la facture N° F2026-00002 est "
                   "enregistré. Merci."),
    (Payment.REFUSED, "Le paiement a été refusé par votre banque : votre facture "
                      "N° F2026-00002 n'est pas payée. Vous pouvez réessayer ou la régler à "
                      "la régie."),
    (Payment.CANCELLED, "Vous avez annulé le paiement : votre facture N° F2026-00002 n'est "
                        "pas payée."),
    (Payment.EXPIRED, "Le paiement n'a pas été terminé dans les 15 minutes : votre facture "
                      "N° F2026-00002 n'est pas payée. Vous pouvez recommencer."),
    (Payment.ANOMALY, "Le paiement doit être vérifié par nos services : nous revenons vers "
                      "vous si nécessaire."),
    (Payment.FAILED, "Le service de paiement en ligne n'a pas répondu : votre facture n'a "
                     "pas été payée. Réessayez plus tard."),
    (Payment.PENDING, "Votre paiement est en attente de confirmation par le service de "
                      "paiement. Votre facture sera marquée payée dès la confirmation : "
                      "revenez plus tard."),
])
def test_what_the_family_reads_after_each_outcome(status, text):
    payment = Payment(amount_cents=4600, status=status)
    assert payments.outcome_message(payment, "F2026-00002") == text
