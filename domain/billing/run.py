"""The monthly invoicing run: one invoice per family and régie from the month's bookings.

Each booking is billed at the price stored on it when it was committed, on one
line per child, activity, modalité (and price: a QF validated mid-month changes
it), as quantity × unit price. Days closed by the calendar or by staff are not
billed; a cancelled booking no longer exists. ``InvoicedBooking`` records the
line that bills each booking (unique on the booking), so running a month again
bills only what was not billed yet, and a booking is billed once, ever.

Attendance counts: a day ticked "Excusé" with a justification is not billed unless
the commune says so (``Commune.bill_excused_absences``); a day a child was added as
present on site (a booking made by staff) is billed as any booked day, and both are
shown in the preview. A month is issued once it is over (``MonthNotOver``), unless
forced for a correction.

Each activity belongs to a régie (``domain.billing.regies``): a family whose
children go to the canteen (one régie) and the centre de loisirs (another) gets
two invoices. Numbers run without gaps per régie and year of issue
(``F2027-00001``, the régie's prefix): they are taken from ``NumberSequence``
inside the run's write transaction, every régie's counter row locked first (in
id order), so two runs racing wait for each other and the second one finds
nothing left to bill. Reads are batched and rows bulk-inserted, so the number
of queries does not grow with the number of families.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN

from domain import audit, clock, commune
from domain.billing.regies import all_regies, main_regie, regie_of
from domain.booking.days import overrides_for, split_overrides
from domain.catalogue.opening import open_days
from domain.dates import month_end
from domain.formats import date_fr, month_fr
from domain.transactions import lock_rows, write_transaction
from models import (
    Activity,
    Attendance,
    Booking,
    Child,
    DayOverride,
    Family,
    Invoice,
    InvoicedBooking,
    InvoiceLine,
    Modalite,
    NumberSequence,
    PriceAdjustment,
    SchoolYear,
    db,
)

#: Values per INSERT statement (under SQLite's 32,766 and PostgreSQL's 65,535 parameters).
MAX_PARAMS = 30000
MAX_ROWS = 5000
#: Days between issue and due date.
DUE_DAYS = 30


@dataclass
class DraftLine:
    """A line to bill: a child's bookings of one modalité at one price."""

    child_name: str
    label: str
    unit_price_cents: int
    booking_ids: list = field(default_factory=list)
    dates: list = field(default_factory=list)
    activity_name: str = ""
    #: Days of ``dates`` the child was added as present without a booking.
    added_dates: list = field(default_factory=list)
    # A quotient's price adjustment of days already invoiced (one line, quantity 1).
    adjustment_ids: list = field(default_factory=list)
    #: A credit line: the accepted illness marks (already invoiced days) it gives back.
    credit_mark_ids: list = field(default_factory=list)

    @property
    def quantity(self):
        return (len(self.booking_ids) or len(self.credit_mark_ids)
                or (1 if self.adjustment_ids else 0))

    @property
    def amount_cents(self):
        return self.quantity * self.unit_price_cents


@dataclass
class DraftInvoice:
    family_id: int
    account_number: int
    family_name: str
    lines: list
    #: (child's first name, activity, day, justification) of the excused days not billed.
    excused: list = field(default_factory=list)
    #: The régie that bills these lines (its activities').
    regie_id: int | None = None
    regie_name: str = ""

    @property
    def total_cents(self):
        return sum(line.amount_cents for line in self.lines)


class MonthNotOver(Exception):
    """The month is not over: bookings may still come; the French reason is the message."""


def month_is_over(year, month, today):
    """Whether the month (year, month) has ended by ``today``."""
    return today > month_bounds(year, month)[1]


def month_not_over_text(year, month):
    """Why a month not over is not issued, and from when it can be."""
    last = month_bounds(year, month)[1]
    return (f"{month_fr(year, month)} n'est pas terminé : les réservations et les présences "
            f"d'ici le {date_fr(last)} ne seraient pas facturées. Émettez ce mois à partir du "
            f"{date_fr(last + datetime.timedelta(days=1))}, ou forcez l'émission pour une "
            "correction.")


