"""Espace agents: FACTURATION.

For agents and administrateurs (``bp``): the unpaid invoices, the online payments
to check, one invoice with its payments, a payment received at the counter,
reminders of unpaid invoices past due, CSV exports. For the administrateur only
(``admin_bp``): the monthly run (preview, then Émettre) and credit notes.
Every write is audited.
"""
import datetime

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints.common import (
    EmptyForm,
    commune_settings,
    public_base,
    public_url,
    send_stored_file,
)
from blueprints.dossier.forms import FrenchDateField
from blueprints.htmx import current_actor, render
from blueprints.staff import admin_bp, bp
from blueprints.staff.exports import logged_csv
from domain import audit, clock, commune
from domain.billing.adjustments import (
    COUNTER_METHODS,
    BillingError,
    issue_credit_note,
    parse_amount,
    record_counter_payment,
)
from domain.billing.documents import invoice_file
from domain.billing.exports import invoices_csv, payments_csv
from domain.billing.invoicing import (
    credited_cents,
    due_cents_of,
    overpaid_invoices,
    unpaid_invoices,
)
from domain.billing.notices import remind_unpaid, send_invoice_emails
from domain.billing.payments import STATUS_LABELS, attempts_to_review
from domain.billing.regies import all_regies, regie_of
from domain.billing.run import (
    MonthNotOver,
    issue_month,
    month_is_over,
    month_not_over_text,
    parse_month,
    preview_month,
    set_excused_billing,
)
from domain.formats import euros, month_fr
from models import Family, Invoice, InvoiceLine, Payment, Regie, parse_id


class AmountForm(FlaskForm):
    """A form with an amount in euros typed as 20,80 (read into ``cents``)."""

    EXAMPLE = "20,80"
    cents = None

    def validate_amount(self, field):
        """An amount in euros; its value in cents is kept in ``self.cents``."""
        self.cents = parse_amount(field.data)
        if self.cents is None:
            raise ValidationError(f"Écrivez un montant en euros, par exemple {self.EXAMPLE}.")


class CounterPaymentForm(AmountForm):
    """A payment received at the régie."""

    amount = StringField("Montant reçu (en euros)", validators=[DataRequired(
        "Indiquez le montant reçu.")])
    method = RadioField("Moyen de paiement", choices=list(COUNTER_METHODS.items()),
                        validators=[DataRequired("Choisissez le moyen de paiement.")])
    reference = StringField("Référence (numéro du chèque, des CESU ou des chèques vacances)",
                            validators=[Optional(), Length(max=120)])


class CreditNoteForm(AmountForm):
    """A credit note on an invoice, with its reason."""

    EXAMPLE = "5,20"
    amount = StringField("Montant de l'avoir (en euros)", validators=[DataRequired(
        "Indiquez le montant de l'avoir.")])
    reason = StringField("Motif", validators=[DataRequired("Indiquez le motif de l'avoir."),
                                              Length(max=200)])
    confirm = BooleanField("Je confirme l'émission de cet avoir : il est numéroté et ne "
                           "pourra plus être modifié.",
                           validators=[DataRequired("Cochez la case pour confirmer l'avoir.")])


class IssueForm(FlaskForm):
    """Émettre: a box to tick to confirm (no script needed), another to force a month
    not over (a correction)."""

    confirm = BooleanField("Je confirme l'émission : les factures seront numérotées et "
                           "envoyées aux familles.",
                           validators=[DataRequired("Cochez la case pour confirmer "
                                                    "l'émission.")])
    force = BooleanField("Émettre quand même ce mois non terminé (correction)")


class ExcusedSettingForm(FlaskForm):
    """The commune's choice: are excused absences with a justification billed?"""

    billed = RadioField("Absences excusées avec justificatif", choices=[
        ("non", "Non facturées (la journée n'apparaît pas sur la facture)"),
        ("oui", "Facturées comme les autres journées réservées")],
        validators=[DataRequired("Choisissez si ces absences sont facturées.")])


class ExportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that only reads

    du = FrenchDateField("Du", [Optional()])
    au = FrenchDateField("Au", [Optional()])


def _invoice_or_404(invoice_id):
    invoice = (Invoice.select(Invoice, Family).join(Family)
               .where(Invoice.id == invoice_id).first())
    if invoice is None:
        abort(404)
    return invoice


@bp.route("/facturation/")
def billing():
    """Unpaid invoices (``?echues=1``: past due only), payments to check, exports."""
    overdue_only = request.args.get("echues") == "1"
    today = clock.today()
    unpaid = unpaid_invoices(today if overdue_only else None)
    overdue = [i for i in unpaid if i.due_date < today] if not overdue_only else unpaid
    return render("staff/billing/index.html", unpaid=unpaid,
                  overdue_count=len(overdue), overdue_only=overdue_only,
                  to_review=attempts_to_review(), overpaid=overpaid_invoices(),
                  status_labels=STATUS_LABELS,
                  reminder_form=EmptyForm(), export_form=ExportForm(request.args), today=today,
                  regies=all_regies(),
                  is_admin=current_user.role == current_user.ROLE_ADMIN)


