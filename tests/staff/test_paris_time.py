"""Every time shown or exported is Paris time, through one formatting
function (``domain.formats.in_paris``): a booking made at 00:17 in Paris on 5 December
was exported "Réservé le 04/12/2026 23:17" (UTC)."""
import csv
import datetime
import io

from domain import exports
from domain.formats import date_fr, datetime_fr, in_paris, time_fr
from models import Booking

STORED = datetime.datetime(2026, 12, 4, 23, 17)  # UTC, as stored: 00:17 in Paris


def test_a_stored_moment_is_written_in_paris_time_winter_and_summer():
    assert exports.cell(STORED) == "05/12/2026 00:17"
    assert exports.cell(datetime.datetime(2027, 7, 1, 22, 30)) == "02/07/2027 00:30"
    assert datetime_fr(STORED) == "05/12/2026 00:17"
    assert (date_fr(STORED), time_fr(STORED)) == ("05/12/2026", "00h17")
    aware_utc = STORED.replace(tzinfo=datetime.timezone.utc)
    assert time_fr(aware_utc) == "00h17" and in_paris(aware_utc).utcoffset() == \
        datetime.timedelta(hours=1)


def test_the_bookings_export_says_when_it_was_booked_in_paris_time(client, auth, db):
    booking = Booking.select().order_by(Booking.date).first()
    Booking.update(created_at=STORED).where(Booking.id == booking.id).execute()
    auth.login("agent")
    day = booking.date.isoformat()
    response = client.get(f"/agents/exports/reservations.csv?du={day}&au={day}")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-1] == "Réservé le"
    assert "05/12/2026 00:17" in [row[-1] for row in rows[1:]]
    assert "04/12/2026 23:17" not in response.data.decode("utf-8-sig")
