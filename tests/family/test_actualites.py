"""ACTUALITÉS: published news within their display dates, newest first."""
import datetime
import html

import pytest

from domain.messaging.news import visible_news
from models import News

TODAY = datetime.date(2026, 11, 26)  # the tests' fixed "now"


def day(offset):
    return TODAY + datetime.timedelta(days=offset)


@pytest.fixture
def news(app):
    """Replace the demo news by one item per display case."""
    News.delete().execute()
    items = {
        "Ouverte depuis hier": dict(display_from=day(-1), service="Centres de Loisirs"),
        "Jusqu'à aujourd'hui": dict(display_from=day(-10), display_until=TODAY,
                                    service="ALAE - Restauration"),
        # No display dates: shown with its creation day (stored in UTC).
        "Sans dates": dict(created_at=datetime.datetime(2026, 11, 19, 23, 30)),
        "Commence aujourd'hui": dict(display_from=TODAY, service="Scolarité"),
        "Finie hier": dict(display_from=day(-30), display_until=day(-1)),
        "Commence demain": dict(display_from=day(1)),
        "Brouillon": dict(published=False, display_from=day(-3)),
    }
    for title, fields in items.items():
        News.create(title=title, body=f"Texte de « {title} ».", **fields)
    return items


def test_only_published_news_within_their_dates_newest_first(news):
    titles = [item.title for item in visible_news(TODAY)]
    assert titles == ["Commence aujourd'hui", "Ouverte depuis hier", "Sans dates",
                      "Jusqu'à aujourd'hui"]
    # The next day the one ending today is gone and the one starting tomorrow is shown.
    assert [i.title for i in visible_news(day(1))] == [
        "Commence demain", "Commence aujourd'hui", "Ouverte depuis hier", "Sans dates"]


def test_news_page_shows_service_and_date(client, auth, news):
    auth.login("famille 16124")
    page = html.unescape(client.get("/actualites/").get_data(as_text=True))
    assert "<title>Actualités" in page
    for hidden in ("Finie hier", "Commence demain", "Brouillon"):
        assert hidden not in page
    order = [page.index(t) for t in ("Commence aujourd'hui", "Ouverte depuis hier",
                                     "Sans dates", "Jusqu'à aujourd'hui")]
    assert order == sorted(order)
    assert 'Centres de Loisirs</span> – <time datetime="2026-11-25">25/11/2026</time>' in page
    assert '<time datetime="2026-11-16">16/11/2026</time>' in page
    # 19/11 23h30 UTC is already 20/11 in Paris.
    assert '<time datetime="2026-11-20">20/11/2026</time>' in page
    assert "Texte de « Ouverte depuis hier »." in page


def test_demo_news_are_listed(client, auth):
    auth.login("famille 16122")
    page = html.unescape(client.get("/actualites/").get_data(as_text=True))
    # The Noël booking window (02/11 – 02/12/2026) is open on 26/11/2026; the winter one
    # opens on 21/12, the autumn one is closed.
    assert "Réservations des centres de loisirs : vacances de Noël" in page
    assert "jusqu'au 02/12/2026 inclus" in page
    assert '<time datetime="2026-11-02">02/11/2026</time>' in page and "Centres de Loisirs" in page
    assert "vacances d'hiver" not in page and "vacances d'automne" not in page


def test_no_news_says_so(client, auth, news):
    News.delete().execute()
    auth.login("famille 16122")
    assert "Aucune actualité pour le moment." in html.unescape(
        client.get("/actualites/").get_data(as_text=True))
