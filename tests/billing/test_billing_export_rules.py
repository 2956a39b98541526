"""The treasury's CSV exports of invoices and payments, cell by cell: which Paris days a
period holds, the order of the rows, each kind, state and means of payment as the
treasury reads it, and one régie's rows only."""
import csv
import datetime
import io

from domain import clock
from domain.billing import regies
from domain.billing.exports import invoices_csv, payments_csv
from models import Invoice, Payment, User
from tests import factories

MARCH_1, MARCH_31 = datetime.date(2027, 3, 1), datetime.date(2027, 3, 31)


def paris(*args):
    return clock.as_stored(datetime.datetime(*args, tzinfo=clock.PARIS))


def rows_of(text):
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def invoice(family, number, issued_at, **fields):
    values = dict(family=family, number=number, period_year=2027, period_month=3,
                  issued_at=issued_at, due_date=datetime.date(2027, 4, 30), total_cents=1234)
    values.update(fields)
    return Invoice.create(**values)


def test_the_invoices_of_a_period_each_as_the_treasury_reads_it(db):
    family = factories.family(70001, "MARTIN")
    invoice(family, "T-AVANT", paris(2027, 2, 28, 23, 59))
    late = invoice(family, "T-3", paris(2027, 3, 31, 23, 30), status=Invoice.CANCELLED)
    first = invoice(family, "T-2", paris(2027, 3, 1, 0, 10), status=Invoice.PAID,
                    period_month=2)
    invoice(family, "T-1", paris(2027, 3, 1, 0, 10), total_cents=5)
    invoice(family, "T-4", paris(2027, 3, 15, 12), status="litige")
    invoice(family, "T-APRES", paris(2027, 4, 1, 0, 0))
    invoice(family, "A-1", paris(2027, 3, 20, 9), kind=Invoice.CREDIT_NOTE, corrects=first,
            total_cents=250, status=Invoice.ISSUED)
    rows = rows_of(invoices_csv(MARCH_1, MARCH_31))
    assert rows[0] == ["Numéro", "Type", "Facture corrigée", "Compte", "Famille", "Période",
                       "Émise le", "Échéance", "Montant", "État"]
    mine = [row for row in rows[1:] if row[3] == "70001"]
    assert mine == [
        ["T-1", "Facture", "", "70001", "MARTIN", "03/2027", "01/03/2027", "30/04/2027",
         "0,05", "À payer"],
        ["T-2", "Facture", "", "70001", "MARTIN", "02/2027", "01/03/2027", "30/04/2027",
         "12,34", "Payée"],
        ["T-4", "Facture", "", "70001", "MARTIN", "03/2027", "15/03/2027", "30/04/2027",
         "12,34", "litige"],
        ["A-1", "Avoir", "T-2", "70001", "MARTIN", "03/2027", "20/03/2027", "30/04/2027",
         "-2,50", "Avoir"],
        [late.number, "Facture", "", "70001", "MARTIN", "03/2027", "31/03/2027",
         "30/04/2027", "12,34", "Annulée"],
    ]


def test_one_regies_invoices_only(db):
    family = factories.family(70001, "MARTIN")
    admin = User.get(User.role == User.ROLE_ADMIN)
    main = regies.main_regie()
    extra = regies.create_regie(admin, "Extra", "CL", "ACL", "", [])
    invoice(family, "T-ANCIENNE", paris(2027, 3, 2, 9), regie=None)
    invoice(family, "T-PRINCIPALE", paris(2027, 3, 3, 9), regie=main.id)
    invoice(family, "CL-1", paris(2027, 3, 4, 9), regie=extra.id)

    def numbers(regie):
        return [row[0] for row in rows_of(invoices_csv(MARCH_1, MARCH_31, regie))[1:]
                if row[3] == "70001"]
    assert numbers(None) == ["T-ANCIENNE", "T-PRINCIPALE", "CL-1"]
    assert numbers(main) == ["T-ANCIENNE", "T-PRINCIPALE"]
    assert numbers(extra) == ["CL-1"]


def payment(bill, transaction_id, verified_at, **fields):
    values = dict(invoice=bill, amount_cents=1234, transaction_id=transaction_id,
                  status=Payment.PAID, verified_at=verified_at)
    values.update(fields)
    return Payment.create(**values)


