"""FACTURATION: a family sees its invoices, their lines and its balance; never another's."""
import html
import io

import pypdf

from models import Family, Invoice, Payment
from tests.planning_support import text_of


def _family_invoices(account):
    return list(Invoice.select().join(Family).where(Family.account_number == account)
                .order_by(Invoice.id))


def test_payer_mes_factures_lists_the_unpaid_invoice_with_amount_and_due_date(client, auth, db):
    september, october = _family_invoices(16123)
    auth.login("famille 16123")
    page = text_of(client.get("/facturation/").get_data(as_text=True))
    assert f"Facture N° {october.number} (10/2026) : 46,00 € , à payer avant le 01/12/2026" in page
    assert september.number not in page  # paid at the counter
    assert "Solde du compte : 46,00 € à régler" in page
    assert "ÉTAPE SUIVANTE" in page


def test_consulter_mes_factures_goes_back_through_the_months(client, auth, db):
    september, october = _family_invoices(16123)
    auth.login("famille 16123")
    page = text_of(client.get("/facturation/factures").get_data(as_text=True))
    assert f"Facture N° {october.number}" in page and "Factures de Octobre 2026" in page
    assert "CHLOE – CL Maternel Mercredis - Après-midi AVEC repas 2 × 7,80 € = 15,60 €" in page
    assert "HUGO – ALAE Matin - Matin 7h30-8h20 12 × 0,60 € = 7,20 €" in page
    raw = client.get("/facturation/factures").get_data(as_text=True)
    assert 'href="/facturation/factures?mois=2026-09"' in raw
    page = text_of(client.get("/facturation/factures?mois=2026-09").get_data(as_text=True))
    assert f"Facture N° {september.number}" in page and "réglée" in page
    assert "Paiement de 53,60 € reçu le 11/10/2026 (à la régie)" in page
    # htmx gets the month's fragment only
    fragment = client.get("/facturation/factures?mois=2026-09",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="factures-mois">')


def test_history_shows_invoices_payments_and_the_running_balance(client, auth, db):
    auth.login("famille 16123")
    page = text_of(client.get("/facturation/historique").get_data(as_text=True))
    assert "Solde du compte : 46,00 € à régler" in page
    assert page.index("Facture N° F2026-00002") < page.index("Paiement à la régie")
    assert "solde 0,00 €" in page and "solde 46,00 €" in page


def test_the_pdf_is_a_real_pdf_with_the_lines_and_the_same_bytes_every_time(client, auth, db):
    october = _family_invoices(16123)[1]
    auth.login("famille 16123")
    first = client.get(f"/facturation/factures/{october.id}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(first.data)).pages[0].extract_text().replace("\xa0", " ")
    for expected in ("Facture N° F2026-00002", "Compte famille : 16123", "46,00 €",
                     "À payer avant le : 01/12/2026", "régie", "PayFiP"):
        assert expected in text
    again = client.get(f"/facturation/factures/{october.id}.pdf")
    assert again.data == first.data
    # Listed in Mes documents dématérialisés
    documents = client.get("/mon-dossier/documents").get_data(as_text=True)
    assert f"/facturation/factures/{october.id}.pdf" in documents


def test_the_pdf_bytes_do_not_depend_on_when_it_is_made(app, db):
    from domain.billing.invoice_pdf import invoice_pdf
    october = _family_invoices(16123)[1]
    first = invoice_pdf(october, october.family, "Commune", "à la régie", "http://x")
    october = Invoice.get_by_id(october.id)
    assert invoice_pdf(october, october.family, "Commune", "à la régie", "http://x") == first


def test_a_verified_payment_settles_the_invoice(client, auth, db):
    october = _family_invoices(16123)[1]
    Payment.create(invoice=october, amount_cents=october.total_cents, transaction_id="T1",
                   status=Payment.PAID, verified_at=october.issued_at)
    auth.login("famille 16123")
    page = html.unescape(client.get("/facturation/").get_data(as_text=True))
    assert "Vous n'avez aucune facture à payer." in page


def test_another_family_sees_none_of_it(client, auth, db):
    october = _family_invoices(16123)[1]
    auth.login("famille 16122")
    page = html.unescape(client.get("/facturation/factures").get_data(as_text=True))
    assert october.number not in page
    assert "Aucune facture pour l'instant" in page
    assert client.get(f"/facturation/factures/{october.id}.pdf").status_code == 404
    assert client.get(f"/facturation/paiement?facture={october.id}").status_code == 404
    token = auth.csrf("/facturation/")
    assert client.post(f"/facturation/paiement/{october.id}",
                       data={"csrf_token": token}).status_code == 404
