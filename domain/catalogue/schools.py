"""The commune's schools, kept by the administrateur: name, kind, levels taught, and
where a maternelle's GS pupils go for CP. A school is archived, never deleted (its
children keep its name); an archived school is no longer offered in the forms."""
from domain import audit
from domain.problems import FieldProblem
from models import Child, School, db

FIELDS = ("name", "kind", "levels", "next_school")


class SchoolProblem(FieldProblem):
    """A school that cannot be saved: ``field`` is the form field to show ``str()`` at."""


def all_schools():
    """Every school, active ones first, by name."""
    return list(School.select().order_by(School.archived, School.name))


def active_schools():
    return list(School.select().where(School.archived == False)  # noqa: E712
                .order_by(School.name))


def _values(school):
    return {"name": school.name, "kind": school.kind, "levels": school.levels,
            "next_school": school.next_school.name if school.next_school_id else ""}


def save_school(actor, school, name, kind, levels, next_school_id):
    """Create (``school`` None) or edit a school; children of a renamed school follow it.
    Audited before/after."""
    name = " ".join(name.split())
    levels = ",".join(level for level in Child.LEVELS if level in levels)
    with db.atomic():
        clash = School.select().where(School.name == name)
        if school is not None:
            clash = clash.where(School.id != school.id)
        if clash.exists():
            raise SchoolProblem("name", "Une école porte déjà ce nom.")
        next_school = School.get_or_none(School.id == next_school_id) if next_school_id else None
        before = _values(school) if school else {}
        old_name = school.name if school else None
        if school is None:
            school = School(name=name)
        if next_school is not None and next_school.id == school.id:
            raise SchoolProblem("next_school", "Choisissez une autre école que celle-ci.")
        school.name, school.kind, school.levels, school.next_school = (name, kind, levels,
                                                                        next_school)
        school.save()
        if old_name and old_name != name:
            Child.update(school_name=name).where(Child.school_name == old_name).execute()
        changed = audit.changed_fields(before, _values(school))
        if changed:
            audit.record(actor, None, audit.SCHOOL_EDITED, f"École {school.name} enregistrée.",
                         before={k: old for k, (old, _) in changed.items()},
                         after={k: new for k, (_, new) in changed.items()})
    return school


def set_archived(actor, school, archived):
    """Archive a school (no longer offered) or bring it back; audited."""
    with db.atomic():
        school.archived = archived
        school.save(only=[School.archived])
        audit.record(actor, None, audit.SCHOOL_EDITED,
                     f"École {school.name} {'archivée' if archived else 'réactivée'}.",
                     before={"archivee": not archived}, after={"archivee": archived})
    return school


def school_choices():
    """``[(name, "name (levels)")]`` of the schools offered in the children's forms."""
    return [(s.name, f"{s.name} ({', '.join(s.level_list)})") for s in active_schools()]


def level_problem(school_name, level):
    """The French message when ``school_name`` is not an active school of the list or does
    not teach ``level``; None when it is fine (or no school is given)."""
    if not school_name:
        return None
    school = School.get_or_none((School.name == school_name)
                                & (School.archived == False))  # noqa: E712
    if school is None:
        return "Choisissez une école de la liste."
    if school.level_list and level not in school.level_list:
        return f"Cette école n'a pas de classe {level} : {', '.join(school.level_list)}."
    return None