def parse_month(text):
    """``2027-01`` -> (2027, 1), or None when it is not a month."""
    try:
        day = datetime.datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError:
        return None
    return (day.year, day.month) if 2000 <= day.year <= 2100 else None


def _as_date(value):
    return datetime.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def month_bounds(year, month):
    first = datetime.date(year, month, 1)
    return first, month_end(first)


def _open_days_by_activity(activities, first, last, zone):
    """{activity id: set of open days of the month} with staff overrides, in one query."""
    rows = DayOverride.select().where((DayOverride.date >= first) & (DayOverride.date <= last)
                                      & DayOverride.is_open.is_null(False)
                                      & DayOverride.school.is_null())
    opening, _ = split_overrides(rows)
    return {activity.id: set(open_days(activity, first, last, zone,
                                       overrides_for(activity.id, opening)))
            for activity in activities}


def set_excused_billing(actor, billed):
    """The commune's choice of billing the days ticked "Excusé" with a justification,
    audited; False when it was already so."""
    if not commune.set_bills_excused_absences(billed):
        return False
    audit.record(actor, None, audit.COMMUNE_BILLING_SET,
                 "Absences excusées avec justificatif : "
                 + ("facturées" if billed else "non facturées"),
                 before={"facturées": not billed}, after={"facturées": billed})
    return True


def _attendance_marks(first, last, bill_excused):
    """({(child, activity, day): justification} of the excused days not to bill,
    {(child, activity, day)} of the children added on site) of the month. One query.

    A day declared ill by the family ("mon enfant est malade") is billed as any booked
    day, whatever the commune's rule on excused days: once staff accepted its
    certificate, a credit line of its price gives it back (:func:`_add_illness_credits`),
    so the family reads the day and its credit; otherwise (no certificate, refused, or
    not examined yet) the day is simply billed."""
    query = Attendance.select(Attendance.child, Attendance.activity, Attendance.date,
                              Attendance.status, Attendance.justification,
                              Attendance.added_on_site, Attendance.illness).where(
        (Attendance.date >= first) & (Attendance.date <= last)
        & (Attendance.added_on_site
           | ((Attendance.status == Attendance.EXCUSED) & (Attendance.justification != ""))))
    excused, added = {}, set()
    for child_id, activity_id, day, status, justification, on_site, illness in query.tuples():
        key = (child_id, activity_id, _as_date(day))
        if on_site:
            added.add(key)
        if status != Attendance.EXCUSED:
            continue
        if not illness and justification and not bill_excused:
            excused[key] = justification
    return excused, added


