"""What an uploaded file must be to be kept, at the edges: its size, its first bytes,
its name, and an image's pixels and metadata; then what is stored."""
import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin
from werkzeug.datastructures import FileStorage

from domain.files import upload_path
from domain.uploads import MAX_UPLOAD_BYTES, UploadError, check_upload, clean_filename, save_upload
from tests import factories
from tests.helpers import pdf_bytes, png_bytes

SIX_MB = 6 * 1024 * 1024


def upload(data, name="piece.pdf", seekable=True):
    stream = io.BytesIO(data) if seekable else _Unseekable(data)
    return check_upload(FileStorage(stream, name))


class _Unseekable:
    """A stream that can only be read (no tell/seek): its size is known once read."""

    def __init__(self, data):
        self._data = io.BytesIO(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = self._data.read(size)
        self.bytes_read += len(chunk)
        return chunk


class _Counted(io.BytesIO):
    """A seekable upload that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def refusal(data, name="piece.pdf", seekable=True):
    with pytest.raises(UploadError) as error:
        upload(data, name, seekable)
    return str(error.value)


def pdf_of(size):
    return b"%PDF-1.4\n" + b"0" * (size - 9)


def png_header(width, height):
    """A PNG whose header declares ``width`` × ``height`` pixels and holds none."""
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1,
                                                                0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b""))


@pytest.mark.parametrize("seekable", [True, False])
def test_six_mebibytes_exactly_are_accepted_one_byte_more_is_refused(seekable):
    assert MAX_UPLOAD_BYTES == SIX_MB
    assert len(upload(pdf_of(SIX_MB), seekable=seekable).data) == SIX_MB
    assert refusal(pdf_of(SIX_MB + 1), "gros.pdf", seekable) == \
        "« gros.pdf » dépasse la taille maximale de 6 Mo."


def test_a_file_too_big_is_refused_before_a_byte_of_it_is_read():
    stream = _Counted(pdf_of(SIX_MB + 1))
    with pytest.raises(UploadError):
        check_upload(FileStorage(stream, "gros.pdf"))
    assert stream.bytes_read == 0
    assert stream.tell() == 0  # measured, then put back where it was


def test_a_stream_of_unknown_size_is_read_one_byte_past_the_limit_at_most():
    stream = _Unseekable(pdf_of(SIX_MB + 1000))
    with pytest.raises(UploadError):
        check_upload(FileStorage(stream, "gros.pdf"))
    assert stream.bytes_read == SIX_MB + 1


def test_a_stream_already_read_from_keeps_its_position():
    stream = io.BytesIO(b"xx" + pdf_of(100))
    stream.seek(2)
    checked = check_upload(FileStorage(stream, "a.pdf"))
    assert checked.data == pdf_of(100)


def test_an_empty_file_is_refused():
    assert refusal(b"") == "Le fichier est vide."


@pytest.mark.parametrize("data", [b"GIF89a" + b"0" * 20, b"%PDF", b"\xff\xd8", b"PK\x03\x04"])
def test_only_pdf_jpeg_and_png_first_bytes_are_accepted(data):
    assert refusal(data) == ("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG. Seuls ces "
                             "formats sont acceptés.")


def test_the_type_and_extension_come_from_the_first_bytes_not_the_name():
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 200)).save(jpeg, "JPEG")
    for data, name, content_type, filename in [
        (pdf_of(50), "scan.png", "application/pdf", "scan.pdf"),
        (png_bytes(), "photo.jpeg", "image/png", "photo.png"),
        (jpeg.getvalue(), "photo.pdf", "image/jpeg", "photo.jpg"),
    ]:
        checked = upload(data, name)
        assert (checked.content_type, checked.filename) == (content_type, filename)


def test_html_in_a_pdf_s_first_kilobyte_is_refused_but_not_further():
    html = b"<script>alert(1)</script>"
    refused = b"%PDF-1.4\n" + b"0" * (1024 - 9 - len(html)) + html
    assert len(refused) == 1024
    assert refusal(refused) == ("Ce fichier contient du code HTML ; il est refusé. Envoyez un "
                                "PDF, un JPEG ou un PNG ordinaire.")
    later = b"%PDF-1.4\n" + b"0" * (1024 - 9) + html
    assert upload(later).data == later
    # A marker must lie whole in the first 1024 bytes: ending on the 1024th, refused...
    assert "code HTML" in refusal(b"%PDF-1.4\n" + b"0" * (1020 - 9) + b"<svg" + b"0" * 10)
    # ...ending one byte further, kept.
    straddling = b"%PDF-1.4\n" + b"0" * (1021 - 9) + b"<svg" + b"0" * 10
    assert upload(straddling).data == straddling


def test_html_anywhere_in_an_image_is_refused():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "0" * 2000 + "<svg onload=alert(1)>")
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    assert "contient du code HTML" in refusal(out.getvalue(), "a.png")


def test_names_lose_what_windows_refuses_their_dots_and_spaces_and_keep_120_characters():
    assert clean_filename(' "a<b>c:d|e?f*g". .pdf', ".pdf") == "abcdefg.pdf"
    assert clean_filename("x" * 130 + ".pdf", ".pdf") == "x" * 120 + ".pdf"
    assert clean_filename(". . .pdf", ".pdf") == "piece-jointe.pdf"
    assert clean_filename("facture..2026.pdf", ".pdf") == "facture..2026.pdf"
    assert clean_filename("XAVIER X.pdf", ".pdf") == "XAVIER X.pdf"


def test_a_file_without_a_name_is_refused_with_the_names_message():
    assert refusal(pdf_of(50), "") == ("Le nom du fichier n'est pas valide : il ne doit "
                                       "contenir ni « / », ni « \\ », ni caractère de "
                                       "contrôle.")
    with pytest.raises(UploadError):
        clean_filename("a\x7fb.pdf", ".pdf")


def test_25_million_pixels_pass_the_size_check_and_one_row_more_is_refused_unread():
    # A header of 5000 × 5000 passes the size check (then has no pixels to decode).
    assert refusal(png_header(5000, 5000), "a.png") == "Cette image est illisible ou endommagée."
    assert refusal(png_header(5000, 5001), "a.png") == (
        "Cette image est trop grande (5000 × 5001 pixels) : envoyez une image de 25 millions "
        "de pixels au plus (une photo de téléphone ordinaire), ou un PDF.")


def test_an_image_pillow_only_warns_about_is_refused_with_its_size():
    # 144 Mpx: past Pillow's warning (100 Mpx), below its error (200 Mpx).
    assert refusal(png_header(12000, 12000), "a.png").startswith(
        "Cette image est trop grande (12000 × 12000 pixels)")


def test_an_image_past_pillow_s_own_guard_gets_the_same_advice():
    assert refusal(png_header(15000, 15000), "a.png") == (
        "Cette image est trop grande : envoyez une image de 25 millions de pixels au plus "
        "(une photo de téléphone ordinaire), ou un PDF.")


def test_an_image_that_is_not_one_is_refused():
    assert refusal(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "a.png") == \
        "Cette image est illisible ou endommagée."
    assert refusal(b"\xff\xd8\xff" + b"\x00" * 40, "a.jpg") == \
        "Cette image est illisible ou endommagée."


def test_images_are_written_again_without_their_metadata():
    cleaned = upload(png_bytes(with_metadata=True), "a.png").data
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "PNG" and image.size == (40, 30)
        assert "GPS" not in image.info
    exif = Image.Exif()
    exif[0x010F] = "Appareil"  # Make
    exif[0x0112] = 6  # Orientation: rotated 90°
    source = io.BytesIO()
    Image.new("RGBA", (8, 6), (10, 120, 200, 255)).convert("RGB").save(source, "JPEG",
                                                                          exif=exif)
    cleaned = upload(source.getvalue(), "a.jpg").data
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "JPEG"
        assert image.size == (6, 8)  # turned upright
        assert not image.getexif()


def test_photos_are_written_again_in_rgb_at_quality_90():
    source = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 200, 100, 0)).save(source, "JPEG", quality=100)
    cleaned = upload(source.getvalue(), "a.jpg").data
    reference = io.BytesIO()
    Image.new("RGB", (16, 16)).save(reference, "JPEG", quality=90)
    with Image.open(io.BytesIO(cleaned)) as image, Image.open(reference) as expected:
        assert image.mode == "RGB"
        assert image.quantization == expected.quantization


def test_a_saved_upload_keeps_its_bytes_name_type_family_and_uploader(app, db):
    family = factories.family(99001)
    user = factories.family_user(family, "depot@example.org")
    data = pdf_bytes()
    with app.app_context():
        stored = save_upload(upload(data, "attestation CAF.pdf"), family, user)
        with open(upload_path(stored.stored_name), "rb") as handle:
            assert handle.read() == data
    assert (stored.original_name, stored.content_type, stored.size) == \
        ("attestation CAF.pdf", "application/pdf", len(data))
    assert (stored.family_id, stored.uploaded_by_id) == (family.id, user.id)
