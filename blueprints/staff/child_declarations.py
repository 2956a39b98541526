"""Espace agents: VALIDATIONS › Déclarations des familles — the children and second
guardians families declared, validated (the child is created, the family can enrol it;
the guardian joins the family) or refused with a reason."""
from flask import abort, flash, redirect, url_for
from flask_login import current_user

from blueprints.common import EmptyForm, form_status, get_or_404, render, send_stored_file
from blueprints.staff import bp
from blueprints.staff.forms import RefusalForm
from domain.family import declarations
from models import ChildDeclaration, Family, GuardianDeclaration, StoredFile


def _staff():
    return current_user._get_current_object()


def _items(pending, prefix, refusal):
    items = []
    for declaration in pending:
        name = f"{prefix}-{declaration.id}"
        form = refusal if refusal is not None and refusal._prefix == name + "-" else \
            RefusalForm(prefix=name, formdata=None)
        items.append({"declaration": declaration, "refusal": form})
    return items


def show(refusal=None, status=200):
    return render("staff/validations/children.html",
                  items=_items(declarations.pending_declarations(), "refus-enfant", refusal),
                  guardian_items=_items(declarations.pending_guardian_declarations(),
                                        "refus-responsable", refusal),
                  status=status)


@bp.route("/validations/enfants")
def child_declarations_page():
    """Déclarations des familles: waiting children and guardians, oldest first."""
    return show()


def _waiting(declaration_id):
    return get_or_404(ChildDeclaration.select(ChildDeclaration, Family).join(Family)
                      .where(ChildDeclaration.id == declaration_id))


@bp.route("/validations/enfants/<int:declaration_id>/valider", methods=["POST"])
def validate_child_declaration(declaration_id):
    declaration = _waiting(declaration_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        child = declarations.validate_declaration(declaration, _staff())
    except declarations.DeclarationReviewRefused as error:
        flash(str(error), "error")
    else:
        flash(f"{child.first_name} {child.last_name} est ajouté à la famille "
              f"{declaration.family.account_number} – {declaration.family.name} : elle peut "
              "l'inscrire aux activités.", "success")
    return redirect(url_for("staff.child_declarations_page"), code=303)


@bp.route("/validations/enfants/<int:declaration_id>/refuser", methods=["POST"])
def refuse_child_declaration(declaration_id):
    declaration = _waiting(declaration_id)
    form = RefusalForm(prefix=f"refus-enfant-{declaration.id}")
    if not form.validate_on_submit():
        return show(form, status=form_status(form))
    try:
        declarations.refuse_declaration(declaration, _staff(), form.reason.data)
    except declarations.DeclarationReviewRefused as error:
        flash(str(error), "error")
    else:
        flash(f"Déclaration de {declaration.first_name} refusée : la famille voit le motif "
              "dans « Mes enfants ».", "success")
    return redirect(url_for("staff.child_declarations_page"), code=303)


@bp.route("/validations/enfants/<int:declaration_id>/document")
def child_declaration_document(declaration_id):
    """Download the document joined to a declaration."""
    return send_stored_file(get_or_404(
        StoredFile.select().join(ChildDeclaration, on=(ChildDeclaration.document == StoredFile.id))
        .where(ChildDeclaration.id == declaration_id)))


def _waiting_guardian(declaration_id):
    return get_or_404(GuardianDeclaration.select(GuardianDeclaration, Family).join(Family)
                      .where(GuardianDeclaration.id == declaration_id))


@bp.route("/validations/responsables/<int:declaration_id>/valider", methods=["POST"])
def validate_guardian_declaration(declaration_id):
    """The declared person becomes the family's second guardian."""
    declaration = _waiting_guardian(declaration_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        declarations.validate_guardian_declaration(declaration, _staff())
    except declarations.DeclarationReviewRefused as error:
        flash(str(error), "error")
    else:
        flash(f"{declaration.first_name} {declaration.last_name} est second responsable de la "
              f"famille {declaration.family.account_number} – {declaration.family.name}.",
              "success")
    return redirect(url_for("staff.child_declarations_page"), code=303)


@bp.route("/validations/responsables/<int:declaration_id>/refuser", methods=["POST"])
def refuse_guardian_declaration(declaration_id):
    declaration = _waiting_guardian(declaration_id)
    form = RefusalForm(prefix=f"refus-responsable-{declaration.id}")
    if not form.validate_on_submit():
        return show(form, status=form_status(form))
    try:
        declarations.refuse_guardian_declaration(declaration, _staff(), form.reason.data)
    except declarations.DeclarationReviewRefused as error:
        flash(str(error), "error")
    else:
        flash(f"Déclaration de {declaration.first_name} {declaration.last_name} refusée : la "
              "famille voit le motif dans « Mes coordonnées ».", "success")
    return redirect(url_for("staff.child_declarations_page"), code=303)
