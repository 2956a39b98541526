"""French formats for dates, times and amounts: the output of babel's fr_FR, computed
here (pages print hundreds of them)."""
import datetime

from linkify_it import LinkifyIt
from markupsafe import Markup, escape

from domain.clock import PARIS, to_paris

WEEKDAY_ABBR = ("Lu", "Ma", "Me", "Je", "Ve", "Sa", "Di")
WEEKDAY_NAMES = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")


def euros(cents):
    """``520`` -> ``5,20 €``, ``123456`` -> ``1 234,56 €`` (narrow no-break space between
    thousands, no-break space before €: babel's fr_FR, computed here in integers because
    a recap prints hundreds of amounts and babel took a fifth of its time)."""
    sign = "-" if cents < 0 else ""
    units, hundredths = divmod(abs(int(cents)), 100)
    return f"{sign}{units:,}".replace(",", "\u202f") + f",{hundredths:02d}\u00a0€"


def in_paris(value: datetime.datetime) -> datetime.datetime:
    """The one way a moment becomes what a page, an email, a PDF or an export shows:
    Paris time. A naive datetime is a stored one (UTC); an aware one is converted."""
    if value.tzinfo is None:
        return to_paris(value)
    return value.astimezone(PARIS)


def date_fr(value):
    """``DD/MM/YYYY``; a stored datetime is shown in Paris time."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = in_paris(value).date()
    return value.strftime("%d/%m/%Y")


def time_fr(value):
    """``HHhMM`` in Paris time."""
    return in_paris(value).strftime("%Hh%M")


def datetime_fr(value, separator=" "):
    """``DD/MM/YYYY HH:MM`` in Paris time (exports); ``separator`` between the two."""
    return in_paris(value).strftime(f"%d/%m/%Y{separator}%H:%M")


def datetime_attr(value):
    """A stored (naive UTC) datetime as the ``datetime`` of a ``<time>``, to the second:
    ``2026-11-26T09:00:00Z`` (HTML takes three decimals at most, not microseconds)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


MONTHS_FR = ("Janvier", "Février", "Mars", "Avril", "Mai", "Juin", "Juillet", "Août",
             "Septembre", "Octobre", "Novembre", "Décembre")


def month_fr(year, month):
    """``Janvier 2027`` (babel's fr_FR month names, from a table: it is called often)."""
    return f"{MONTHS_FR[month - 1]} {year}"


def day_label(day):
    """Column header of a calendar: ``Me 01``."""
    return f"{WEEKDAY_ABBR[day.weekday()]} {day.day:02d}"


def day_name(day):
    """``Mercredi``."""
    return WEEKDAY_NAMES[day.weekday()]


_LINKIFY = LinkifyIt()
#: Only these kinds of addresses become links (never ``javascript:`` or ``ftp:``).
_LINK_SCHEMES = ("http://", "https://", "mailto:")


def linkify(text):
    """A message's or a news item's text as HTML: escaped, each web or email address a
    link (``rel="noopener"``), found by linkify-it-py (the maintained port of the
    library markdown-it uses), not a regular expression."""
    text = text or ""
    parts, last = [], 0
    for match in _LINKIFY.match(text) or ():
        if not match.url.lower().startswith(_LINK_SCHEMES):
            continue
        parts.append(escape(text[last:match.index]))
        parts.append(Markup('<a href="{}" rel="noopener">{}</a>').format(match.url,
                                                                         match.text))
        last = match.last_index
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def register(app):
    """Make the formats Jinja filters."""
    app.add_template_filter(linkify)
    app.add_template_filter(euros)
    app.add_template_filter(date_fr)
    app.add_template_filter(time_fr)
    app.add_template_filter(datetime_fr)
    app.add_template_filter(datetime_attr)
    app.add_template_filter(day_label)
    app.add_template_filter(day_name)
