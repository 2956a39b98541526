"""« Paramètres de la commune » (administrateur): what the page saves, what it refuses (a
French message next to the field, nothing saved), who may open it (an agent gets 403),
the audit trail, and the rules that read the settings (the monthly deadline day, the
main inscription period, the régie on the payment page and the recap emails, the logo)."""
import io
import json

import pypdf
import pytest
from PIL import Image

from domain import commune
from domain.files import upload_path
from models import AuditLog, Commune
from tests.helpers import csrf_from, error_of, png_bytes, text_of
from tests.planning_support import CL, JANUARY, SANS, line_key, modalite, page_token, token

PAGE = "/agents/admin/commune"

#: The demo's settings, as the form posts them.
DEMO = {"name": "Commune de Saint-Exemple",
        "address": "Mairie de Saint-Exemple\n1 place de la Mairie\n31000 Saint-Exemple",
        "contact_email": "enfance@mairie.example.org", "phone": "05 61 00 00 00",
        "regie_address": "Régie Enfance, Mairie de Saint-Exemple",
        "regie_hours": "Lundi au vendredi de 8h30 à 12h00", "holiday_zone": "C",
        "deadline_day": "20", "main_period_opens": "10/03", "main_period_closes": "20/08"}


def post(client, **changes):
    data = dict(DEMO, csrf_token=csrf_from(client.get(PAGE)))
    data.update(changes)
    return client.post(PAGE, data=data, content_type="multipart/form-data")


@pytest.fixture
def admin(client, auth):
    auth.login("administrateur")
    return client


def test_the_page_shows_the_demo_settings(db, admin):
    page = admin.get(PAGE)
    assert page.status_code == 200
    text = text_of(page)
    assert "Paramètres de la commune" in text
    html = page.get_data(as_text=True)
    assert 'value="enfance@mairie.example.org"' in html and 'value="20"' in html
    assert 'value="10/03"' in html and 'value="20/08"' in html


def test_an_agent_gets_403_and_does_not_see_the_tab(db, client, auth):
    auth.login("agent")
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data=dict(DEMO)).status_code in (400, 403)
    assert "/agents/admin/commune" not in client.get("/agents/").get_data(as_text=True)


def test_saving_changes_every_setting_and_is_audited_before_after(db, admin):
    answer = post(admin, name="Ville de Castanet", deadline_day="15",
                  main_period_opens="01/04", main_period_closes="31/07",
                  regie_hours="Mardi 9h-12h", holiday_zone="A", phone="05 62 00 00 00")
    assert answer.status_code == 303
    row = Commune.get()
    assert (row.name, row.deadline_day, row.holiday_zone, row.phone) == \
        ("Ville de Castanet", 15, "A", "05 62 00 00 00")
    assert (row.main_period_opens_month, row.main_period_opens_day,
            row.main_period_closes_month, row.main_period_closes_day) == (4, 1, 7, 31)
    entry = AuditLog.select().where(AuditLog.action == "commune.settings_set").get()
    details = json.loads(entry.details)
    assert details["before"]["deadline_day"] == 20 and details["after"]["deadline_day"] == 15
    assert details["before"]["name"] == "Commune de Saint-Exemple"
    assert details["after"]["main_period_opens"] == "01/04"
    assert "Ville de Castanet" in text_of(admin.get("/agents/"))  # the header follows


