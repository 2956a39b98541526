"""FACTURATION: pay the unpaid invoices online (PayFiP), every invoice with its lines
and PDF month by month, the history of the account and its balance."""
import datetime

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from blueprints.common import (
    EmptyForm,
    commune_settings,
    current_family,
    public_base,
    public_url,
    send_stored_file,
)
from blueprints.facturation import bp
from blueprints.htmx import current_actor, render
from domain import clock
from domain.billing.documents import family_invoice, invoice_file
from domain.billing.invoicing import (
    ONLINE_MINIMUM_CENTS,
    account_summary,
    amount_due_cents,
    days_text,
    family_invoices,
    paid_cents,
    with_billed_days,
)
from domain.billing.payfip import client_from_config
from domain.billing.payments import (
    HANDED_OVER_TEXT,
    STATUS_LABELS,
    PaymentNotPossible,
    ProviderUnavailable,
    check_payment,
    family_attempt,
    outcome_message,
    payable_online,
    start_online_payment,
)
from domain.billing.regies import regie_names
from domain.formats import month_fr
from extensions import csrf
from models import Invoice, Payment, parse_id


def _context(invoices, named=False, **extra):
    """What FACTURATION's pages share. ``named``: the page lists ``invoices``, each with
    its régie's name when the commune has several (read in one query, only then)."""
    return dict(amount_due=amount_due_cents, paid=paid_cents,
                regie_names=regie_names() if named and invoices else {},
                handed_over_text=HANDED_OVER_TEXT,
                minimum=ONLINE_MINIMUM_CENTS, status_labels=STATUS_LABELS, month_fr=month_fr,
                days_text=days_text,
                today=clock.today(), **extra)


@bp.route("/")
def index():
    """"Payer mes factures": the unpaid invoices, one to choose, then ÉTAPE SUIVANTE."""
    invoices = family_invoices(current_family())
    summary = account_summary(invoices)
    pending = [p for i in invoices for p in i.payments if p.status == Payment.PENDING]
    error = None
    if request.args.get("erreur") == "choix":
        error = "Choisissez la facture à payer."
    return render("facturation/index.html", **_context(invoices, named=True),
                  invoices=invoices, pending=pending, error=error, **summary)


def _month_key(invoice):
    return (invoice.period_year, invoice.period_month)


@bp.route("/factures")
def invoices():
    """"Consulter mes factures": the invoices of one month, arrows to the months before
    and after that have invoices."""
    invoices = family_invoices(current_family())
    months = sorted({_month_key(i) for i in invoices})
    wanted = None
    raw = request.args.get("mois", "")
    try:
        day = datetime.datetime.strptime(raw, "%Y-%m")
        wanted = (day.year, day.month)
    except ValueError:
        pass
    if wanted not in months:
        wanted = months[-1] if months else None
    shown = [i for i in invoices if _month_key(i) == wanted]
    with_billed_days(line for invoice in shown for line in invoice.lines)
    index = months.index(wanted) if wanted else 0
    previous = months[index - 1] if wanted and index > 0 else None
    following = months[index + 1] if wanted and index + 1 < len(months) else None
    return render("facturation/invoices.html", "facturation/_month.html",
                  **_context(invoices, named=True), shown=shown, month=wanted,
                  previous=previous, following=following, **account_summary(invoices))


@bp.route("/historique")
def history():
    """"Consulter l'historique de mon compte": invoices, credit notes and payments by
    date, with the balance after each."""
    invoices = family_invoices(current_family())
    moves = []
    for invoice in invoices:
        sign = -1 if invoice.kind == Invoice.CREDIT_NOTE else 1
        moves.append((invoice.issued_at, 0, invoice.id, invoice, None, sign * invoice.total_cents))
        for payment in invoice.payments:
            if payment.status == Payment.PAID:
                moves.append((payment.verified_at or payment.created_at, 1, payment.id, invoice,
                              payment, -payment.amount_cents))
    moves.sort(key=lambda m: m[:3])
    balance, rows = 0, []
    for at, _, _, invoice, payment, amount in moves:
        balance += amount
        rows.append({"at": at, "invoice": invoice, "payment": payment, "amount": amount,
                     "balance": balance})
    rows.reverse()
    return render("facturation/history.html", **_context(invoices), rows=rows,
                  **account_summary(invoices))


@bp.route("/factures/<int:invoice_id>.pdf")
def invoice_pdf(invoice_id):
    """Download the PDF of one of the family's invoices (another family's: 404)."""
    invoice = family_invoice(current_family().id, invoice_id)
    if invoice is None:
        abort(404)
    online = public_url("facturation.index")
    return send_stored_file(invoice_file(invoice, commune_settings().name, online))


def _payable(raw_id):
    invoice_id = parse_id(raw_id)
    if invoice_id is None:
        return None, None
    try:
        return payable_online(invoice_id, current_family().id)
    except LookupError:
        abort(404)


@bp.route("/paiement")
def payment():
    """ÉTAPE SUIVANTE: what will be paid, then off to PayFiP."""
    if not request.args.get("facture"):
        return redirect(url_for("facturation.index", erreur="choix") + "#a-payer", code=303)
    try:
        invoice, due = _payable(request.args.get("facture"))
    except PaymentNotPossible as refusal:
        return render("facturation/payment.html", **_context([]), refusal=str(refusal),
                      invoice=None, due=0, form=EmptyForm())
    if invoice is None:
        abort(404)
    return render("facturation/payment.html", **_context([]), invoice=invoice, due=due,
                  refusal=None, form=EmptyForm(), email=current_user.email)


@bp.route("/paiement/<int:invoice_id>", methods=["POST"])
def pay(invoice_id):
    """Open a PayFiP operation and send the family to the payment page."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    client = client_from_config(current_app.config, public_base())
    try:
        attempt = start_online_payment(client, invoice_id, current_family().id,
                                       current_actor(), current_user.email,
                                       clock.now())
    except LookupError:
        abort(404)
    except PaymentNotPossible as refusal:  # paid meanwhile, too small...: said, not opened
        return render("facturation/payment.html", **_context([]), refusal=str(refusal),
                      invoice=None, due=0, form=form, status=422)
    except ProviderUnavailable:
        invoice, due = payable_online(invoice_id, current_family().id)
        return render("facturation/payment.html", **_context([]), invoice=invoice, due=due,
                      refusal=None, form=form, email=current_user.email, unavailable=True,
                      status=503)
    return redirect(client.payment_page(attempt.transaction_id), code=303)


@bp.route("/paiement/retour", methods=["GET", "POST"])
@csrf.exempt  # PayFiP may post the payer back; nothing is taken from the request but the idOp
def payment_return():
    """Back from PayFiP: read the result from PayFiP itself, then show it."""
    idop = request.values.get("idop") or request.values.get("idOp") or ""
    attempt = family_attempt(idop.strip(), current_family().id)
    if attempt is None:
        abort(404)
    check_payment(client_from_config(current_app.config, public_base()), attempt.id, clock.now())
    return redirect(url_for("facturation.payment_result", payment_id=attempt.id), code=303)


@bp.route("/paiement/<int:payment_id>/resultat")
def payment_result(payment_id):
    """The outcome of one of the family's payment attempts."""
    attempt = (Payment.select(Payment, Invoice).join(Invoice)
               .where((Payment.id == payment_id)
                      & (Invoice.family == current_family().id)).first())
    if attempt is None:
        abort(404)
    return render("facturation/result.html", **_context([]), attempt=attempt,
                  invoice=attempt.invoice,
                  message=outcome_message(attempt, attempt.invoice.number))
