"""School years as data: which one is current, preparing the next one, publishing it.

A year prepared by the administrateur ("Préparer l'année suivante") is a draft
(``is_published`` False): families do not see it (:func:`current_school_year`,
:func:`family_years`) until it is published.
"""
import datetime

from domain import audit
from domain.catalogue import standard
from domain.catalogue.categories import main_inscription_period
from domain.catalogue.moving_up import compute_moves
from domain.catalogue.school_calendar import (
    CalendarDataMissing,
    holiday_periods,
    school_year_bounds,
    school_year_label,
    school_year_start,
)
from domain.catalogue.windows import guide_windows
from domain.transactions import write_transaction
from models import Activity, BookingWindow, Modalite, QFBracket, SchoolYear, Tariff


class YearError(ValueError):
    """Why a year cannot be prepared or published (French)."""


def current_school_year(today, published_only=True):
    """The school year ``today`` falls in; in the summer, the coming one; else the latest.
    Drafts count only with ``published_only=False`` (the back office)."""
    years = SchoolYear.select()
    if published_only:
        years = years.where(SchoolYear.is_published)
    containing = (years.where((SchoolYear.start_date <= today) & (SchoolYear.end_date >= today))
                  .first())
    if containing:
        return containing
    coming = (years.where(SchoolYear.start_date > today)
              .order_by(SchoolYear.start_date).first())
    return coming or years.order_by(SchoolYear.start_date.desc()).first()


def next_published_year(year):
    """The published year right after ``year``, or None."""
    if year is None:
        return None
    return (SchoolYear.select().where(SchoolYear.is_published
                                      & (SchoolYear.start_date > year.start_date))
            .order_by(SchoolYear.start_date).first())


def all_years():
    """Every school year, newest first (the back office)."""
    return list(SchoolYear.select().order_by(SchoolYear.start_date.desc()))


def _moved_windows(year, new_periods, zone):
    """The year's windows moved onto the next year's holidays: each keeps its distance
    to its period's start (close) and to the end of the holidays before (open)."""
    old_periods = holiday_periods(year.start_date.year, zone)
    default = guide_windows(new_periods)
    previous_end = {}
    last = None
    for period, (_, end) in old_periods.items():
        previous_end[period] = last
        last = end
    new_previous_end, last = {}, None
    for period, (_, end) in new_periods.items():
        new_previous_end[period] = last
        last = end
    moved = {}
    windows = {w.period: w for w in BookingWindow.select().where(
        BookingWindow.school_year == year)}
    for period, (new_first, _) in new_periods.items():
        window = windows.get(period)
        if window is None or period not in old_periods:
            moved[period] = default[period]
            continue
        closes = new_first - (old_periods[period][0] - window.closes_on)
        opens = None
        if window.opens_on is not None:
            old_anchor, new_anchor = previous_end[period], new_previous_end[period]
            if old_anchor is not None and new_anchor is not None:
                opens = new_anchor + (window.opens_on - old_anchor)
            else:
                opens = default[period][0] or (closes - datetime.timedelta(days=30))
        moved[period] = (opens, closes)
    return moved


def prepare_next_year(year, zone, actor):
    """Copy ``year``'s activities, modalités, tariffs, QF brackets and booking windows
    into the next school year, as a draft. Returns the new year."""
    start = year.start_date.year + 1
    label = school_year_label(start)
    if SchoolYear.select().where(SchoolYear.label == label).exists():
        raise YearError(f"L'année {label} existe déjà.")
    first, last = school_year_bounds(start, zone)
    new_periods = holiday_periods(start, zone)
    with write_transaction():
        new = SchoolYear.create(label=label, start_date=first, end_date=last,
                                is_published=False)
        brackets = {}
        for bracket in year.qf_brackets.order_by(QFBracket.position):
            brackets[bracket.id] = QFBracket.create(
                school_year=new, label=bracket.label, min_qf=bracket.min_qf,
                max_qf=bracket.max_qf, position=bracket.position)
        tariffs = {}
        for tariff in (Tariff.select().join(Modalite).join(Activity)
                       .where(Activity.school_year == year)):
            tariffs.setdefault(tariff.modalite_id, []).append(tariff)
        for activity in year.activities.order_by(Activity.position, Activity.id):
            copy = Activity.create(
                school_year=new, name=activity.name, category=activity.category,
                audience=activity.audience, open_to_other_schools=activity.open_to_other_schools,
                weekdays=activity.weekdays, holiday_period=activity.holiday_period,
                capacity=activity.capacity, tariff_label=activity.tariff_label,
                position=activity.position, exclusive_group=activity.exclusive_group,
                regie=activity.regie_id)
            for modalite in activity.modalites.order_by(Modalite.position, Modalite.id):
                new_modalite = Modalite.create(activity=copy, name=modalite.name,
                                               position=modalite.position)
                for tariff in tariffs.get(modalite.id, []):
                    Tariff.create(modalite=new_modalite, bracket=brackets[tariff.bracket_id],
                                  price_cents=tariff.price_cents)
        for period, (opens, closes) in _moved_windows(year, new_periods, zone).items():
            BookingWindow.create(school_year=new, period=period, opens_on=opens,
                                 closes_on=closes)
        moved = compute_moves(new)
        audit.record(actor, None, audit.CATALOGUE_EDITED,
                     f"Année {label} préparée à partir de {year.label} (brouillon) ; "
                     f"passage de classe calculé pour {moved} enfant(s), à vérifier",
                     after={"annee": label, "debut": first, "fin": last})
    return new


