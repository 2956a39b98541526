"""What an activity's category decides: its deadline rule, its season, its service.

One home for the groups of categories that the booking rules, the opening days,
INSCRIPTION and the links to the messagerie all read, and for the calendar rules
they share: the monthly ``DEADLINE_DAY`` and the main inscription period.
"""
import datetime

from models import Activity

#: Changes until the ``DEADLINE_DAY`` of month M (23:59, Paris) for month M+1 and later.
MONTHLY = (Activity.RESTAURATION, Activity.GARDERIE, Activity.CL_MERCREDI,
           Activity.BUS_MERCREDI)
#: Changes only inside the booking window of the holiday period; run in the holidays.
WINDOWED = (Activity.CLV, Activity.BUS_VACANCES)
#: Booked by the inscription for the whole year, never day by day in PLANNING.
BY_INSCRIPTION = (Activity.ALAE,)
#: Run on school days (the rest run during the school holidays).
SCHOOL_TIME = BY_INSCRIPTION + MONTHLY
#: The monthly deadline: the 20th of the month before (the guide's rule).
DEADLINE_DAY = 20
#: The main inscription period of a school year: 10 March to 20 August of its start year.
MAIN_PERIOD_OPENS = (3, 10)    # 10 March
MAIN_PERIOD_CLOSES = (8, 20)   # 20 August

ALAE_SERVICE = "ALAE - Restauration"
CL_SERVICE = "Centres de Loisirs"

#: The guide's groups of lines in INSCRIPTION: (title, categories, messagerie service).
GROUPS = (
    ("ALAE", (Activity.ALAE, Activity.GARDERIE), ALAE_SERVICE),
    ("Restauration", (Activity.RESTAURATION,), ALAE_SERVICE),
    ("Centres de loisirs", (Activity.CL_MERCREDI, Activity.CLV, Activity.BUS_MERCREDI,
                            Activity.BUS_VACANCES), CL_SERVICE),
)

_SERVICE_OF = {category: service for _, categories, service in GROUPS
               for category in categories}


def main_inscription_period(school_year) -> tuple[datetime.date, datetime.date]:
    """(first day, last day) of the main period: 10 March to 20 August before the year."""
    year = school_year.start_date.year
    return (datetime.date(year, *MAIN_PERIOD_OPENS), datetime.date(year, *MAIN_PERIOD_CLOSES))


def service_of(activity: Activity) -> str:
    """The messagerie service that answers about ``activity``."""
    return _SERVICE_OF.get(activity.category, CL_SERVICE)
