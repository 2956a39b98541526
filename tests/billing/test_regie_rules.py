"""The commune's régies, rule by rule: what the administrateur may type (each refusal with
its French message by its field), which prefixes stay once numbers were given, where the
activities go when a régie takes or lets go of them, what the audit keeps, and which
régie each invoice and activity belongs to."""
import datetime
import json

import pytest

from domain.billing import regies
from domain.billing.regies import RegieError
from models import MAIN_REGIE_NAME, Activity, AuditLog, Invoice, NumberSequence, Regie, User
from tests import factories

MAIN = MAIN_REGIE_NAME


def admin():
    return User.get(User.role == User.ROLE_ADMIN)


def refusal(*values, regie_id=None):
    with pytest.raises(RegieError) as refused:
        if regie_id is None:
            regies.create_regie(admin(), *values, [])
        else:
            regies.update_regie(admin(), regie_id, *values, [])
    return str(refused.value), refused.value.field


def activities(count=3):
    return list(Activity.select().order_by(Activity.id).limit(count))


def audits(action):
    return [(row.user_id, json.loads(row.details))
            for row in AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id)]


@pytest.mark.parametrize("values, message, field", [
    (("", "CL", "ACL", ""), "Indiquez le nom de la régie.", "name"),
    ((" \t ", "CL", "ACL", ""), "Indiquez le nom de la régie.", "name"),
    ((None, "CL", "ACL", ""), "Indiquez le nom de la régie.", "name"),
    (("R" * 121, "CL", "ACL", ""), "Le nom tient en 120 caractères.", "name"),
    (("Extra", "", "ACL", ""), "De 1 à 4 lettres majuscules sans accent (par exemple F ou FCL).",
     "invoice_prefix"),
    (("Extra", None, "ACL", ""), "De 1 à 4 lettres majuscules sans accent (par exemple F ou "
     "FCL).", "invoice_prefix"),
    (("Extra", "CLXYZ", "ACL", ""), "De 1 à 4 lettres majuscules sans accent (par exemple F ou "
     "FCL).", "invoice_prefix"),
    (("Extra", "É", "ACL", ""), "De 1 à 4 lettres majuscules sans accent (par exemple F ou "
     "FCL).", "invoice_prefix"),
    (("Extra", "CL", "A1", ""), "De 1 à 4 lettres majuscules sans accent (par exemple F ou "
     "FCL).", "credit_prefix"),
    (("Extra", "CL", None, ""), "De 1 à 4 lettres majuscules sans accent (par exemple F ou "
     "FCL).", "credit_prefix"),
    (("Extra", "CL", " cl ", ""), "Les factures et les avoirs ont chacun leur préfixe.",
     "credit_prefix"),
    (("Extra", "CL", "ACL", "12345"), "Le numéro client PayFiP compte 6 chiffres.",
     "payfip_client"),
    (("Extra", "CL", "ACL", "1234567"), "Le numéro client PayFiP compte 6 chiffres.",
     "payfip_client"),
    (("Extra", "CL", "ACL", "12345a"), "Le numéro client PayFiP compte 6 chiffres.",
     "payfip_client"),
    ((MAIN.upper(), "CL", "ACL", ""), f"Une régie s'appelle déjà « {MAIN.upper()} ».", "name"),
    (("Extra", "F", "ACL", ""), f"Le préfixe F est celui de la régie « {MAIN} ».",
     "invoice_prefix"),
    (("Extra", "a", "ACL", ""), f"Le préfixe A est celui de la régie « {MAIN} ».",
     "invoice_prefix"),
    (("Extra", "CL", "F", ""), f"Le préfixe F est celui de la régie « {MAIN} ».",
     "credit_prefix"),
])
def test_each_refused_regie_says_why_by_its_field(db, values, message, field):
    assert refusal(*values) == (message, field)
    assert Regie.select().count() == 1


def test_what_is_typed_is_kept_cleaned_and_audited(db):
    names = [a.name for a in activities(2)]
    regie = regies.create_regie(admin(), "  Régie \t extra  " + "x" * 100, " abcd ", "efgh",
                                " 123456 ", [a.id for a in activities(2)] + [999999])
    name = "Régie extra " + "x" * 100
    assert len(name) == 112
    saved = Regie.get_by_id(regie.id)
    assert (saved.name, saved.invoice_prefix, saved.credit_prefix, saved.payfip_client) == \
        (name, "ABCD", "EFGH", "123456")
    assert [a.regie_id for a in activities(2)] == [regie.id, regie.id]
    [(user, details)] = audits("regie.created")
    assert user == admin().id
    assert details == {"summary": f"Régie « {name} » créée", "after": {
        "nom": name, "factures": "ABCD", "avoirs": "EFGH", "payfip": "123456",
        "activités": sorted(names)}}


def test_a_name_of_120_characters_and_no_payfip_number_are_accepted(db):
    regie = regies.create_regie(admin(), "R" * 120, "Z", "Y", None, [])
    assert (len(regie.name), Regie.get_by_id(regie.id).payfip_client) == (120, "")


