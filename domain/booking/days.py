"""Booking rules of PLANNING - RÉSERVATIONS, as plain functions.

Who may change which day, until when and why not; capacity; one modalité per
child, day and activity. Every function here is pure: the rows it needs
(booking windows, staff overrides, booking counts) are loaded in bulk by the
callers (``domain.booking.calendar``, ``domain.booking.changes``) and passed in,
so that a page costs one query per table, never one per day or per change.

``now`` is always an aware datetime; deadlines are instants in Europe/Paris,
so the 20th at 23:59 is 23:59 in Paris whatever the daylight-saving time.
"""
import datetime
from dataclasses import dataclass

from domain import commune
from domain.booking.illness import LABEL as ILL_LABEL
from domain.catalogue.categories import BY_INSCRIPTION, MONTHLY, WINDOWED
from domain.catalogue.school_calendar import holiday_period
from domain.clock import PARIS
from domain.dates import paris_instant
from domain.formats import date_fr, day_label, month_fr, time_fr
from models import Attendance

# Messages shown to families (French, as the guide words it).
BY_INSCRIPTION_TEXT = ("Cette ligne est réservée pour toute l'année par l'inscription : "
                       "toute modification (ajout ou annulation) se fait via la messagerie.")
PAST_DAY_TEXT = "Ce jour est passé : il ne peut plus être modifié."
CLOSED_DAY_TEXT = "Pas d'accueil ce jour-là."
FULL_TEXT = "Complet : il n'y a plus de place ce jour-là."
ONE_MODALITE_TEXT = "Une seule modalité d'accueil par jour."
NOT_ENROLLED_TEXT = "Cette ligne d'activité n'est plus ouverte pour cet enfant."


@dataclass(frozen=True)
class EditState:
    """Whether a day (or a range) can be changed at ``now``; if not, why.

    ``opens_at`` / ``closes_at`` are aware Paris instants (``closes_at``
    exclusive: the first instant when changes are no longer possible).
    """

    allowed: bool
    reason: str = ""
    opens_at: datetime.datetime | None = None
    closes_at: datetime.datetime | None = None

    @property
    def last_moment(self):
        """The last minute changes are possible (``closes_at`` minus one minute)."""
        if self.closes_at is None:
            return None
        return self.closes_at - datetime.timedelta(minutes=1)

    def describe(self):
        """One sentence for the page: until when it is open, or why it is closed."""
        if self.allowed and self.closes_at is not None:
            last = self.last_moment
            return f"Modifications possibles jusqu'au {date_fr(last)} à {time_fr(last)}."
        return self.reason






def booking_deadline(activity, day):
    """When changes to ``day`` of ``activity`` stop (exclusive Paris instant), or None.

    Monthly activities: the day after the commune's deadline day
    (:func:`domain.commune.deadline_day`, the guide's 20th) of the month before
    ``day``'s month at 00:00, i.e. changes are possible until that day at 23:59.
    Windowed activities depend on their booking window (see :func:`window_bounds`);
    ALAE lines are not booked here.
    """
    if activity.category not in MONTHLY:
        return None
    return paris_instant(commune.monthly_deadline(day.replace(day=1))
                         + datetime.timedelta(days=1))


def period_of(activity, day, zone):
    """The holiday period whose window governs ``day``: the activity's, or the day's
    (a Vacances bus CL line runs in every holiday)."""
    return activity.holiday_period or holiday_period(day, zone)


def window_bounds(window):
    """(opens_at, closes_at) Paris instants of a BookingWindow: from ``opens_on`` 00:00
    (always open before if null) to ``closes_on`` 23:59 included."""
    opens_at = paris_instant(window.opens_on) if window.opens_on else None
    closes_at = paris_instant(window.closes_on + datetime.timedelta(days=1))
    return opens_at, closes_at


def windows_by_period(windows):
    """{(school year id, period): BookingWindow} from a list of rows."""
    return {(w.school_year_id, w.period): w for w in windows}


