"""The test fixtures themselves: each test gets the demo commune as built, whatever the
tests before it wrote, and the demo of its own PORTAIL_TODAY when it asks for another."""
import os

import pytest

import models
from models import Child, Document, Family, News, SchoolYear, StoredFile
from tests import factories
from tests.conftest import make_demo_app
from tests.helpers import demo_family, text_of


def _demo_state():
    return {"families": sorted(f.name for f in Family.select()),
            "children": Child.select().count(), "news": News.select().count(),
            "dupont": demo_family(16122).address}


def test_a_copy_of_the_demo_is_new_whatever_the_test_before_wrote(app, database_url, tmp_path,
                                                                 smtp_server):
    with models.db.connection_context():
        before = _demo_state()
        first_family_id = factories.family(70001).id
        # Writes of every kind: update, delete (with cascades), insert, and a file removed.
        Family.update(address="1 rue Ailleurs").where(Family.account_number == 16122).execute()
        Family.delete().where(Family.account_number == 16124).execute()
        News.delete().execute()
        stored = StoredFile.select().first()
        os.remove(os.path.join(app.config["UPLOAD_DIR"], stored.stored_name))
        assert _demo_state() != before

    again = make_demo_app(database_url, tmp_path / "again", smtp_server.port)
    with again.app_context(), models.db.connection_context():
        assert _demo_state() == before
        assert Family.select().where(Family.account_number == 70001).count() == 0
        # Sequences are back too: the same family gets the same id.
        assert factories.family(70001).id == first_family_id
        stored = StoredFile.get(StoredFile.id == stored.id)
        with open(os.path.join(again.config["UPLOAD_DIR"], stored.stored_name), "rb") as handle:
            assert len(handle.read()) == stored.size


def test_the_demo_s_files_are_in_the_test_s_upload_folder(client, auth):
    auth.login("famille 16122")
    with models.db.connection_context():
        document = Document.get(Document.title == "Menus du mois")  # stored by the demo
    response = client.get(f"/mon-dossier/documents/{document.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


@pytest.mark.app_config(PORTAIL_TODAY="2027-10-05T09:00")
def test_another_today_gets_the_demo_of_that_day(client, auth, db):
    assert [y.label for y in SchoolYear.select()] == ["2027/2028"]
    auth.login("famille 16122")
    assert "2027/2028" in text_of(client.get("/mon-dossier/"))


def test_the_usual_today_still_gets_its_own_demo(db):
    assert [y.label for y in SchoolYear.select()] == ["2026/2027"]
