"""ACTUALITÉS in the back office: write, preview, schedule, publish, withdraw; the demo's
news follow the booking windows."""
import datetime
import json

import pytest

from domain import audit
from domain.messaging.news import visible_news
from models import AuditLog, News
from tests.helpers import error_of, unescaped


def news_data(auth, path="/agents/actualites/nouvelle", **overrides):
    data = {"title": "Fête de l'école", "body": "Rendez-vous samedi à 10h dans la cour.",
            "service": "Scolarité", "display_from": "2026-11-27", "display_until": "",
            "action": "publier", "csrf_token": auth.csrf(path)}
    data.update(overrides)
    return data


def family_news(client, auth):
    auth.logout()
    auth.login("famille 16122")
    return unescaped(client.get("/actualites/"))


def test_news_scheduled_for_tomorrow_is_shown_tomorrow(app, client, auth):
    auth.login("agent")
    response = client.post("/agents/actualites/nouvelle", data=news_data(auth))
    assert response.status_code == 303
    item = News.get(News.title == "Fête de l'école")
    assert item.published and item.display_from == datetime.date(2026, 11, 27)
    listing = unescaped(client.get("/agents/actualites/"))
    assert "enregistrée : programmée" in listing and "du 27/11/2026" in listing
    log = AuditLog.get(AuditLog.action == audit.NEWS_PUBLISHED)
    assert log.user.email == "agent@mairie.example.org"
    assert json.loads(log.details)["after"]["title"] == "Fête de l'école"
    # Today (26/11/2026) the family does not see it...
    assert "Fête de l'école" not in family_news(client, auth)
    # ...tomorrow it does.
    app.config["PORTAIL_TODAY"] = "2026-11-27T08:00"
    page = unescaped(client.get("/actualites/"))
    assert "Fête de l'école" in page and "Rendez-vous samedi à 10h dans la cour." in page
    assert '<time datetime="2026-11-27">27/11/2026</time>' in page


def test_preview_saves_nothing_and_shows_the_item_as_families_will(client, auth):
    auth.login("agent")
    before = News.select().count()
    response = client.post("/agents/actualites/nouvelle",
                           data=news_data(auth, action="apercu"))
    page = unescaped(response)
    assert response.status_code == 200 and News.select().count() == before
    assert "Aperçu (comme les familles la verront)" in page
    assert "Publiée, elle sera affichée à partir du 27/11/2026" in page
    assert '<h3 id="apercu-news">Fête de l\'école</h3>' in page
    assert 'value="Fête de l\'école"' in page  # the form keeps what was typed
    assert AuditLog.select().where(AuditLog.action.startswith("news.")).count() == 0


def test_draft_publish_and_withdraw(client, auth):
    auth.login("agent")
    client.post("/agents/actualites/nouvelle",
                data=news_data(auth, action="brouillon", display_from=""))
    item = News.get(News.title == "Fête de l'école")
    assert not item.published
    assert "Brouillon" in unescaped(client.get("/agents/actualites/"))
    token = auth.csrf("/agents/actualites/")
    client.post(f"/agents/actualites/{item.id}/publier", data={"csrf_token": token})
    assert News.get_by_id(item.id).published
    assert "Fête de l'école" in family_news(client, auth)
    auth.logout()
    auth.login("agent")
    client.post(f"/agents/actualites/{item.id}/retirer",
                data={"csrf_token": auth.csrf("/agents/actualites/")})
    item = News.get_by_id(item.id)
    assert not item.published and item.withdrawn_at is not None
    assert "Retirée" in unescaped(client.get("/agents/actualites/"))
    assert "Fête de l'école" not in family_news(client, auth)
    actions = [r.action for r in AuditLog.select().where(AuditLog.action.startswith("news."))
               .order_by(AuditLog.id)]
    assert actions == [audit.NEWS_EDITED, audit.NEWS_PUBLISHED, audit.NEWS_WITHDRAWN]


def test_editing_keeps_the_state_and_audits_the_changes(client, auth):
    auth.login("agent")
    item = News.select().where(News.title.contains("Noël")).get()
    path = f"/agents/actualites/{item.id}"
    page = unescaped(client.get(path))
    assert "État : <strong>En ligne</strong>" in page
    assert 'value="2026-11-02"' in page  # the display dates as the date inputs want them
    client.post(path, data=news_data(auth, path, title=item.title, body="Nouveau texte.",
                                     service=item.service, display_from="2026-11-02",
                                     display_until="2026-12-02", action="enregistrer"))
    item = News.get_by_id(item.id)
    assert item.published and item.body == "Nouveau texte."
    log = AuditLog.get(AuditLog.action == audit.NEWS_EDITED)
    details = json.loads(log.details)
    assert details["after"] == {"body": "Nouveau texte."} and "Les réservations" in \
        details["before"]["body"]


@pytest.mark.parametrize("overrides, field, message", [
    ({"title": ""}, "title", "Indiquez le titre de l'actualité."),
    ({"body": ""}, "body", "Écrivez le texte de l'actualité."),
    ({"display_from": "2026-13-45"}, "display_from", "Indiquez une date valide"),
    ({"display_from": "demain"}, "display_from", "Indiquez une date valide"),
    ({"display_until": "2026-11-20"}, "display_until",
     "La date de fin doit suivre la date de début."),
    ({"service": "Piscine"}, "service", "Choisissez un service dans la liste."),
    ({"title": "T" * 151}, "title", "ne doit pas dépasser 150 caractères"),
])
def test_bad_news_input_is_refused_next_to_the_field(client, auth, overrides, field, message):
    auth.login("agent")
    before = News.select().count()
    response = client.post("/agents/actualites/nouvelle", data=news_data(auth, **overrides))
    assert response.status_code == 422
    assert message in (error_of(response, field) or "")
    assert News.select().count() == before


def test_unknown_action_and_news_are_refused(client, auth):
    auth.login("agent")
    assert client.post("/agents/actualites/nouvelle",
                       data=news_data(auth, action="detruire")).status_code == 400
    assert client.get("/agents/actualites/999999").status_code == 404


def test_demo_news_follow_the_booking_windows(app, db):
    """The Noël window closes on 02/12/2026: its news goes with it; the winter one opens on
    04/01/2027 (the day school resumes after Noël) and its news
    appears then."""
    with app.app_context():
        def titles(day):
            return [n.title for n in visible_news(day)]
        noel = "Réservations des centres de loisirs : vacances de Noël"
        hiver = "Réservations des centres de loisirs : vacances d'hiver"
        assert noel in titles(datetime.date(2026, 12, 2))
        assert noel not in titles(datetime.date(2026, 12, 3))
        assert hiver not in titles(datetime.date(2027, 1, 3))
        assert hiver in titles(datetime.date(2027, 1, 4))
        assert not any("automne" in t for t in titles(datetime.date(2026, 11, 26)))
