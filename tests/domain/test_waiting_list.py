"""The waiting list of a full day moves: when a booking is cancelled through
TERMINER, the first family waiting gets the place at its tariff, is emailed once, and
the families behind move up — on SQLite and PostgreSQL, racing cancellations included."""
import datetime
import threading

import pytest

import models
from domain.booking import changes, waiting_list
from domain.catalogue.pricing import day_prices
from domain.clock import PARIS
from models import Booking, DayOverride, Enrolment, OutgoingEmail, PendingChange, WaitingListEntry
from tests import factories
from tests.helpers import activity, all_at_once, demo_family, modalite
from tests.planning_support import CL, JANUARY, SANS, new_family

NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
DAY = JANUARY[2]  # a Wednesday of January, open for changes at NOW


def _capacity(places, day=DAY):
    """``places`` places on ``day`` of CL, and no booking yet."""
    cl = activity(CL)
    Booking.delete().where((Booking.activity == cl) & (Booking.date == day)).execute()
    DayOverride.create(activity=cl, date=day, capacity=places)
    return cl


def _kid(family):
    kid = factories.child(family, "ATTENTE", family.account_number, class_level="MS")
    factories.enrolment(kid, CL)
    return kid


def _cancel(family, kid, day=DAY):
    """The family unticks ``day`` and presses TERMINER."""
    PendingChange.create(family=family, child=kid, activity=activity(CL),
                         modalite=modalite(CL, SANS), date=day, action=PendingChange.CANCEL)
    return changes.commit_pending(family.id, NOW, "C")


def test_a_cancellation_books_the_first_family_waiting_and_emails_it_once(app, db):
    cl, sans = _capacity(1), modalite(CL, SANS)
    first, second = demo_family(16122), demo_family(16123)
    lena, other = _kid(first), _kid(second)
    factories.booking(lena, CL, DAY, modalite=SANS)
    assert waiting_list.is_day_full(cl, DAY)
    entry = waiting_list.join(second.id, other.id, cl.id, sans.id, DAY, NOW, "C")
    assert entry.rank == 1
    emails_before = OutgoingEmail.select().count()

    with app.app_context():
        result = _cancel(first, lena)

    assert result.committed
    booked = Booking.get((Booking.activity == cl) & (Booking.date == DAY))
    assert booked.child_id == other.id and booked.modalite_id == sans.id
    assert booked.price_cents and booked.price_cents > 0  # at the family's tariff
    assert WaitingListEntry.select().count() == 0
    sent = list(OutgoingEmail.select().where(OutgoingEmail.id > 0).order_by(OutgoingEmail.id))
    promoted_mails = [m for m in sent[emails_before:] if "place s'est libérée" in m.subject]
    addresses = waiting_list.family_addresses(second.id)
    assert addresses and sorted(m.recipient for m in promoted_mails) == sorted(addresses)
    assert [f for f, _ in result.promoted] == [second.id]


def test_the_families_behind_move_up_and_a_family_can_leave(app, db):
    cl, sans = _capacity(1), modalite(CL, SANS)
    families = [new_family(94000 + i)[0] for i in range(3)]
    kids = [_kid(f) for f in families]
    holder = new_family(94010)[0]
    holder_kid = _kid(holder)
    factories.booking(holder_kid, CL, DAY, modalite=SANS)
    entries = [waiting_list.join(f.id, k.id, cl.id, sans.id, DAY,
                                 NOW + datetime.timedelta(minutes=i), "C")
               for i, (f, k) in enumerate(zip(families, kids))]
    assert [e.rank for e in entries] == [1, 2, 3]
    assert waiting_list.leave(families[1].id, entries[0].id) == 0  # never another's entry
    assert waiting_list.leave(families[0].id, entries[0].id) == 1
    ranks = {e.family_id: e.rank for f in families for e in waiting_list.family_entries(f.id)}
    assert ranks == {families[1].id: 1, families[2].id: 2}
    with app.app_context():
        _cancel(holder, holder_kid)
    assert Booking.get((Booking.activity == cl) & (Booking.date == DAY)).child_id == kids[1].id
    assert [e.rank for e in waiting_list.family_entries(families[2].id)] == [1]


