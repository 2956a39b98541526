"""Espace agents: documents. The commune's documents by category with display dates
(menus du mois, règlements, tutoriels, bus, calendriers) and one family's personal
documents; every upload checked like the families' (``domain.uploads``)."""
from flask import abort, flash, redirect, url_for

from blueprints.common import EmptyForm, get_or_404, send_stored_file
from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from blueprints.staff.forms import CommuneDocumentForm, FamilyDocumentForm
from domain import clock
from domain.family import documents as docs
from domain.uploads import UploadError, check_upload
from models import Document, Family, StoredFile

NO_FILE = "Choisissez le fichier à mettre en ligne (PDF, JPEG ou PNG)."


def _page(commune_form=None, family_form=None, status=200):
    today = clock.today()
    commune = [(d, docs.display_state(d, today)) for d in docs.commune_documents()]
    family = list(Document.select(Document, Family, StoredFile).join(Family)
                  .switch(Document).join(StoredFile)
                  .order_by(Document.created_at.desc(), Document.id.desc()).limit(30))
    return render("staff/documents/index.html",
                  commune_form=commune_form or CommuneDocumentForm(prefix="commune"),
                  family_form=family_form or FamilyDocumentForm(prefix="famille"),
                  commune_documents=commune, family_documents=family,
                  labels=docs.CATEGORY_LABELS, status=status)


@bp.route("/documents/")
def documents():
    """The commune's documents (with their display state today) and the latest personal
    documents, with the two upload forms."""
    return _page()


def _checked_file(field):
    """The checked upload of ``field``, or None with the French message on the field."""
    storage = field.data
    if not storage or not getattr(storage, "filename", ""):
        field.errors.append(NO_FILE)
        return None
    try:
        return check_upload(storage)
    except UploadError as error:
        field.errors.append(str(error))
        return None


@bp.route("/documents/commune", methods=["POST"])
def document_add_commune():
    """Put a document online for every family, within its display dates."""
    form = CommuneDocumentForm(prefix="commune")
    valid = form.validate_on_submit()
    checked = _checked_file(form.file)
    if not valid or checked is None:
        return _page(commune_form=form, status=422)
    docs.add_document(current_actor(), checked, form.category.data,
                      form.title.data, display_from=form.display_from.data,
                      display_until=form.display_until.data)
    flash(f"« {form.title.data.strip()} » est ajouté aux documents de la commune.", "success")
    return redirect(url_for("staff.documents"), code=303)


@bp.route("/documents/famille", methods=["POST"])
def document_add_family():
    """Put a document in one family's « Mes documents dématérialisés »."""
    form = FamilyDocumentForm(prefix="famille")
    valid = form.validate_on_submit()
    family = docs.family_by_account_number(form.account_number.data)
    if form.account_number.data and family is None and not form.account_number.errors:
        form.account_number.errors.append("Aucune famille n'a ce n° de compte.")
        valid = False
    checked = _checked_file(form.file)
    if not valid or checked is None:
        return _page(family_form=form, status=422)
    docs.add_document(current_actor(), checked, form.category.data,
                      form.title.data, family=family)
    flash(f"« {form.title.data.strip()} » est ajouté aux documents de la famille "
          f"{family.name} ({family.account_number}).", "success")
    return redirect(url_for("staff.documents"), code=303)


@bp.route("/documents/<int:document_id>/fichier")
def document_file(document_id):
    """Download any document."""
    document = get_or_404(Document.select(Document, StoredFile).join(StoredFile)
                          .where(Document.id == document_id))
    return send_stored_file(document.file)


@bp.route("/documents/<int:document_id>/retirer", methods=["POST"])
def document_remove(document_id):
    """Take a document offline for good."""
    document = get_or_404(Document.select(Document, StoredFile).join(StoredFile)
                          .where(Document.id == document_id))
    if not EmptyForm().validate_on_submit():
        abort(400)
    docs.remove_document(current_actor(), document)
    flash(f"« {document.title} » est retiré.", "success")
    return redirect(url_for("staff.documents"), code=303)