@pytest.mark.parametrize("field, value, message", [
    ("deadline_day", "31", "Indiquez un jour entre 1 et 28"),
    ("deadline_day", "abc", "Indiquez un nombre entier entre 1 et 28."),
    ("deadline_day", "", "Indiquez le jour limite."),
    ("main_period_opens", "10 mars", "Écrivez le jour et le mois sous la forme jj/mm"),
    ("main_period_opens", "31/02", "Le jour d'ouverture doit être compris entre 1 et 28"),
    ("main_period_closes", "01/03", "La période d'inscription doit se terminer après son "
                                    "ouverture."),
    ("main_period_closes", "05/09", "avant la rentrée"),
    ("contact_email", "pas-une-adresse", "Indiquez une adresse email valide"),
    ("name", "", "Indiquez le nom de la commune."),
    ("holiday_zone", "D", "Choisissez la zone A, B ou C."),
    ("phone", "0" * 41, "Le numéro ne doit pas dépasser 40 caractères."),
])
def test_bad_input_says_why_next_to_the_field_and_saves_nothing(db, admin, field, value,
                                                               message):
    answer = post(admin, **{"name": "Autre nom", field: value})
    assert answer.status_code == 422
    assert message in (error_of(answer, field) or "")
    assert Commune.get().name == "Commune de Saint-Exemple"
    assert not AuditLog.select().where(AuditLog.action == "commune.settings_set").exists()


def test_a_logo_is_re_encoded_scaled_shown_in_the_header_and_removable(db, admin):
    big = png_bytes(with_metadata=True, size=(1200, 300))
    answer = post(admin, logo=(io.BytesIO(big), "logo.png"))
    assert answer.status_code == 303
    served = admin.get("/commune/logo")
    assert served.status_code == 200 and served.mimetype == "image/png"
    image = Image.open(io.BytesIO(served.data))
    assert image.size == (600, 150)             # scaled into 600 × 240
    assert "GPS" not in image.info               # metadata dropped
    assert 'class="commune-logo"' in admin.get("/agents/").get_data(as_text=True)
    assert post(admin, remove_logo="y").status_code == 303
    assert admin.get("/commune/logo").status_code == 404


def test_a_pdf_or_a_fake_image_is_refused_as_a_logo(db, admin):
    from tests.helpers import pdf_bytes
    answer = post(admin, logo=(io.BytesIO(pdf_bytes()), "logo.pdf"))
    assert answer.status_code == 422
    assert "Le logo doit être une image PNG ou JPEG." in error_of(answer, "logo")
    answer = post(admin, logo=(io.BytesIO(b"<html><script>x</script>"), "logo.png"))
    assert answer.status_code == 422 and error_of(answer, "logo")
    assert not Commune.get().logo_type


# --- The rules read the settings --------------------------------------------------------


def _pdf_text(body):
    """The text drawn in a PDF, as a reader extracts it (the font is embedded: the
    streams hold glyph ids, not letters)."""
    reader = pypdf.PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def _deadline_15():
    row = Commune.get()
    row.deadline_day = 15
    row.save()


@pytest.mark.parametrize("now, open_", [("2026-12-15T23:59", True),
                                        ("2026-12-16T00:00", False)])
def test_a_cutoff_on_the_15th_moves_planning_deadline_at_the_minute(app, client, lena, now,
                                                                   open_):
    """The settings say 15: January's days can be changed until 15/12 23:59 (Paris), not at
    00:00 on the 16th, on the page and on the server."""
    _deadline_15()
    app.config["PORTAIL_TODAY"] = now
    text = text_of(client.get("/planning/?du=2027-01-01"))
    data = {"ligne": line_key(lena, CL), "vue": "mensuel", "du": "2027-01-01",
            "jours": [token(JANUARY[0], modalite(CL, SANS))], "csrf_token": page_token(client)}
    response = client.post("/planning/valider", data=data)
    if open_:
        assert "Modifications possibles jusqu'au 15/12/2026 à 23h59." in text
        assert response.status_code == 303
    else:
        assert ("Les réservations de janvier 2027 ne sont plus modifiables depuis le "
                "16/12/2026 à 00h00 : la date limite était le 15/12/2026 à 23h59 (le 15 de "
                "chaque mois pour le mois suivant).") in text
        assert response.status_code == 422


