"""SEPA direct debit mandates: a family authorises the commune to debit its account.

A mandate is signed online by the family (its consent recorded with the time and the
address it came from) or recorded by staff from a paper form. It is never edited:
a changed IBAN revokes the mandate in force and makes a new one, with a new unique
reference (RUM), whose first debit is a FRST again. A family has at most one mandate
in force; it can revoke it at any time. Two rejected debits suspend a mandate.
"""
import re

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from domain import audit, clock
from domain.pdf import simple_document
from domain.transactions import lock_rows, write_transaction
from models import Family, Mandate

#: Debits rejected under one mandate before it is suspended.
REJECTIONS_BEFORE_SUSPENSION = 2

MANDATE_TEXT = (
    "En signant ce formulaire de mandat, vous autorisez {creditor} à envoyer des instructions "
    "à votre banque pour débiter votre compte, et votre banque à débiter votre compte "
    "conformément aux instructions de {creditor}. Vous bénéficiez du droit d'être remboursé "
    "par votre banque selon les conditions décrites dans la convention que vous avez passée "
    "avec elle. Une demande de remboursement doit être présentée dans les 8 semaines suivant "
    "la date de débit de votre compte pour un prélèvement autorisé.")


class MandateError(ValueError):
    """A refused mandate, with the message to show next to ``field``."""

    def __init__(self, message, field="iban"):
        super().__init__(message)
        self.field = field


def checked_iban(text):
    """The IBAN written in ``text`` (spaces allowed), checked: checksum, length, country in
    the SEPA zone. Returns a ``schwifty.IBAN``; raises MandateError with a French message."""
    compact = re.sub(r"\s+", "", text or "").upper()
    if not compact:
        raise MandateError("Indiquez l'IBAN du compte à débiter.")
    try:
        iban = IBAN(compact)
    except SchwiftyException as error:
        name = type(error).__name__
        if name == "InvalidChecksumDigits":
            raise MandateError("Cet IBAN est faux (sa clé de contrôle ne correspond pas) : "
                               "vérifiez-le sur votre RIB.") from error
        if name in ("InvalidCountryCode",):
            raise MandateError("Cet IBAN ne commence pas par un code de pays connu "
                               "(FR76… pour un compte en France).") from error
        raise MandateError("Cet IBAN n'a pas la forme d'un IBAN (FR76 suivi de 23 caractères "
                           "pour un compte en France) : vérifiez-le sur votre RIB.") from error
    if not iban.in_sepa_zone:
        raise MandateError("Le prélèvement n'est possible que sur un compte de la zone SEPA.")
    return iban


def bic_of(iban, typed=""):
    """The BIC typed (checked for its form), else the one the IBAN's bank code gives, else ""."""
    typed = re.sub(r"\s+", "", typed or "").upper()
    if typed:
        if not re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", typed):
            raise MandateError("Ce BIC n'a pas la forme d'un BIC (8 ou 11 caractères, "
                               "par exemple AGRIFRPPXXX).", field="bic")
        return typed
    try:
        found = iban.bic
    except SchwiftyException:
        found = None
    return str(found) if found else ""


