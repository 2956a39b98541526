"""Espace agents: VALIDATIONS › Enfants déclarés — the children families declared,
validated (the child is created, the family can enrol it) or refused with a reason."""
from flask import abort, flash, redirect, url_for
from flask_login import current_user

from blueprints.common import EmptyForm, form_status, get_or_404, render, send_stored_file
from blueprints.staff import bp
from blueprints.staff.forms import RefusalForm
from domain.family import declarations
from models import ChildDeclaration, Family, StoredFile


def _staff():
    return current_user._get_current_object()


def show(refusal=None, status=200):
    items = []
    for declaration in declarations.pending_declarations():
        form = refusal if refusal is not None and refusal.item_id == declaration.id else \
            RefusalForm(prefix=f"refus-enfant-{declaration.id}", formdata=None)
        items.append({"declaration": declaration, "refusal": form})
    return render("staff/validations/children.html", items=items, status=status)


@bp.route("/validations/enfants")
def child_declarations_page():
    """Enfants déclarés: waiting declarations, oldest first."""
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
    form.item_id = declaration.id
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
