"""PLANNING's waiting list from the family's side: a full day offers
"Liste d'attente" instead of a dead "complet", the family sees its rank on
/planning/liste-attente and can leave the list; staff raising the places of the day
books the first family waiting (tests/domain/test_waiting_list.py)."""
import datetime

import pytest

from domain import clock
from domain.booking import waiting_list
from models import Attendance, Booking, DayOverride, Enrolment, WaitingListEntry
from tests import factories
from tests.planning_support import CL, HTMX, JANUARY, SANS, activity, csrf_from, modalite, text_of

DAY = JANUARY[2]


def _full_day(day=DAY):
    """CL on ``day``: one place, taken by another family's child."""
    cl = activity(CL)
    Booking.delete().where((Booking.activity == cl) & (Booking.date == day)).execute()
    DayOverride.create(activity=cl, date=day, capacity=1)
    holder = factories.child(factories.family(16301), "PLEIN", class_level="MS")
    factories.enrolment(holder, CL)
    factories.booking(holder, CL, day, modalite=SANS)
    return cl


def test_a_full_day_offers_the_waiting_list_and_the_family_sees_its_rank(client, lena):
    cl, sans = _full_day(), modalite(CL, SANS)
    page = client.get(f"/planning/?ligne={lena.id}-{cl.id}&modifier=1&du={DAY}")
    html = page.get_data(as_text=True)
    assert "Liste d'attente" in text_of(html)
    response = client.post("/planning/liste-attente", data={
        "csrf_token": csrf_from(html), "ligne": f"{lena.id}-{cl.id}",
        "attente": f"{DAY.isoformat()}:{sans.id}"})
    assert response.status_code == 303
    listing = client.get("/planning/liste-attente").get_data(as_text=True)
    assert "rang 1" in text_of(listing) and "LENA" in listing
    entry = WaitingListEntry.get(WaitingListEntry.child == lena.id)
    again = client.post("/planning/liste-attente", data={
        "csrf_token": csrf_from(listing), "ligne": f"{lena.id}-{cl.id}",
        "attente": f"{DAY.isoformat()}:{sans.id}"})
    assert again.status_code == 422
    assert "déjà sur la liste d'attente" in text_of(again.get_data(as_text=True))
    left = client.post(f"/planning/liste-attente/{entry.id}/quitter",
                       data={"csrf_token": csrf_from(listing)})
    assert left.status_code == 303
    assert WaitingListEntry.select().count() == 0
    assert "aucune liste d'attente" in text_of(client.get("/planning/liste-attente")
                                               .get_data(as_text=True))


def test_a_day_with_places_left_is_booked_not_waited_for(client, lena):
    cl, sans = activity(CL), modalite(CL, SANS)
    DayOverride.create(activity=cl, date=JANUARY[3], capacity=50)
    html = client.get("/planning/liste-attente").get_data(as_text=True)
    response = client.post("/planning/liste-attente", data={
        "csrf_token": csrf_from(html), "ligne": f"{lena.id}-{cl.id}",
        "attente": f"{JANUARY[3].isoformat()}:{sans.id}"})
    assert response.status_code == 422
    assert "n'est pas complet" in text_of(response.get_data(as_text=True))
    assert WaitingListEntry.select().count() == 0


def _unenrolled_from(kid, day):
    Enrolment.update(closed_from=day).where(Enrolment.child == kid.id).execute()
    return day


@pytest.mark.parametrize("day_of, reason", [
    # LENA is désinscrite from DAY: booking it is refused, so is waiting for it.
    (lambda kid: _unenrolled_from(kid, DAY),
     "Cette ligne d'activité n'est plus ouverte pour cet enfant."),
    # CL Mercredis does not open on the Thursday (full all the same: staff's places).
    (lambda kid: DAY + datetime.timedelta(days=1), "Pas d'accueil ce jour-là."),
    # December's deadline (20/11) has passed at the test "now" (26/11/2026).
    (lambda kid: datetime.date(2026, 12, 16),
     "Les réservations de décembre 2026 ne sont plus modifiables depuis le 21/11/2026"),
], ids=["désinscrit", "pas d'accueil", "date limite passée"])
def test_a_day_that_cannot_be_booked_cannot_be_waited_for(client, lena, day_of, reason):
    """The calendar offers « Liste d'attente » only on days the child could book; a form
    posted for another day (out of the enrolment, a day the line does not open, past its
    deadline) is refused as booking it would be, and nothing is stored."""
    day = day_of(lena)
    cl, sans = _full_day(day), modalite(CL, SANS)
    assert waiting_list.is_day_full(cl, day)
    html = client.get("/planning/liste-attente").get_data(as_text=True)
    response = client.post("/planning/liste-attente", data={
        "csrf_token": csrf_from(html), "ligne": f"{lena.id}-{cl.id}",
        "attente": f"{day.isoformat()}:{sans.id}"})
    assert response.status_code == 422
    assert reason in text_of(response.get_data(as_text=True))
    assert WaitingListEntry.select().count() == 0


