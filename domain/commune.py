"""The commune's settings: one database row, the one home of every rule that differs
from one commune to the next.

Its name, addresses and contact (pages, invoices, the payment page, recap emails),
its régie, its logo, its school-holiday zone (PLANNING, INSCRIPTION, billing), the
monthly deadline day (:func:`deadline_day`) and the main inscription period
(:func:`main_period`). The row is seeded from the environment (``COMMUNE_NAME``,
``HOLIDAY_ZONE``) by ``flask --app app migrate`` and ``demo`` when it does not exist
yet; from then on the database is the truth, changed by the administrateur's
"Paramètres de la commune" (checked by :func:`check`; saved and audited by
:func:`domain.staff.commune_settings.update`).

The web layer reads the row once per request and binds it (:func:`bind`), so the
booking rules that ask for the deadline day many times on one page cost no query;
outside a request each call reads the row.
"""
import calendar
import datetime
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from domain.formats import MONTHS_FR
from domain.problems import FieldProblem
from models import Commune, first_where

DEFAULT_NAME = "Commune de Saint-Exemple"
DEFAULT_ZONE = "C"
ZONES = ("A", "B", "C")
#: The guide's rule: changes for month M+1 until the 20th of month M, 23:59.
DEFAULT_DEADLINE_DAY = 20
#: The last deadline day every month has (February).
MAX_DEADLINE_DAY = 28
#: The guide's main inscription period: 10 March to 20 August before the year.
DEFAULT_MAIN_PERIOD = ((3, 10), (8, 20))
#: The logo is small: it goes in every page's header and on every PDF.
MAX_LOGO_BYTES = 512 * 1024
#: The largest logo kept, in pixels (width, height): a bigger one is scaled down.
LOGO_BOX = (600, 240)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class CommuneSettings:
    """What the portal needs to know of its commune."""

    name: str
    holiday_zone: str
    contact_email: str | None = None
    address: str = ""
    phone: str = ""
    regie_address: str = ""
    regie_hours: str = ""
    deadline_day: int = DEFAULT_DEADLINE_DAY
    main_period_opens: tuple[int, int] = DEFAULT_MAIN_PERIOD[0]
    main_period_closes: tuple[int, int] = DEFAULT_MAIN_PERIOD[1]
    has_logo: bool = False
    logo_type: str = ""

    @property
    def regie_text(self) -> str:
        """Where and when families pay at the counter, on one line (« Régie Enfance, 1 place
        de la Mairie … ; lundi … »), or "" when the commune has not said."""
        parts = [", ".join(self.regie_address.splitlines()), " ".join(self.regie_hours.split())]
        return " ; ".join(part for part in parts if part)

    @property
    def main_period_text(self) -> str:
        """« du 10 mars au 20 août », as families read the period."""
        return f"du {_day_month(*self.main_period_opens)} au {_day_month(*self.main_period_closes)}"


def _day_month(month: int, day: int) -> str:
    """« 10 mars », « 1er septembre »."""
    return f"{'1er' if day == 1 else day} {MONTHS_FR[month - 1].lower()}"


_bound: ContextVar[CommuneSettings | None] = ContextVar("commune_settings", default=None)


def bind(value: CommuneSettings | None) -> None:
    """Use ``value`` as the settings until :func:`bind` ``(None)`` (one web request)."""
    _bound.set(value)


def of_row(row) -> CommuneSettings:
    """The settings of the commune's row."""
    return CommuneSettings(
        row.name, row.holiday_zone, row.contact_email, row.address, row.phone,
        row.regie_address, row.regie_hours, row.deadline_day,
        (row.main_period_opens_month, row.main_period_opens_day),
        (row.main_period_closes_month, row.main_period_closes_day),
        bool(row.logo_type), row.logo_type)


def load() -> CommuneSettings:
    """The commune's settings read from the database (the defaults before it is seeded);
    the logo's bytes are not read (see :func:`logo`)."""
    row = first_where(Commune, leave_out=("logo",))
    return CommuneSettings(DEFAULT_NAME, DEFAULT_ZONE) if row is None else of_row(row)


def settings() -> CommuneSettings:
    """The commune's settings: those bound to the current request, else read now."""
    return _bound.get() or load()


def holiday_zone() -> str:
    """The school-holiday zone (A, B or C) whose calendar every booking rule follows."""
    return settings().holiday_zone


def deadline_day() -> int:
    """The monthly deadline: changes for month M+1 are possible until this day of month M."""
    return settings().deadline_day


def monthly_deadline(month_first: datetime.date) -> datetime.date:
    """The last day changes are possible for the month starting ``month_first``: the
    deadline day of the month before."""
    previous = month_first.replace(day=1) - datetime.timedelta(days=1)
    return previous.replace(day=deadline_day())


def main_period(start_year: int) -> tuple[datetime.date, datetime.date]:
    """The main inscription period (first and last day) of the school year starting in
    September of ``start_year``: by default 10 March to 20 August of ``start_year``."""
    current = settings()
    return (datetime.date(start_year, *current.main_period_opens),
            datetime.date(start_year, *current.main_period_closes))


