"""Helpers shared by the test modules: reading pages, finding the demo's rows, signing in.

Fixtures live in ``tests/conftest.py``; rows a test creates come from ``tests/factories.py``.
"""
import html
import re

from models import Activity, Child, Family, Modalite

# --- Reading pages -----------------------------------------------------------


def _html(page):
    """The HTML of a test-client response, or ``page`` itself when it is a string."""
    return page if isinstance(page, str) else page.get_data(as_text=True)


def text_of(page):
    """The page as a user reads it: tags dropped, entities decoded, no-break spaces as
    spaces, whitespace squeezed (``page``: a response or HTML)."""
    text = re.sub(r"<[^>]+>", " ", _html(page))
    return re.sub(r"\s+", " ", html.unescape(text).replace("\u00a0", " ")).strip()


def unescaped(page):
    """The HTML of ``page`` (a response or HTML) with its entities decoded, tags kept: for
    assertions on markup (``'<option selected value="…">'``)."""
    return html.unescape(_html(page))


def error_of(page, field_id):
    """The error shown next to the field ``field_id``, or None; fails unless the field
    points at it (``aria-describedby``)."""
    page = _html(page)
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page, re.S)
    if match is None:
        return None
    control = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field_id}"[^>]*>', page)
    assert control and f"{field_id}-error" in control.group(0), f"{field_id}: error not tied"
    return html.unescape(match.group(1))


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(page):
    """The CSRF token of the first form in ``page`` (a response or HTML)."""
    match = CSRF_RE.search(_html(page))
    assert match, "no CSRF token in the page"
    return match.group(1)


# --- The demo's rows ---------------------------------------------------------


def demo_family(account_number):
    """A family of the demo (16122 DUPONT, 16123 BERNARD, 16124 PETIT)."""
    return Family.get(Family.account_number == account_number)


def demo_child(first_name):
    """A child of the demo by first name (LENA, HUGO, CHLOE, TOM...)."""
    return Child.get(Child.first_name == first_name)


def activity(name):
    """An activity of the catalogue by name (``"CL Maternel Mercredis"``)."""
    return Activity.get(Activity.name == name)


def modalite(activity_name, name):
    """A modalité of an activity, both by name."""
    return (Modalite.select().join(Activity)
            .where((Activity.name == activity_name) & (Modalite.name == name)).get())


# --- Signing in --------------------------------------------------------------


def sign_in(client, user):
    """Sign ``user`` in on ``client`` without the password form (fast, for many clients;
    the ``auth`` fixture goes through the real form)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


# --- Files to upload ---------------------------------------------------------


def pdf_bytes(title="Justificatif de domicile", lines=("Attestation d'assurance habitation.",)):
    """A small real PDF."""
    from domain.pdf import simple_document
    return simple_document(title, list(lines))


def png_bytes(with_metadata=False, size=(40, 30)):
    """A small real PNG (with a GPS text chunk when ``with_metadata``)."""
    import io

    from PIL import Image, PngImagePlugin
    info = None
    if with_metadata:
        info = PngImagePlugin.PngInfo()
        info.add_text("GPS", "43.6045 1.4440")
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def mail_retry_time_passes(monkeypatch, minutes=1):
    """The outbox's clock moves ``minutes`` on, as if the wait before a retry had passed."""
    import datetime

    from domain import mail
    real = mail._wall_clock
    monkeypatch.setattr(mail, "_wall_clock",
                        lambda: real() + datetime.timedelta(minutes=minutes))
