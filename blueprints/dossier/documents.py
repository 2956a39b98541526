"""Mes documents dématérialisés and "Déclarer mon quotient CAF" (files in and out)."""
from flask import abort, flash, redirect, url_for

from blueprints.common import current_family, form_status, send_stored_file
from blueprints.htmx import current_actor, render
from blueprints.dossier import bp
from blueprints.dossier.forms import QuotientForm
from domain import clock
from domain.billing.documents import family_invoice_list
from domain.clock import today
from domain.family.documents import (by_category, commune_documents, document_for_family,
                                     family_documents)
from domain.family.quotient import STATUS_LABELS, attestation_of, declare_quotient, quotient_summary
from domain.uploads import UploadError, check_upload
from domain.catalogue.years import current_school_year


@bp.route("/documents")
def documents():
    """The commune's documents and the family's own, grouped by category."""
    family = current_family()
    return render("dossier/documents.html", commune_groups=by_category(commune_documents(today())),
                  family_groups=by_category(family_documents(family)),
                  invoices=family_invoice_list(family))


@bp.route("/documents/<int:document_id>")
def download_document(document_id):
    """Download a document of the commune or of the family (another family's: 404)."""
    document = document_for_family(current_family(), document_id, today())
    if document is None:
        abort(404)
    return send_stored_file(document.file)


@bp.route("/quotient", methods=["GET", "POST"])
def quotient():
    """Déclarer mon quotient CAF: the QF and the attestation, "en attente" until validated."""
    family = current_family()
    form = QuotientForm()
    if form.validate_on_submit():
        try:
            checked = check_upload(form.attestation.data)
        except UploadError as error:
            form.attestation.errors.append(str(error))
        else:
            declaration = declare_quotient(family, current_actor(),
                                           form.quotient.data, checked)
            flash(f"Votre quotient familial ({declaration.quotient}) est enregistré avec son "
                  "attestation. Il est en attente de validation par nos services.", "success")
            return redirect(url_for("dossier.quotient"), code=303)
    year = current_school_year(today())
    return render("dossier/quotient.html", form=form, year=year, status_labels=STATUS_LABELS,
                  summary=quotient_summary(family, year, clock.today()),
                  status=form_status(form))


@bp.route("/quotient/<int:declaration_id>/attestation")
def quotient_attestation(declaration_id):
    """Download the attestation of one of the family's QF declarations (else 404)."""
    stored = attestation_of(current_family(), declaration_id)
    if stored is None:
        abort(404)
    return send_stored_file(stored)
