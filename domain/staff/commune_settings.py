"""« Paramètres de la commune »: the administrateur saves the commune's settings (checked
by :func:`domain.commune.check`), and its logo, audited with the values before and after.

Above ``domain.commune`` in the layers: saving needs the audit trail, transactions and the
upload checks, which ``domain.commune`` (read by every rule) must not import.
"""
import io
from dataclasses import asdict

from PIL import Image

from domain import audit
from domain.commune import (
    LOGO_BOX,
    MAX_LOGO_BYTES,
    TEXT_FIELDS,
    CommuneSettings,
    SettingsProblem,
    bind,
    check,
    of_row,
)
from domain.transactions import write_transaction
from domain.uploads import UploadError, check_upload
from models import Commune


def checked_logo(file_storage) -> tuple[bytes, str]:
    """An uploaded logo checked as every upload is (:func:`domain.uploads.check_upload`:
    its first bytes, its pixels, re-encoded by Pillow without metadata), PNG or JPEG only,
    scaled down to fit :data:`LOGO_BOX`; raises :class:`SettingsProblem` on the ``logo``
    field."""
    try:
        checked = check_upload(file_storage)
    except UploadError as error:
        raise SettingsProblem("logo", str(error))
    if checked.content_type not in ("image/png", "image/jpeg"):
        raise SettingsProblem("logo", "Le logo doit être une image PNG ou JPEG.")
    with Image.open(io.BytesIO(checked.data)) as image:
        image.load()
        if image.width > LOGO_BOX[0] or image.height > LOGO_BOX[1]:
            image.thumbnail(LOGO_BOX)
            out = io.BytesIO()
            if checked.content_type == "image/jpeg":
                image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
            else:
                image.save(out, "PNG", optimize=True)
            checked.data = out.getvalue()
    if len(checked.data) > MAX_LOGO_BYTES:
        raise SettingsProblem("logo", f"Le logo ne doit pas dépasser {MAX_LOGO_BYTES // 1024} Ko.")
    return checked.data, checked.content_type


def update(actor, values: dict, new_logo: tuple[bytes, str] | None = None,
           remove_logo: bool = False) -> CommuneSettings:
    """Save the settings (checked by :func:`check`), the logo if given (already re-encoded:
    ``(bytes, content type)``); audited with the values before and after."""
    clean = check(values)
    if new_logo is not None and len(new_logo[0]) > MAX_LOGO_BYTES:
        raise SettingsProblem("logo", f"Le logo ne doit pas dépasser {MAX_LOGO_BYTES // 1024} Ko.")
    with write_transaction():
        row = Commune.select().first() or Commune.create(name=clean["name"],
                                                         holiday_zone=clean["holiday_zone"])
        before = _audited(of_row(row))
        for field in TEXT_FIELDS:
            setattr(row, field, clean[field])
        row.holiday_zone = clean["holiday_zone"]
        row.deadline_day = clean["deadline_day"]
        row.main_period_opens_month, row.main_period_opens_day = clean["main_period_opens"]
        row.main_period_closes_month, row.main_period_closes_day = clean["main_period_closes"]
        if new_logo is not None:
            row.logo, row.logo_type = new_logo
        elif remove_logo:
            row.logo, row.logo_type = None, ""
        row.save()
        after = _audited(of_row(row))
        changed = {key for key in after if after[key] != before[key]}
        if changed:
            audit.record(actor, None, audit.COMMUNE_SETTINGS_SET,
                         "Paramètres de la commune : " + ", ".join(sorted(changed)),
                         before={k: before[k] for k in sorted(changed)},
                         after={k: after[k] for k in sorted(changed)})
    bind(None)
    return of_row(row)


def _audited(current: CommuneSettings) -> dict:
    values = asdict(current)
    values["main_period_opens"] = "%02d/%02d" % tuple(reversed(current.main_period_opens))
    values["main_period_closes"] = "%02d/%02d" % tuple(reversed(current.main_period_closes))
    values["logo"] = current.logo_type or "aucun"
    del values["has_logo"], values["logo_type"]
    return values
