"""ACTUALITÉS: the news the services publish, shown within their display dates."""
from domain.clock import to_paris
from models import News


def news_date(item):
    """The date a news item is shown with: its first display day, else its creation day."""
    return item.display_from or to_paris(item.created_at).date()


def visible_news(today):
    """Published news whose display dates contain ``today`` (a null bound is open), newest first."""
    query = News.select().where(
        News.published
        & (News.display_from.is_null() | (News.display_from <= today))
        & (News.display_until.is_null() | (News.display_until >= today)))
    return sorted(query, key=lambda item: (news_date(item), item.created_at, item.id),
                  reverse=True)
