"""Espace agents: Dossiers à valider and Quotients à valider."""
import os

from flask import abort, send_file

from blueprints.common import EmptyForm, get_or_404, send_stored_file
from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from blueprints.staff.forms import QuotientCorrectionForm, QuotientValidationForm, RefusalForm
from blueprints.staff.review import review
from domain import actualisation, clock
from domain.catalogue.pricing import bracket_for, quotient_in_force
from domain.catalogue.years import current_school_year
from domain.family import dossier as dossiers, quotient as quotients
from domain.family.contact import family_email_address
from domain.files import upload_path
from domain.messaging.messages import thread_messages
from models import DossierValidation, Family, QFDeclaration, SchoolYear, StoredFile

INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")


# --- Dossiers à valider ----------------------------------------------------------


def dossier_items(refusal=None):
    """Each waiting actualisation with its checklist, thread and forms."""
    items = []
    for validation in dossiers.pending_actualisations():
        thread = actualisation.actualisation_thread(validation)
        form = refusal if refusal is not None and refusal.item_id == validation.id else \
            RefusalForm(prefix=f"refus-{validation.id}", formdata=None)
        items.append({"validation": validation, "thread": thread,
                      "messages": thread_messages(thread) if thread else [],
                      "checked": dossiers.checked_sections(validation),
                      "refusal": form})
    return items


def show_dossiers(refusal=None, status=200):
    return render("staff/validations/dossiers.html", items=dossier_items(refusal),
                  sections=dossiers.ACTUALISATION_SECTIONS, validate_form=EmptyForm(), status=status)


@bp.route("/validations/dossiers")
def dossiers_page():
    """Dossiers à valider: the actualisations sent, oldest first."""
    return show_dossiers()


def _waiting_dossier(validation_id):
    return get_or_404(DossierValidation.select(DossierValidation, Family, SchoolYear)
                      .join(Family).switch(DossierValidation).join(SchoolYear)
                      .where(DossierValidation.id == validation_id))


def _refuse(family, item_id, prefix, show, refuse, refused, what, page):
    """Refuser: ``refuse(reason)`` with the reason required; "``what`` de la famille …
    refusé" is flashed."""
    return review(RefusalForm(prefix=prefix), item_id, show,
                  lambda form: refuse(form.reason.data), refused,
                  lambda form: f"{what} de la famille {family.account_number} – "
                               f"{family.name} refusé : le motif lui est envoyé.", page)


@bp.route("/validations/dossiers/<int:validation_id>/valider", methods=["POST"])
def validate_dossier(validation_id):
    """Valider: the accusé goes to the family's thread and by email; INSCRIPTION opens."""
    validation = _waiting_dossier(validation_id)
    family = validation.family
    if not EmptyForm().validate_on_submit():
        abort(400)
    return review(
        EmptyForm(), validation.id, show_dossiers,
        lambda form: actualisation.validate_actualisation(validation, current_actor(),
                                                          clock.now()),
        actualisation.ReviewRefused,
        lambda form: f"Dossier {validation.school_year.label} de la famille "
                     f"{family.account_number} – {family.name} validé : l'accusé est envoyé "
                     "par email et dans sa messagerie.",
        "staff.dossiers_page")


@bp.route("/validations/dossiers/<int:validation_id>/refuser", methods=["POST"])
def refuse_dossier(validation_id):
    """Refuser, with the reason sent to the family the same way."""
    validation = _waiting_dossier(validation_id)
    return _refuse(validation.family, validation.id, f"refus-{validation.id}", show_dossiers,
                   lambda reason: actualisation.refuse_actualisation(
                       validation, current_actor(), reason, clock.now()),
                   actualisation.ReviewRefused, "Dossier", "staff.dossiers_page")


# --- Quotients à valider --------------------------------------------------------------


def quotient_items(bound=None):
    """Each waiting declaration with its bracket, the QF in force and its forms."""
    today = clock.today()
    year = current_school_year(today)
    items = []
    for declaration in quotients.pending_quotients():
        prefix = f"qf-{declaration.id}"
        validate = refuse = correct = None
        if bound is not None and bound.item_id == declaration.id:
            validate = bound if isinstance(bound, QuotientValidationForm) else None
            refuse = bound if isinstance(bound, RefusalForm) else None
            correct = bound if isinstance(bound, QuotientCorrectionForm) else None
        if correct is None:
            correct = QuotientCorrectionForm(prefix=f"{prefix}-corr", formdata=None)
            correct.quotient.data = declaration.quotient
        if validate is None:
            validate = QuotientValidationForm(prefix=prefix, formdata=None)
            validate.effective_from.data = quotients.default_effective_date(today)
        refuse = refuse or RefusalForm(prefix=f"{prefix}-refus", formdata=None)
        in_force = quotient_in_force(declaration.family_id, today)
        items.append({"declaration": declaration,
                      "bracket": bracket_for(year, declaration.quotient) if year else None,
                      "in_force": in_force,
                      "in_force_bracket": bracket_for(year, in_force.quotient if in_force
                                                      else None) if year else None,
                      "attestation": declaration.attestation if declaration.attestation_id
                      else None,
                      "validate": validate, "refuse": refuse, "correct": correct})
    return items