def test_the_payments_received_in_a_period_each_with_its_means(db):
    family = factories.family(70001, "MARTIN")
    bill = invoice(family, "T-1", paris(2027, 2, 1, 9))
    counter = dict(provider=Payment.COUNTER, reference="n° 42")
    payment(bill, "AVANT", paris(2027, 2, 28, 23, 59), **counter, method="especes")
    payment(bill, "APRES", paris(2027, 4, 1, 0, 0), **counter, method="especes")
    payment(bill, "EN-COURS", paris(2027, 3, 5, 9), status=Payment.PENDING)
    payment(bill, "REFUSE", paris(2027, 3, 5, 9), status=Payment.REFUSED)
    payment(bill, "G-CHQV", paris(2027, 3, 31, 23, 30), **counter, method="cheque_vacances",
            amount_cents=7)
    payment(bill, "IDOP-1", paris(2027, 3, 1, 0, 10), reference="AUTH1")
    payment(bill, "G-ESP", paris(2027, 3, 2, 9), **counter, method="especes")
    payment(bill, "G-CESU", paris(2027, 3, 2, 9), **counter, method="cesu")
    payment(bill, "G-CHQ", paris(2027, 3, 3, 9), **counter, method="cheque")
    payment(bill, "G-AUTRE", paris(2027, 3, 4, 9), **counter, method="virement")
    payment(bill, "PRLV-1", paris(2027, 3, 15, 9), provider=Payment.DEBIT,
            reference="PF-70001-1")
    rows = rows_of(payments_csv(MARCH_1, MARCH_31))
    assert rows[0] == ["Date", "Facture", "Compte", "Famille", "Moyen de paiement",
                       "Référence", "idOp PayFiP", "Montant"]
    assert [row for row in rows[1:] if row[2] == "70001"] == [
        ["01/03/2027", "T-1", "70001", "MARTIN", "Carte bancaire (PayFiP)", "AUTH1", "IDOP-1",
         "12,34"],
        ["02/03/2027", "T-1", "70001", "MARTIN", "Espèces", "n° 42", "", "12,34"],
        ["02/03/2027", "T-1", "70001", "MARTIN", "CESU", "n° 42", "", "12,34"],
        ["03/03/2027", "T-1", "70001", "MARTIN", "Chèque", "n° 42", "", "12,34"],
        ["04/03/2027", "T-1", "70001", "MARTIN", "virement", "n° 42", "", "12,34"],
        ["15/03/2027", "T-1", "70001", "MARTIN", "Prélèvement SEPA", "PF-70001-1", "",
         "12,34"],
        ["31/03/2027", "T-1", "70001", "MARTIN", "Chèque vacances", "n° 42", "", "0,07"],
    ]


def test_one_regies_payments_only(db):
    family = factories.family(70001, "MARTIN")
    admin = User.get(User.role == User.ROLE_ADMIN)
    main = regies.main_regie()
    extra = regies.create_regie(admin, "Extra", "CL", "ACL", "", [])
    old = invoice(family, "T-ANCIENNE", paris(2027, 2, 2, 9), regie=None)
    leisure = invoice(family, "CL-1", paris(2027, 2, 4, 9), regie=extra.id)
    payment(old, "P-1", paris(2027, 3, 2, 9))
    payment(leisure, "P-2", paris(2027, 3, 3, 9))

    def numbers(regie):
        return [row[1] for row in rows_of(payments_csv(MARCH_1, MARCH_31, regie))[1:]
                if row[2] == "70001"]
    assert numbers(None) == ["T-ANCIENNE", "CL-1"]
    assert numbers(main) == ["T-ANCIENNE"]
    assert numbers(extra) == ["CL-1"]


def test_payments_received_at_the_same_time_keep_the_order_they_were_recorded(db):
    family = factories.family(70001, "MARTIN")
    older = invoice(family, "T-1", paris(2027, 2, 1, 9))
    newer = invoice(family, "T-2", paris(2027, 2, 2, 9))
    at = paris(2027, 3, 2, 9)
    for n, bill in enumerate((newer, older, newer, older)):
        payment(bill, f"P-{n}", at, provider=Payment.COUNTER, method="especes",
                reference=f"n° {n}")
    rows = rows_of(payments_csv(MARCH_1, MARCH_31))
    assert [(row[1], row[5]) for row in rows[1:] if row[2] == "70001"] == \
        [("T-2", "n° 0"), ("T-1", "n° 1"), ("T-2", "n° 2"), ("T-1", "n° 3")]