def _show_invoice(invoice, payment_form=None, credit_form=None, status=200):
    lines = list(InvoiceLine.select().where(InvoiceLine.invoice == invoice)
                 .order_by(InvoiceLine.id))
    payments = list(Payment.select().where(Payment.invoice == invoice)
                    .order_by(Payment.created_at, Payment.id))
    credits = list(Invoice.select().where(Invoice.corrects == invoice).order_by(Invoice.id))
    _, due = due_cents_of(invoice.id)
    return render("staff/billing/invoice.html", invoice=invoice,
                  regie=regie_of(invoice.regie_id),
                  lines=lines, payments=payments, credits=credits, due=due,
                  credited=credited_cents(invoice), status_labels=STATUS_LABELS,
                  methods=COUNTER_METHODS, payment_form=payment_form or CounterPaymentForm(),
                  credit_form=credit_form or CreditNoteForm(prefix="avoir"),
                  is_admin=current_user.role == current_user.ROLE_ADMIN, status=status)


@bp.route("/facturation/factures/<int:invoice_id>")
def billing_invoice(invoice_id):
    """One invoice: lines, every payment attempt, credit notes, what is due."""
    return _show_invoice(_invoice_or_404(invoice_id))


@bp.route("/facturation/factures/<int:invoice_id>.pdf")
def billing_invoice_pdf(invoice_id):
    """The invoice's PDF, as the family gets it."""
    invoice = _invoice_or_404(invoice_id)
    online = public_url("facturation.index")
    return send_stored_file(invoice_file(invoice, commune_settings().name, online))


@bp.route("/facturation/factures/<int:invoice_id>/paiement", methods=["POST"])
def billing_counter_payment(invoice_id):
    """Record a payment received at the régie (audited)."""
    invoice = _invoice_or_404(invoice_id)
    form = CounterPaymentForm()
    return _adjust(
        invoice, form, "payment_form",
        lambda: record_counter_payment(invoice.id, form.cents, form.method.data,
                                       form.reference.data, current_actor(), clock.now()),
        lambda payment: f"Paiement de {euros(form.cents)} enregistré sur la facture "
                        f"N° {invoice.number}.")


def _adjust(invoice, form, form_name, act, done):
    """A payment or a credit note on ``invoice``: ``act()`` once ``form`` is valid, then
    ``done(result)`` flashed back on the invoice. A refused form, or a BillingError (shown
    at its field), gives the invoice page again with the form (422)."""
    if not form.validate_on_submit():
        return _show_invoice(invoice, status=422, **{form_name: form})
    try:
        result = act()
    except BillingError as error:
        getattr(form, error.field).errors.append(str(error))
        return _show_invoice(invoice, status=422, **{form_name: form})
    flash(done(result), "success")
    return redirect(url_for("staff.billing_invoice", invoice_id=invoice.id), code=303)


@bp.route("/facturation/relances", methods=["POST"])
def billing_reminders():
    """Send the reminder levels due on unpaid invoices (each level once per invoice); after
    the last, the invoice goes on the état des restes à recouvrer."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    days = commune.billing_settings().reminder_days
    invoices, mails = remind_unpaid(current_actor(), clock.today(), clock.utc_now(),
                                    public_base(), days)
    handed = sum(1 for invoice in invoices if invoice.handed_over)
    flash((f"{len(invoices)} relance(s) mise(s) en file d'envoi ({mails} email(s))"
           + (f", dont {handed} facture(s) transmise(s) au Trésor public." if handed else ".")
           if invoices else
           "Aucune relance à envoyer : chaque niveau de relance dû a déjà été envoyé."),
          "success")
    return redirect(url_for("staff.billing"), code=303)


def _export(kind):
    """The period's CSV of ``kind``: every régie's, or one's (``?regie=id``)."""
    form = ExportForm(request.args)
    today = clock.today()
    first = form.du.data if form.validate() and form.du.data else today.replace(month=1, day=1)
    last = form.au.data if form.au.data else today
    regie = None
    if request.args.get("regie"):
        regie = Regie.get_or_none(Regie.id == parse_id(request.args["regie"])) or abort(404)
    text = (invoices_csv if kind == "factures" else payments_csv)(first, last, regie)
    which = f"{regie.invoice_prefix}-" if regie else ""
    name = f"{kind}-{which}{first.isoformat()}-{last.isoformat()}.csv"
    return logged_csv(kind, text, name)