def collect_month(year, month, zone, bill_excused=None):
    """The invoices the month would make now, without writing anything: a list of
    ``DraftInvoice`` by account number, and the bookings left out (closed days).

    ``bill_excused``: whether excused days with a justification are billed (None: the
    commune's setting)."""
    first, last = month_bounds(year, month)
    if bill_excused is None:
        bill_excused = commune.bills_excused_absences()
    excused, added = _attendance_marks(first, last, bill_excused)
    rows = (Booking
            .select(Booking.id, Booking.date, Booking.price_cents, Booking.activity,
                    Booking.modalite, Child.id, Child.first_name, Child.last_name,
                    Family.id, Family.account_number, Family.name)
            .join(Child).join(Family)
            .switch(Booking)
            .join(InvoicedBooking, on=(InvoicedBooking.booking == Booking.id),
                  join_type=JOIN.LEFT_OUTER)
            .where((Booking.date >= first) & (Booking.date <= last)
                   & InvoicedBooking.id.is_null())
            .order_by(Family.account_number, Child.first_name, Child.id, Booking.date))
    # Raw rows: peewee's per-row conversion would cost more than the whole run.
    rows = [(r[0], _as_date(r[1])) + tuple(r[2:])
            for r in db.execute_sql(*rows.sql()).fetchall()]
    activity_ids = {row[3] for row in rows}
    activities = {a.id: a for a in Activity.select(Activity, SchoolYear).join(SchoolYear)
                  .where(Activity.id.in_(list(activity_ids)))} if activity_ids else {}
    modalites = {m.id: m for m in Modalite.select().where(
        Modalite.activity.in_(list(activity_ids)))} if activity_ids else {}
    open_by_activity = _open_days_by_activity(activities.values(), first, last, zone)
    main_id = main_regie().id
    regie_of_activity = {a.id: a.regie_id or main_id for a in activities.values()}
    invoices, closed = {}, 0
    for (booking_id, day, price, activity_id, modalite_id, child_id, first_name, last_name,
         family_id, account, family_name) in rows:
        if day not in open_by_activity[activity_id]:
            closed += 1
            continue
        regie_id = regie_of_activity[activity_id]
        draft = invoices.get((family_id, regie_id))
        if draft is None:
            draft = invoices[(family_id, regie_id)] = DraftInvoice(
                family_id, account, family_name, {}, regie_id=regie_id)
        if (child_id, activity_id, day) in excused:
            draft.excused.append((first_name, activities[activity_id].name, day,
                                  excused[(child_id, activity_id, day)]))
            continue
        key = (child_id, activities[activity_id].position, activity_id,
               modalites[modalite_id].position, modalite_id, price)
        line = draft.lines.get(key)
        if line is None:
            activity = activities[activity_id]
            line = draft.lines[key] = DraftLine(
                child_name=first_name, activity_name=activity.name,
                label=f"{activity.name} - {modalites[modalite_id].name}", unit_price_cents=price)
        line.booking_ids.append(booking_id)
        line.dates.append(day)
        if (child_id, activity_id, day) in added:
            line.added_dates.append(day)
    _add_adjustments(invoices, main_id)
    _add_illness_credits(invoices, last, main_id,
                         {booking_id for draft in invoices.values()
                          for line in draft.lines.values() for booking_id in line.booking_ids})
    drafts = []
    for draft in invoices.values():
        draft.lines = [draft.lines[key] for key in sorted(draft.lines, key=lambda k: (
            k[0] == "~adjustment", draft.lines[k].child_name, k))]
        if draft.total_cents > 0:
            drafts.append(draft)
    drafts.sort(key=lambda d: (d.account_number, d.regie_id))
    return drafts, closed


def _add_adjustments(invoices, main_id):
    """The price adjustments not billed yet (a quotient validated from a past date) as
    lines of their family's draft of the main régie: a credit (negative) or a
    supplement. One query."""
    rows = (PriceAdjustment.select(PriceAdjustment, Family).join(Family)
            .where(PriceAdjustment.line.is_null()).order_by(PriceAdjustment.id))
    for adjustment in rows:
        family = adjustment.family
        draft = invoices.get((family.id, main_id))
        if draft is None:
            draft = invoices[(family.id, main_id)] = DraftInvoice(
                family.id, family.account_number, family.name, {}, regie_id=main_id)
        draft.lines[("~adjustment", adjustment.id)] = DraftLine(
            child_name=adjustment.child_name, label=adjustment.label,
            unit_price_cents=adjustment.amount_cents, activity_name="Régularisations",
            adjustment_ids=[adjustment.id])