def logo() -> tuple[bytes, str] | None:
    """The logo's bytes and content type, or None."""
    row = Commune.select(Commune.logo, Commune.logo_type).first()
    if row is None or not row.logo_type or not row.logo:
        return None
    return bytes(row.logo), row.logo_type


def seed(name: str | None, zone: str | None) -> Commune:
    """Create the commune's row from the environment's values if there is none yet."""
    row = Commune.select().first()
    if row is None:
        zone = (zone or DEFAULT_ZONE).strip().upper()
        if zone not in ZONES:
            raise ValueError(f"HOLIDAY_ZONE must be one of {', '.join(ZONES)}, not {zone!r}")
        row = Commune.create(name=name or DEFAULT_NAME, holiday_zone=zone)
    return row


def bills_excused_absences() -> bool:
    """Whether a day ticked "Excusé" with a justification is billed (the commune's choice;
    not billed until it says otherwise)."""
    row = Commune.select(Commune.bill_excused_absences).first()
    return bool(row and row.bill_excused_absences)


def certificate_delay_days() -> int:
    """Days a family has to send the medical certificate of a declared illness."""
    row = Commune.select(Commune.certificate_delay_days).first()
    return int(row.certificate_delay_days) if row and row.certificate_delay_days else 7


def set_bills_excused_absences(billed: bool) -> bool:
    """Record the commune's choice (see ``domain.billing.run.set_excused_billing``, which
    audits it); False when it was already so."""
    row = Commune.select().first()
    if row is None or bool(row.bill_excused_absences) == billed:
        return False
    Commune.update(bill_excused_absences=billed).where(Commune.id == row.id).execute()
    return True


# --- Changing the settings (the administrateur's page) ---------------------------

class SettingsProblem(FieldProblem):
    """A setting refused: ``field`` is the form field the French message goes next to."""


#: The text settings: field -> maximum length.
TEXT_FIELDS = {"name": 120, "address": 300, "contact_email": 200, "phone": 40,
               "regie_address": 300, "regie_hours": 300}
#: The text settings written on several lines (addresses, opening hours).
MULTILINE_FIELDS = ("address", "regie_address", "regie_hours")


def _day_in_year(field: str, pair: Any, what: str) -> tuple[int, int]:
    """(month, day) checked against a year without 29 February (valid every year)."""
    month, day = pair if isinstance(pair, tuple) and len(pair) == 2 else (None, None)
    if not (isinstance(month, int) and 1 <= month <= 12):
        raise SettingsProblem(field, f"Le mois {what} doit être compris entre 1 et 12.")
    last = calendar.monthrange(2027, month)[1]
    if not (isinstance(day, int) and 1 <= day <= last):
        raise SettingsProblem(field, f"Le jour {what} doit être compris entre 1 et {last} "
                                     "pour ce mois.")
    return month, day


def check(values: dict) -> dict:
    """``values`` cleaned and checked; raises :class:`SettingsProblem` at the first wrong one.

    Keys: the :data:`TEXT_FIELDS`, ``holiday_zone``, ``deadline_day``,
    ``main_period_opens`` and ``main_period_closes`` as (month, day)."""
    clean: dict[str, Any] = {}
    for field, limit in TEXT_FIELDS.items():
        raw = str(values.get(field) or "")
        text = ("\n".join(" ".join(line.split()) for line in raw.strip().splitlines())
                if field in MULTILINE_FIELDS else " ".join(raw.split()))
        if len(text) > limit:
            raise SettingsProblem(field, f"{limit} caractères au plus.")
        clean[field] = text
    if not clean["name"]:
        raise SettingsProblem("name", "Indiquez le nom de la commune.")
    if clean["contact_email"] and not EMAIL.match(clean["contact_email"]):
        raise SettingsProblem("contact_email", "Indiquez une adresse email valide, par exemple "
                                               "enfance@mairie.fr.")
    clean["contact_email"] = clean["contact_email"].lower() or None
    zone = str(values.get("holiday_zone") or "").strip().upper()
    if zone not in ZONES:
        raise SettingsProblem("holiday_zone", "Choisissez la zone A, B ou C.")
    clean["holiday_zone"] = zone
    day = values.get("deadline_day")
    if not (isinstance(day, int) and 1 <= day <= MAX_DEADLINE_DAY):
        raise SettingsProblem("deadline_day", "Le jour limite doit être un nombre entre 1 et "
                                              f"{MAX_DEADLINE_DAY} (un jour que tous les mois "
                                              "ont).")
    clean["deadline_day"] = day
    opens = _day_in_year("main_period_opens", values.get("main_period_opens"), "d'ouverture")
    closes = _day_in_year("main_period_closes", values.get("main_period_closes"), "de clôture")
    if closes < opens:
        raise SettingsProblem("main_period_closes", "La période d'inscription doit se terminer "
                                                    "après son ouverture.")
    if closes >= (9, 1):
        raise SettingsProblem("main_period_closes", "La période d'inscription doit se terminer "
                                                    "avant la rentrée (au plus tard le 31 août).")
    clean["main_period_opens"], clean["main_period_closes"] = opens, closes
    return clean


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