def test_prefixes_already_used_by_numbers_are_refused(db):
    NumberSequence.create(name="CL-2026", value=3)
    NumberSequence.create(name="ACLX-2026", value=1)
    assert refusal("Extra", "CL", "ACL", "") == (
        "Des numéros CL… ont déjà été donnés : choisissez un autre préfixe.", "invoice_prefix")
    assert refusal("Extra", "CX", "ACLX", "") == (
        "Des numéros ACLX… ont déjà été donnés : choisissez un autre préfixe.", "credit_prefix")
    # "C" and "ACL" gave no numbers ("CL-2026" and "ACLX-2026" are other prefixes').
    assert regies.create_regie(admin(), "Extra", "C", "ACL", "", []).invoice_prefix == "C"


def test_the_main_regie_is_made_once_when_the_commune_has_none(db):
    Invoice.update(regie=None).execute()
    Activity.update(regie=None).execute()
    Regie.delete().execute()
    main = regies.main_regie()
    assert (main.name, main.invoice_prefix, main.credit_prefix, main.payfip_client) == \
        (MAIN, "F", "A", "")
    assert regies.main_regie().id == main.id and Regie.select().count() == 1
    assert [r.id for r in regies.all_regies()] == [main.id]


def test_which_regie_an_invoice_and_an_activity_belong_to(db):
    main = regies.main_regie()
    assert regies.regie_names() == {}  # one régie: nothing to tell apart
    first, second, third = activities(3)
    extra = regies.create_regie(admin(), "Extra", "CL", "ACL", "654321", [second.id])
    other = regies.create_regie(admin(), "Autre", "AU", "AAU", "", [])
    assert [r.id for r in regies.all_regies()] == [main.id, extra.id, other.id]
    assert regies.regie_names() == {main.id: MAIN, extra.id: "Extra", other.id: "Autre"}
    assert regies.regie_of(None).id == main.id and regies.regie_of(extra.id).id == extra.id
    assert regies.regie_of(999999) is None
    Activity.update(regie=None).where(Activity.id == first.id).execute()
    Activity.update(regie=main.id).where(Activity.id == third.id).execute()
    assert regies.regie_ids_of_activities([first.id, second.id, third.id], main.id) == \
        {first.id: main.id, second.id: extra.id, third.id: main.id}
    assert regies.regie_ids_of_activities([], main.id) == {}
    grouped = regies.activities_by_regie(main.id)
    assert [a.id for a in grouped[extra.id]] == [second.id]
    assert first.id in {a.id for a in grouped[main.id]} and other.id not in grouped
    [invoice] = own_invoices(1)
    for regie_id, client in ((None, "000111"), (main.id, "000111"), (extra.id, "654321"),
                             (other.id, "000111")):
        invoice.regie = regie_id
        assert regies.payfip_client(invoice, "000111") == client


def own_invoices(count):
    family = factories.family(70001)
    return [Invoice.create(family=family, number=f"T-{n}", period_year=2027, period_month=3,
                           due_date=datetime.date(2027, 4, 30), total_cents=100)
            for n in range(count)]


def test_the_main_regie_also_holds_the_invoices_made_before_regies(db):
    main = regies.main_regie()
    extra = regies.create_regie(admin(), "Extra", "CL", "ACL", "", [])
    ids = [i.id for i in own_invoices(3)]
    Invoice.update(regie=None).where(Invoice.id == ids[0]).execute()
    Invoice.update(regie=main.id).where(Invoice.id == ids[1]).execute()
    Invoice.update(regie=extra.id).where(Invoice.id == ids[2]).execute()

    def billed_by(regie):
        return {i.id for i in Invoice.select().where(regies.of_regie(regie)
                                                       & (Invoice.id << ids))}
    assert billed_by(main) == {ids[0], ids[1]} and billed_by(extra) == {ids[2]}


def test_activities_are_listed_newest_year_first_then_by_position(db):
    main_id = regies.main_regie().id
    current = Activity.select().first().school_year
    older = factories.school_year(current.start_date.year - 1)
    newer = factories.school_year(current.start_date.year + 1)
    made = [factories.activity(older, "Ancienne", position=0),
            factories.activity(newer, "Suivante B", position=2),
            factories.activity(newer, "Suivante A", position=1),
            factories.activity(newer, "Suivante A bis", position=1)]
    every = regies.every_activity()
    assert every == regies.activities_by_regie(main_id)[main_id]
    assert len(every) == Activity.select().count()
    assert [a.name for a in every[:3]] == ["Suivante A", "Suivante A bis", "Suivante B"]
    assert every[-1].id == made[0].id
    assert every[3].school_year_id == current.id
    keys = [(-a.school_year.start_date.toordinal(), a.position, a.id) for a in every]
    assert keys == sorted(keys)


