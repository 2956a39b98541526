"""Waiting lists of full days.

A family joins the list of a full day for one child, activity and modalité — a day the
child could book but for its places (enrolled, the line open that day, before its
deadline), as the calendar offers it; its rank is its order of arrival (``created_at``,
then id). When a place frees — a booking cancelled through TERMINER —
:func:`domain.booking.changes.commit_pending` hands the freed places to the first
families whose booking the rules still allow (:func:`domain.booking.changes.promote_waiting`,
also run when staff raise a day's places), in the same transaction and under the
activity's lock, so two places freed at once never go to the same family twice nor
exceed the capacity.
"""
from peewee import IntegrityError

from domain.booking.calendar import as_date, fill_days, load_all_overrides, load_lines
from domain.booking.days import CLOSED_DAY_TEXT, NOT_ENROLLED_TEXT, capacity_of, overrides_for
from domain.clock import PARIS
from domain.fast_rows import compiled_rows, model_instance
from domain.transactions import write_transaction
from models import Activity, Booking, Child, Modalite, User, WaitingListEntry

NOT_FULL_TEXT = "Ce jour n'est pas complet : réservez-le directement."
ALREADY_BOOKED_TEXT = "Ce jour est déjà réservé pour cet enfant."
ALREADY_WAITING_TEXT = "Cet enfant est déjà sur la liste d'attente de ce jour."
NOT_OPEN_TEXT = "Cette ligne d'activité n'est pas ouverte pour cet enfant."
PAST_TEXT = "Ce jour est passé."


class WaitingListError(ValueError):
    """Joining is not possible; the French reason is the message."""


def ordered(query):
    """The entries in rank order: first arrived first."""
    return query.order_by(WaitingListEntry.created_at, WaitingListEntry.id)


def _days_query(activity_ids, days):
    return ordered(WaitingListEntry.select().where(
        WaitingListEntry.activity.in_(activity_ids) & WaitingListEntry.date.in_(days)))


def entries_of_days(pairs):
    """{(activity id, date): entries in rank order} of those days, in one query."""
    pairs = set(pairs)
    found = {}
    if not pairs:
        return found
    fields = WaitingListEntry._meta.sorted_fields
    rows = compiled_rows("waiting of days", _days_query,
                         activity_ids=sorted({a for a, _ in pairs}),
                         days=sorted({d for _, d in pairs}))
    for entry in (model_instance(WaitingListEntry, fields, row) for row in rows):
        key = (entry.activity_id, as_date(entry.date))
        if key in pairs:
            found.setdefault(key, []).append(entry)
    return found


def rank_of(entry):
    """1 for the first family on the list of the entry's day, and so on."""
    ahead = WaitingListEntry.select().where(
        (WaitingListEntry.activity == entry.activity_id) & (WaitingListEntry.date == entry.date)
        & ((WaitingListEntry.created_at < entry.created_at)
           | ((WaitingListEntry.created_at == entry.created_at)
              & (WaitingListEntry.id < entry.id)))).count()
    return ahead + 1


def family_entries(family_id):
    """The family's entries with their ``rank``, by day."""
    entries = list(WaitingListEntry.select(WaitingListEntry, Child, Activity, Modalite)
                   .join(Child).switch(WaitingListEntry).join(Activity)
                   .switch(WaitingListEntry).join(Modalite)
                   .where(WaitingListEntry.family == family_id)
                   .order_by(WaitingListEntry.date, Child.first_name, WaitingListEntry.id))
    for entry in entries:
        entry.rank = rank_of(entry)
    return entries


def is_day_full(activity, day):
    """Whether every place of ``activity`` on ``day`` is booked."""
    _, places, _ = load_all_overrides([activity.id], day, day)
    capacity = capacity_of(activity, day, overrides_for(activity.id, places))
    if capacity is None:
        return False
    return Booking.select().where((Booking.activity == activity.id)
                                  & (Booking.date == day)).count() >= capacity


def is_family_child(family_id, child_id):
    """Whether ``child_id`` is a child of the family (another family's: a 404)."""
    return Child.select().where((Child.id == child_id) & (Child.family == family_id)).exists()


def _bookable_line(family_id, child_id, activity_id, modalite_id, day, now, zone):
    """The child's line of ``day``, its DayStatus filled as the calendar shows it, when
    booking that day would be allowed but for its places; raises
    :class:`WaitingListError` with the reason booking it would be refused for (the
    line, the modalité, the enrolment's end, the line's opening, the deadline)."""
    _, lines = load_lines(family_id, day, child_id, activity_id)
    if not lines or modalite_id not in lines[0].modalite_ids:
        raise WaitingListError(NOT_OPEN_TEXT)
    line = lines[0]
    if day < now.astimezone(PARIS).date():
        raise WaitingListError(PAST_TEXT)
    fill_days(lines, day, day, now, zone, {})
    status = line.days[day]
    if line.closed_from is not None and day >= line.closed_from:
        raise WaitingListError(NOT_ENROLLED_TEXT)
    if not status.is_open:
        raise WaitingListError(CLOSED_DAY_TEXT)
    if not status.state.allowed:
        raise WaitingListError(status.state.reason)
    return line


def join(family_id, child_id, activity_id, modalite_id, day, now, zone):
    """Put the family's child on the list of a full day; returns the entry (with its
    ``rank``). Raises :class:`WaitingListError` with the reason when it cannot: the day
    must be one the child could book, were a place left (``zone``: the holiday zone its
    opening and booking windows follow)."""
    line = _bookable_line(family_id, child_id, activity_id, modalite_id, day, now, zone)
    child, activity = line.child, line.activity
    with write_transaction():
        if Booking.select().where((Booking.child == child.id) & (Booking.activity == activity.id)
                                  & (Booking.date == day)).exists():
            raise WaitingListError(ALREADY_BOOKED_TEXT)
        if not is_day_full(activity, day):
            raise WaitingListError(NOT_FULL_TEXT)
        try:
            with WaitingListEntry._meta.database.atomic():
                entry = WaitingListEntry.create(family=family_id, child=child.id,
                                                activity=activity.id, modalite=modalite_id,
                                                date=day, created_at=now)
        except IntegrityError:
            raise WaitingListError(ALREADY_WAITING_TEXT) from None
    entry.rank = rank_of(entry)
    return entry


def leave(family_id, entry_id):
    """Take the family's entry off its list (never another family's); the families
    behind move up. Returns how many rows went (0 or 1)."""
    return WaitingListEntry.delete().where((WaitingListEntry.id == entry_id)
                                           & (WaitingListEntry.family == family_id)).execute()


def family_addresses(family_id):
    """The emails of the family's active accounts."""
    return [email for (email,) in User.select(User.email).where(
        (User.family == family_id) & User.is_active & User.email.is_null(False))
        .order_by(User.id).tuples()]


def place_text(line):
    """``Mer. 13/01/2027 – LENA - … - Après-midi SANS repas``, for the email."""
    return f"{line.email_day} – {line.element}"
