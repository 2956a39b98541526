"""Staff edit a family's record with the family's own functions, audited before/after.

Each function takes a snapshot of what it may change, calls the function the
family side uses (``domain.family.record``), and writes one audit row with only
the fields that changed.
"""
from domain import audit
from domain.clock import utc_now
from domain.family import guardian_access, record
from models import Child, Guardian, db

GUARDIAN_FIELDS = record.GUARDIAN_EDITABLE
#: What staff change of a guardian on the coordonnées page: the family's fields and the
#: email (which the guardian's sign-in email follows).
STAFF_GUARDIAN_FIELDS = GUARDIAN_FIELDS + ("email",)
HEALTH_FIELDS = ("doctor_name", "doctor_phone", "allergies", "has_pai", "pai_details", "diet")


class GuardianEmailProblem(guardian_access.AccessProblem):
    """A guardian's new email refused (see :func:`guardian_access.follow_email`), with the
    ``guardian`` whose field says it."""

    def __init__(self, guardian, message):
        super().__init__(message)
        self.guardian = guardian


def _coordonnees(family, guardians):
    values = {"adresse": family.address, "code_postal": family.postal_code,
              "ville": family.city}
    for guardian in guardians:
        for name in STAFF_GUARDIAN_FIELDS:
            values[f"{guardian.first_name} {guardian.last_name} : {name}"] = getattr(guardian,
                                                                                   name)
    return values


def _audit_changes(staff_user, family, action, summary, before, after):
    changed = audit.changed_fields(before, after)
    if changed:
        audit.record(staff_user, family, action, summary=summary,
                     before={key: old for key, (old, _) in changed.items()},
                     after={key: new for key, (_, new) in changed.items()})
    return changed


def update_coordonnees(staff_user, family, address, postal_code, city, guardian_changes):
    """The family's coordonnées changed by staff (see :func:`record.update_coordonnees`),
    and each guardian's ``email`` when given: the sign-in email of their portal account
    follows it (:func:`guardian_access.follow_email`; :class:`GuardianEmailProblem`
    leaves everything unchanged). Returns {field: (before, after)} of what changed."""
    guardians = [guardian for guardian, _ in guardian_changes]
    with db.atomic():
        before = _coordonnees(family, guardians)
        previous = [guardian.email for guardian in guardians]
        record.update_coordonnees(family, address, postal_code, city, guardian_changes)
        for guardian, values in guardian_changes:
            if values.get("email") is not None:
                guardian.email = values["email"].strip().lower()
                guardian.save(only=[Guardian.email])
        changed = _audit_changes(staff_user, family, audit.FAMILY_EDITED,
                                 "Coordonnées modifiées par le service.", before,
                                 _coordonnees(family, guardians))
        for guardian, previous_email in zip(guardians, previous):
            try:
                guardian_access.follow_email(staff_user, guardian, previous_email)
            except guardian_access.AccessProblem as problem:
                raise GuardianEmailProblem(guardian, str(problem)) from None
        return changed


CHILD_FIELDS = ("last_name", "first_name", "birth_date", "sex", "school_name", "school_type",
                "class_level")


def update_child(staff_user, child, **values):
    """A child's identity and schooling changed by staff (the family cannot: a class or a
    school changes through the service); names in capitals as everywhere."""
    values = {name: values[name] for name in CHILD_FIELDS if name in values}
    for name in ("last_name", "first_name"):
        if name in values:
            values[name] = values[name].strip().upper()
    if "school_name" in values:
        values["school_name"] = values["school_name"].strip()
    with db.atomic():
        before = {name: getattr(child, name) for name in CHILD_FIELDS}
        for name, value in values.items():
            setattr(child, name, value)
        child.save()
        return _audit_changes(staff_user, child.family_id, audit.CHILD_EDITED,
                              f"Enfant {child.first_name} modifié par le service.", before,
                              {name: getattr(child, name) for name in CHILD_FIELDS})


def update_health_record(staff_user, child, doctor_name, doctor_phone, allergies, has_pai,
                         pai_details, diet):
    """The child's fiche sanitaire changed by staff (see :func:`record.update_health_record`)."""
    with db.atomic():
        current = record.health_record(child)
        before = {name: getattr(current, name) for name in HEALTH_FIELDS}
        saved = record.update_health_record(child, doctor_name, doctor_phone, allergies,
                                            has_pai, pai_details, diet)
        return _audit_changes(staff_user, child.family_id, audit.HEALTH_EDITED,
                              f"Fiche sanitaire de {child.first_name} modifiée par le service.",
                              before, {name: getattr(saved, name) for name in HEALTH_FIELDS})


def _pickup_values(person):
    """A pick-up person as the audit log shows it."""
    return {"nom": person.last_name, "prenom": person.first_name,
            "lien": person.relationship, "telephone": person.phone}