def test_the_calendar_offers_the_list_shows_the_rank_and_leaves_it(client, lena, auth):
    """Out of edit mode, the sentence under the grid offers the full day's « Liste
    d'attente »; joined from there, the family is back on its calendar, whose cell gives
    the rank (« n°1 » on screen, no button to widen its column) and whose sentence says
    it with « Quitter »; staff in the family's calendar see the rank but no button."""
    cl, sans = _full_day(), modalite(CL, SANS)
    month = f"/planning/?vue=mensuel&du={DAY.replace(day=1)}"
    html = client.get(month).get_data(as_text=True)
    assert f'name="attente" value="{DAY}:{sans.id}">Liste d\'attente' in html
    form = {"csrf_token": csrf_from(html), "ligne": f"{lena.id}-{cl.id}", "retour": "planning",
            "vue": "mensuel", "du": DAY.replace(day=1).isoformat()}
    joined = client.post("/planning/liste-attente", data={**form,
                                                          "attente": f"{DAY}:{sans.id}"})
    assert joined.status_code == 303
    assert joined.headers["Location"] == f"{month}#ligne-{lena.id}-{cl.id}"
    page = client.get(month).get_data(as_text=True)
    assert "rang 1." in text_of(page)  # the flash
    assert ('<td class="f w" data-rang="1"><span class="pl-wait">liste d\'attente — rang 1'
            '</span></td>') in page
    special = page.split('<ul class="pl-special">')[1].split("</ul>")[0]
    assert text_of(special).startswith(
        "Me 20/01 : liste d'attente — rang 1 Quitter la liste d'attente du 20/01/2027")
    assert f'name="attente" value="{DAY}:{sans.id}"' not in page
    entry = WaitingListEntry.get(WaitingListEntry.child == lena.id)
    again = client.post("/planning/liste-attente", data={**form,
                                                         "attente": f"{DAY}:{sans.id}"})
    assert again.status_code == 303  # back to the calendar, the reason flashed
    assert "déjà sur la liste d'attente" in text_of(client.get(month).get_data(as_text=True))

    auth.logout()
    auth.login("agent")
    staff = client.get(f"/agents/familles/{lena.family_id}/planning{month.removeprefix('/planning')}")
    assert staff.status_code == 200
    staff_html = staff.get_data(as_text=True)
    assert "liste d'attente — rang 1" in staff_html and 'name="attente"' not in staff_html
    assert "/quitter" not in staff_html
    auth.logout()
    auth.login("famille 16122")

    left = client.post(f"/planning/liste-attente/{entry.id}/quitter",
                       data={**form, "csrf_token": csrf_from(client.get(month).get_data(
                           as_text=True))})
    assert left.status_code == 303 and left.headers["Location"].startswith(month)
    assert WaitingListEntry.select().count() == 0
    assert f'name="attente" value="{DAY}:{sans.id}"' in client.get(month).get_data(as_text=True)


def test_a_day_declared_ill_says_so_in_the_calendar(client, lena):
    """LENA's booked Wednesday declared ill: « absent (malade) » and whether the
    certificate is awaited, accepted or refused, in words in the cell."""
    cl = activity(CL)
    factories.booking(lena, CL, DAY, modalite=SANS)
    mark = Attendance.create(child=lena, activity=cl, date=DAY, status=Attendance.EXCUSED,
                             illness=Attendance.ILLNESS_PENDING)
    month = f"/planning/?du={DAY.replace(day=1)}"
    for state, said in ((Attendance.ILLNESS_PENDING, "certificat attendu"),
                        (Attendance.ILLNESS_ACCEPTED, "justificatif accepté"),
                        (Attendance.ILLNESS_REFUSED, "justificatif refusé")):
        mark.illness = state
        mark.save()
        cell = client.get(month).get_data(as_text=True).split('<td class="b m">')[1]
        assert text_of(cell.split("</td>")[0]) == f"réservé, absent (malade) {said}"


def test_the_edit_mode_gives_the_rank_and_quitter_on_the_grid_and_the_phone_list(client, lena):
    cl, sans = _full_day(), modalite(CL, SANS)
    entry = waiting_list.join(lena.family_id, lena.id, cl.id, sans.id, DAY, clock.now(), "C")
    html = client.get(f"/planning/?ligne={lena.id}-{cl.id}&modifier=1&du={DAY}",
                      headers=HTMX).get_data(as_text=True)
    grid, phone = html.split('class="pl-list pl-phone"')
    leave = f'formaction="/planning/liste-attente/{entry.id}/quitter" name="retour"'
    for form in (grid, phone):
        assert "liste d'attente — rang 1 Quitter la liste" in text_of(form) and leave in form
        assert f'value="{DAY}:{sans.id}"' not in form  # no « Liste d'attente » to join again
