"""Two parents racing for the last place never both get it — here fifty, on SQLite and on
PostgreSQL: one place left, 50 families press TERMINER at the same instant."""
import threading

import models
from models import Booking, OutgoingEmail, PendingChange
from tests.helpers import activity, all_at_once, modalite, sign_in, text_of
from tests.planning_support import CL, JANUARY, SANS, new_family, page_token

RACERS = 50
LAST_PLACE = JANUARY[1]  # the demo leaves one place on the 2nd Wednesday of January


def test_fifty_families_commit_at_once_for_the_last_place(app, db, mailbox):
    cl, sans = activity(CL), modalite(CL, SANS)
    assert Booking.select().where((Booking.activity == cl)
                                  & (Booking.date == LAST_PLACE)).count() == 1  # of 2 places
    clients = []
    for index in range(RACERS):
        family, user, (kid,) = new_family(93000 + index, children=1, lines=2)
        PendingChange.create(family=family, child=kid, activity=cl, modalite=sans,
                             date=LAST_PLACE, action=PendingChange.BOOK)
        client = app.test_client()
        sign_in(client, user)
        clients.append((client, page_token(client), kid))
    models.db.close()  # the racers use their own connections only
    # Fifty threads of one process each hold a connection: a pool that large (a
    # gunicorn worker has one thread; the default pool is DATABASE_POOL_SIZE).
    models.init_database(app.config["DATABASE_URL"], pool_size=RACERS + 2)

    start = threading.Barrier(RACERS)
    results = [None] * RACERS

    def race(index):
        client, csrf, _ = clients[index]
        with app.app_context(), models.db.connection_context():
            start.wait()
            try:
                response = client.post("/planning/terminer", data={"csrf_token": csrf})
                results[index] = (response.status_code, response.get_data(as_text=True))
            except Exception as error:  # reported below, never lost in the thread
                results[index] = (None, repr(error))

    all_at_once(race, RACERS, timeout=120)
    statuses = [status for status, _ in results]
    assert None not in statuses, [body for status, body in results if status is None][:1]
    assert 500 not in statuses
    assert not any("locked" in body for _, body in results)
    assert statuses.count(303) == 1, statuses
    assert statuses.count(409) == RACERS - 1, statuses
    for status, body in results:
        if status == 409:
            assert "Complet : il n'y a plus de place ce jour-là." in text_of(body)
    winner = clients[statuses.index(303)][2]
    day = Booking.select().where((Booking.activity == cl) & (Booking.date == LAST_PLACE))
    assert day.count() == 2
    assert winner.id in {booking.child_id for booking in day}
    # The losers' choices are kept (nothing half-applied), the winner's is done.
    assert PendingChange.select().where(PendingChange.date == LAST_PLACE).count() == RACERS - 1
    assert len(mailbox.messages) == 1 and OutgoingEmail.select().count() == 1
    assert mailbox.messages[0].envelope_rcpt == [f"f{93000 + statuses.index(303)}@example.org"]
