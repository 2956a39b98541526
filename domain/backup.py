"""Backups of the whole portal: the database and the uploaded files, in one archive.

``backup(url, upload_dir, path)`` writes a ``.tar.gz`` holding ``manifest.json``,
the database (``database.sqlite``, copied with SQLite's online backup API while the
portal runs; or ``database.dump``, ``pg_dump``'s custom format) and ``uploads/``.
``restore(url, upload_dir, path)`` puts both back as they were: every row and every
file of the backup, nothing else (it replaces what is there). Plain functions, no
Flask: the ``flask --app app backup|restore`` commands pass the settings.
"""
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from urllib.parse import urlsplit

FORMAT = 1


class BackupError(RuntimeError):
    """A backup or restore that could not be made, with the reason."""


def _sqlite_path(url):
    return url.split("sqlite:///", 1)[1]


def _pg_env(url):
    """``pg_dump``/``pg_restore`` take the URL itself; the password goes by environment
    rather than on the command line (where ``ps`` would show it)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
        netloc = parts.netloc.split("@", 1)[1]
        user = parts.username or ""
        url = parts._replace(netloc=f"{user}@{netloc}" if user else netloc).geturl()
    return url, env


def _run(command, env=None):
    try:
        subprocess.run(command, check=True, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} est introuvable : installez les outils clients de "
                          "PostgreSQL (paquet postgresql-client).")
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} a échoué : {error.stderr.strip()[:500]}")


def backup(url, upload_dir, path, schema_version=None):
    """Write the archive ``path``; returns its manifest (engine, files, when)."""
    with tempfile.TemporaryDirectory() as work:
        if url.startswith("sqlite"):
            engine, name = "sqlite", "database.sqlite"
            source = sqlite3.connect(_sqlite_path(url))
            target = sqlite3.connect(os.path.join(work, name))
            with target:
                source.backup(target)  # a consistent copy, even while the portal writes
            target.close()
            source.close()
        else:
            engine, name = "postgresql", "database.dump"
            plain_url, env = _pg_env(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  "--file", os.path.join(work, name), "--dbname", plain_url], env)
        files = sorted(entry for entry in os.listdir(upload_dir)
                       if os.path.isfile(os.path.join(upload_dir, entry))) \
            if os.path.isdir(upload_dir) else []
        manifest = {"format": FORMAT, "engine": engine, "database": name,
                    "schema_version": schema_version, "files": len(files),
                    "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        with open(os.path.join(work, "manifest.json"), "w") as handle:
            json.dump(manifest, handle, indent=1)
        partial = path + ".partial"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(os.path.join(work, "manifest.json"), "manifest.json")
            archive.add(os.path.join(work, name), name)
            archive.add(upload_dir if os.path.isdir(upload_dir) else work, "uploads",
                        recursive=False)
            for entry in files:
                archive.add(os.path.join(upload_dir, entry), f"uploads/{entry}")
        os.replace(partial, path)  # never a half-written archive under the final name
    return manifest


def read_manifest(path):
    with tarfile.open(path, "r:gz") as archive:
        return json.load(archive.extractfile("manifest.json"))


def restore(url, upload_dir, path):
    """Replace the database and the uploaded files by those of the archive ``path``."""
    engine = "sqlite" if url.startswith("sqlite") else "postgresql"
    with tempfile.TemporaryDirectory() as work:
        with tarfile.open(path, "r:gz") as archive:
            archive.extractall(work, filter="data")  # no absolute path, no link outside
        with open(os.path.join(work, "manifest.json")) as handle:
            manifest = json.load(handle)
        if manifest.get("engine") != engine:
            raise BackupError(f"Cette sauvegarde vient d'une base {manifest.get('engine')} ; "
                              f"la base configurée est {engine}.")
        dump = os.path.join(work, manifest["database"])
        if engine == "sqlite":
            source = sqlite3.connect(dump)
            target = sqlite3.connect(_sqlite_path(url), timeout=30)
            with target:
                source.backup(target)
            target.close()
            source.close()
        else:
            plain_url, env = _pg_env(url)
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                  "--single-transaction", "--exit-on-error", "--dbname", plain_url, dump], env)
        restored = os.path.join(work, "uploads")
        os.makedirs(upload_dir, exist_ok=True)
        for entry in os.listdir(upload_dir):
            if os.path.isfile(os.path.join(upload_dir, entry)):
                os.remove(os.path.join(upload_dir, entry))
        for entry in os.listdir(restored):
            shutil.copy2(os.path.join(restored, entry), os.path.join(upload_dir, entry))
    return manifest
