"""Moving up a class (« passage de classe ») when next year is prepared.

Each child's level of next year is computed (TPS → PS → MS → GS → CP → … → CM2 → leaves)
and its school with it: at GS → CP the child goes to its maternelle's ``next_school``
(the commune's mapping, ``School.next_school``); a child leaving after CM2 has none.
Staff review the list (exceptions: maintien, another school, leaving the commune) and
apply it in one go (audited).

The result is stored apart, on ``Child.next_year`` / ``next_class_level`` /
``next_school_name``: the current year's pages keep reading ``class_level`` and
``school_name``, and :func:`level_in` gives the level of a child in a given year (next
year's INSCRIPTION offers the lines of the child's new level). When next year starts,
:func:`start_year` makes the next level the current one.
"""
from collections import defaultdict
from dataclasses import dataclass

from peewee import chunked

from domain import audit
from domain.transactions import write_transaction
from models import Child, Family, School, SchoolYear

#: The next level of each level; CM2 leaves the commune's primary schools.
NEXT_LEVEL = dict(zip(Child.LEVELS, Child.LEVELS[1:] + (Child.LEAVES,)))

#: The staff's choices in the review.
NORMAL, MAINTIEN, OTHER_SCHOOL, LEAVES = "passage", "maintien", "autre_ecole", "sortie"
CHOICE_LABELS = {NORMAL: "Passage", MAINTIEN: "Maintien", OTHER_SCHOOL: "Autre école",
                 LEAVES: "Sortie"}

LEAVES_LABEL = "quitte l'école"


@dataclass
class Move:
    """One child's line of the review: where it is, where it goes."""

    child: Child
    next_level: str
    next_school: str
    normal_school: str = ""  # where the child would normally go (no exception)

    @property
    def leaves(self):
        return self.next_level == Child.LEAVES

    @property
    def choice(self):
        """What the stored next level says, against the computed one."""
        if self.leaves:
            return LEAVES
        if self.next_level == self.child.class_level:
            return MAINTIEN
        if self.next_school != self.normal_school:
            return OTHER_SCHOOL
        return NORMAL

    @property
    def next_level_label(self):
        return LEAVES_LABEL if self.leaves else self.next_level


def _schools():
    """{name: School} with their next school joined (one query)."""
    return {s.name: s for s in School.select()}


def proposed(child, schools):
    """(level, school name) the child normally moves to."""
    level = NEXT_LEVEL.get(child.class_level, child.class_level)
    if level == Child.LEAVES:
        return level, ""
    school = schools.get(child.school_name)
    if (school is not None and school.next_school_id is not None
            and level not in school.level_list):
        by_id = {s.id: s for s in schools.values()}
        next_school = by_id.get(school.next_school_id)
        return level, next_school.name if next_school else child.school_name
    return level, child.school_name


def level_in(child, school_year):
    """The child's class level in ``school_year`` (a SchoolYear or its id): next year's
    once computed for that year, else the current one; None when it leaves."""
    year_id = getattr(school_year, "id", school_year)
    if child.next_year_id is not None and child.next_year_id == year_id \
            and child.next_class_level:
        return None if child.next_class_level == Child.LEAVES else child.next_class_level
    return child.class_level


def compute_moves(next_year, actor=None):
    """Store every child's normal move into ``next_year`` (children already reviewed for
    that year keep their review). Returns how many were computed."""
    schools = _schools()
    groups = defaultdict(list)
    for child in Child.select().where(Child.next_year.is_null()
                                      | (Child.next_year != next_year.id)):
        groups[proposed(child, schools)].append(child.id)
    with write_transaction():
        _update_groups(groups, next_year=next_year.id)
    return sum(len(ids) for ids in groups.values())


def _update_groups(groups, **fields):
    """One UPDATE per (level, school) of ``groups`` {(level, school): [child ids]}."""
    for (level, school), ids in groups.items():
        for batch in chunked(ids, 500):
            Child.update(next_class_level=level, next_school_name=school, **fields).where(
                Child.id.in_(batch)).execute()


def review(next_year):
    """[Move] of every child for ``next_year``, by family and first name (two queries)."""
    schools = _schools()
    return [Move(child, child.next_class_level, child.next_school_name,
                 proposed(child, schools)[1])
            for child in Child.select(Child, Family).join(Family)
            .where(Child.next_year == next_year.id)
            .order_by(Family.name, Family.account_number, Child.first_name, Child.id)]


class MoveRefused(ValueError):
    """A review that cannot be applied; ``errors`` maps a child id to its French reason."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def apply_review(actor, next_year, choices, other_schools):
    """Apply the staff's review in one go: ``choices`` {child id: NORMAL | MAINTIEN |
    OTHER_SCHOOL | LEAVES}, ``other_schools`` {child id: school name} for OTHER_SCHOOL.
    Checked first (nothing changes on a refusal), then one transaction, one audit row.
    Returns {choice: count}."""
    schools = _schools()
    moves = {m.child.id: m for m in review(next_year)}
    errors, updates = {}, {}
    for child_id, choice in choices.items():
        move = moves.get(child_id)
        if move is None:
            continue
        child = move.child
        if choice == NORMAL:
            updates[child_id] = proposed(child, schools)
        elif choice == MAINTIEN:
            updates[child_id] = (child.class_level, child.school_name)
        elif choice == LEAVES:
            updates[child_id] = (Child.LEAVES, "")
        elif choice == OTHER_SCHOOL:
            name = (other_schools.get(child_id) or "").strip()
            if name not in schools:
                errors[child_id] = f"Choisissez l'école de {child.first_name} dans la liste."
            else:
                updates[child_id] = (proposed(child, schools)[0], name)
        else:
            errors[child_id] = f"Choisissez le passage de {child.first_name}."
    if errors:
        raise MoveRefused(errors)
    counts = {NORMAL: 0, MAINTIEN: 0, OTHER_SCHOOL: 0, LEAVES: 0}
    groups = defaultdict(list)
    for child_id, move in updates.items():
        groups[move].append(child_id)
        counts[choices[child_id]] += 1
    with write_transaction():
        _update_groups(groups)
        audit.record(actor, None, audit.CLASSES_MOVED_UP,
                     summary=f"Passage de classe vers {next_year.label} : "
                             f"{counts[NORMAL]} passage(s), {counts[MAINTIEN]} maintien(s), "
                             f"{counts[OTHER_SCHOOL]} changement(s) d'école, "
                             f"{counts[LEAVES]} sortie(s)",
                     after={"annee": next_year.label,
                            "changements": {str(k): list(v) for k, v in updates.items()}})
    return counts


def start_year(year):
    """When ``year`` starts: each child's next level and school become the current ones
    (a child who leaves keeps its last level). Returns how many children moved."""
    moved = 0
    with write_transaction():
        for child in Child.select().where(Child.next_year == year.id):
            fields = {"next_year": None, "next_class_level": "", "next_school_name": ""}
            if child.next_class_level and child.next_class_level != Child.LEAVES:
                fields.update(class_level=child.next_class_level,
                              school_name=child.next_school_name)
                moved += 1
            Child.update(**fields).where(Child.id == child.id).execute()
    return moved


def start_begun_years(today):
    """:func:`start_year` for every year that has begun by ``today`` and still has
    children waiting to move up (``flask --app app start-year``, daily from cron).
    Returns {year label: children moved}."""
    waiting = (SchoolYear.select().join(Child, on=(Child.next_year == SchoolYear.id))
               .where(SchoolYear.start_date <= today).distinct())
    return {year.label: start_year(year) for year in waiting}
