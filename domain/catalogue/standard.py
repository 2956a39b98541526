"""The standard catalogue: the guide's activities, modalités, hours, tariffs and QF brackets.

One definition shared by the demo commune and by "Créer l'année scolaire" (a new
commune's first year): a school year built from it has the guide's prices (a family
of the middle bracket pays « Après-midi SANS repas » 5,20 € and « Après-midi AVEC
repas » 10,40 €), the CLV of each holiday period of the zone and their booking
windows, and no family.
"""
from domain.catalogue.school_calendar import holiday_periods, school_year_bounds, school_year_label
from domain.catalogue.windows import create_guide_windows
from models import Activity, Modalite, QFBracket, SchoolYear, Tariff

#: The QF brackets: (label, lowest QF, highest QF or None).
BRACKETS = (("Tranche 1 (QF jusqu'à 700)", 0, 700),
            ("Tranche 2 (QF de 701 à 1200)", 701, 1200),
            ("Tranche 3 (QF au-delà de 1200 ou non déclaré)", 1201, None))

# name, category, audience, other schools, weekdays, period, capacity, tariff label,
# [(modalité, (price of bracket 1, 2, 3) in cents)]
SCHOOL_ACTIVITIES = (
    ("ALAE Matin", Activity.ALAE, Activity.FOR_ALL, False, "1,2,3,4,5", None, None,
     "ALAE MATIN", [("Matin 7h30-8h20", (60, 90, 120))]),
    ("ALAE Soir 1", Activity.ALAE, Activity.FOR_ALL, False, "1,2,4,5", None, None,
     "ALAE SOIR", [("Soir jusqu'à 17h30", (80, 120, 160))]),
    ("ALAE Soir 2", Activity.ALAE, Activity.FOR_ALL, False, "1,2,4,5", None, None,
     "ALAE SOIR", [("Soir jusqu'à 18h30", (110, 160, 210))]),
    ("Garderie Mercredi Scolaire", Activity.GARDERIE, Activity.FOR_ALL, False, "3", None, 30,
     "GARDERIE DU MERCREDI", [("Garderie 11h00-12h30", (100, 140, 180)),
                              ("Garderie 11h30-12h30", (70, 100, 130))]),
    ("Restauration Élémentaire", Activity.RESTAURATION, Activity.FOR_ELEMENTAIRE, False,
     "1,2,4,5", None, None, "RESTAURATION SCOLAIRE", [("Repas", (250, 350, 450))]),
    ("Restauration Maternelle", Activity.RESTAURATION, Activity.FOR_MATERNEL, False,
     "1,2,4,5", None, None, "RESTAURATION SCOLAIRE", [("Repas", (230, 330, 430))]),
    ("CL Élémentaire Mercredis", Activity.CL_MERCREDI, Activity.FOR_ELEMENTAIRE, True, "3",
     None, 36, "CENTRE DE LOISIRS DEMI-JOURNEE",
     [("Après-midi AVEC repas", (780, 1040, 1300)), ("Après-midi SANS repas", (390, 520, 650))]),
    ("CL Maternel Mercredis", Activity.CL_MERCREDI, Activity.FOR_MATERNEL, True, "3",
     None, 24, "CENTRE DE LOISIRS DEMI-JOURNEE",
     [("Après-midi AVEC repas", (780, 1040, 1300)), ("Après-midi SANS repas", (390, 520, 650))]),
)
CLV_MODALITES = [("Journée AVEC repas", (1170, 1560, 1950)),
                 ("Matin SANS repas", (390, 520, 650))]
BUS_ACTIVITIES = (
    ("Mercredi bus CL", Activity.BUS_MERCREDI, "3", "TRANSPORT CENTRE DE LOISIRS",
     [("Trajet école - centre", (50, 100, 150))]),
    ("Vacances bus CL", Activity.BUS_VACANCES, "1,2,3,4,5", "TRANSPORT CENTRE DE LOISIRS",
     [("Aller-retour", (100, 200, 300))]),
)



def create_year_without_activities(start_year, zone, published=True):
    """The school year starting in September of ``start_year``, its dates from the official
    calendar of ``zone``, with the standard QF brackets and the booking windows of its
    holidays but no activity (an empty catalogue). Returns (year, brackets, periods)."""
    first, last = school_year_bounds(start_year, zone)
    year = SchoolYear.create(label=school_year_label(start_year), start_date=first, end_date=last,
                             is_published=published)
    brackets = [QFBracket.create(school_year=year, label=label, min_qf=lo, max_qf=hi,
                                 position=i) for i, (label, lo, hi) in enumerate(BRACKETS, 1)]
    periods = holiday_periods(start_year, zone)
    create_guide_windows(year, periods)
    return year, brackets, periods


def create_standard_year(start_year, zone, published=True):
    """The school year starting in September of ``start_year`` (its dates from the official
    calendar of ``zone``) with the standard catalogue: QF brackets, activities, modalités,
    tariffs and the CLV booking windows. No family, no booking."""
    year, brackets, periods = create_year_without_activities(start_year, zone, published)
    position = 0

    def activity(name, category, audience, others, weekdays, period, capacity, label, modalites):
        nonlocal position
        position += 1
        act = Activity.create(school_year=year, name=name, category=category, audience=audience,
                              open_to_other_schools=others, weekdays=weekdays,
                              holiday_period=period, capacity=capacity, tariff_label=label,
                              position=position)
        for i, (mod_name, prices) in enumerate(modalites, 1):
            modalite = Modalite.create(activity=act, name=mod_name, position=i)
            for bracket, price in zip(brackets, prices):
                Tariff.create(modalite=modalite, bracket=bracket, price_cents=price)
        return act

    for spec in SCHOOL_ACTIVITIES:
        activity(*spec)
    # The guide: ALAE Soir 1 **or** Soir 2, never both (an exclusive group).
    Activity.update(exclusive_group="ALAE Soir").where(
        (Activity.school_year == year)
        & Activity.name.in_(("ALAE Soir 1", "ALAE Soir 2"))).execute()
    for period in periods:
        activity(f"CLV Élémentaire ou maternel {period}", Activity.CLV, Activity.FOR_ALL, True,
                 "1,2,3,4,5", period, 40, "CENTRE DE LOISIRS VACANCES", CLV_MODALITES)
    for name, category, weekdays, label, modalites in BUS_ACTIVITIES:
        activity(name, category, Activity.FOR_ALL, True, weekdays, None, 20, label, modalites)
    return year
