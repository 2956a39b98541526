"""PLANNING's waiting list from the family's side: a full day offers
"Liste d'attente" instead of a dead "complet", the family sees its rank on
/planning/liste-attente and can leave the list; staff raising the places of the day
books the first family waiting (tests/domain/test_waiting_list.py)."""
from models import Booking, DayOverride, WaitingListEntry
from tests import factories
from tests.planning_support import CL, JANUARY, SANS, activity, csrf_from, modalite, text_of

DAY = JANUARY[2]


def _full_day():
    """CL on DAY: one place, taken by another family's child."""
    cl = activity(CL)
    Booking.delete().where((Booking.activity == cl) & (Booking.date == DAY)).execute()
    DayOverride.create(activity=cl, date=DAY, capacity=1)
    holder = factories.child(factories.family(16301), "PLEIN", class_level="MS")
    factories.enrolment(holder, CL)
    factories.booking(holder, CL, DAY, modalite=SANS)
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
