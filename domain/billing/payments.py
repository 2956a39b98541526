"""Online payment of an invoice through PayFiP, every attempt recorded.

An attempt (a ``Payment`` row, ``en_cours``) is made when the family leaves for
the payment page. It is settled only from the result read back from PayFiP
(``recupererDetailPaiementSecurise``), never from what the return URL or the
notification say: P or V paid, R or Z refused, A cancelled. The result is applied
under a row lock, once: the same notification received many times, in sequence
or at once, pays once. A result whose amount, reference or client number differs
from the attempt is an ``anomalie`` for staff, not a payment. No result yet: the
attempt stays ``en_cours`` (``check_pending`` asks again, from cron); an ``idOp``
lives 15 minutes, after which an attempt without result ``expiree``.
"""
import datetime
import uuid
from collections import Counter

from domain import clock
from domain.billing.invoicing import ONLINE_MINIMUM_CENTS, due_cents_of, refresh_status
from domain.billing.payfip import PayFiPError, refdet_of
from domain.billing.regies import payfip_client
from domain.formats import euros
from domain.transactions import lock_rows, write_transaction
from models import Family, Invoice, Payment

IDOP_LIFETIME = datetime.timedelta(minutes=15)
#: What a family reads of an invoice handed over to the Trésor public after the reminders.
HANDED_OVER_TEXT = ("Après nos relances, la facture N° {number} est transmise au Trésor public : "
                    "elle ne peut plus être payée ici. Réglez-la auprès du Trésor public, "
                    "comme l'avis qu'il vous envoie l'indique.")
#: Noted on a payment of an invoice already settled (shown to staff).
DOUBLE = "Facture déjà réglée : paiement en double, à rembourser. "
#: Noted on a payment of more than the invoice still owed (shown to staff).
OVERPAID = "Trop-perçu de {} à rembourser. "
#: Statuses an attempt never leaves (an expired one may still turn out paid).
FINAL = (Payment.PAID, Payment.REFUSED, Payment.CANCELLED, Payment.ANOMALY, Payment.FAILED)

STATUS_LABELS = {
    Payment.PENDING: "en attente", Payment.PAID: "payé", Payment.REFUSED: "refusé",
    Payment.CANCELLED: "annulé", Payment.EXPIRED: "abandonné", Payment.ANOMALY: "à vérifier",
    Payment.FAILED: "service indisponible",
}


def outcome_message(payment, invoice_number):
    """What the family reads after an attempt, by its status."""
    amount = euros(payment.amount_cents)
    return {
        Payment.PAID: f"Votre paiement de {amount} pour la facture N° {invoice_number} est "
                      "enregistré. Merci.",
        Payment.REFUSED: f"Le paiement a été refusé par votre banque : votre facture "
                         f"N° {invoice_number} n'est pas payée. Vous pouvez réessayer ou la "
                         "régler à la régie.",
        Payment.CANCELLED: f"Vous avez annulé le paiement : votre facture N° {invoice_number} "
                           "n'est pas payée.",
        Payment.EXPIRED: f"Le paiement n'a pas été terminé dans les 15 minutes : votre facture "
                         f"N° {invoice_number} n'est pas payée. Vous pouvez recommencer.",
        Payment.ANOMALY: "Le paiement doit être vérifié par nos services : nous revenons vers "
                         "vous si nécessaire.",
        Payment.FAILED: "Le service de paiement en ligne n'a pas répondu : votre facture n'a "
                        "pas été payée. Réessayez plus tard.",
    }.get(payment.status, "Votre paiement est en attente de confirmation par le service de "
                          "paiement. Votre facture sera marquée payée dès la confirmation : "
                          "revenez plus tard.")


class PaymentNotPossible(ValueError):
    """The invoice cannot be paid online now; the message says why."""


class ProviderUnavailable(RuntimeError):
    """PayFiP did not answer or refused to start the payment."""