def test_the_settings_page_moves_the_deadline_the_family_sees(app, db, client, auth):
    """Saved through the page, the 15th is what PLANNING says the next request."""
    auth.login("administrateur")
    post(client, deadline_day="15")
    auth.logout()
    from tests.planning_support import child, enrol
    enrol(child("LENA"), CL)
    auth.login("famille 16122")
    text = text_of(client.get("/planning/?du=2027-01-01"))
    assert "Modifications possibles jusqu'au 15/12/2026 à 23h59." in text


@pytest.mark.app_config(PORTAIL_TODAY="2027-03-05T10:00")
def test_the_main_inscription_period_follows_the_settings(db):
    from domain.booking.inscription import main_inscription_period
    from models import SchoolYear
    year = SchoolYear.get()
    assert main_inscription_period(year) == (year.start_date.replace(month=3, day=10),
                                             year.start_date.replace(month=8, day=20))
    row = Commune.get()
    row.main_period_opens_month, row.main_period_opens_day = 2, 1
    row.save()
    assert main_inscription_period(year)[0] == year.start_date.replace(month=2, day=1)


def test_the_regie_reaches_the_payment_page(db, client, auth):
    auth.login("famille 16123")
    text = text_of(client.get("/facturation/"))
    assert "Régie Enfance, Mairie de Saint-Exemple, 1 place de la Mairie" in text
    assert "mercredi de 8h30 à 12h00" in text


def test_the_recap_email_quotes_the_contact_phone_and_regie(client, lena, mailbox):
    from tests.conftest import MailBox
    data = {"ligne": line_key(lena, CL), "vue": "mensuel", "du": "2027-01-01",
            "jours": [token(JANUARY[0], modalite(CL, SANS))], "csrf_token": page_token(client)}
    client.post("/planning/valider", data=data)
    client.post("/planning/terminer", data={"csrf_token": page_token(client)})
    plain = MailBox.text(mailbox.messages[0])
    assert "enfance@mairie.example.org" in plain and "05 61 00 00 00" in plain
    assert "à la régie : Régie Enfance, Mairie de Saint-Exemple" in plain


def test_settings_outside_a_request_read_the_row_each_time(db):
    assert commune.deadline_day() == 20
    _deadline_15()
    assert commune.deadline_day() == 15


def test_the_invoice_pdf_carries_the_logo_the_address_and_the_regie(db, client, auth):
    from models import Family, Invoice
    auth.login("administrateur")
    post(client, logo=(io.BytesIO(png_bytes(size=(300, 100))), "logo.png"))
    auth.logout()
    auth.login("famille 16123")
    invoice = (Invoice.select().join(Family).where(Family.account_number == 16123)
               .order_by(Invoice.id).first())
    pdf = client.get(f"/facturation/factures/{invoice.id}.pdf").data
    text = " ".join(_pdf_text(pdf).split())
    assert "1 place de la Mairie" in text
    assert "Régie Enfance, Mairie de Saint-Exemple ; Lundi au" in text  # the régie and
    assert "vendredi de 8h30 à 12h00." in text                             # its hours
    assert b"/Subtype /Image" in pdf              # the logo


def test_the_inscription_confirmation_pdf_carries_the_logo(db, client, auth):
    from models import Activity, Document
    from tests.planning_support import child
    auth.login("administrateur")
    post(client, logo=(io.BytesIO(png_bytes(size=(300, 100))), "logo.png"))
    auth.logout()
    auth.login("famille 16122")
    lena, matin = child("LENA"), Activity.get(Activity.name == "ALAE Matin")
    client.post(f"/inscription/enfant/{lena.id}",
                data={f"enfant-{lena.id}-csrf_token": csrf_from(client.get("/inscription/")),
                      f"enfant-{lena.id}-activites": [str(matin.id)]})
    confirmation = Document.select().where(Document.title.startswith(
        "Confirmation d'inscription")).get()
    with open(upload_path(confirmation.file.stored_name), "rb") as stored:
        assert b"/Subtype /Image" in stored.read()