def day_edit_state(activity, day, now, windows, zone):
    """Whether ``day`` of ``activity`` may be booked or cancelled at ``now``.

    ``windows`` is :func:`windows_by_period` of the activity's school year.
    Whether the activity runs that day and whether places are left are
    checked apart (:func:`domain.catalogue.opening.open_days`, :func:`is_full`).
    """
    if activity.category in BY_INSCRIPTION:
        return EditState(False, BY_INSCRIPTION_TEXT)
    if day < now.astimezone(PARIS).date():
        return EditState(False, PAST_DAY_TEXT)
    if activity.category in MONTHLY:
        return _monthly_state(activity, day, now)
    if activity.category in WINDOWED:
        return _window_state(activity, day, now, windows, zone)
    return EditState(False, "Cette activité ne se réserve pas sur le portail.")


def edit_state_key(activity, day, today, zone):
    """Days of one activity with the same key have the same EditState at a given "now":
    lets a page compute it once per month (or period) instead of once per day."""
    if day < today:
        return ("past",)
    if activity.category in MONTHLY:
        return (day.year, day.month)
    if activity.category in WINDOWED:
        return ("period", period_of(activity, day, zone))
    return ()


def _monthly_state(activity, day, now):
    closes_at = booking_deadline(activity, day)
    if now < closes_at:
        return EditState(True, closes_at=closes_at)
    last = closes_at - datetime.timedelta(minutes=1)
    return EditState(
        False,
        f"Les réservations de {month_fr(day.year, day.month).lower()} ne sont plus modifiables "
        f"depuis le {date_fr(closes_at)} à 00h00 : la date limite était le {date_fr(last)} "
        f"à 23h59 (le {commune.deadline_day()} de chaque mois pour le mois suivant).",
        closes_at=closes_at)


def _window_state(activity, day, now, windows, zone):
    period = period_of(activity, day, zone)
    window = windows.get((activity.school_year_id, period)) if period else None
    if window is None:
        name = f"des vacances {_of_period(period)}" if period else "de cette période"
        return EditState(False, f"Les dates de réservation {name} ne sont pas encore fixées.")
    opens_at, closes_at = window_bounds(window)
    span = (f"du {date_fr(window.opens_on)} au {date_fr(window.closes_on)}"
            if window.opens_on else f"jusqu'au {date_fr(window.closes_on)}")
    if opens_at is not None and now < opens_at:
        return EditState(False, f"Les réservations des vacances {_of_period(period)} ouvrent le "
                                f"{date_fr(window.opens_on)} (période de réservation : {span}).",
                         opens_at=opens_at, closes_at=closes_at)
    if now >= closes_at:
        return EditState(False, f"Les réservations des vacances {_of_period(period)} sont closes "
                                f"depuis le {date_fr(closes_at)} (période de réservation : "
                                f"{span}).", opens_at=opens_at, closes_at=closes_at)
    return EditState(True, opens_at=opens_at, closes_at=closes_at)


def _of_period(period):
    """``de Noël``, ``d'Hiver``, ``d'Été``…"""
    return f"d'{period}" if period[:1] in "AEÉIOUH" else f"de {period}"


def range_edit_state(activity, days, now, windows, zone, state_of=None):
    """The state of a displayed range of open ``days``: allowed if any day is.

    With no open day at all, says so; when none can be changed, the reason of
    the last day (the most future one, which is the one a family aims at).
    ``state_of(day)``, when given, is a memoized :func:`day_edit_state`.
    """
    if activity.category in BY_INSCRIPTION:
        return EditState(False, BY_INSCRIPTION_TEXT)
    if not days:
        return EditState(False, "Pas d'accueil sur cette période.")
    state_of = state_of or (lambda day: day_edit_state(activity, day, now, windows, zone))
    states = [state_of(day) for day in days]
    allowed = [s for s in states if s.allowed]
    if allowed:
        return allowed[-1]
    return states[-1]


# --- Capacity ----------------------------------------------------------------


def capacity_of(activity, day, capacity_overrides):
    """Places on ``day``: the staff override of that day, else the activity's (None =
    unlimited). ``capacity_overrides`` is {date: places} for this activity."""
    override = capacity_overrides.get(day)
    return override if override is not None else activity.capacity


def is_full(activity, day, booked_count, capacity_overrides):
    """True when ``booked_count`` committed bookings fill the places of ``day``."""
    places = capacity_of(activity, day, capacity_overrides)
    return places is not None and booked_count >= places


