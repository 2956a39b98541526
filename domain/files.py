"""Stored files: kept outside ``static/`` under generated names."""
import hashlib
import os
import secrets

from flask import current_app

from models import StoredFile


def upload_path(stored_name):
    """Where a stored file lives on disk."""
    return os.path.join(current_app.config["UPLOAD_DIR"], stored_name)


def store_bytes(data, original_name, content_type, family=None, user=None):
    """Write ``data`` under a generated name and record it."""
    extension = {"application/pdf": ".pdf", "image/jpeg": ".jpg",
                 "image/png": ".png"}.get(content_type, ".bin")
    stored_name = secrets.token_hex(16) + extension
    os.makedirs(current_app.config["UPLOAD_DIR"], exist_ok=True)
    with open(upload_path(stored_name), "wb") as handle:
        handle.write(data)
    return StoredFile.create(family=family, original_name=original_name[:200],
                             stored_name=stored_name, content_type=content_type,
                             size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                             uploaded_by=user)
