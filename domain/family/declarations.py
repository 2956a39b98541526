"""What a family declares and staff validate like a dossier.

« Déclarer un enfant » from "Mes enfants" (names, birth date, school, class, an optional
document): validated, it creates the child, whom the family can then enrol in
INSCRIPTION. A second legal guardian from "Mes coordonnées": validated, it becomes the
family's second guardian. Refused, the family reads the reason where it declared."""
from domain import audit
from domain.clock import utc_now
from domain.family import guardian_access, record
from domain.uploads import save_upload
from models import Child, ChildDeclaration, Family, Guardian, GuardianDeclaration, School, User, db

SCHOOL_TYPES = {School.PRIVEE: Child.SCHOOL_PRIVATE, School.HORS_COMMUNE: Child.SCHOOL_OUTSIDE}


class DeclarationReviewRefused(ValueError):
    """Already reviewed (in another tab): French message."""


def declare_child(family, user, first_name, last_name, birth_date, sex, school_name,
                  class_level, checked_upload=None):
    """Record the declaration (pending) with its optional document; audited."""
    with db.atomic():
        document = save_upload(checked_upload, family, user) if checked_upload else None
        declaration = ChildDeclaration.create(
            family=family, first_name=first_name.strip().upper(),
            last_name=last_name.strip().upper(), birth_date=birth_date, sex=sex or "",
            school_name=school_name or "", class_level=class_level, document=document)
        audit.record(user, family, audit.CHILD_DECLARED,
                     f"Enfant {declaration.first_name} déclaré par la famille.",
                     after={"prenom": declaration.first_name, "nom": declaration.last_name,
                            "naissance": birth_date, "classe": class_level,
                            "ecole": declaration.school_name})
    return declaration


def _not_validated(model, family):
    """The family's declarations of ``model`` not validated (pending or refused), newest
    first."""
    return list(model.select().where((model.family == family)
                                     & (model.status != model.VALIDATED))
                .order_by(model.id.desc()))


def _waiting(model):
    """Every declaration of ``model`` waiting for staff, oldest first, with its family."""
    return list(model.select(model, Family).join(Family).where(model.status == model.PENDING)
                .order_by(model.declared_at, model.id))


def family_declarations(family):
    """The family's declarations not yet turned into a child (pending or refused), newest
    first."""
    return _not_validated(ChildDeclaration, family)


def pending_declarations():
    """Every child declaration waiting for staff, oldest first, with its family."""
    return _waiting(ChildDeclaration)


def pending_declarations_count():
    """Children and second guardians declared and waiting for staff."""
    return (ChildDeclaration.select().where(ChildDeclaration.status == ChildDeclaration.PENDING)
            .count()
            + GuardianDeclaration.select()
            .where(GuardianDeclaration.status == GuardianDeclaration.PENDING).count())


def _claim(declaration, staff_user, status, comment=""):
    """Mark a child's or a guardian's declaration reviewed if still pending (one reviewer
    wins)."""
    model = type(declaration)
    claimed = (model.update(status=status, reviewed_by=staff_user, reviewed_at=utc_now(),
                            review_comment=comment)
               .where((model.id == declaration.id) & (model.status == model.PENDING))
               .execute())
    if not claimed:
        raise DeclarationReviewRefused("Cette déclaration a déjà été traitée.")


def validate_declaration(declaration, staff_user):
    """The child is created from the declaration; audited. Returns the ``Child``."""
    with db.atomic():
        _claim(declaration, staff_user, ChildDeclaration.VALIDATED)
        school = School.get_or_none(School.name == declaration.school_name)
        child = Child.create(family=declaration.family_id, first_name=declaration.first_name,
                             last_name=declaration.last_name, birth_date=declaration.birth_date,
                             sex=declaration.sex, school_name=declaration.school_name,
                             class_level=declaration.class_level,
                             school_type=SCHOOL_TYPES.get(school.kind if school else "",
                                                          Child.SCHOOL_PUBLIC))
        ChildDeclaration.update(child=child).where(
            ChildDeclaration.id == declaration.id).execute()
        audit.record(staff_user, declaration.family_id, audit.CHILD_DECLARATION_VALIDATED,
                     f"Enfant {child.first_name} déclaré par la famille : validé.",
                     after={"enfant": child.id})
    return child


def refuse_declaration(declaration, staff_user, reason):
    """Refused with a reason shown to the family; audited."""
    with db.atomic():
        _claim(declaration, staff_user, ChildDeclaration.REFUSED, reason.strip())
        audit.record(staff_user, declaration.family_id, audit.CHILD_DECLARATION_REFUSED,
                     f"Enfant {declaration.first_name} déclaré par la famille : refusé.",
                     reason=reason.strip())