def split_overrides(rows):
    """Staff overrides by activity: ({activity id: {date: is_open}},
    {activity id: {date: places}}), with the key None for commune-wide rows."""
    opening: dict[int | None, dict[datetime.date, bool]] = {}
    places: dict[int | None, dict[datetime.date, int]] = {}
    for row in rows:
        if getattr(row, "school_id", None) is not None:
            continue  # one school's closure: see split_school_closures
        if row.is_open is not None:
            opening.setdefault(row.activity_id, {})[row.date] = row.is_open
        if row.capacity is not None:
            places.setdefault(row.activity_id, {})[row.date] = row.capacity
    return opening, places


def split_school_closures(rows, school_names):
    """One school's closed days: {(school name, activity id or None): set of dates}, from
    override rows with a ``school`` (``school_names``: {school id: name})."""
    closed: dict[tuple[str, int | None], set[datetime.date]] = {}
    for row in rows:
        school_id = getattr(row, "school_id", None)
        if school_id is not None and row.is_open is False and school_id in school_names:
            closed.setdefault((school_names[school_id], row.activity_id), set()).add(row.date)
    return closed


def closed_for_school(school_closed, school_name, activity_id, day):
    """Whether ``day`` is closed for the children of ``school_name`` on that activity."""
    if not school_closed or not school_name:
        return False
    return (day in school_closed.get((school_name, None), ())
            or day in school_closed.get((school_name, activity_id), ()))


def overrides_for(activity_id, by_activity):
    """The override dict of one activity: commune-wide days, then its own (which win)."""
    merged = dict(by_activity.get(None, {}))
    merged.update(by_activity.get(activity_id, {}))
    return merged


# --- One day of a line --------------------------------------------------------


#: What a screen reader says of a calendar cell, by its class (``DayStatus.css``).
CELL_STATE_LABELS = {"b": "réservé", "p": "réservation en attente", "c": "annulation en attente"}
#: Where the justification of a day declared ill stands, as a calendar cell says it.
#: (review state, certificate sent) -> text; accepted and refused whatever was sent.
ILL_REVIEW_TEXTS = {(Attendance.ILLNESS_PENDING, False): "certificat attendu",
                    (Attendance.ILLNESS_PENDING, True): "justificatif à examiner",
                    Attendance.ILLNESS_ACCEPTED: "justificatif accepté",
                    Attendance.ILLNESS_REFUSED: "justificatif refusé"}


@dataclass(frozen=True)
class Waiting:
    """The child's place on a full day's waiting list: its entry, modalité and rank."""

    entry_id: int
    modalite_id: int
    rank: int

    @property
    def text(self):
        return f"liste d'attente — rang {self.rank}"


@dataclass
class DayStatus:
    """What the calendar knows of one day of one child's line.

    ``booked`` is the committed modalité id (or None), ``desired`` the one the
    family wants once its pending change is committed, ``pending`` whether such
    a change waits.
    """

    day: datetime.date
    is_open: bool
    state: EditState
    full: bool = False
    booked: int | None = None
    desired: int | None = None
    pending: bool = False
    #: (illness review state, certificate sent) of a booked day declared ill, else None.
    ill: tuple | None = None
    #: The child's place on this day's waiting list, else None.
    waiting: Waiting | None = None

    def css(self, modalite_id):
        """The calendar's class of this day in the row of ``modalite_id``: ``x`` closed,
        ``b`` booked, ``p`` booking pending, ``c`` cancellation pending, ``f`` full."""
        if not self.is_open:
            return "x"
        if self.desired == modalite_id:
            return "b" if self.booked == modalite_id else "p"
        if self.booked == modalite_id:
            return "c"
        return "f" if self.full else ""

    @property
    def ill_text(self):
        """``absent (malade), justificatif accepté`` for a day declared ill, else ""."""
        if self.ill is None:
            return ""
        review = ILL_REVIEW_TEXTS.get(self.ill) or ILL_REVIEW_TEXTS.get(self.ill[0], "")
        return f"{ILL_LABEL}, {review}".rstrip(", ")

    def is_ill(self, modalite_id):
        """Whether the row of ``modalite_id`` holds this day's booking declared ill."""
        return self.ill is not None and self.booked == modalite_id

    @property
    def can_wait(self):
        """Full for the child, which is not on its list yet, and the day can still be
        changed: the calendar offers « liste d'attente »."""
        return (self.is_open and self.state.allowed and self.full_for_child
                and self.waiting is None)

    @property
    def full_for_child(self):
        """Full, and the child holds no place that day (a booked child may switch)."""
        return self.full and self.booked is None

    @property
    def changeable(self):
        """Whether the family may tick or untick this day now."""
        return (self.is_open and self.state.allowed
                and not (self.full_for_child and self.desired is None))

    @property
    def why_not(self):
        """Why the day cannot be changed (French)."""
        if not self.is_open:
            return CLOSED_DAY_TEXT
        if not self.state.allowed:
            return self.state.reason
        return FULL_TEXT if self.full_for_child else ""


