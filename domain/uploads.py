"""Uploaded files: checked by their content, cleaned, stored, served as downloads.

Accepted: PDF, JPEG and PNG, judged by their first bytes (magic numbers), never by
their name or the browser's type; at most 6 Mo (6 × 1024 × 1024 bytes), measured
before the file is read. Images are decoded and written again by Pillow, which
drops their metadata (EXIF, GPS, text chunks). A file whose first bytes look like
HTML (what a browser could sniff and run) is refused.
"""
import io
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from domain.files import store_bytes

MAX_UPLOAD_BYTES = 6 * 1024 * 1024
MAX_ATTACHMENTS = 4
#: The largest image accepted, in pixels (a 24 Mpx camera's photo; a phone's is 12 Mpx).
#: Checked from the header before decoding: a small file may declare a huge image
#: (a 311 KB PNG of 80 Mpx took 15 s and 1.1 GB to decode).
MAX_IMAGE_PIXELS = 25_000_000
#: Pillow's own guard, the last line (it raises past twice this): ours says the size.
Image.MAX_IMAGE_PIXELS = 4 * MAX_IMAGE_PIXELS

MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
HTML_MARKERS = re.compile(rb"<\s*(!doctype|html|head|body|script|iframe|svg|img|a\s|meta|"
                          rb"style|object|embed|form|\?xml)", re.IGNORECASE)


class UploadError(ValueError):
    """A file refused, with the French message to show next to its field."""


@dataclass
class CheckedUpload:
    data: bytes
    content_type: str
    filename: str


def _size_of(stream):
    """The stream's size without reading it (uploads are spooled, hence seekable)."""
    try:
        position = stream.tell()
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(position)
        return size
    except (AttributeError, OSError):
        return None


def clean_filename(name, extension):
    """The name to show and offer on download, with the extension of its real type."""
    # Files are stored under generated names: only what could name another path or
    # break a header matters (path separators, control characters), not two dots.
    if not name or "/" in name or "\\" in name or re.search(r"[\x00-\x1f\x7f]", name):
        raise UploadError("Le nom du fichier n'est pas valide : il ne doit contenir ni « / », "
                          "ni « \\ », ni caractère de contrôle.")
    # Bidi controls and other invisible format characters would make staff read
    # "é\u202egpj.exe.pdf" as "éfdp.exe.jpg": they go.
    name = "".join(char for char in name if unicodedata.category(char) != "Cf")
    stem = os.path.splitext(name)[0]
    stem = re.sub(r"[\"<>:|?*]", "", stem).strip(" .")[:120] or "piece-jointe"
    return stem + extension


def check_upload(file_storage):
    """Check one uploaded file; returns a :class:`CheckedUpload` or raises :class:`UploadError`."""
    size = _size_of(file_storage.stream)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise UploadError(f"« {file_storage.filename} » dépasse la taille maximale de 6 Mo.")
    data = file_storage.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"« {file_storage.filename} » dépasse la taille maximale de 6 Mo.")
    if not data:
        raise UploadError("Le fichier est vide.")
    for magic, content_type, extension in MAGIC:
        if data.startswith(magic):
            break
    else:
        raise UploadError("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG. "
                          "Seuls ces formats sont acceptés.")
    filename = clean_filename(file_storage.filename or "", extension)
    head = data[:1024] if content_type == "application/pdf" else data
    if HTML_MARKERS.search(head):
        raise UploadError("Ce fichier contient du code HTML ; il est refusé. "
                          "Envoyez un PDF, un JPEG ou un PNG ordinaire.")
    if content_type != "application/pdf":
        data = _clean_image(data, content_type)
    return CheckedUpload(data=data, content_type=content_type, filename=filename)


def _clean_image(data, content_type):
    """Decode and re-encode the image without any metadata (EXIF, GPS, comments).

    Its size is read from the header first: an image past :data:`MAX_IMAGE_PIXELS`
    is refused before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below
            image = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError:
        raise UploadError("Cette image est trop grande : envoyez une image de "
                          f"{MAX_IMAGE_PIXELS // 1_000_000} millions de pixels au plus "
                          "(une photo de téléphone ordinaire), ou un PDF.")
    except (UnidentifiedImageError, OSError, ValueError):
        raise UploadError("Cette image est illisible ou endommagée.")
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise UploadError(f"Cette image est trop grande ({width} × {height} pixels) : envoyez "
                          f"une image de {MAX_IMAGE_PIXELS // 1_000_000} millions de pixels au "
                          "plus (une photo de téléphone ordinaire), ou un PDF.")
    try:
        with image:
            image.load()
            image = ImageOps.exif_transpose(image)
            clean = image.copy()
            clean.info = {}
            out = io.BytesIO()
            if content_type == "image/jpeg":
                clean.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
            else:
                clean.save(out, "PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise UploadError("Cette image est illisible ou endommagée.")


def save_upload(checked, family, user):
    """Store a checked upload outside ``static/``; returns its ``StoredFile``."""
    return store_bytes(checked.data, checked.filename, checked.content_type,
                       family=family, user=user)