def _add_illness_credits(invoices, last, main_id, drafted):
    """Add to ``invoices`` a credit line "Absence pour maladie du …" for each day up to
    ``last`` declared ill, its certificate accepted, that no run has credited yet, and
    whose booking is billed: by an issued invoice (never edited: the credit comes on the
    next one) or by a line of these drafts (``drafted`` booking ids: the day and its
    credit on the same invoice). On the draft of the activity's régie. One query."""
    query = (Attendance
             .select(Attendance.id, Attendance.date, Attendance.child, Child.first_name,
                     Booking.price_cents, Activity.name, Family.id, Family.account_number,
                     Family.name, Activity.regie, Booking.id, InvoicedBooking.id)
             .join(Booking, on=((Booking.child == Attendance.child)
                                & (Booking.activity == Attendance.activity)
                                & (Booking.date == Attendance.date)))
             .join(InvoicedBooking, JOIN.LEFT_OUTER,
                   on=(InvoicedBooking.booking == Booking.id))
             .switch(Attendance).join(Activity, on=(Activity.id == Attendance.activity))
             .switch(Attendance).join(Child, on=(Child.id == Attendance.child)).join(Family)
             .where((Attendance.illness == Attendance.ILLNESS_ACCEPTED)
                    & Attendance.credited_at.is_null() & (Attendance.date <= last))
             .order_by(Attendance.date, Attendance.id))
    for (mark_id, day, child_id, first_name, price, activity_name, family_id, account,
         family_name, regie_id, booking_id, invoiced_id) in query.tuples():
        if invoiced_id is None and booking_id not in drafted:
            continue  # not billed (a closed day, a month not run yet): nothing to give back
        regie_id = regie_id or main_id
        draft = invoices.get((family_id, regie_id))
        if draft is None:
            draft = invoices[(family_id, regie_id)] = DraftInvoice(
                family_id, account, family_name, {}, regie_id=regie_id)
        day = _as_date(day)
        draft.lines[(child_id, 10 ** 9, mark_id, 0, 0, 0)] = DraftLine(
            child_name=first_name, activity_name=activity_name,
            label=f"Absence pour maladie du {day.strftime('%d/%m/%Y')} ({activity_name})",
            unit_price_cents=-price, credit_mark_ids=[mark_id])


def preview_month(year, month, zone):
    """What issuing the month would bill: families, invoices, total, totals per activity
    and per régie, each invoice (``drafts``: family, régie, lines, amount), the days
    added on site and the excused days left out."""
    drafts, closed = collect_month(year, month, zone)
    regies = {regie.id: regie.name for regie in all_regies()}
    per_activity = defaultdict(lambda: [0, 0])
    per_regie = defaultdict(lambda: [0, 0])
    for draft in drafts:
        draft.regie_name = regies.get(draft.regie_id, "")
        per_regie[draft.regie_id][0] += 1
        per_regie[draft.regie_id][1] += draft.total_cents
        for line in draft.lines:
            per_activity[line.activity_name][0] += line.quantity
            per_activity[line.activity_name][1] += line.amount_cents
    return {"families": len({d.family_id for d in drafts}), "invoices": len(drafts),
            "total_cents": sum(d.total_cents for d in drafts),
            "per_activity": sorted((name, q, c) for name, (q, c) in per_activity.items()),
            "per_regie": [(regies[i], n, c) for i, (n, c) in sorted(per_regie.items())]
            if len(regies) > 1 else [],
            "closed_days": closed, "drafts": drafts,
            "added_days": sum(len(line.added_dates) for d in drafts for line in d.lines),
            "excused_days": sum(len(d.excused) for d in drafts)}


def _sequence_row(name):
    """The counter ``name``, created at 0 if missing (safely when two runs race)."""
    NumberSequence.insert(name=name, value=0).on_conflict_ignore().execute()
    return NumberSequence.get(NumberSequence.name == name)


def take_numbers(prefix, year, count):
    """Reserve ``count`` consecutive numbers of the year's series (inside a write
    transaction: the counter row stays locked until it ends)."""
    sequence = _sequence_row(f"{prefix}-{year}")
    lock_rows(NumberSequence, [sequence.id], key_update=True)
    start = NumberSequence.get_by_id(sequence.id).value
    NumberSequence.update(value=start + count).where(NumberSequence.id == sequence.id).execute()
    return [f"{prefix}{year}-{n:05d}" for n in range(start + 1, start + count + 1)]


