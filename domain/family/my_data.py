"""« Télécharger mes données »: everything the commune holds about one family, as the
GDPR's right of access asks (article 15).

One ZIP, built in memory: ``donnees.json`` (readable, indented, French keys for the
sections) with the family, its guardians, its accounts (not a removed access: that
account is the removed person's), children and their health records, vaccinations and
declarations, pickup people, quotient declarations, enrolments, bookings, pending
changes, invoices with their lines and payments, mandates, messages and their threads,
the audit rows about the family and the consents given; then
``fichiers/`` with every file the family uploaded or received (attestations, message
attachments, documents) and ``factures/`` with each invoice's PDF. Every row is
selected by the family's id (directly or through its children, threads, invoices), so
another family's data never enters. Each download is audited and limited per day.
"""
import datetime
import io
import json
import os
import zipfile

from playhouse.shortcuts import model_to_dict

from domain import audit
from domain.family import throttle
from domain.files import upload_path
from models import (
    AuditLog,
    Booking,
    Child,
    ChildDeclaration,
    Document,
    DossierValidation,
    Enrolment,
    Guardian,
    GuardianDeclaration,
    HealthRecord,
    Invoice,
    InvoiceLine,
    Mandate,
    Message,
    MessageAttachment,
    MessageThread,
    Payment,
    PendingChange,
    PickupPerson,
    QFDeclaration,
    StoredFile,
    User,
    Vaccination,
)

#: Downloads a family may make per day (a ZIP holds every file: not a thing to loop on).
DOWNLOADS_PER_DAY = 3
#: Never in the export: secrets of the accounts, not data about the family.
SECRET_FIELDS = ("password_hash", "session_token", "totp_secret", "totp_last_step")


class TooManyDownloads(Exception):
    """The family downloaded its data ``DOWNLOADS_PER_DAY`` times today already."""


def _rows(query, exclude=()):
    """Plain dicts of ``query``'s rows: foreign keys as ids, secrets left out."""
    skipped = [field for model in {query.model} for name, field in model._meta.fields.items()
               if name in SECRET_FIELDS or name in exclude]
    return [model_to_dict(row, recurse=False, exclude=skipped) for row in query]


def _where(model, condition):
    """:func:`_rows` of every ``model`` row meeting ``condition``, in the order made."""
    return _rows(model.select().where(condition).order_by(model.id))


def family_data(family):
    """Everything held about ``family`` as one JSON-ready dict (ids kept, so that rows
    refer to each other as in the database)."""
    children = Child.select().where(Child.family == family).order_by(Child.id)
    child_ids = [c.id for c in children]
    threads = MessageThread.select().where(MessageThread.family == family).order_by(
        MessageThread.id)
    messages = (Message.select().join(MessageThread)
                .where(MessageThread.family == family).order_by(Message.id))
    invoices = Invoice.select().where(Invoice.family == family).order_by(Invoice.id)
    invoice_ids = [i.id for i in invoices]
    # The accounts that sign in for the family: a removed access (staff's « Retirer
    # l'accès », or a guardian replaced by a declaration naming another person) is that
    # person's, no longer the family's (its rows elsewhere keep its id).
    users = User.select().where((User.family == family) & User.is_active).order_by(User.id)
    return {
        "famille": model_to_dict(family, recurse=False),
        "responsables_legaux": _rows(Guardian.select().where(Guardian.family == family)
                                     .order_by(Guardian.position, Guardian.id)),
        "comptes": _rows(users),
        "enfants": _rows(children),
        "fiches_sanitaires": _where(HealthRecord, HealthRecord.child.in_(child_ids)),
        "vaccinations": _where(Vaccination, Vaccination.child.in_(child_ids)),
        "personnes_autorisees": _where(PickupPerson, PickupPerson.family == family),
        "declarations_quotient": _where(QFDeclaration, QFDeclaration.family == family),
        "declarations_enfants": _where(ChildDeclaration, ChildDeclaration.family == family),
        "declarations_responsables": _where(GuardianDeclaration,
                                            GuardianDeclaration.family == family),
        "actualisations": _where(DossierValidation, DossierValidation.family == family),
        "inscriptions": _with_activity(Enrolment, child_ids),
        "reservations": _with_activity(Booking, child_ids),
        "modifications_en_attente": _where(PendingChange, PendingChange.family == family),
        "factures": _rows(invoices),
        "lignes_de_facture": _where(InvoiceLine, InvoiceLine.invoice.in_(invoice_ids)),
        "paiements": _where(Payment, Payment.invoice.in_(invoice_ids)),
        "mandats_de_prelevement": _where(Mandate, Mandate.family == family),
        "fils_de_messages": _rows(threads),
        "messages": _rows(messages),
        "journal": [dict(model_to_dict(row, recurse=False), details=audit.details_of(row),
                         libelle=audit.label_of(row.action))
                    for row in AuditLog.select().where(AuditLog.family == family)
                    .order_by(AuditLog.id)],
        "consentements": _consents(children, family),
    }


