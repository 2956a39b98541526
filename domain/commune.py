"""The commune's settings: one database row, the one source of its name and holiday zone.

The row is seeded from the environment (``COMMUNE_NAME``, ``HOLIDAY_ZONE``) by
``flask --app app migrate`` and ``demo`` when it does not exist yet; from then
on the database is the truth, for PLANNING, INSCRIPTION, the pages and the
emails alike, so two parts of the portal can never use two calendars.
"""
from dataclasses import dataclass

from models import Commune

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
    row = Commune.select().first()
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


@dataclass(frozen=True)
class BillingSettings:
    """What billing needs of the commune: the SEPA creditor (identifier, account, debit
    day, rejection fee) and the reminders of unpaid invoices."""

    name: str
    sepa_creditor_id: str = ""
    sepa_creditor_iban: str = ""
    sepa_creditor_bic: str = ""
    debit_day: int = 15
    debit_rejection_fee_cents: int = 0
    reminder_days: tuple = (15, 30)


def parse_reminder_days(text):
    """``"15, 30"`` -> ``(15, 30)``: days after the due date, increasing, 1 to 365; None
    when the text is not such a list."""
    try:
        days = tuple(int(part) for part in (text or "").replace(" ", "").split(",") if part)
    except ValueError:
        return None
    if not days or len(days) > 5 or any(not 1 <= day <= 365 for day in days) \
            or list(days) != sorted(set(days)):
        return None
    return days


def billing_settings() -> BillingSettings:
    """The commune's billing settings (the defaults before they are set)."""
    row = Commune.select().first()
    if row is None:
        return BillingSettings(DEFAULT_NAME)
    return BillingSettings(row.name, row.sepa_creditor_id, row.sepa_creditor_iban,
                           row.sepa_creditor_bic, row.debit_day, row.debit_rejection_fee_cents,
                           parse_reminder_days(row.reminder_days) or (15, 30))


def set_billing_settings(**values) -> BillingSettings:
    """Store the billing settings given (names of :class:`BillingSettings`)."""
    if "reminder_days" in values:
        values["reminder_days"] = ",".join(str(day) for day in values["reminder_days"])
    Commune.update(**values).execute()
    return billing_settings()