def test_joining_needs_a_full_day_and_an_open_line(db):
    cl, sans = _capacity(2), modalite(CL, SANS)
    family = new_family(94020)[0]
    kid = _kid(family)
    with pytest.raises(waiting_list.WaitingListError, match="pas complet"):
        waiting_list.join(family.id, kid.id, cl.id, sans.id, DAY, NOW, "C")
    stranger = demo_family(16124)
    with pytest.raises(waiting_list.WaitingListError, match="pas ouverte"):
        waiting_list.join(stranger.id, kid.id, cl.id, sans.id, DAY, NOW, "C")


def test_two_cancellations_racing_promote_two_families_never_the_same_twice(app, db):
    """Two places freed at the same instant (PostgreSQL row locks; SQLite's write lock)
    go to the first two families waiting, each booked once, never beyond capacity."""
    cl, sans = _capacity(2), modalite(CL, SANS)
    holders = [new_family(94100 + i)[0] for i in range(2)]
    holder_kids = [_kid(f) for f in holders]
    for kid in holder_kids:
        factories.booking(kid, CL, DAY, modalite=SANS)
    waiting = [new_family(94200 + i)[0] for i in range(3)]
    waiting_kids = [_kid(f) for f in waiting]
    for i, (family, kid) in enumerate(zip(waiting, waiting_kids)):
        waiting_list.join(family.id, kid.id, cl.id, sans.id, DAY,
                          NOW + datetime.timedelta(minutes=i), "C")
    for family, kid in zip(holders, holder_kids):
        PendingChange.create(family=family, child=kid, activity=cl, modalite=sans, date=DAY,
                             action=PendingChange.CANCEL)
    models.db.close()
    models.init_database(app.config["DATABASE_URL"], pool_size=4)
    start, results = threading.Barrier(2), [None, None]

    def race(index):
        with app.app_context(), models.db.connection_context():
            start.wait()
            try:
                results[index] = changes.commit_pending(holders[index].id, NOW, "C")
            except Exception as error:  # reported below
                results[index] = error

    all_at_once(race, 2)
    assert all(isinstance(r, changes.CommitResult) and r.committed for r in results), results
    day = [b.child_id for b in Booking.select().where((Booking.activity == cl)
                                                      & (Booking.date == DAY))]
    assert sorted(day) == sorted(k.id for k in waiting_kids[:2])
    promoted = [f for r in results for f, _ in r.promoted]
    assert sorted(promoted) == sorted(f.id for f in waiting[:2])
    assert [e.family_id for e in WaitingListEntry.select()] == [waiting[2].id]
    assert [e.rank for e in waiting_list.family_entries(waiting[2].id)] == [1]


def test_raising_the_places_books_the_first_families_waiting(app, db):
    """Staff's places form: one place more on a full day books the first family waiting,
    not the second."""
    from domain.booking import closures
    cl, sans = _capacity(1), modalite(CL, SANS)
    holder = new_family(94300)[0]
    factories.booking(_kid(holder), CL, DAY, modalite=SANS)
    waiting = [new_family(94310 + i)[0] for i in range(2)]
    kids = [_kid(f) for f in waiting]
    for i, (family, kid) in enumerate(zip(waiting, kids)):
        waiting_list.join(family.id, kid.id, cl.id, sans.id, DAY,
                          NOW + datetime.timedelta(minutes=i), "C")
    staff = models.User.get(models.User.email == "agent@mairie.example.org")
    with app.app_context():
        promoted = closures.set_capacity(cl, DAY, 2, staff, NOW, "C")
    assert [f for f, _ in promoted] == [waiting[0].id]
    assert Booking.select().where((Booking.activity == cl) & (Booking.date == DAY)
                                  & (Booking.child == kids[0].id)).exists()
    assert [e.rank for e in waiting_list.family_entries(waiting[1].id)] == [1]


def _waits(family, kid, minutes):
    return WaitingListEntry.create(family=family, child=kid, activity=activity(CL),
                                   modalite=modalite(CL, SANS), date=DAY,
                                   created_at=NOW + datetime.timedelta(minutes=minutes))


