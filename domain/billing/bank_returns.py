"""The bank's return file: the debits of a collection the bank rejected, imported at once.

Staff upload, on a collection's page, the report their bank sends back: a pain.002
(payment status report: each rejected transaction with ``TxSts`` RJCT and its reason
code) or a camt.054 (debit notification: each returned debit with its ``RtrInf``).
Both are read with the standard library through ``defusedxml`` (no DTD, no entity:
a file cannot make the parser fetch or expand anything). Each rejected transaction is
matched to its debit by its end-to-end id, the debit's own unique reference in the
pain.008. The check is a dry run: what matches, what does not and why; recording
then applies to each match the very rule of a rejection recorded by hand
(:func:`direct_debit.record_debit_rejection`). A debit already rejected is never
rejected twice, so importing the same file again records nothing.
"""
import decimal
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from domain import audit, clock
from domain.billing import direct_debit
from domain.files import keep_staff_file, kept_staff_file
from domain.formats import euros, month_fr
from models import DebitCollection, DebitItem, Family, Invoice

MAX_FILE_BYTES = 5 * 1024 * 1024
CONTENT_TYPE = "application/x-retour-prelevement"
PAIN002, CAMT054 = "pain.002", "camt.054"
#: A reason the bank did not give: the R-transaction code for "no reason communicated".
NO_REASON = "MS03"


class ReturnFileError(ValueError):
    """A file that cannot be read as a bank return, with the French message for its field."""


@dataclass
class Returned:
    """One debit the file says the bank rejected."""

    end_to_end_id: str
    reason_code: str
    amount_cents: int | None


@dataclass
class Line:
    """A returned debit and what recording the file does with it."""

    returned: Returned
    item: DebitItem | None = None
    problem: str = ""

    @property
    def reason_label(self):
        return direct_debit.REJECTION_REASONS.get(self.returned.reason_code, "motif inconnu")

    @property
    def applies(self):
        return self.item is not None and not self.problem


@dataclass
class Report:
    """The dry run of a return file for one collection."""

    kind: str
    message_id: str
    lines: list = field(default_factory=list)
    warning: str = ""

    @property
    def to_record(self):
        return [line for line in self.lines if line.applies]

    @property
    def left_out(self):
        return [line for line in self.lines if not line.applies]


def _name(element):
    return element.tag.rsplit("}", 1)[-1]


def _child(element, *path):
    """The first descendant along ``path`` of local names, or None."""
    for name in path:
        if element is None:
            return None
        element = next((kid for kid in element if _name(kid) == name), None)
    return element


def _text(element, *path):
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _descendants(element, name):
    return [node for node in element.iter() if _name(node) == name]


def _cents(element):
    if element is None:
        return None
    try:
        amount = decimal.Decimal((element.text or "").strip())
    except decimal.InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > 10**9:
        return None
    return int((amount * 100).to_integral_value())


def _reason(element):
    """The reason code under a ``StsRsnInf`` or ``RtrInf`` (MS03 when none is given)."""
    code = _text(element, "Rsn", "Cd") or _text(element, "Rsn", "Prtry")
    return code.upper()[:8] or NO_REASON


def parse(data):
    """``(kind, original message id, [Returned])`` of a pain.002 or camt.054 file (bytes).
    ReturnFileError, in French, for anything else."""
    if not data or not data.strip():
        raise ReturnFileError("Le fichier est vide.")
    if len(data) > MAX_FILE_BYTES:
        raise ReturnFileError("Le fichier dépasse 5 Mo : ce n'est pas un retour de prélèvement.")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as error:
        raise ReturnFileError("Ce fichier n'est pas un fichier XML lisible : choisissez le "
                              "fichier de retour (pain.002 ou camt.054) donné par la "
                              "banque.") from error
    report = _child(root, "CstmrPmtStsRpt")
    if _name(root) == "Document" and report is not None:
        return PAIN002, _text(report, "OrgnlGrpInfAndSts", "OrgnlMsgId"), _pain002(report)
    notification = _child(root, "BkToCstmrDbtCdtNtfctn")
    if _name(root) == "Document" and notification is not None:
        return CAMT054, "", _camt054(notification)
    raise ReturnFileError("Ce fichier XML n'est pas un retour de prélèvement : la banque "
                          "en donne un au format pain.002 (rapport de statut) ou camt.054 "
                          "(avis de débit).")


def _pain002(report):
    group = _child(report, "OrgnlGrpInfAndSts")
    transactions = _descendants(report, "TxInfAndSts")
    if not transactions and _text(group, "GrpSts") == "RJCT":
        reason = _reason(_child(group, "StsRsnInf"))
        raise ReturnFileError(
            f"La banque a refusé le fichier entier (motif {reason}) : aucun prélèvement n'a "
            "eu lieu. Ce n'est pas un rejet de débits : voyez avec la banque avant de "
            "renvoyer le fichier.")
    returned = []
    for transaction in transactions:
        if _text(transaction, "TxSts") != "RJCT":
            continue
        returned.append(Returned(
            end_to_end_id=_text(transaction, "OrgnlEndToEndId"),
            reason_code=_reason(_child(transaction, "StsRsnInf")),
            amount_cents=_cents(_child(transaction, "OrgnlTxRef", "Amt", "InstdAmt"))))
    return returned