def _with_activity(model, child_ids):
    """Enrolments or bookings of the children, each with its line's name."""
    rows = []
    for row in model.select().where(model.child.in_(child_ids)).order_by(model.id):
        value = model_to_dict(row, recurse=False)
        value["activite"] = row.activity.full_label
        if model is Booking:
            value["modalite_nom"] = row.modalite.name
        rows.append(value)
    return rows


def _consents(children, family):
    """The consents given: the droit à l'image per child, the direct debit mandates."""
    return ([{"objet": "droit à l'image", "enfant": f"{c.first_name} {c.last_name}",
              "accorde": c.photo_consent} for c in children]
            + [{"objet": "mandat de prélèvement SEPA", "rum": m.rum, "signe_le": m.signed_on,
                "signature": m.signature, "adresse": m.consent_address, "statut": m.status}
               for m in Mandate.select().where(Mandate.family == family)])


def family_files(family):
    """Every stored file about ``family``: its own (attestations, documents, invoices'
    PDFs, its uploads) and the attachments of its threads (staff's too)."""
    attached = (MessageAttachment.select(MessageAttachment.file).join(Message)
                .join(MessageThread).where(MessageThread.family == family))
    documents = Document.select(Document.file).where(Document.family == family)
    return list(StoredFile.select().where(
        (StoredFile.family == family) | StoredFile.id.in_(attached)
        | StoredFile.id.in_(documents)).order_by(StoredFile.id))


def _default(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def build_zip(family, invoice_file):
    """The ZIP's bytes: ``donnees.json``, ``factures/*.pdf`` and ``fichiers/*``.
    ``invoice_file(invoice)``: the invoice's stored PDF (``domain.billing.documents``,
    a layer above this one, made on first use)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(family_data(family), ensure_ascii=False,
                                                    indent=2, default=_default))
        invoice_pdfs = set()
        for invoice in Invoice.select().where(Invoice.family == family).order_by(Invoice.id):
            stored = invoice_file(invoice)
            invoice_pdfs.add(stored.id)
            _add_file(archive, f"factures/{stored.original_name}", stored)
        for stored in family_files(family):
            if stored.id not in invoice_pdfs:
                _add_file(archive, f"fichiers/{stored.id}-{stored.original_name}", stored)
    return buffer.getvalue()


def _add_file(archive, name, stored):
    path = upload_path(stored.stored_name)
    if os.path.exists(path):
        archive.write(path, name)


def download(family, user, invoice_file, now=None):
    """The family's ZIP for ``user`` (``invoice_file``: see :func:`build_zip`), audited;
    raises :class:`TooManyDownloads` past the daily limit (the count is the family's,
    whichever guardian asks)."""
    if not throttle.allow(f"mes-donnees:{family.id}", DOWNLOADS_PER_DAY, now):
        raise TooManyDownloads
    data = build_zip(family, invoice_file)
    audit.record(user, family, audit.MY_DATA_DOWNLOADED,
                 f"Téléchargement de ses données par {user.email or user.display_name}",
                 after={"octets": len(data)})
    return data
