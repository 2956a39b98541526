"""``flask --app app backup`` and ``restore``: a round trip keeps every row and every file
(SQLite's online backup; pg_dump/pg_restore on PostgreSQL). And ``/sante``."""
import hashlib
import io
import os
import socket

from peewee import OperationalError

import models
from domain.pdf import simple_document


def snapshot():
    """Every row of every table, in id order."""
    return {model.__name__: list(model.select().order_by(model._meta.primary_key).tuples())
            for model in models.ALL_MODELS}


def files_of(directory):
    return {name: hashlib.sha256(open(os.path.join(directory, name), "rb").read()).hexdigest()
            for name in sorted(os.listdir(directory))}


def send_message_with_attachment(client, auth, subject):
    response = client.post("/messagerie/envoyer", data={
        "csrf_token": auth.csrf("/messagerie/envoyer"), "service": "Centres de Loisirs",
        "theme": "Modifications", "subject": subject, "body": "Bonjour",
        "attachment_1": (io.BytesIO(simple_document(subject, ["2026"])), "facture.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 303


def test_a_backup_then_a_restore_keeps_every_row_and_file(app, client, auth, runner, db,
                                                          tmp_path):
    auth.login()
    send_message_with_attachment(client, auth, "Avant la sauvegarde")
    upload_dir = app.config["UPLOAD_DIR"]
    rows, files = snapshot(), files_of(upload_dir)
    assert files and rows["StoredFile"]
    archive = str(tmp_path / "sauvegarde.tar.gz")
    result = runner.invoke(args=["backup", archive])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output
    assert f"{len(files)} fichier(s)" in result.output

    # Life goes on after the backup: a new message and its file, a family deleted.
    send_message_with_attachment(client, auth, "Après la sauvegarde")
    models.Family.delete().where(models.Family.account_number == 16124).execute()
    assert snapshot() != rows and files_of(upload_dir) != files

    result = runner.invoke(args=["restore", archive], input="y\n")
    assert result.exit_code == 0, result.output
    models.db.close()
    models.db.connect()
    assert snapshot() == rows
    assert files_of(upload_dir) == files
    # The portal works on the restored data.
    assert client.get("/messagerie/").status_code == 200


def test_restore_asks_before_replacing_anything(app, runner, tmp_path, db):
    archive = str(tmp_path / "sauvegarde.tar.gz")
    assert runner.invoke(args=["backup", archive]).exit_code == 0
    families = models.Family.select().count()
    models.Family.delete().where(models.Family.account_number == 16124).execute()
    result = runner.invoke(args=["restore", archive], input="n\n")
    assert result.exit_code != 0
    assert models.Family.select().count() == families - 1


def test_a_backup_of_the_other_engine_is_refused(app, runner, tmp_path, db):
    import json
    import tarfile
    archive = str(tmp_path / "sauvegarde.tar.gz")
    assert runner.invoke(args=["backup", archive]).exit_code == 0
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    other = "postgresql" if manifest["engine"] == "sqlite" else "sqlite"
    forged = str(tmp_path / "autre.tar.gz")
    with tarfile.open(archive) as source, tarfile.open(forged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if member.name == "manifest.json":
                content = json.dumps(dict(manifest, engine=other)).encode()
                member.size = len(content)
                data = io.BytesIO(content)
            target.addfile(member, data)
    result = runner.invoke(args=["restore", forged, "--yes"])
    assert result.exit_code != 0
    assert f"Cette sauvegarde vient d'une base {other}" in result.output


# --- /sante ------------------------------------------------------------------------------


def test_health_says_ok_and_nothing_else(client):
    response = client.get("/sante")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "OK\n"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_health_is_503_when_the_database_is_down(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("could not connect to server")
    monkeypatch.setattr(models.db.obj, "execute_sql", broken)
    response = client.get("/sante")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "indisponible\n"


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_pages_say_the_service_is_unavailable_when_the_database_is_down(tmp_path):
    from app import create_app
    down = create_app({"SECRET_KEY": "x" * 32, "UPLOAD_DIR": str(tmp_path),
                       "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port()}/portail"})
    client = down.test_client()
    for path in ("/connexion", "/planning/?du=2027-01-01", "/agents/"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert "<h1>Service momentanément indisponible</h1>" in page
        assert "n'a pas été enregistré" in page
        assert f'<a href="{path}">Réessayer</a>' in page
    # Also where another error page would show (its frame reads the database): a form
    # posted without its token (its page was this one), a page that does not exist.
    for response in (client.post("/planning/terminer", data={}),
                     client.post("/connexion", data={"identifier": "16122"}),
                     client.get("/pas-une-page")):
        assert response.status_code == 503
        assert "Service momentanément indisponible" in response.get_data(as_text=True)
    assert '<a href="/">Réessayer</a>' in client.post("/connexion").get_data(as_text=True)
    assert client.get("/sante").status_code == 503
    assert client.get("/static/css/portail.css").status_code == 200  # the page's style