def payable_online(invoice_id, family_id):
    """(invoice, amount due) when the family's invoice can be paid online; else
    PaymentNotPossible (LookupError when it is not the family's)."""
    invoice = Invoice.get_or_none((Invoice.id == invoice_id) & (Invoice.family == family_id)
                                  & (Invoice.kind == Invoice.INVOICE))
    if invoice is None:
        raise LookupError(invoice_id)
    invoice, due = due_cents_of(invoice.id)
    if due <= 0:
        raise PaymentNotPossible(f"La facture N° {invoice.number} est déjà réglée.")
    if invoice.handed_over_at is not None:
        raise PaymentNotPossible(HANDED_OVER_TEXT.format(number=invoice.number))
    if due < ONLINE_MINIMUM_CENTS:
        raise PaymentNotPossible(
            f"Le paiement en ligne commence à 1,00 € : réglez les {euros(due)} de la facture "
            f"N° {invoice.number} à la régie de la mairie.")
    return invoice, due


def live_attempt(invoice_id, now):
    """An attempt of the invoice still waiting on the payment page (its idOp alive)."""
    return (Payment.select().where((Payment.invoice == invoice_id)
                                   & (Payment.provider == Payment.ONLINE)
                                   & (Payment.status == Payment.PENDING)
                                   & (Payment.expires_at > clock.as_stored(now)))
            .order_by(Payment.id.desc()).first())


def start_online_payment(client, invoice_id, family_id, user, email, now):
    """Ask PayFiP for an operation paying what the invoice still owes; returns the
    pending ``Payment`` (its ``transaction_id`` is the idOp). A live attempt of the
    same invoice for the same amount is reused rather than opening a second one: the
    invoice row is locked from the check to the new attempt, so that six "Payer"
    clicks at once open one operation (the others wait, then reuse it)."""
    payable_online(invoice_id, family_id)  # LookupError / PaymentNotPossible, unlocked
    failure = None
    with write_transaction():
        lock_rows(Invoice, [invoice_id])
        invoice, due = payable_online(invoice_id, family_id)  # again, under the lock
        alive = live_attempt(invoice.id, now)
        if alive is not None and alive.amount_cents == due:
            return alive
        refdet = refdet_of(invoice.number)
        client = client.for_client(payfip_client(invoice, client.settings.numcli))
        try:
            idop = client.create_operation(due, refdet, email, invoice.issued_at.year,
                                           f"Facture {invoice.number}")
        except PayFiPError as error:
            failure = error
            Payment.create(invoice=invoice, amount_cents=due,
                           transaction_id=f"E-{uuid.uuid4().hex}", status=Payment.FAILED,
                           created_at=clock.as_stored(now), user=user, refdet=refdet,
                           outcome=f"creerPaiementSecurise : {error.code} {error.message}"[:500])
        else:
            return Payment.create(invoice=invoice, amount_cents=due, transaction_id=idop,
                                  status=Payment.PENDING, created_at=clock.as_stored(now), user=user,
                                  refdet=refdet, expires_at=clock.as_stored(now + IDOP_LIFETIME))
    raise ProviderUnavailable(str(failure)) from failure


def family_attempt(idop, family_id):
    """The family's online attempt ``idop`` (None for another family's or a forged one)."""
    if not idop or len(idop) > 64:
        return None
    return (Payment.select().join(Invoice)
            .where((Payment.transaction_id == idop) & (Payment.provider == Payment.ONLINE)
                   & (Invoice.family == family_id)).first())


def attempt_by_idop(idop):
    if not idop or len(idop) > 64:
        return None
    return Payment.get_or_none((Payment.transaction_id == idop)
                               & (Payment.provider == Payment.ONLINE))


def _field(detail, name):
    value = getattr(detail, name, None)
    return "" if value is None else str(value).strip()


