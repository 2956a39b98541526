"""FACTURATION: a family sees its invoices, their lines and its balance; never another's."""
import html

from models import Family, Invoice, Payment


def test_family_sees_its_unpaid_invoice_with_lines_and_balance(client, auth, db):
    invoice = Invoice.get(Invoice.family == Family.get(Family.account_number == 16123))
    auth.login("famille 16123")
    page = html.unescape(client.get("/facturation/").get_data(as_text=True))
    assert f"N° {invoice.number}" in page
    assert page.count("CL Maternel Mercredis - Après-midi AVEC repas") == len(invoice.lines) == 2
    assert "Solde du compte : 15,60\u00a0€ à régler" in page.replace("<strong>", "").replace(
        "</strong>", "")  # two Wednesdays at the bracket-1 price 7,80 €
    assert invoice.due_date.strftime("%d/%m/%Y") in page


def test_a_verified_payment_settles_the_invoice(client, auth, db):
    invoice = Invoice.get()
    Payment.create(invoice=invoice, amount_cents=invoice.total_cents, transaction_id="T1",
                   status=Payment.PAID, verified_at=invoice.issued_at)
    auth.login("famille 16123")
    page = html.unescape(client.get("/facturation/").get_data(as_text=True))
    assert "Vous n'avez aucune facture à payer." in page
    assert "réglée" in page


def test_another_family_sees_none_of_it(client, auth, db):
    invoice = Invoice.get()
    auth.login("famille 16122")
    page = html.unescape(client.get("/facturation/").get_data(as_text=True))
    assert invoice.number not in page
    assert "Aucune facture pour l'instant" in page