def valid_creditor_id(text):
    """Whether ``text`` is a SEPA creditor identifier (ICS), e.g. FR72ZZZ123456, checksum
    included (ISO 7064 mod 97-10 over the national identifier and the country)."""
    ics = re.sub(r"\s+", "", text or "").upper()
    # [0-9], not \d: "FR٧٢ZZZ…" would pass, and the bank refuses the whole pain.008.
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", ics):
        return False
    rearranged = ics[7:] + ics[:2] + ics[2:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


def masked(iban):
    """The IBAN as shown on screen: its country, check digits and last four characters."""
    return f"{iban[:4]} •••• •••• {iban[-4:]}"


def active_mandate(family_id):
    """The family's mandate in force, or None."""
    return (Mandate.select().where((Mandate.family == family_id)
                                   & (Mandate.status == Mandate.ACTIVE))
            .order_by(Mandate.id.desc()).first())


def family_mandates(family_id):
    """Every mandate of the family, newest first."""
    return list(Mandate.select().where(Mandate.family == family_id).order_by(Mandate.id.desc()))


def _new_rum(family):
    """``PF-16122-3``: the portal, the account, the family's mandate count (unique)."""
    count = Mandate.select().where(Mandate.family == family.id).count()
    return f"PF-{family.account_number}-{count + 1}"


def sign(family_id, holder, iban_text, bic_text, actor, now, signature=Mandate.ONLINE,
         signed_on=None, consent_address=""):
    """Record a mandate for the family (online consent, or a paper form recorded by staff):
    the mandate in force, if any, is revoked (a changed IBAN makes a new mandate).
    Returns the new mandate; MandateError on a wrong IBAN, BIC or holder."""
    holder = " ".join((holder or "").split())
    if not holder:
        raise MandateError("Indiquez le nom du titulaire du compte.", field="holder")
    if len(holder) > 70:
        raise MandateError("70 caractères au plus pour le titulaire du compte.", field="holder")
    iban = checked_iban(iban_text)
    bic = bic_of(iban, bic_text)
    today = now.date()
    signed_on = signed_on or today
    if signed_on > today:
        raise MandateError("La date de signature ne peut pas être dans le futur.",
                           field="signed_on")
    with write_transaction():
        family = Family.get_by_id(family_id)
        lock_rows(Family, [family.id])
        previous = active_mandate(family.id)
        if previous is not None:
            Mandate.update(status=Mandate.REVOKED, revoked_at=clock.as_stored(now)).where(
                Mandate.id == previous.id).execute()
        mandate = Mandate.create(
            family=family, rum=_new_rum(family), holder=holder, iban=str(iban.compact),
            bic=bic, signed_on=signed_on, signed_at=clock.as_stored(now), signature=signature,
            consent_address=(consent_address or "")[:64], signed_by=actor)
        how = "en ligne" if signature == Mandate.ONLINE else "papier"
        audit.record(actor, family, audit.MANDATE_SIGNED,
                     summary=f"Mandat {mandate.rum} ({how}) sur le compte {masked(mandate.iban)}"
                             + (f", remplace le mandat {previous.rum}" if previous else ""),
                     after={"rum": mandate.rum, "signature": signature,
                            "iban": masked(mandate.iban)})
    return mandate


def revoke(family_id, actor, now):
    """Revoke the family's mandate in force (no more debits); the revoked mandate, or None."""
    with write_transaction():
        lock_rows(Family, [family_id])
        mandate = active_mandate(family_id)
        if mandate is None:
            return None
        Mandate.update(status=Mandate.REVOKED, revoked_at=clock.as_stored(now)).where(
            Mandate.id == mandate.id).execute()
        audit.record(actor, family_id, audit.MANDATE_REVOKED,
                     summary=f"Mandat {mandate.rum} révoqué", before={"status": mandate.status},
                     after={"status": Mandate.REVOKED})
    return Mandate.get_by_id(mandate.id)


def mandate_of_family(mandate_id, family_id):
    """The family's mandate ``mandate_id`` (LookupError for another family's)."""
    mandate = Mandate.get_or_none((Mandate.id == mandate_id) & (Mandate.family == family_id))
    if mandate is None:
        raise LookupError(mandate_id)
    return mandate


def mandate_pdf(mandate, creditor_name, creditor_id, creditor_address):
    """The mandate as a PDF (the SEPA form's mentions), bytes."""
    lines = [
        f"Référence unique du mandat (RUM) : {mandate.rum}",
        f"Identifiant créancier SEPA (ICS) : {creditor_id or 'à compléter par la commune'}",
        f"Créancier : {creditor_name}" + (f", {creditor_address}" if creditor_address else ""),
        f"Débiteur : {mandate.holder}",
        f"IBAN : {mandate.iban}",
        f"BIC : {mandate.bic or '-'}",
        "Type de paiement : récurrent",
        MANDATE_TEXT.format(creditor=creditor_name),
        (f"Signé en ligne le {mandate.signed_on.strftime('%d/%m/%Y')} "
         f"(consentement enregistré le {clock.to_paris(mandate.signed_at).strftime('%d/%m/%Y à %H:%M')}"
         f"{', depuis ' + mandate.consent_address if mandate.consent_address else ''})."
         if mandate.signature == Mandate.ONLINE else
         f"Mandat papier signé le {mandate.signed_on.strftime('%d/%m/%Y')}."),
    ]
    if mandate.status != Mandate.ACTIVE:
        label = "révoqué" if mandate.status == Mandate.REVOKED else "suspendu"
        lines.append(f"Ce mandat est {label}.")
    return simple_document("Mandat de prélèvement SEPA", lines)


def record_rejection(mandate_id):
    """Count one rejected debit under the mandate (inside the caller's transaction);
    the second suspends it. Returns the mandate."""
    mandate = Mandate.get_by_id(mandate_id)
    rejections = mandate.rejections + 1
    changes = {"rejections": rejections}
    if rejections >= REJECTIONS_BEFORE_SUSPENSION and mandate.status == Mandate.ACTIVE:
        changes["status"] = Mandate.SUSPENDED
    Mandate.update(**changes).where(Mandate.id == mandate.id).execute()
    return Mandate.get_by_id(mandate.id)