def add_pickup_person(staff_user, family, last_name, first_name, relationship, phone):
    """A pick-up person added by staff."""
    with db.atomic():
        person = record.add_pickup_person(family, last_name, first_name, relationship, phone)
        audit.record(staff_user, family, audit.PICKUP_EDITED,
                     summary=f"Personne autorisée ajoutée : {person.first_name} "
                             f"{person.last_name}.", after=_pickup_values(person))
    return person


def remove_pickup_person(staff_user, family, person):
    """A pick-up person withdrawn by staff; False when not one of the family's."""
    with db.atomic():
        removed = record.remove_pickup_person(family, person.id)
        if removed:
            audit.record(staff_user, family, audit.PICKUP_EDITED,
                         summary=f"Personne autorisée retirée : {person.first_name} "
                                 f"{person.last_name}.", before=_pickup_values(person))
    return removed


def health_viewed(staff_user, child):
    """Opening a child's fiche sanitaire writes an access-log row (who, when, which child)."""
    return audit.record(staff_user, child.family_id, audit.HEALTH_VIEWED,
                        summary=f"Fiche sanitaire de {child.first_name} {child.last_name} "
                                "consultée.", after={"enfant": child.id})


def _child_values(child):
    return {name: getattr(child, name) for name in CHILD_FIELDS}


def add_child(staff_user, family, **values):
    """A child added to the family by staff (names in capitals); audited."""
    values = {name: values[name] for name in CHILD_FIELDS if name in values}
    for name in ("last_name", "first_name"):
        values[name] = values[name].strip().upper()
    with db.atomic():
        child = Child.create(family=family, **values)
        audit.record(staff_user, family, audit.CHILD_ADDED,
                     f"Enfant {child.first_name} {child.last_name} ajouté par le service.",
                     after=_child_values(child))
    return child


def archive_child(staff_user, child, archived=True):
    """Archive a child (gone from INSCRIPTION, PLANNING and the registers, kept in history
    and invoices: a child is never deleted, its bookings and invoices stay), or bring it
    back with ``archived=False``; audited."""
    with db.atomic():
        before = child.archived_at
        child.archived_at = utc_now() if archived else None
        child.save(only=[Child.archived_at])
        audit.record(staff_user, child.family_id, audit.CHILD_ARCHIVED,
                     f"Enfant {child.first_name} {'archivé' if archived else 'désarchivé'} "
                     "par le service.", before={"archive": before is not None},
                     after={"archive": archived})
    return child


SECOND_GUARDIAN_FIELDS = record.SECOND_GUARDIAN_FIELDS


def set_second_guardian(staff_user, family, decision=None, **values):
    """Add or edit the family's second legal guardian; audited before/after. Their portal
    account's sign-in email follows a new email (see :func:`guardian_access.follow_email`,
    whose :class:`~guardian_access.AccessProblem` leaves everything unchanged). New names
    on a guardian with an account are what staff's ``decision`` says
    (:func:`guardian_access.take_over`): a spelling corrected keeps the account on the
    row; another person replaces the guardian, and the replaced person's account is
    theirs, not the new one's (:func:`guardian_access.end_person`); no decision raises
    :class:`~guardian_access.DecisionNeeded`, nothing saved. The decision is in the
    audit row's sentence and details."""
    values = record.second_guardian_values(values)
    with db.atomic():
        guardian = Guardian.get_or_none((Guardian.family == family) & (Guardian.position == 2))
        before = {name: getattr(guardian, name) for name in SECOND_GUARDIAN_FIELDS} \
            if guardian else {}
        taken = None
        if guardian is None:
            guardian = Guardian(family=family, position=2)
        else:
            name_before = guardian_access.guardian_name(guardian)
            taken = guardian_access.take_over(
                staff_user, guardian, values["first_name"], values["last_name"], decision,
                f"Remplacé comme second responsable par {values['first_name']} "
                f"{values['last_name']}")
        for name, value in values.items():
            setattr(guardian, name, value)
        guardian.save()
        after = {name: getattr(guardian, name) for name in SECOND_GUARDIAN_FIELDS}
        summary = "Second responsable légal enregistré par le service."
        if taken is not None:
            summary = ("Second responsable légal enregistré par le service : "
                       f"{guardian_access.decision_sentence(name_before, taken)}.")
            after["décision"] = taken
        _audit_changes(staff_user, family, audit.GUARDIAN_EDITED, summary, before, after)
        guardian_access.follow_email(staff_user, guardian, before.get("email", ""))
    return guardian


def remove_second_guardian(staff_user, family):
    """Withdraw the second legal guardian; False when there is none. Their portal access
    ends with them, and their account keeps their name (:func:`guardian_access.end_person`)."""
    with db.atomic():
        guardian = Guardian.get_or_none((Guardian.family == family) & (Guardian.position == 2))
        if guardian is None:
            return False
        before = {name: getattr(guardian, name) for name in SECOND_GUARDIAN_FIELDS}
        guardian_access.end_person(staff_user, guardian,
                                   "Retiré comme second responsable par le service")
        guardian.delete_instance()
        audit.record(staff_user, family, audit.GUARDIAN_EDITED,
                     "Second responsable légal retiré par le service.", before=before)
    return True