# --- Choices of a month (one modalité per child, day and activity) ------------


class ChoiceError(ValueError):
    """A choice that cannot be kept; ``messages`` say why, in French."""

    def __init__(self, messages):
        super().__init__("; ".join(messages))
        self.messages = messages


def parse_day_tokens(tokens, modalite_ids, days):
    """``["<modalité id>:YYYY-MM-DD", …]`` -> {date: [modalité ids]}.

    Refuses (ChoiceError) a token that is not of this line: a forged date, a
    date outside the displayed ``days``, a modalité of another activity.
    """
    chosen: dict[datetime.date, list[int]] = {}
    errors = []
    for token in tokens:
        modalite, _, iso = str(token).partition(":")
        try:
            day = datetime.date.fromisoformat(iso)
            modalite_id = int(modalite)
        except ValueError:
            errors.append(f"Choix invalide : « {token[:40]} ».")
            continue
        if modalite_id not in modalite_ids:
            errors.append(f"Le {date_fr(day)} : cette modalité n'appartient pas à cette activité.")
        elif day not in days:
            errors.append(f"Le {date_fr(day)} n'est pas dans la période affichée.")
        elif modalite_id not in chosen.setdefault(day, []):
            chosen[day].append(modalite_id)
    if errors:
        raise ChoiceError(errors)
    return chosen


def resolve_choices(chosen, days, desired, prefer_new):
    """The new wanted modalité (or None) of each changeable day.

    ``chosen`` comes from :func:`parse_day_tokens`; ``days`` is {date:
    DayStatus} of the displayed range; ``desired`` {date: modalité id} what
    the server holds now (pending change, else booking). A day absent from
    the form and not changeable keeps its state. With ``prefer_new`` (an htmx
    toggle sends the whole month), a second box ticked on a day replaces the
    first; without it (a plain form), two boxes on one day are refused.
    Raises ChoiceError when a day cannot be changed.
    """
    result, errors = {}, []
    for day, status in days.items():
        ticked = chosen.get(day, [])
        before = desired.get(day)
        if not status.changeable:
            if ticked and ticked != [before]:
                errors.append(f"{day_label(day)} ({date_fr(day)}) : {status.why_not}")
            continue
        if len(ticked) > 1:
            fresh = [m for m in ticked if m != before]
            if not prefer_new or len(fresh) != 1:
                errors.append(f"{day_label(day)} ({date_fr(day)}) : {ONE_MODALITE_TEXT}")
                continue
            ticked = fresh
        wanted = ticked[0] if ticked else None
        if wanted is not None and wanted != before and status.full_for_child:
            errors.append(f"{day_label(day)} ({date_fr(day)}) : {FULL_TEXT}")
            continue
        result[day] = wanted
    if errors:
        raise ChoiceError(errors)
    return result


#: The name prefix of a day's radio group in the phone list (``j-YYYY-MM-DD``).
DAY_RADIO = "j-"
#: The value of a day's "Pas de réservation" radio.
NO_BOOKING = "0"


def radio_tokens(items):
    """The phone list's radios -> (``["<modalité id>:YYYY-MM-DD", …]``, [ISO dates shown]).

    ``items`` are the form's (name, value) pairs; each shown day has one radio group
    ``j-YYYY-MM-DD`` whose value is a modalité id or :data:`NO_BOOKING`. The dates are
    those the form showed, so that a day the form did not show is never touched.
    """
    tokens, shown = [], []
    for name, value in items:
        if not name.startswith(DAY_RADIO):
            continue
        iso = name[len(DAY_RADIO):]
        shown.append(iso)
        if value != NO_BOOKING:
            tokens.append(f"{value}:{iso}")
    return tokens, shown
