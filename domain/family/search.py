"""Finding a family in the back office: one search box, paginated results.

One text matches the family's name, its account number, a guardian's name, email
or phone, a child's first or last name, and the sign-in email. Phone numbers
match on their digits whatever the spaces (``0612`` finds ``06 12 34 56 78``).
"""
import math
import re
from dataclasses import dataclass, field

from peewee import fn

from models import Child, Family, Guardian, User

PER_PAGE = 20
MAX_QUERY = 100


@dataclass
class SearchPage:
    """One page of results."""

    query: str
    families: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages


def _digits(text):
    """The digits of a phone number typed in any form (``+33 6…`` -> ``06…``)."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("33") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def _matching_ids(query):
    """Subqueries of the family ids that ``query`` matches."""
    words = query.split()
    text = " ".join(words)
    subqueries = [
        Family.select(Family.id).where(Family.name.contains(text)),
        Guardian.select(Guardian.family).where(
            Guardian.last_name.contains(text) | Guardian.first_name.contains(text)
            | Guardian.email.contains(text)
            | (fn.LOWER(Guardian.first_name.concat(" ").concat(Guardian.last_name))
               == text.lower())),
        Child.select(Child.family).where(Child.first_name.contains(text)
                                         | Child.last_name.contains(text)),
        User.select(User.family).where(User.family.is_null(False) & User.email.contains(text)),
    ]
    if text.isascii() and text.isdigit() and len(text) <= 9:
        subqueries.append(Family.select(Family.id).where(Family.account_number == int(text)))
    digits = _digits(text)
    if len(digits) >= 4 and re.fullmatch(r"[\d\s.+()-]+", text):
        phones = [fn.REPLACE(fn.REPLACE(column, " ", ""), ".", "")
                  for column in (Guardian.phone_mobile, Guardian.phone_home, Guardian.phone_work)]
        condition = phones[0].contains(digits)
        for phone in phones[1:]:
            condition |= phone.contains(digits)
        subqueries.append(Guardian.select(Guardian.family).where(condition))
    return subqueries


def search_families(query, page=1, per_page=PER_PAGE):
    """The families matching ``query`` (every family when empty), by name then account
    number, one page of them with ``guardian_list`` and ``child_list`` (five queries)."""
    query = " ".join((query or "").split())[:MAX_QUERY]
    families = Family.select()
    if query:
        # One UNION of the matching ids (an OR of IN-subqueries makes the planner
        # scan each table once per family).
        subqueries = _matching_ids(query)
        union = subqueries[0]
        for subquery in subqueries[1:]:
            union = union | subquery
        families = families.where(Family.id.in_(union))
    total = families.count()
    result = SearchPage(query=query, total=total, per_page=per_page)
    result.page = min(max(1, page), result.pages)
    rows = list(families.order_by(Family.name, Family.account_number)
                .paginate(result.page, per_page))
    page_ids = [family.id for family in rows]
    guardians, children = {}, {}
    for guardian in (Guardian.select().where(Guardian.family.in_(page_ids or [0]))
                     .order_by(Guardian.position, Guardian.id)):
        guardians.setdefault(guardian.family_id, []).append(guardian)
    for child in (Child.select().where(Child.family.in_(page_ids or [0]))
                  .order_by(Child.first_name, Child.id)):
        children.setdefault(child.family_id, []).append(child)
    for family in rows:
        family.guardian_list = guardians.get(family.id, [])
        family.child_list = children.get(family.id, [])
    result.families = rows
    return result
