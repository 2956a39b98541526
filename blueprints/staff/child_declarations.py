"""Espace agents: VALIDATIONS › Déclarations des familles — the children and second
guardians families declared, validated (the child is created, the family can enrol it;
the guardian joins the family) or refused with a reason."""
from flask import abort

from blueprints.common import EmptyForm, get_or_404, send_stored_file
from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from blueprints.staff.family_forms import GuardianDecisionForm, ask_who, no_answer
from blueprints.staff.forms import RefusalForm
from blueprints.staff.review import review
from domain.family import declarations, guardian_access
from models import ChildDeclaration, Family, GuardianDeclaration, StoredFile


def _items(pending, prefix, refusal):
    items = []
    for declaration in pending:
        name = f"{prefix}-{declaration.id}"
        form = refusal if refusal is not None and refusal._prefix == name + "-" else \
            RefusalForm(prefix=name, formdata=None)
        items.append({"declaration": declaration, "refusal": form})
    return items


def _decisions(guardian_declarations, replaced, answered):
    """{declaration id: the question of its « Valider »} for those whose names change a
    second guardian who has or had an account; ``answered``: the form sent (with its
    error), kept for its declaration."""
    questions = {}
    for declaration in guardian_declarations:
        guardian, had_account = replaced.get(declaration.id, (None, False))
        if not had_account:
            continue
        form = answered if answered is not None and answered.item_id == declaration.id \
            else GuardianDecisionForm(formdata=None)
        form.decision.choices = guardian_access.decision_choices(guardian)
        questions[declaration.id] = form
    return questions


def show(form=None, status=200):
    """The page; ``form``: a refusal or a « Valider » sent with errors (shown again)."""
    decision = form if isinstance(form, GuardianDecisionForm) else None
    refusal = None if decision is not None else form
    guardian_declarations = declarations.pending_guardian_declarations()
    replaced = declarations.replaced_guardians(guardian_declarations)
    return render("staff/validations/children.html",
                  items=_items(declarations.pending_declarations(), "refus-enfant", refusal),
                  guardian_items=_items(guardian_declarations, "refus-responsable", refusal),
                  replaced=replaced,
                  decisions=_decisions(guardian_declarations, replaced, decision),
                  status=status)


@bp.route("/validations/enfants")
def child_declarations_page():
    """Déclarations des familles: waiting children and guardians, oldest first."""
    return show()


def _waiting(model, declaration_id):
    """A child's or a guardian's declaration, with its family; else 404."""
    return get_or_404(model.select(model, Family).join(Family).where(model.id == declaration_id))


def _said(declaration, message):
    """``message`` with the declared person's and the family's names filled in."""
    return message.format(first=declaration.first_name, last=declaration.last_name,
                          account=declaration.family.account_number,
                          family=declaration.family.name)


def _validate(declaration, act, success):
    """Valider (a bare button: a forged form is a 400): ``act`` runs the domain's rule."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    return review(EmptyForm(), declaration.id, show,
                  lambda form: act(declaration, current_actor()),
                  declarations.DeclarationReviewRefused,
                  lambda form: _said(declaration, success), "staff.child_declarations_page")


def _refuse(declaration, prefix, act, success):
    """Refuser with a reason (required, shown by the field when missing)."""
    return review(RefusalForm(prefix=f"{prefix}-{declaration.id}"), declaration.id, show,
                  lambda form: act(declaration, current_actor(), form.reason.data),
                  declarations.DeclarationReviewRefused,
                  lambda form: _said(declaration, success), "staff.child_declarations_page")


@bp.route("/validations/enfants/<int:declaration_id>/valider", methods=["POST"])
def validate_child_declaration(declaration_id):
    """The declared child joins the family, who can now enrol it."""
    return _validate(_waiting(ChildDeclaration, declaration_id),
                     declarations.validate_declaration,
                     "{first} {last} est ajouté à la famille {account} – {family} : elle peut "
                     "l'inscrire aux activités.")


@bp.route("/validations/enfants/<int:declaration_id>/refuser", methods=["POST"])
def refuse_child_declaration(declaration_id):
    return _refuse(_waiting(ChildDeclaration, declaration_id), "refus-enfant",
                   declarations.refuse_declaration,
                   "Déclaration de {first} refusée : la famille voit le motif dans "
                   "« Mes enfants ».")


@bp.route("/validations/enfants/<int:declaration_id>/document")
def child_declaration_document(declaration_id):
    """Download the document joined to a declaration."""
    return send_stored_file(get_or_404(
        StoredFile.select().join(ChildDeclaration, on=(ChildDeclaration.document == StoredFile.id))
        .where(ChildDeclaration.id == declaration_id)))


@bp.route("/validations/responsables/<int:declaration_id>/valider", methods=["POST"])
def validate_guardian_declaration(declaration_id):
    """The declared person becomes the family's second guardian. When the names change a
    guardian who has or had an account, the agent says whose they are (required): a
    spelling corrected keeps the access, another person's removes it (the message says
    so)."""
    declaration = _waiting(GuardianDeclaration, declaration_id)
    form = GuardianDecisionForm()
    guardian, had_account = declarations.replaced_guardians([declaration]).get(
        declaration.id, (None, False))
    asked = had_account and ask_who(form, guardian, declaration.first_name,
                                    declaration.last_name)
    if not form.validate_on_submit():  # a forged form is a 400, as for the others
        abort(400)
    if asked and no_answer(form, guardian):
        form.item_id = declaration.id
        return show(form, status=422)
    decision = form.decision.data if asked else None
    account = guardian_access.account_of(guardian) if asked else None
    removed = (f" L'accès au portail de {guardian.first_name} {guardian.last_name} est "
               "retiré.").replace("{", "{{").replace("}", "}}") \
        if decision == guardian_access.OTHER_PERSON and account.is_active else ""
    return review(form, declaration.id, show,
                  lambda form: declarations.validate_guardian_declaration(
                      declaration, current_actor(), decision),
                  declarations.DeclarationReviewRefused,
                  lambda form: _said(declaration, "{first} {last} est second responsable de "
                                     "la famille {account} – {family}." + removed),
                  "staff.child_declarations_page")


@bp.route("/validations/responsables/<int:declaration_id>/refuser", methods=["POST"])
def refuse_guardian_declaration(declaration_id):
    return _refuse(_waiting(GuardianDeclaration, declaration_id), "refus-responsable",
                   declarations.refuse_guardian_declaration,
                   "Déclaration de {first} {last} refusée : la famille voit le motif dans "
                   "« Mes coordonnées ».")