# --- A second legal guardian, declared from "Mes coordonnées" -------------------------

GUARDIAN_FIELDS = record.SECOND_GUARDIAN_FIELDS


def declare_guardian(family, user, **values):
    """Record the family's declaration of a second guardian (pending); audited."""
    values = record.second_guardian_values(values)
    with db.atomic():
        declaration = GuardianDeclaration.create(family=family, **values)
        audit.record(user, family, audit.GUARDIAN_DECLARED,
                     f"Second responsable {declaration.first_name} {declaration.last_name} "
                     "déclaré par la famille.", after=values)
    return declaration


def family_guardian_declarations(family):
    """The family's guardian declarations not validated (pending or refused), newest first."""
    return _not_validated(GuardianDeclaration, family)


def pending_guardian_declarations():
    """Every guardian declaration waiting for staff, oldest first, with its family."""
    return _waiting(GuardianDeclaration)


def replaced_guardians(declarations):
    """{declaration id: (the second guardian whose names it would change, whether they
    have or had a portal account)} of the guardian ``declarations`` naming another person
    than the family's second guardian as far as :func:`guardian_access.same_person`
    knows: with an account, the service says whose names they are before « Valider »
    (:func:`guardian_access.take_over`)."""
    family_ids = {declaration.family_id for declaration in declarations}
    if not family_ids:
        return {}
    guardians = {guardian.family_id: guardian for guardian in Guardian.select().where(
        Guardian.family.in_(family_ids) & (Guardian.position == 2))}
    with_account = {guardian_id for (guardian_id,) in User.select(User.guardian).where(
        User.guardian.in_([guardian.id for guardian in guardians.values()])).tuples()} \
        if guardians else set()
    return {declaration.id: (guardian, guardian.id in with_account)
            for declaration in declarations
            if (guardian := guardians.get(declaration.family_id)) is not None
            and not guardian_access.same_person(guardian, declaration.first_name,
                                                declaration.last_name)}


def validate_guardian_declaration(declaration, staff_user, decision=None):
    """The declared person becomes the family's second guardian (replacing the one it had,
    before/after in the audit trail). Names of the second guardian changed, when they have
    an account, are what staff's ``decision`` says (:func:`guardian_access.take_over`): a
    spelling corrected keeps their account on the row; another person ends their access
    and the account leaves the row, still naming them (:func:`guardian_access.end_person`);
    no decision is refused (:class:`DeclarationReviewRefused`, nothing saved). The
    account's sign-in email never follows a declared one (see below)."""
    with db.atomic():
        _claim(declaration, staff_user, GuardianDeclaration.VALIDATED)
        values = {name: getattr(declaration, name) for name in GUARDIAN_FIELDS}
        guardian = Guardian.get_or_none((Guardian.family == declaration.family_id)
                                        & (Guardian.position == 2))
        before = {name: getattr(guardian, name) for name in GUARDIAN_FIELDS} if guardian \
            else None
        taken = None
        if guardian is None:
            guardian = Guardian(family=declaration.family_id, position=2)
        else:
            name_before = guardian_access.guardian_name(guardian)
            try:
                taken = guardian_access.take_over(
                    staff_user, guardian, values["first_name"], values["last_name"],
                    decision, f"Remplacé comme second responsable par {values['first_name']} "
                              f"{values['last_name']}")
            except guardian_access.DecisionNeeded as problem:
                raise DeclarationReviewRefused(str(problem)) from None
        for name, value in values.items():
            setattr(guardian, name, value)
        guardian.save()
        summary = "Second responsable déclaré par la famille : validé."
        after = dict(values)
        if taken is not None:
            summary = ("Second responsable déclaré par la famille : validé ; "
                       f"{guardian_access.decision_sentence(name_before, taken)}.")
            after["décision"] = taken
        audit.record(staff_user, declaration.family_id, audit.GUARDIAN_EDITED, summary,
                     before=before, after=after)
        # The sign-in email of the guardian's own account does not follow: the declaration
        # may come from the other parent's account, and following it would hand them a
        # way into this one (a reset link to an address they chose). The guardian changes
        # it from their account (confirmed by a link to the new address), or staff do.
    return guardian


def refuse_guardian_declaration(declaration, staff_user, reason):
    with db.atomic():
        _claim(declaration, staff_user, GuardianDeclaration.REFUSED, reason.strip())
        audit.record(staff_user, declaration.family_id, audit.GUARDIAN_EDITED,
                     "Second responsable déclaré par la famille : refusé.",
                     reason=reason.strip())
