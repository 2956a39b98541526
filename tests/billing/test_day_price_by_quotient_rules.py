"""A day's price from the family's validated quotient in force that day: QF 700 is
tranche 1 and QF 701 tranche 2 (1200 / 1201 likewise), a quotient only from its date of
effect (the day itself included), pending or refused declarations and other families'
never count, no quotient pays the highest tranche, a tariff not set prices nothing."""
import datetime
from types import SimpleNamespace

import pytest

from domain.catalogue import pricing
from models import Family, Modalite, QFBracket, QFDeclaration, SchoolYear, Tariff

D = datetime.date
TUE, WED = D(2027, 1, 12), D(2027, 1, 13)


def dupont():
    return Family.get(Family.account_number == 16122)  # QF 850 validated, undated


def year():
    return SchoolYear.get(SchoolYear.label == "2026/2027")


def cl(name):
    return Modalite.get(Modalite.name == name)


def declare(family, quotient, effective_from, status=QFDeclaration.VALIDATED,
            reviewed_at=datetime.datetime(2026, 12, 1, 9)):
    return QFDeclaration.create(family=family, quotient=quotient, status=status,
                                effective_from=effective_from, reviewed_at=reviewed_at)


@pytest.mark.parametrize("quotient, position", [(0, 1), (700, 1), (701, 2), (1200, 2),
                                                (1201, 3), (99999, 3), (None, 3)])
def test_the_bracket_of_a_quotient_at_each_bound(db, quotient, position):
    assert pricing.bracket_for(year(), quotient).position == position


def test_a_quotient_in_no_bracket_pays_the_highest():
    brackets = [SimpleNamespace(position=1, min_qf=100, max_qf=500),
                SimpleNamespace(position=2, min_qf=600, max_qf=900)]
    assert pricing.bracket_among(brackets, 99).position == 2
    assert pricing.bracket_among(brackets, 100).position == 1
    assert pricing.bracket_among(brackets, 550).position == 2
    assert pricing.bracket_among(brackets, 901).position == 2


def test_brackets_are_read_lowest_first_whatever_order_they_were_made_in(db):
    other = SchoolYear.create(label="2027/2028", start_date=D(2027, 9, 1),
                              end_date=D(2028, 7, 5))
    QFBracket.create(school_year=other, label="haut", min_qf=0, max_qf=None, position=2)
    QFBracket.create(school_year=other, label="bas", min_qf=0, max_qf=700, position=1)
    assert pricing.bracket_for(other, 500).label == "bas"
    assert pricing.bracket_for(other, None).label == "haut"
    assert pricing.bracket_for(SchoolYear.create(label="vide", start_date=D(2030, 9, 1),
                                                 end_date=D(2031, 7, 5)), 500) is None


def test_the_validated_quotient_in_force_from_its_day_of_effect(db):
    family = dupont()
    declare(family, 700, WED)
    declare(family, 300, WED, status=QFDeclaration.PENDING)
    declare(family, 400, TUE, status=QFDeclaration.REFUSED)
    declare(Family.get(Family.account_number == 16123), 100, TUE)
    assert pricing.validated_quotient(family, TUE) == 850
    assert pricing.validated_quotient(family, WED) == 700
    assert pricing.validated_quotient(family) == 700
    assert pricing.quotient_in_force(family, WED).quotient == 700
    assert pricing.family_bracket(family, year(), TUE).position == 2
    assert pricing.family_bracket(family, year(), WED).position == 1
    assert pricing.family_bracket(family, year()).position == 1


def test_without_a_validated_quotient_the_family_pays_the_highest_tranche(db):
    family = dupont()
    QFDeclaration.update(status=QFDeclaration.PENDING).where(
        QFDeclaration.family == family).execute()
    assert pricing.validated_quotient(family, WED) is None
    assert pricing.quotient_in_force(family) is None
    assert pricing.family_bracket(family, year(), WED).position == 3
    assert pricing.day_prices(family, year(), [(cl("Après-midi SANS repas").id, WED)]) == {
        (cl("Après-midi SANS repas").id, WED): 650}


def test_the_latest_date_of_effect_wins_even_when_reviewed_earlier():
    december = SimpleNamespace(id=1, quotient=650, effective_from=D(2026, 12, 1),
                               reviewed_at=datetime.datetime(2026, 11, 1))
    september = SimpleNamespace(id=2, quotient=900, effective_from=D(2026, 9, 1),
                                reviewed_at=datetime.datetime(2026, 11, 20))
    assert pricing.in_force_among([december, september], D(2026, 12, 5)) is december
    assert pricing.in_force_among([december, september], D(2026, 11, 30)) is september
    assert pricing.in_force_among([december, september]) is december


def test_equal_dates_of_effect_the_latest_reviewed_then_the_latest_recorded_wins():
    day = D(2027, 1, 1)
    unreviewed = SimpleNamespace(id=9, quotient=1, effective_from=day, reviewed_at=None)
    reviewed = SimpleNamespace(id=2, quotient=2, effective_from=day,
                               reviewed_at=datetime.datetime(2026, 1, 1))
    assert pricing.in_force_among([unreviewed, reviewed], day) is reviewed
    again = SimpleNamespace(id=3, quotient=3, effective_from=day,
                            reviewed_at=datetime.datetime(2026, 1, 1))
    assert pricing.in_force_among([reviewed, again], day) is again
    assert pricing.in_force_among([again, reviewed], day) is again
    assert pricing.in_force_among([], day) is None


def test_day_prices_follow_the_quotient_of_each_day_the_day_of_effect_included(db):
    family = dupont()
    declare(family, 700, WED)
    sans, avec = cl("Après-midi SANS repas").id, cl("Après-midi AVEC repas").id
    wanted = [(sans, TUE), (sans, WED), (avec, TUE), (avec, WED), (sans, WED)]
    assert pricing.day_prices(family, year(), wanted) == {
        (sans, TUE): 520, (sans, WED): 390, (avec, TUE): 1040, (avec, WED): 780}
    assert pricing.brackets_by_day(family, year(), [TUE, WED, WED]) == {
        TUE: QFBracket.get(QFBracket.position == 2), WED: QFBracket.get(QFBracket.position == 1)}


def test_a_tariff_not_set_prices_nothing_and_no_brackets_price_nothing(db):
    family = dupont()
    sans, avec = cl("Après-midi SANS repas").id, cl("Après-midi AVEC repas").id
    Tariff.delete().where((Tariff.modalite == avec)
                          & (Tariff.bracket == QFBracket.get(QFBracket.position == 2))).execute()
    assert pricing.day_prices(family, year(), [(sans, WED), (avec, WED)]) == {(sans, WED): 520}
    assert pricing.day_prices(family, year(), []) == {}
    empty = SchoolYear.create(label="vide", start_date=D(2030, 9, 1), end_date=D(2031, 7, 5))
    assert pricing.day_prices(family, empty, [(sans, WED)]) == {}
    assert pricing.brackets_by_day(family, empty, [WED]) == {}


def test_prices_of_a_bracket_for_its_modalites(db):
    sans, avec = cl("Après-midi SANS repas"), cl("Après-midi AVEC repas")
    first = QFBracket.get(QFBracket.position == 1)
    assert pricing.prices_for(first, [sans, avec]) == {sans.id: 390, avec.id: 780}
    assert pricing.prices_for(first, [sans]) == {sans.id: 390}