def _verdict(payment, detail, numcli):
    """The status the provider's result gives the attempt, and what to note."""
    code = _field(detail, "resultrans")
    note = (f"resultrans={code} montant={_field(detail, 'montant')} "
            f"refdet={_field(detail, 'refdet')} numauto={_field(detail, 'numauto')} "
            f"dattrans={_field(detail, 'dattrans')} heurtrans={_field(detail, 'heurtrans')}")
    if code in ("P", "V"):
        mismatches = []
        if _field(detail, "montant") != str(payment.amount_cents):
            mismatches.append("montant")
        if _field(detail, "refdet") != payment.refdet:
            mismatches.append("référence")
        if _field(detail, "numcli") not in ("", numcli):
            mismatches.append("client")
        if _field(detail, "idOp") not in ("", payment.transaction_id):
            mismatches.append("idOp")
        if mismatches:
            return Payment.ANOMALY, f"Différence de {', '.join(mismatches)} : {note}"
        return Payment.PAID, note
    if code in ("R", "Z"):
        return Payment.REFUSED, note
    if code == "A":
        return Payment.CANCELLED, note
    return None, f"Résultat inconnu : {note}"


def check_payment(client, payment_id, now):
    """Read the attempt's result back from PayFiP and apply it, once. Returns the
    attempt (its status unchanged when the result is not known yet)."""
    payment = Payment.get_by_id(payment_id)
    if payment.status in FINAL or payment.provider != Payment.ONLINE:
        return payment
    status, note = None, ""
    try:
        detail = client.read_result(payment.transaction_id)
    except PayFiPError as error:
        note = f"recupererDetailPaiementSecurise : {error.code} {error.message}"
        expired = clock.as_stored(now) >= payment.expires_at if payment.expires_at else True
        if error.code in ("P1", "P5") and expired:
            status = Payment.EXPIRED
    else:
        status, note = _verdict(payment, detail, payfip_client(
            Invoice.get_by_id(payment.invoice_id), client.settings.numcli))
    with write_transaction():
        lock_rows(Payment, [payment.id])
        payment = Payment.get_by_id(payment.id)
        if payment.status in FINAL:
            return payment  # settled meanwhile by another notification
        changes = {"checked_at": clock.as_stored(now), "outcome": note[:1000]}
        if status is not None and status != payment.status:
            changes["status"] = status
            due = due_cents_of(payment.invoice_id)[1] if status == Payment.PAID else 0
            if status == Payment.PAID and due <= 0:
                # Paid twice (two tabs, or at the counter meanwhile): the money is taken,
                # so it counts, and staff see it to refund it.
                changes["outcome"] = (DOUBLE + note)[:1000]
            elif status == Payment.PAID and payment.amount_cents > due:
                # Part paid at the counter (or credited) while the family paid online.
                changes["outcome"] = (OVERPAID.format(euros(payment.amount_cents - due))
                                      + note)[:1000]
            if status == Payment.PAID:
                changes["verified_at"] = clock.as_stored(now)
                changes["reference"] = _field(detail, "numauto")[:120]
        Payment.update(**changes).where(Payment.id == payment.id).execute()
        if changes.get("status") == Payment.PAID:
            refresh_status(payment.invoice_id)
        payment = Payment.get_by_id(payment.id)
    return payment


def check_pending(client, now):
    """Ask again for every attempt still ``en_cours`` (cron); {status: count}."""
    ids = [p.id for p in Payment.select(Payment.id).where(
        (Payment.provider == Payment.ONLINE) & (Payment.status == Payment.PENDING))]
    return Counter(check_payment(client, payment_id, now).status for payment_id in ids)


def attempts_to_review():
    """Online payments staff must look at: anomalies, and payments made twice or of
    more than was owed."""
    return list(Payment.select(Payment, Invoice, Family).join(Invoice).join(Family)
                .where((Payment.status == Payment.ANOMALY)
                       | ((Payment.status == Payment.PAID)
                          & (Payment.outcome.startswith(DOUBLE[:30])
                             | Payment.outcome.startswith(OVERPAID[:12]))))
                .order_by(Payment.created_at.desc()))
