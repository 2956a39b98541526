"""What waits for the service: the counts of the back office's home page."""
import datetime
from dataclasses import dataclass, field

from domain import audit
from domain.clock import paris_midnight_utc
from domain.family.declarations import pending_declarations_count
from domain.family.dossier import pending_actualisations
from domain.family.quotient import pending_quotients
from domain.messaging.messages import staff_unread_by_service
from models import AuditLog


def week_start(day):
    """The Monday of ``day``'s week."""
    return day - datetime.timedelta(days=day.weekday())


@dataclass
class Worklist:
    """The counts staff see first."""

    dossiers: int = 0
    quotients: int = 0
    declarations: int = 0  # children and second guardians declared by families
    unread_by_service: dict = field(default_factory=dict)
    on_behalf_this_week: int = 0
    week_from: datetime.date | None = None

    @property
    def unread(self):
        return sum(self.unread_by_service.values())


def worklist(today):
    """Dossiers, quotients and families' declarations to validate, unread family messages per service, bookings
    made on behalf of families since Monday (one query each)."""
    monday = week_start(today)
    on_behalf = (AuditLog.select().where((AuditLog.action == audit.BOOKING_ON_BEHALF)
                                         & (AuditLog.at >= paris_midnight_utc(monday)))
                 .count())
    return Worklist(dossiers=pending_actualisations().count(),
                    quotients=pending_quotients().count(),
                    declarations=pending_declarations_count(),
                    unread_by_service=staff_unread_by_service(),
                    on_behalf_this_week=on_behalf, week_from=monday)