def issue_month(year, month, zone, now, force=False):
    """Bill the month's bookings not billed yet, one invoice per family and régie, each
    numbered in its régie's series; returns the ids of the new invoices.

    ``now`` is an aware datetime (the portal's clock): the issue date, the year of
    the numbers and the due date (``DUE_DAYS`` later) come from it. A month not over
    raises :class:`MonthNotOver` unless ``force`` (a correction)."""
    if not force and not month_is_over(year, month, now.date()):
        raise MonthNotOver(month_not_over_text(year, month))
    issued_at = clock.as_stored(now)
    due_date = now.date() + datetime.timedelta(days=DUE_DAYS)
    with write_transaction():
        # The counters first: a concurrent run waits here, then sees the bookings billed.
        regies = {regie.id: regie for regie in all_regies()}
        lock_rows(NumberSequence, [_sequence_row(f"{regie.invoice_prefix}-{now.year}").id
                                   for regie in regies.values()], key_update=True)
        drafts, _ = collect_month(year, month, zone)
        if not drafts:
            return []
        per_regie = defaultdict(list)
        for draft in drafts:
            per_regie[draft.regie_id].append(draft)
        numbers = {}
        for regie_id, group in sorted(per_regie.items()):
            regie = regies.get(regie_id) or regie_of(regie_id)  # or made meanwhile
            taken = take_numbers(regie.invoice_prefix, now.year, len(group))
            numbers.update(zip(map(id, group), taken))
        invoice_rows = [{"family": d.family_id, "number": numbers[id(d)],
                         "kind": Invoice.INVOICE, "regie": d.regie_id,
                         "period_year": year, "period_month": month, "issued_at": issued_at,
                         "due_date": due_date, "total_cents": d.total_cents,
                         "status": Invoice.ISSUED}
                        for d in drafts]
        invoice_ids = _insert(Invoice, invoice_rows, returning=True, check="number")
        line_rows, line_drafts = [], []
        for draft, invoice_id in zip(drafts, invoice_ids):
            for line in draft.lines:
                line_rows.append({"invoice": invoice_id, "child_name": line.child_name,
                                  "label": line.label, "date": None,
                                  "quantity": line.quantity,
                                  "unit_price_cents": line.unit_price_cents,
                                  "amount_cents": line.amount_cents})
                line_drafts.append(line)
        line_ids = _insert(InvoiceLine, line_rows, returning=True, check="invoice")
        _insert(InvoicedBooking, [{"booking": booking_id, "line": line_id, "date": day}
                                  for line, line_id in zip(line_drafts, line_ids)
                                  for booking_id, day in zip(line.booking_ids, line.dates)])
        for line, line_id in zip(line_drafts, line_ids):
            if line.adjustment_ids:  # billed once: the next run leaves it alone
                PriceAdjustment.update(line=line_id).where(
                    PriceAdjustment.id.in_(line.adjustment_ids)).execute()
        credited = [mark_id for line in line_drafts for mark_id in line.credit_mark_ids]
        if credited:
            Attendance.update(credited_at=issued_at).where(Attendance.id.in_(credited)).execute()
    return invoice_ids


def _insert(model, rows, returning=False, check=None):
    """Bulk-insert ``rows`` (dicts of field name -> value), thousands of rows a
    statement, as plain multi-row INSERTs (peewee's per-value SQL building would
    dominate the run); with ``returning``, the new ids in the rows' order, the field
    ``check`` read back to prove that order."""
    if not rows:
        return []
    names = list(rows[0])
    fields = [model._meta.fields[name] for name in names]
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    table = model._meta.table_name
    param = db.obj.param
    one = "(" + ", ".join([param] * len(fields)) + ")"
    ids = []
    batch = min(MAX_ROWS, MAX_PARAMS // len(fields))
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        sql = f'INSERT INTO "{table}" ({columns}) VALUES ' + ", ".join([one] * len(chunk))
        params = [field.db_value(row[name]) for row in chunk
                  for name, field in zip(names, fields)]
        if returning:
            column = model._meta.fields[check].column_name
            cursor = db.execute_sql(sql + f' RETURNING "id", "{column}"', params)
            returned = cursor.fetchall()
            if [value for _, value in returned] != [row[check] for row in chunk]:
                raise RuntimeError(f"{table}: ids not returned in the rows' order.")
            ids.extend(row_id for row_id, _ in returned)
        else:
            db.execute_sql(sql, params)
    return ids