def _camt054(notification):
    returned = []
    for entry in _descendants(notification, "Ntry"):
        details = _descendants(entry, "TxDtls")
        for transaction in details:
            back = _child(transaction, "RtrInf")
            if back is None:
                continue
            # The first amount found (an element without children is false: no ``or``).
            found = [_child(transaction, "AmtDtls", "InstdAmt", "Amt"),
                     _child(transaction, "AmtDtls", "TxAmt", "Amt"),
                     _child(transaction, "Amt"),
                     _child(entry, "Amt") if len(details) == 1 else None]
            amount = next((element for element in found if element is not None), None)
            returned.append(Returned(
                end_to_end_id=_text(transaction, "Refs", "EndToEndId"),
                reason_code=_reason(back), amount_cents=_cents(amount)))
    return returned


def check(collection, data):
    """The dry run of ``data`` against ``collection``: a :class:`Report`; nothing is
    written. ReturnFileError when the file is unreadable or rejects nothing."""
    kind, message_id, returned = parse(data)
    if not returned:
        raise ReturnFileError("Ce fichier de la banque ne signale aucun prélèvement rejeté : "
                              "il n'y a rien à enregistrer.")
    report = Report(kind=kind, message_id=message_id)
    if message_id and message_id != collection.message_id:
        report.warning = (f"Ce fichier répond au message {message_id}, et non à ce "
                          f"prélèvement ({collection.message_id}) : seuls les débits de ce "
                          "prélèvement peuvent y être enregistrés.")
    ids = [r.end_to_end_id for r in returned if r.end_to_end_id]
    items = {item.end_to_end_id: item for item in
             DebitItem.select(DebitItem, Invoice, Family, DebitCollection)
             .join(Invoice).join(Family).switch(DebitItem).join(DebitCollection)
             .where(DebitItem.end_to_end_id.in_(ids))} if ids else {}
    seen = set()
    for one in returned:
        line = Line(returned=one, item=items.get(one.end_to_end_id))
        line.problem = _problem(line, collection, seen)
        seen.add(one.end_to_end_id)
        report.lines.append(line)
    return report


def _problem(line, collection, seen):
    """Why this returned debit is not recorded ("" when it is)."""
    returned, item = line.returned, line.item
    if not returned.end_to_end_id:
        return "La banque ne donne pas la référence du débit (EndToEndId)."
    if returned.end_to_end_id in seen:
        return "Ce débit figure deux fois dans le fichier : il n'est compté qu'une fois."
    if item is None:
        return "Aucun débit ne porte cette référence."
    if item.collection_id != collection.id:
        other = item.collection
        return (f"Ce débit appartient au prélèvement de "
                f"{month_fr(other.period_year, other.period_month).lower()} du "
                f"{other.collection_date.strftime('%d/%m/%Y')} : importez le fichier "
                "sur sa page.")
    if returned.reason_code not in direct_debit.REJECTION_REASONS:
        return (f"Motif {returned.reason_code} inconnu : enregistrez ce rejet à la main "
                "avec le motif le plus proche.")
    if item.status == DebitItem.REJECTED:
        return (f"Déjà enregistré comme rejeté le "
                f"{clock.to_paris(item.rejected_at).strftime('%d/%m/%Y')}.")
    if returned.amount_cents is not None and returned.amount_cents != item.amount_cents:
        return (f"La banque indique {euros(returned.amount_cents)}, le débit était de "
                f"{euros(item.amount_cents)} : vérifiez avec la banque, puis enregistrez "
                "le rejet à la main.")
    return ""


def record(collection, data, settings, actor, now):
    """Record every rejection the dry run matches, each by the rule of a rejection recorded
    by hand (one transaction each: the invoice owed again, the fee, the mandate, the
    email). Returns ``(recorded, left out)`` counts; the import itself is audited."""
    report = check(collection, data)
    recorded = 0
    for line in report.to_record:
        try:
            direct_debit.record_debit_rejection(line.item.id, line.returned.reason_code,
                                                settings, actor, now)
        except direct_debit.CollectionError:
            continue  # rejected meanwhile (another agent, the same file twice at once)
        recorded += 1
    audit.record(actor, None, audit.DEBIT_RETURN_IMPORTED,
                 summary=f"Retour de la banque ({report.kind}) importé sur le prélèvement "
                         f"{collection.message_id} : {recorded} rejet(s) enregistré(s), "
                         f"{len(report.lines) - recorded} ignoré(s)",
                 after={"collection": collection.id, "recorded": recorded,
                        "left_out": len(report.lines) - recorded})
    return recorded, len(report.lines) - recorded


def keep_file(data, filename, user):
    """Keep the uploaded file until it is applied; returns its token."""
    return keep_staff_file(data, (filename or "retour.xml")[:200], CONTENT_TYPE, user)


def kept_file(token, user):
    """``(data, filename)`` of the file ``user`` kept under ``token``, or None."""
    return kept_staff_file(token, user, CONTENT_TYPE)