def test_an_update_moves_activities_back_to_the_main_regie_and_is_audited(db):
    main = regies.main_regie()
    first, second, third = activities(3)
    extra = regies.create_regie(admin(), "Extra", "CL", "ACL", "", [first.id, second.id])
    regies.update_regie(admin(), extra.id, "Extra bis", "CL", "ACL", "111222",
                        [second.id, third.id])
    assert [a.regie_id for a in activities(3)] == [main.id, extra.id, extra.id]
    saved = Regie.get_by_id(extra.id)
    assert (saved.name, saved.payfip_client) == ("Extra bis", "111222")
    [(user, details)] = audits("regie.updated")
    assert user == admin().id
    assert details == {
        "summary": "Régie « Extra bis » modifiée",
        "before": {"nom": "Extra", "factures": "CL", "avoirs": "ACL", "payfip": "",
                   "activités": sorted([first.name, second.name])},
        "after": {"nom": "Extra bis", "factures": "CL", "avoirs": "ACL", "payfip": "111222",
                  "activités": sorted([second.name, third.name])}}
    # A régie without invoices may still change its prefixes (and keep its own name).
    regies.update_regie(admin(), extra.id, "Extra bis", "CLB", "ACLB", "", [second.id])
    saved = Regie.get_by_id(extra.id)
    assert (saved.invoice_prefix, saved.credit_prefix) == ("CLB", "ACLB")
    # The main régie keeps what it lets go of: no other régie takes it.
    regies.update_regie(admin(), main.id, MAIN, "F", "A", "", [])
    assert Activity.get_by_id(first.id).regie_id == main.id
    assert Activity.get_by_id(second.id).regie_id == extra.id


def test_a_regie_that_issued_invoices_keeps_each_prefix(db):
    main = regies.main_regie()
    extra = regies.create_regie(admin(), "Extra", "CL", "ACL", "", [])
    [invoice] = own_invoices(1)
    Invoice.update(regie=extra.id).where(Invoice.id == invoice.id).execute()
    kept = ("La régie a déjà émis des factures : ses préfixes ne changent plus (sa "
            "numérotation doit rester continue).")
    assert refusal("Extra", "CL", "ACLB", "", regie_id=extra.id) == (kept, "credit_prefix")
    assert refusal("Extra", "CLB", "ACL", "", regie_id=extra.id) == (kept, "invoice_prefix")
    # The main régie's invoices made before régies count as its own.
    Invoice.update(regie=None).execute()
    assert refusal(MAIN, "G", "A", "", regie_id=main.id) == (kept, "invoice_prefix")
    # Without invoices, a prefix that already gave numbers is still refused.
    Invoice.update(regie=main.id).execute()
    NumberSequence.create(name="CLB-2026", value=1)
    assert refusal("Extra", "CL", "CLB", "", regie_id=extra.id)[1] == "credit_prefix"
    Invoice.update(regie=None).execute()
    assert refusal("Extra", "CLB", "ACL", "", regie_id=extra.id) == (
        "Des numéros CLB… ont déjà été donnés : choisissez un autre préfixe.",
        "invoice_prefix")
    assert audits("regie.updated") == []


def test_a_name_or_prefix_taken_meanwhile_is_refused_on_the_name(db, monkeypatch):
    # Another agent saved the same name meanwhile: the checks passed, the insert fails.
    monkeypatch.setattr(regies, "_checked", lambda name, i, c, p, _id: (MAIN, i, c, p))
    assert refusal("Extra", "CL", "ACL", "") == (regies.TAKEN, "name")
    extra = Regie.create(name="Extra", invoice_prefix="CL", credit_prefix="ACL")
    assert refusal("Extra", "CL", "ACL", "", regie_id=extra.id) == (regies.TAKEN, "name")
    assert Regie.get_by_id(extra.id).name == "Extra"


def test_the_main_regie_renamed_with_other_prefixes_stays_the_only_main_one(db):
    main = regies.main_regie()
    Regie.update(name="Régie Enfance", invoice_prefix="G", credit_prefix="B").execute()
    assert regies.main_regie().id == main.id and Regie.select().count() == 1
    assert regies.regie_of(None).name == "Régie Enfance"


def test_the_main_regie_audit_lists_the_activities_no_regie_took(db):
    main = regies.main_regie()
    first, second, third = activities(3)
    Activity.update(regie=None).execute()
    extra = regies.create_regie(admin(), "Extra", "CL", "ACL", "", [third.id])
    regies.update_regie(admin(), main.id, "Principale", "F", "A", "", [])
    [(_, details)] = audits("regie.updated")
    assert first.name in details["before"]["activités"]
    assert first.name in details["after"]["activités"]
    assert third.name not in details["after"]["activités"]
    assert extra.id != main.id


def test_the_main_regie_may_change_prefixes_while_only_others_issued_invoices(db):
    main = regies.main_regie()
    extra = regies.create_regie(admin(), "Extra", "CL", "ACL", "", [])
    own_invoices(1)
    Invoice.update(regie=extra.id).execute()
    regies.update_regie(admin(), main.id, MAIN, "G", "B", "", [])
    saved = Regie.get_by_id(main.id)
    assert (saved.invoice_prefix, saved.credit_prefix) == ("G", "B")
