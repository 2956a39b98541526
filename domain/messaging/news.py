"""ACTUALITÉS: the news the services publish, shown within their display dates.

A news item is a draft until published; once published it is shown to families
on the days between its display dates (a null bound is open); withdrawn, it is
no longer shown (and may be published again). Staff write, preview, schedule,
publish and withdraw; every staff write is audited.
"""
from domain import audit
from domain.clock import to_paris
from domain.clock import utc_now
from models import News, db

DRAFT, SCHEDULED, ONLINE, ENDED, WITHDRAWN = (
    "Brouillon", "Programmée", "En ligne", "Terminée", "Retirée")


def news_date(item):
    """The date a news item is shown with: its first display day, else its creation day."""
    return item.display_from or to_paris(item.created_at).date()


def is_shown(item, today):
    """True when families see ``item`` on ``today``."""
    return (item.published
            and (item.display_from is None or item.display_from <= today)
            and (item.display_until is None or item.display_until >= today))


def visible_news(today):
    """Published news whose display dates contain ``today`` (a null bound is open), newest first."""
    query = News.select().where(
        News.published
        & (News.display_from.is_null() | (News.display_from <= today))
        & (News.display_until.is_null() | (News.display_until >= today)))
    return sorted(query, key=lambda item: (news_date(item), item.created_at, item.id),
                  reverse=True)


def news_state(item, today):
    """What staff see of ``item`` on ``today``: draft, scheduled, online, ended, withdrawn."""
    if not item.published:
        return WITHDRAWN if item.withdrawn_at else DRAFT
    if item.display_from and item.display_from > today:
        return SCHEDULED
    if item.display_until and item.display_until < today:
        return ENDED
    return ONLINE


def all_news():
    """Every news item for staff, the latest first."""
    return list(News.select().order_by(News.created_at.desc(), News.id.desc()))


def _values(item):
    return {"title": item.title, "body": item.body, "service": item.service,
            "display_from": item.display_from, "display_until": item.display_until,
            "published": item.published}


def save_news(actor, item, title, body, service, display_from, display_until, publish=None):
    """Create (``item`` None) or change a news item; ``publish`` True/False publishes or
    keeps it a draft (None leaves it as it is). Returns the item; audited."""
    with db.atomic():
        before = _values(item) if item is not None else None
        if item is None:
            item = News(author=actor, published=False)
        item.title, item.body, item.service = title.strip(), body.strip(), service or ""
        item.display_from, item.display_until = display_from, display_until
        if publish is not None:
            item.published = publish
            if publish:
                item.withdrawn_at = None
        item.updated_at = utc_now()
        item.save()
        after = _values(item)
        changes = audit.changed_fields(before, after) if before else None
        action = audit.NEWS_PUBLISHED if publish and not (before or {}).get("published") \
            else audit.NEWS_EDITED
        audit.record(actor, None, action, f"Actualité « {item.title} »",
                     before={k: v[0] for k, v in changes.items()} if changes else None,
                     after={k: v[1] for k, v in changes.items()} if changes else after)
    return item


def publish(actor, item):
    """Put ``item`` online (within its display dates)."""
    if item.published:
        return False
    with db.atomic():
        News.update(published=True, withdrawn_at=None, updated_at=utc_now()).where(
            News.id == item.id).execute()
        audit.record(actor, None, audit.NEWS_PUBLISHED, f"Actualité « {item.title} » publiée",
                     before={"published": False}, after={"published": True})
    item.published, item.withdrawn_at = True, None
    return True


def withdraw(actor, item):
    """Take ``item`` offline at once."""
    if not item.published:
        return False
    with db.atomic():
        now = utc_now()
        News.update(published=False, withdrawn_at=now, updated_at=now).where(
            News.id == item.id).execute()
        audit.record(actor, None, audit.NEWS_WITHDRAWN, f"Actualité « {item.title} » retirée",
                     before={"published": True}, after={"published": False})
    item.published, item.withdrawn_at = False, now
    return True
