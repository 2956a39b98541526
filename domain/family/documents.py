"""Mes documents dématérialisés: the commune's documents and the family's own.

A commune document (``Document.family`` null) is for every family; a family's
document only for that family (and staff). Files are served as downloads.
"""
from models import Document, StoredFile

CATEGORY_LABELS = dict(Document.CATEGORIES)
CATEGORY_ORDER = {key: i for i, (key, _) in enumerate(Document.CATEGORIES)}


def _with_files(query):
    """``query`` with each document's stored file, in one query."""
    return query.select(Document, StoredFile).join(StoredFile)


def commune_documents():
    """Documents for every family, newest first within their category."""
    return list(_with_files(Document.select()).where(Document.family.is_null())
                .order_by(Document.created_at.desc(), Document.id.desc()))


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


def document_for_family(family, document_id):
    """The document ``family`` may download (the commune's or its own), or None."""
    return (_with_files(Document.select())
            .where((Document.id == document_id)
                   & (Document.family.is_null() | (Document.family == family)))
            .first())