@bp.route("/facturation/export/factures.csv")
def billing_export_invoices():
    """Invoices and credit notes issued in the period (CSV)."""
    return _export("factures")


@bp.route("/facturation/export/paiements.csv")
def billing_export_payments():
    """Payments received in the period (CSV)."""
    return _export("paiements")


# --- Administrateur: the monthly run and credit notes ---------------------------


def _default_month(today):
    """The month before ``today``'s: the one usually billed."""
    first = today.replace(day=1) - datetime.timedelta(days=1)
    return first.year, first.month


def _show_run(month, raw, error=None, form=None, setting_form=None, status=200):
    """The run's page: the month, its preview per activity and per family, Émettre."""
    preview = preview_month(*month, commune.holiday_zone()) if month else None
    month_over = bool(month) and month_is_over(*month, clock.today())
    billed = commune.bills_excused_absences()
    return render("staff/billing/run.html", month=month,
                  raw=raw or (f"{month[0]}-{month[1]:02d}" if month else ""), error=error,
                  preview=preview, form=form or IssueForm(),
                  setting_form=setting_form or ExcusedSettingForm(
                      formdata=None, prefix="regle", billed="oui" if billed else "non"),
                  excused_billed=billed, month_label=month_fr(*month) if month else "",
                  month_over=month_over,
                  not_over_text=month_not_over_text(*month) if month and not month_over
                  else "", status=status)


@admin_bp.route("/facturation/emission", methods=["GET", "POST"])
def billing_run():
    """Choose a month, see what it would bill (per activity, per family), then Émettre:
    a box confirms it; a month not over is refused unless forced (a correction)."""
    raw = request.values.get("mois", "")
    month = parse_month(raw) if raw else _default_month(clock.today())
    error = None if month else "Choisissez un mois (AAAA-MM), par exemple 2027-01."
    if request.method == "POST" and month:
        form = IssueForm()
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            return _show_run(month, raw, form=form, status=422)
        try:
            ids = issue_month(*month, commune.holiday_zone(), clock.now(),
                              force=form.force.data)
        except MonthNotOver as refused:
            form.force.errors = [str(refused)]
            return _show_run(month, raw, form=form, status=422)
        mails = send_invoice_emails(ids, public_base())
        label = month_fr(*month).lower()
        if ids:
            total = sum(i.total_cents for i in Invoice.select(Invoice.total_cents)
                        .where(Invoice.id.in_(ids)))
            audit.record(current_actor(), None, audit.INVOICE_ISSUED,
                         summary=f"Facturation de {label} : {len(ids)} facture(s), "
                                 f"{euros(total)}" + (" (mois non terminé, émission forcée)"
                                                       if form.force.data else ""),
                         after={"month": f"{month[0]}-{month[1]:02d}", "invoices": len(ids),
                                "total_cents": total})
            flash(f"{len(ids)} facture(s) émise(s) pour {label} ; {mails} email(s) mis en "
                  "file d'envoi aux familles (le portail les envoie dans la foulée et "
                  "réessaie ceux que le serveur de mail refuse).", "success")
        else:
            flash(f"Rien à facturer pour {label} : tout est déjà facturé.", "success")
        return redirect(url_for("staff.admin.billing_run",
                                mois=f"{month[0]}-{month[1]:02d}"), code=303)
    return _show_run(month, raw, error=error, status=422 if error else 200)


@admin_bp.route("/facturation/absences-excusees", methods=["POST"])
def billing_excused_setting():
    """The commune's choice of billing excused absences with a justification (audited)."""
    raw = request.values.get("mois", "")
    month = parse_month(raw) or _default_month(clock.today())
    form = ExcusedSettingForm(prefix="regle")
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _show_run(month, raw, setting_form=form, status=422)
    billed = form.billed.data == "oui"
    if set_excused_billing(current_actor(), billed):
        flash("Les absences excusées avec justificatif sont désormais "
              + ("facturées." if billed else "non facturées."), "success")
    return redirect(url_for("staff.admin.billing_run", mois=f"{month[0]}-{month[1]:02d}"),
                    code=303)


@admin_bp.route("/facturation/factures/<int:invoice_id>/avoir", methods=["POST"])
def billing_credit_note(invoice_id):
    """Issue a credit note on the invoice (audited)."""
    invoice = _invoice_or_404(invoice_id)
    form = CreditNoteForm(prefix="avoir")
    return _adjust(
        invoice, form, "credit_form",
        lambda: issue_credit_note(invoice.id, form.cents, form.reason.data, current_actor(),
                                  clock.now()),
        lambda credit: f"Avoir N° {credit.number} de {euros(form.cents)} émis sur la facture "
                       f"N° {invoice.number}.")
