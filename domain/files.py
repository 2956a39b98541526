"""Stored files: kept outside ``static/`` under generated names.

The folder is the app's ``UPLOAD_DIR``, told by the app factory (:func:`configure`).
"""
import hashlib
import os
import secrets
from typing import Callable

from models import StoredFile

#: Returns the folder of the stored files: set by the app factory.
_upload_dir: Callable[[], str] = lambda: os.path.join("instance", "uploads")


def configure(upload_dir: Callable[[], str]) -> None:
    """Read the folder of the stored files through ``upload_dir``."""
    global _upload_dir
    _upload_dir = upload_dir


def upload_dir() -> str:
    """The folder of the stored files."""
    return _upload_dir()


def upload_path(stored_name):
    """Where a stored file lives on disk."""
    return os.path.join(upload_dir(), stored_name)


def store_bytes(data, original_name, content_type, family=None, user=None):
    """Write ``data`` under a generated name and record it."""
    extension = {"application/pdf": ".pdf", "image/jpeg": ".jpg",
                 "image/png": ".png"}.get(content_type, ".bin")
    stored_name = secrets.token_hex(16) + extension
    os.makedirs(upload_dir(), exist_ok=True)
    with open(upload_path(stored_name), "wb") as handle:
        handle.write(data)
    return StoredFile.create(family=family, original_name=original_name[:200],
                             stored_name=stored_name, content_type=content_type,
                             size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                             uploaded_by=user)


def keep_staff_file(data, original_name, content_type, user):
    """Keep a file an agent uploads to check before it is applied (a families' import, a
    bank's return file): stored without a family, under ``content_type`` (its kind);
    returns its token."""
    stored = store_bytes(data, original_name, content_type, user=user)
    return stored.stored_name.split(".")[0]


def kept_staff_file(token, user, content_type):
    """``(data, filename)`` of the file of kind ``content_type`` that ``user`` kept under
    ``token`` (:func:`keep_staff_file`), or None: another agent's, another kind's or a
    malformed token gets None."""
    if not (token.isascii() and token.isalnum() and len(token) == 32):
        return None
    stored = StoredFile.get_or_none((StoredFile.stored_name == token + ".bin")
                                    & StoredFile.family.is_null()
                                    & (StoredFile.uploaded_by == user)
                                    & (StoredFile.content_type == content_type))
    if stored is None:
        return None
    try:
        with open(upload_path(stored.stored_name), "rb") as handle:
            return handle.read(), stored.original_name
    except OSError:
        return None
