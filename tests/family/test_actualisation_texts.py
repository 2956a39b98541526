"""Actualisation: step 3 names the dossier's state, step 2's count follows
the ticks (with and without htmx), and validating the dossier marks its message
"traité" in the staff inbox."""
import html
import re

from models import DossierValidation, MessageThread
from tests.helpers import demo_family as family, text_of
from tests.staff.test_staff_daily import send_actualisation

PAGE = "/mon-dossier/actualisation"
SECTIONS = ("famille", "enfants", "coordonnees", "quotient", "documents")


def step(page, number):
    """The text of step ``number`` of the actualisation page (as read: no space before a
    full stop that follows a tag)."""
    text = text_of(page).replace(" .", ".")
    start = text.index(f"{number}. ")
    end = text.find(f"{number + 1}. ", start)
    return text[start:end if end > 0 else None]


def test_step_3_says_the_dossiers_state_never_an_empty_value(client, auth, db):
    auth.login("famille 16124")
    third = step(client.get(PAGE), 3)
    assert "Votre dossier 2026/2027 est actuellement : à actualiser." in third
    assert ": ." not in third and ":." not in third


def test_step_3_follows_the_dossier_once_sent(client, auth, db):
    send_actualisation(client, auth)
    auth.login("famille 16124")
    assert "est actuellement : en attente de validation." in step(client.get(PAGE), 3)


def test_step_2_counts_what_is_left_as_sections_are_ticked_under_htmx(client, auth, db):
    auth.login("famille 16124")
    assert "Il reste 5 rubrique(s) à vérifier" in step(client.get(PAGE), 2)
    for done, section in enumerate(SECTIONS, 1):
        response = client.post(f"{PAGE}/rubriques/{section}", data={"checked": "1"},
                               headers={"HX-Request": "true", "X-CSRFToken": auth.csrf(PAGE)})
        body = response.get_data(as_text=True)
        # The step-2 note comes back out of band with the item, so the page follows.
        assert re.search(r'id="actualisation-remaining"[^>]* data-hx-swap-oob="true"', body)
        note = text_of(body[body.index('id="actualisation-remaining"'):])
        if done < 5:
            assert f"Il reste {5 - done} rubrique(s) à vérifier" in note
        else:
            assert "Toutes les rubriques sont vérifiées : vous pouvez envoyer votre message." \
                in note and "Il reste" not in html.unescape(body)
    second = step(client.get(PAGE), 2)
    assert "Il reste" not in second and "Toutes les rubriques sont vérifiées" in second


def test_validating_the_dossier_marks_its_message_traite(client, auth, db):
    send_actualisation(client, auth)
    auth.login("agent")
    thread = MessageThread.get(MessageThread.family == family(16124))
    link = f'href="/agents/messages/{thread.id}"'
    assert thread.treated_at is None
    assert link in client.get("/agents/messages/").get_data(as_text=True)
    validation = DossierValidation.get(DossierValidation.family == family(16124))
    response = client.post(f"/agents/validations/dossiers/{validation.id}/valider",
                           data={"csrf_token": auth.csrf("/agents/validations/dossiers")})
    assert response.status_code == 303
    thread = MessageThread.get_by_id(thread.id)
    assert thread.treated_at is not None and thread.treated_by.email == "agent@mairie.example.org"
    # Out of "À traiter", in "Traités".
    assert link not in client.get("/agents/messages/?etat=a-traiter").get_data(as_text=True)
    assert link in client.get("/agents/messages/?etat=traites").get_data(as_text=True)
