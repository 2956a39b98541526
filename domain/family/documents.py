"""Mes documents dématérialisés: the commune's documents and the family's own.

A commune document (``Document.family`` null) is for every family, within its
display dates; a family's document only for that family (and staff). Files are
served as downloads. Staff put both online; ENREGISTRER in INSCRIPTION adds the
family's "confirmation d'inscription" (a PDF made here).
"""
from domain import audit, commune
from domain.files import store_bytes
from domain.formats import date_fr, euros, time_fr
from domain.pdf import simple_document
from models import Document, Family, StoredFile, db, parse_id

CATEGORY_LABELS = dict(Document.CATEGORIES)
CATEGORY_ORDER = {key: i for i, (key, _) in enumerate(Document.CATEGORIES)}
#: What staff put online for every family.
COMMUNE_CATEGORIES = tuple((key, label) for key, label in Document.CATEGORIES
                           if key in ("menu", "tutoriel", "reglement", "bus", "calendrier"))
#: What staff put in one family's documents.
FAMILY_CATEGORIES = tuple((key, label) for key, label in Document.CATEGORIES
                          if key in ("confirmation", "facture", "fiche"))
CONFIRMATION = "confirmation"


def _with_files(query):
    """``query`` with each document's stored file, in one query."""
    return query.select(Document, StoredFile).join(StoredFile)


def _shown_on(today):
    return ((Document.display_from.is_null() | (Document.display_from <= today))
            & (Document.display_until.is_null() | (Document.display_until >= today)))


def commune_documents(today=None):
    """Documents for every family (those shown on ``today`` when given), newest first."""
    query = _with_files(Document.select()).where(Document.family.is_null())
    if today is not None:
        query = query.where(_shown_on(today))
    return list(query.order_by(Document.created_at.desc(), Document.id.desc()))


def family_documents(family):
    """The family's own documents (confirmations, invoices, fiche renseignement)."""
    return list(_with_files(Document.select()).where(Document.family == family)
                .order_by(Document.created_at.desc(), Document.id.desc()))


def by_category(documents):
    """``[(category label, [documents])]`` in the order of ``Document.CATEGORIES``."""
    groups = {}
    for document in documents:
        groups.setdefault(document.category, []).append(document)
    ordered = sorted(groups, key=lambda key: CATEGORY_ORDER.get(key, len(CATEGORY_ORDER)))
    return [(CATEGORY_LABELS.get(key, key.capitalize()), groups[key]) for key in ordered]


def document_for_family(family, document_id, today=None):
    """The document ``family`` may download (the commune's shown today, or its own), or None."""
    commune = Document.family.is_null()
    if today is not None:
        commune = commune & _shown_on(today)
    return (_with_files(Document.select())
            .where((Document.id == document_id) & (commune | (Document.family == family)))
            .first())


def display_state(document, today):
    """``Programmé`` / ``En ligne`` / ``Terminé`` for a commune document on ``today``."""
    if document.display_from and document.display_from > today:
        return "Programmé"
    if document.display_until and document.display_until < today:
        return "Terminé"
    return "En ligne"


# --- Staff -------------------------------------------------------------------


def add_document(actor, checked, category, title, family=None, display_from=None,
                 display_until=None):
    """Store a checked upload as a document of the commune (``family`` None) or of one
    family; audited. Returns the ``Document``."""
    with db.atomic():
        stored = store_bytes(checked.data, checked.filename, checked.content_type,
                             family=family, user=actor)
        document = Document.create(family=family, category=category, title=title.strip(),
                                   file=stored, display_from=display_from,
                                   display_until=display_until)
        where = (f"documents de la famille {family.account_number}" if family is not None
                 else "documents de la commune")
        audit.record(actor, family, audit.DOCUMENT_ADDED,
                     f"« {document.title} » ({CATEGORY_LABELS[category]}) ajouté aux {where}",
                     after={"title": document.title, "category": category,
                            "file": checked.filename, "display_from": display_from,
                            "display_until": display_until})
    return document


def remove_document(actor, document):
    """Take a document offline (the row goes; the stored file row goes with it)."""
    with db.atomic():
        audit.record(actor, document.family_id, audit.DOCUMENT_REMOVED,
                     f"« {document.title} » retiré",
                     before={"title": document.title, "category": document.category,
                             "file": document.file.original_name})
        stored = document.file
        document.delete_instance()
        stored.delete_instance()


def family_by_account_number(raw):
    """The family whose account number is ``raw`` (ASCII digits), or None."""
    number = parse_id(raw)
    return None if number is None else Family.get_or_none(Family.account_number == number)


# --- Confirmation d'inscription ----------------------------------------------


def add_inscription_confirmation(user, child, opened, now):
    """The "confirmation d'inscription" of the lines just opened for ``child`` (ENREGISTRER),
    as a PDF in the family's documents. ``opened`` is a list of ``OpenedLine``."""
    if not opened:
        return None
    family = child.family
    day = date_fr(now.date())
    paragraphs = [
        f"Famille {family.name} – compte n° {family.account_number}",
        f"Enfant : {child.first_name} {child.last_name} ({child.class_level}, "
        f"{child.school_name or child.school_type_label})",
        f"Enregistrée le {day} à {time_fr(now)}, les inscriptions suivantes sont "
        "validées :",
    ]
    for line in opened:
        text = f"• {line.activity.full_label}"
        if line.booked_days:
            text += (f" : {line.booked_days} jours d'école réservés à partir du "
                     f"{date_fr(line.first_day)}, {euros(line.price_cents)} par jour")
        paragraphs.append(text)
    paragraphs.append("Les journées des autres activités se réservent dans l'onglet PLANNING - "
                      "RÉSERVATIONS, avant la date limite de chaque mois.")
    title = f"Confirmation d'inscription – {child.first_name} – {day}"
    data = simple_document(title, paragraphs,
                           logo=commune.logo() if commune.settings().has_logo else None)
    filename = f"confirmation-inscription-{child.first_name.lower()}-{now.date().isoformat()}.pdf"
    with db.atomic():
        stored = store_bytes(data, filename, "application/pdf", family=family, user=user)
        return Document.create(family=family, category=CONFIRMATION, title=title, file=stored)