#: The catalogues a first year can start from.
STANDARD, EMPTY = "standard", "vide"
START_LABELS = {STANDARD: "Le catalogue standard (activités, modalités, horaires et tarifs "
                          "du guide)",
                EMPTY: "Un catalogue vide (aucune activité : vous les créez)"}


def first_year_choices(today):
    """The school years "Créer l'année scolaire" offers: the one ``today`` is in (in the
    summer, the one coming) and the next one, as (start year, label)."""
    start = school_year_start(today)
    if today.month in (7, 8):
        start += 1
    return [(year, school_year_label(year)) for year in (start, start + 1)]


def create_year(start_year, zone, start_from, actor):
    """Créer l'année scolaire: the year starting in September of ``start_year``, its dates
    from the official school calendar of ``zone``, its catalogue the standard one (the
    guide's, :mod:`domain.catalogue.standard`) or empty; a draft until published. Audited."""
    if start_from not in START_LABELS:
        raise YearError("Choisissez le catalogue de départ : standard ou vide.")
    label = school_year_label(start_year)
    if SchoolYear.select().where(SchoolYear.label == label).exists():
        raise YearError(f"L'année {label} existe déjà.")
    try:
        school_year_bounds(start_year, zone)
        holiday_periods(start_year, zone)
    except CalendarDataMissing:
        raise YearError(f"Le calendrier officiel des vacances scolaires de {label} n'est pas "
                        "encore connu du portail : choisissez une autre année.")
    with write_transaction():
        if start_from == STANDARD:
            year = standard.create_standard_year(start_year, zone, published=False)
        else:
            year = standard.create_year_without_activities(start_year, zone, published=False)[0]
        what = "catalogue standard" if start_from == STANDARD else "catalogue vide"
        audit.record(actor, None, audit.CATALOGUE_EDITED, f"Année {label} créée ({what}, brouillon)",
                     after={"annee": label, "debut": year.start_date, "fin": year.end_date,
                            "catalogue": start_from, "zone": zone})
    return year


def publish(year, actor):
    """Make a draft year visible to families."""
    if year.is_published:
        raise YearError(f"L'année {year.label} est déjà publiée.")
    with write_transaction():
        year.is_published = True
        year.save()
        audit.record(actor, None, audit.CATALOGUE_EDITED, f"Année {year.label} publiée",
                     before={"publiee": False}, after={"publiee": True})


def in_main_period(year, today):
    """Whether ``today`` is in ``year``'s main inscription period (the commune's setting)."""
    opens, closes = main_inscription_period(year)
    return opens <= today <= closes


def inscription_years(today):
    """The years INSCRIPTION offers: the current one, and the next one once published
    and during its main inscription period (the year switch). One query."""
    published = list(SchoolYear.select().where(SchoolYear.is_published)
                     .order_by(SchoolYear.start_date))
    if not published:
        return []
    current = next((y for y in published if y.start_date <= today <= y.end_date), None) \
        or next((y for y in published if y.start_date > today), None) or published[-1]
    coming = next((y for y in published if y.start_date > current.start_date), None)
    if coming is not None and in_main_period(coming, today):
        return [current, coming]
    return [current]


def actualisation_year(today):
    """The year whose dossier the family brings up to date: the next one during its main
    inscription period (once published), else the current one."""
    offered = inscription_years(today)
    return offered[-1] if offered else None
