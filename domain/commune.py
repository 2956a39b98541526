"""The commune's settings: one database row, the one source of its name and holiday zone.

The row is seeded from the environment (``COMMUNE_NAME``, ``HOLIDAY_ZONE``) by
``flask --app app migrate`` and ``demo`` when it does not exist yet; from then
on the database is the truth, for PLANNING, INSCRIPTION, the pages and the
emails alike, so two parts of the portal can never use two calendars.
"""
from dataclasses import dataclass

from models import Commune, first_where

DEFAULT_NAME = "Commune de Saint-Exemple"
DEFAULT_ZONE = "C"
ZONES = ("A", "B", "C")


@dataclass(frozen=True)
class CommuneSettings:
    """What the portal needs to know of its commune."""

    name: str
    holiday_zone: str
    contact_email: str | None = None


def settings() -> CommuneSettings:
    """The commune's settings (the defaults before the row is seeded)."""
    row = first_where(Commune)
    if row is None:
        return CommuneSettings(DEFAULT_NAME, DEFAULT_ZONE)
    return CommuneSettings(row.name, row.holiday_zone, row.contact_email)


def holiday_zone() -> str:
    """The school-holiday zone (A, B or C) whose calendar every booking rule follows."""
    return settings().holiday_zone


def seed(name: str | None, zone: str | None) -> Commune:
    """Create the commune's row from the environment's values if there is none yet."""
    row = Commune.select().first()
    if row is None:
        zone = (zone or DEFAULT_ZONE).strip().upper()
        if zone not in ZONES:
            raise ValueError(f"HOLIDAY_ZONE must be one of {', '.join(ZONES)}, not {zone!r}")
        row = Commune.create(name=name or DEFAULT_NAME, holiday_zone=zone)
    return row