def show_quotients(bound=None, status=200):
    return render("staff/validations/quotients.html", items=quotient_items(bound), status=status)


@bp.route("/validations/quotients")
def quotients_page():
    """Quotients à valider: declared QF, attestation, bracket."""
    return show_quotients()


def _waiting_declaration(declaration_id):
    return get_or_404(QFDeclaration.select(QFDeclaration, Family).join(Family)
                      .where(QFDeclaration.id == declaration_id))


@bp.route("/validations/quotients/<int:declaration_id>/valider", methods=["POST"])
def validate_quotient(declaration_id):
    """Valider from an effective date (default: the 1st of next month)."""
    declaration = _waiting_declaration(declaration_id)
    family = declaration.family

    def validate(form):
        year = (current_school_year(form.effective_from.data)
                or current_school_year(clock.today()))
        quotients.validate_quotient(declaration, current_actor(), form.effective_from.data, year,
                                    family_email_address(family))

    return review(
        QuotientValidationForm(prefix=f"qf-{declaration.id}"), declaration.id, show_quotients,
        validate, quotients.QuotientReviewRefused,
        lambda form: f"Quotient {declaration.quotient} de la famille {family.account_number} "
                     f"– {family.name} validé à partir du {form.effective_from.data:%d/%m/%Y} ; "
                     "la famille est prévenue par email.",
        "staff.quotients_page")


@bp.route("/validations/quotients/<int:declaration_id>/corriger", methods=["POST"])
def correct_quotient(declaration_id):
    """Correct the declared value (misread by the family) before validating; audited."""
    declaration = _waiting_declaration(declaration_id)
    family = declaration.family
    return review(
        QuotientCorrectionForm(prefix=f"qf-{declaration.id}-corr"), declaration.id,
        show_quotients,
        lambda form: quotients.correct_quotient(declaration, current_actor(), form.quotient.data,
                                                form.reason.data or ""),
        quotients.QuotientReviewRefused,
        lambda form: f"Quotient de la famille {family.account_number} – {family.name} corrigé : "
                     f"{declaration.quotient} → {form.quotient.data}. Validez-le maintenant.",
        "staff.quotients_page")


@bp.route("/validations/quotients/<int:declaration_id>/refuser", methods=["POST"])
def refuse_quotient(declaration_id):
    """Refuser, with the reason emailed to the family."""
    declaration = _waiting_declaration(declaration_id)
    family = declaration.family
    return _refuse(family, declaration.id, f"qf-{declaration.id}-refus", show_quotients,
                   lambda reason: quotients.refuse_quotient(
                       declaration, current_actor(), reason, family_email_address(family)),
                   quotients.QuotientReviewRefused, "Quotient", "staff.quotients_page")


def _attestation(declaration_id):
    return get_or_404(StoredFile.select().join(
        QFDeclaration, on=(QFDeclaration.attestation == StoredFile.id))
        .where(QFDeclaration.id == declaration_id))


@bp.route("/validations/quotients/<int:declaration_id>/attestation")
def quotient_attestation(declaration_id):
    """Download the CAF attestation."""
    return send_stored_file(_attestation(declaration_id))


@bp.route("/validations/quotients/<int:declaration_id>/attestation/apercu")
def quotient_attestation_preview(declaration_id):
    """The attestation shown inline in the queue (a PDF in a same-origin frame, an image
    in <img>): served with its checked type, never sniffed, scripts refused."""
    stored = _attestation(declaration_id)
    path = upload_path(stored.stored_name)
    if stored.content_type not in INLINE_TYPES or not os.path.exists(path):
        abort(404)
    response = send_file(path, mimetype=stored.content_type, as_attachment=False,
                         download_name=stored.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # sandbox, as every download: whatever the file holds runs nothing with the
    # portal's origin.
    response.headers["Content-Security-Policy"] = ("default-src 'none'; img-src 'self'; "
                                                   "object-src 'self'; frame-ancestors 'self'; "
                                                   "sandbox")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response