def test_a_family_booked_meanwhile_or_refused_by_the_rules_lets_the_next_one_have_it(app, db):
    _capacity(2)
    holder, booked, closed, last = (new_family(94300 + i)[0] for i in range(4))
    holder_kid, booked_kid, closed_kid, last_kid = (_kid(f) for f in (holder, booked, closed,
                                                                      last))
    factories.booking(holder_kid, CL, DAY, modalite=SANS)
    factories.booking(booked_kid, CL, DAY, modalite=SANS)  # staff booked it meanwhile
    Enrolment.update(closed_from=DAY).where(Enrolment.child == closed_kid).execute()
    _waits(booked, booked_kid, 1)
    kept = _waits(closed, closed_kid, 2)  # its line closes that day: refused, keeps its rank
    _waits(last, last_kid, 3)
    with app.app_context():
        result = _cancel(holder, holder_kid)
    assert [family_id for family_id, _ in result.promoted] == [last.id]
    assert sorted(b.child_id for b in Booking.select().where(Booking.date == DAY)
                  .where(Booking.activity == activity(CL))) == sorted([booked_kid.id,
                                                                     last_kid.id])
    assert [e.id for e in WaitingListEntry.select()] == [kept.id]


def test_a_family_given_a_place_books_that_day_alone_at_its_own_tariff(app, db):
    cl, sans = _capacity(1), modalite(CL, SANS)
    holder, (waiter, _, (kid,)) = new_family(94400)[0], new_family(94401, qf=200)
    holder_kid = _kid(holder)
    factories.enrolment(kid, CL)
    factories.booking(holder_kid, CL, DAY, modalite=SANS)
    canteen = activity("Restauration Maternelle")
    for line, day in ((cl, DAY), (cl, JANUARY[0]), (canteen, DAY)):  # ticked again, others
        PendingChange.create(family=waiter, child=kid, activity=line,
                             modalite=line.modalites.first(), date=day,
                             action=PendingChange.BOOK)
    _waits(waiter, kid, 1)
    with app.app_context():
        assert _cancel(holder, holder_kid).committed
    booked = Booking.get((Booking.child == kid) & (Booking.date == DAY))
    price = day_prices(waiter.id, cl.school_year_id, [(sans.id, DAY)])[(sans.id, DAY)]
    assert (booked.activity_id, booked.price_cents) == (cl.id, price)
    assert Booking.select().where(Booking.child == kid).count() == 1
    assert sorted((p.activity_id, p.date) for p in PendingChange.select().where(
        PendingChange.child == kid)) == sorted([(cl.id, JANUARY[0]), (canteen.id, DAY)])


def test_a_child_booked_that_day_waits_for_no_place_and_an_entry_keeps_its_time(db):
    cl, sans = _capacity(1), modalite(CL, SANS)
    family = new_family(94030)[0]
    kid = _kid(family)
    factories.booking(kid, CL, DAY, modalite=SANS)  # the day's one place is its own
    with pytest.raises(waiting_list.WaitingListError) as refused:
        waiting_list.join(family.id, kid.id, cl.id, sans.id, DAY, NOW, "C")
    assert str(refused.value) == waiting_list.ALREADY_BOOKED_TEXT
    # Its booking of another day does not keep it off this full day's list.
    other_day = JANUARY[3]
    _capacity(1, other_day)
    factories.booking(_kid(new_family(94031)[0]), CL, other_day, modalite=SANS)
    entry = waiting_list.join(family.id, kid.id, cl.id, sans.id, other_day, NOW, "C")
    assert (entry.rank, entry.created_at) == (1, NOW)


def test_a_past_day_is_said_past_by_the_communes_clock(db):
    """At 00:30 in Paris (23:30 UTC the day before), yesterday in Paris is past, even
    where the server's own clock still says it is today; today is not said past."""
    cl, sans = _capacity(1), modalite(CL, SANS)
    family = new_family(94032)[0]
    kid = _kid(family)
    just_after_midnight = datetime.datetime(2026, 11, 26, 0, 30, tzinfo=PARIS)
    yesterday, today = datetime.date(2026, 11, 25), datetime.date(2026, 11, 26)
    with pytest.raises(waiting_list.WaitingListError) as refused:
        waiting_list.join(family.id, kid.id, cl.id, sans.id, yesterday, just_after_midnight,
                          "C")
    assert str(refused.value) == waiting_list.PAST_TEXT
    with pytest.raises(waiting_list.WaitingListError) as refused:
        waiting_list.join(family.id, kid.id, cl.id, sans.id, today, just_after_midnight, "C")
    assert str(refused.value) != waiting_list.PAST_TEXT
