"""Espace agents: FACTURATION › PRÉLÈVEMENTS (SEPA direct debit).

For agents and administrateurs (``bp``): the collections with their debits, the
pain.008 file for the bank, a debit the bank rejected, a paper mandate recorded on a
family's page. For the administrateur only (``admin_bp``): building the month's
collection, and the commune's creditor settings. Every write is audited.
"""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from blueprints.common import EmptyForm, download, form_status, get_or_404
from blueprints.dossier.forms import FrenchDateField
from blueprints.htmx import current_actor, render
from blueprints.staff import admin_bp, bp
from blueprints.staff.billing import AmountForm
from domain import audit, clock, commune
from domain.billing import bank_returns, debit_cancellation, direct_debit, mandates
from domain.billing.run import parse_month
from domain.formats import euros, month_fr
from models import DebitCollection, DebitItem, Family, Invoice


class CollectionForm(FlaskForm):
    """The month to collect and the day of the debit."""

    period = StringField("Mois des factures (AAAA-MM)", validators=[
        DataRequired("Indiquez le mois des factures, par exemple 2027-01.")])
    collection_date = FrenchDateField("Date du prélèvement", [
        DataRequired("Indiquez la date du prélèvement.")])

    def validate_period(self, field):
        if parse_month(field.data) is None:
            raise ValidationError("Écrivez le mois sous la forme AAAA-MM, par exemple 2027-01.")


class RejectionForm(FlaskForm):
    """A debit the bank returned, with its reason code."""

    reason = SelectField("Motif du rejet", choices=[("", "Choisir")] + [
        (code, f"{code} – {label}") for code, label in direct_debit.REJECTION_REASONS.items()],
        validators=[DataRequired("Choisissez le motif du rejet donné par la banque.")])


class ReturnFileForm(FlaskForm):
    """The bank's report of the rejected debits (pain.002 or camt.054)."""

    fichier = FileField("Fichier de retour de la banque (XML pain.002 ou camt.054)",
                        [FileRequired("Choisissez le fichier de retour donné par la banque.")],
                        render_kw={"accept": ".xml,application/xml,text/xml"})


class CancellationForm(FlaskForm):
    """Annuler ce prélèvement: the reason, written in the journal."""

    reason = TextAreaField("Motif de l'annulation", validators=[
        DataRequired("Indiquez le motif de l'annulation (par exemple le motif du refus "
                     "donné par la banque)."),
        Length(max=debit_cancellation.MAX_REASON,
               message=f"Le motif tient en {debit_cancellation.MAX_REASON} caractères au "
                       "plus.")])


class PaperMandateForm(FlaskForm):
    """A paper mandate the family signed and handed in."""

    holder = StringField("Titulaire du compte", validators=[
        DataRequired("Indiquez le nom du titulaire du compte."), Length(max=70)])
    iban = StringField("IBAN", validators=[DataRequired("Indiquez l'IBAN du compte."),
                                           Length(max=50)])
    bic = StringField("BIC (facultatif)", validators=[Optional(), Length(max=11)])
    signed_on = FrenchDateField("Date de signature du mandat", [
        DataRequired("Indiquez la date de signature du mandat.")])


class BillingSettingsForm(AmountForm):
    """The commune as a SEPA creditor, and its reminders of unpaid invoices."""

    EXAMPLE = "5,00"
    sepa_creditor_id = StringField("Identifiant créancier SEPA (ICS)", validators=[
        DataRequired("Indiquez l'identifiant créancier SEPA de la commune."), Length(max=35)])
    sepa_creditor_iban = StringField("IBAN du compte de la commune (Trésor public)", validators=[
        DataRequired("Indiquez l'IBAN du compte crédité."), Length(max=50)])
    sepa_creditor_bic = StringField("BIC du compte de la commune", validators=[
        Optional(), Length(max=11)])
    debit_day = IntegerField("Jour du prélèvement dans le mois", validators=[
        DataRequired("Indiquez le jour du prélèvement (de 1 à 28)."),
        NumberRange(1, 28, "Choisissez un jour de 1 à 28.")])
    amount = StringField("Frais de rejet d'un prélèvement (en euros, 0 pour aucun)",
                         validators=[DataRequired("Indiquez les frais de rejet (0 pour aucun).")])

    reminder_days = StringField("Relances des factures impayées (jours après l'échéance, "
                                "séparés par des virgules)", validators=[
                                    DataRequired("Indiquez les jours des relances, par "
                                                 "exemple 15, 30.")])

    def validate_reminder_days(self, field):
        self.days = commune.parse_reminder_days(field.data)
        if self.days is None:
            raise ValidationError("Écrivez de 1 à 5 nombres de jours croissants, de 1 à 365, "
                                  "séparés par des virgules : par exemple 15, 30.")

    def validate_sepa_creditor_id(self, field):
        field.data = (field.data or "").replace(" ", "").upper()
        if not mandates.valid_creditor_id(field.data):
            raise ValidationError("Cet identifiant créancier SEPA est faux (par exemple "
                                  "FR72ZZZ123456, clé de contrôle comprise).")


def _is_admin():
    return current_user.role == current_user.ROLE_ADMIN


def _last_issued_month():
    invoice = (Invoice.select(Invoice.period_year, Invoice.period_month)
               .where(Invoice.kind == Invoice.INVOICE)
               .order_by(Invoice.period_year.desc(), Invoice.period_month.desc()).first())
    return f"{invoice.period_year}-{invoice.period_month:02d}" if invoice else ""


def _collections_page(form=None, status=200):
    settings = commune.billing_settings()
    today = clock.today()
    if form is None:
        form = CollectionForm(data={"period": _last_issued_month(), "collection_date":
                                    direct_debit.default_collection_date(today,
                                                                        settings.debit_day)})
    return render("staff/direct_debit/index.html", status=status, form=form,
                  collections=direct_debit.collections(), settings=settings,
                  problems=direct_debit.creditor_problems(settings), is_admin=_is_admin(),
                  earliest=direct_debit.earliest_collection_date(today), month_fr=month_fr)


@bp.route("/facturation/prelevements/")
def direct_debit_collections():
    """The collections, newest first; the administrateur builds the month's."""
    return _collections_page()


@admin_bp.route("/facturation/prelevements/", methods=["POST"])
def direct_debit_build():
    """Build the month's collection and pre-notify the families (audited)."""
    form = CollectionForm()
    if form.validate_on_submit():
        year, month = parse_month(form.period.data)
        try:
            collection = direct_debit.build_collection(
                year, month, form.collection_date.data, commune.billing_settings(),
                current_actor(), clock.now())
        except direct_debit.CollectionError as refusal:
            field = refusal.field if refusal.field in ("period", "collection_date") else "period"
            getattr(form, field).errors.append(str(refusal))
        else:
            flash(f"Prélèvement préparé : {collection.count} facture(s), "
                  f"{euros(collection.total_cents)}, le "
                  f"{collection.collection_date.strftime('%d/%m/%Y')} ; les familles sont "
                  "prévenues par email.", "success")
            return redirect(url_for("staff.direct_debit_collection",
                                    collection_id=collection.id), code=303)
    return _collections_page(form, status=form_status(form))


def _collection_page(collection, forms=None, status=200, return_form=None):
    items = direct_debit.collection_items(collection.id)
    forms = forms or {}
    is_admin = _is_admin()  # only an administrateur may cancel: the others need no check
    return render("staff/direct_debit/collection.html", status=status, collection=collection,
                  return_form=return_form or ReturnFileForm(), is_admin=is_admin,
                  cancel_problem=is_admin and debit_cancellation.cancel_problem(collection,
                                                                                 items),
                  items=items, forms={item.id: forms.get(item.id) or
                                      RejectionForm(prefix=f"rejet-{item.id}")
                                      for item in items},
                  reasons=direct_debit.REJECTION_REASONS, masked=mandates.masked,
                  month_fr=month_fr)


@bp.route("/facturation/prelevements/<int:collection_id>")
def direct_debit_collection(collection_id):
    """One collection: its debits, FRST or RCUR, collected or rejected."""
    return _collection_page(get_or_404(DebitCollection.select().where(
        DebitCollection.id == collection_id)))


@admin_bp.route("/facturation/prelevements/<int:collection_id>/annuler",
                methods=["GET", "POST"])
def direct_debit_cancel(collection_id):
    """Annuler ce prélèvement (the bank refused the whole file): a page that says what it
    does and asks the reason, then the cancellation (audited, the families emailed)."""
    collection = get_or_404(DebitCollection.select().where(DebitCollection.id == collection_id))
    back = url_for("staff.direct_debit_collection", collection_id=collection.id)
    problem = debit_cancellation.cancel_problem(collection)
    if problem:
        flash(problem, "error")
        return redirect(back, code=303)
    form = CancellationForm()
    if form.validate_on_submit():
        try:
            debit_cancellation.cancel_collection(collection.id, form.reason.data,
                                                 current_actor(), clock.now())
        except direct_debit.CollectionError as refusal:
            form.reason.errors.append(str(refusal))
        else:
            flash(f"Prélèvement annulé : aucun débit n'aura lieu ({collection.count} "
                  f"facture(s), {euros(collection.total_cents)}). Les factures sont de "
                  "nouveau à payer (en ligne, ou par un nouveau prélèvement du mois) et les "
                  "familles sont prévenues par email.", "success")
            return redirect(back, code=303)
    return render("staff/direct_debit/cancel.html", collection=collection, form=form,
                  month_fr=month_fr, status=form_status(form))


@bp.route("/facturation/prelevements/<int:collection_id>/pain008.xml")
def direct_debit_file(collection_id):
    """The collection's pain.008 file for the bank (audited as an export)."""
    collection = get_or_404(DebitCollection.select().where(DebitCollection.id == collection_id))
    if collection.is_cancelled:  # sent again, it would debit invoices owed again: twice
        flash("Ce prélèvement est annulé : son fichier ne doit plus être envoyé à la banque.",
              "error")
        return redirect(url_for("staff.direct_debit_collection", collection_id=collection.id),
                        code=303)
    settings = commune.billing_settings()
    problems = direct_debit.creditor_problems(settings)
    if problems:
        flash("Le fichier ne peut pas être fait : complétez " + ", ".join(problems) + ".",
              "error")
        return redirect(url_for("staff.direct_debit_collection", collection_id=collection.id),
                        code=303)
    xml = direct_debit.pain008(collection, settings)
    audit.record(current_actor(), None, audit.EXPORT_DOWNLOADED,
                 summary=f"Fichier de prélèvement {collection.message_id} "
                         f"({collection.count} débit(s))")
    return download(xml, "application/xml", f"prelevement-{collection.message_id}.xml")


@bp.route("/facturation/prelevements/debits/<int:item_id>/rejet", methods=["POST"])
def direct_debit_reject(item_id):
    """Record a debit the bank rejected: the invoice is owed again (audited)."""
    item = get_or_404(DebitItem.select().where(DebitItem.id == item_id))
    collection = DebitCollection.get_by_id(item.collection_id)
    form = RejectionForm(prefix=f"rejet-{item.id}")
    if form.validate_on_submit():
        try:
            direct_debit.record_debit_rejection(item.id, form.reason.data,
                                                commune.billing_settings(), current_actor(),
                                                clock.now())
        except direct_debit.CollectionError as refusal:
            form.reason.errors.append(str(refusal))
        else:
            flash(f"Rejet enregistré : le prélèvement de {euros(item.amount_cents)} est annulé, "
                  "la famille est prévenue par email.", "success")
            return redirect(url_for("staff.direct_debit_collection",
                                    collection_id=collection.id), code=303)
    return _collection_page(collection, forms={item.id: form}, status=422)


@bp.route("/facturation/prelevements/<int:collection_id>/retour", methods=["POST"])
def direct_debit_return_upload(collection_id):
    """Upload the bank's return file: checked, kept, then shown as a dry run."""
    collection = get_or_404(DebitCollection.select().where(DebitCollection.id == collection_id))
    form = ReturnFileForm()
    if form.validate_on_submit():
        upload = form.fichier.data
        data = upload.read(bank_returns.MAX_FILE_BYTES + 1)
        try:
            bank_returns.check(collection, data)
        except bank_returns.ReturnFileError as problem:
            form.fichier.errors.append(str(problem))
        else:
            token = bank_returns.keep_file(data, upload.filename, current_actor())
            return redirect(url_for("staff.direct_debit_return", collection_id=collection.id,
                                    token=token), code=303)
    return _collection_page(collection, return_form=form, status=422)


@bp.route("/facturation/prelevements/<int:collection_id>/retour/<token>",
          methods=["GET", "POST"])
def direct_debit_return(collection_id, token):
    """The dry run of the bank's return file (what matches, what does not and why);
    « Enregistrer les rejets » records each match as a rejection by hand would (audited)."""
    collection = get_or_404(DebitCollection.select().where(DebitCollection.id == collection_id))
    kept = bank_returns.kept_file(token, current_actor())
    if kept is None:
        abort(404)
    data, filename = kept
    form = EmptyForm()
    try:
        report = bank_returns.check(collection, data)
    except bank_returns.ReturnFileError as problem:
        flash(str(problem), "error")
        return redirect(url_for("staff.direct_debit_collection", collection_id=collection.id),
                        code=303)
    if form.validate_on_submit():
        if not report.to_record:
            flash("Aucun rejet de ce fichier n'est à enregistrer (déjà enregistrés ou sans "
                  "débit correspondant).", "info")
            return redirect(url_for("staff.direct_debit_collection",
                                    collection_id=collection.id), code=303)
        recorded, left_out = bank_returns.record(collection, data, commune.billing_settings(),
                                                 current_actor(), clock.now())
        flash(f"{recorded} rejet(s) enregistré(s) depuis le fichier de la banque ; les "
              "familles sont prévenues par email."
              + (f" {left_out} ligne(s) du fichier laissée(s) de côté." if left_out else ""),
              "success")
        return redirect(url_for("staff.direct_debit_collection", collection_id=collection.id),
                        code=303)
    return render("staff/direct_debit/return.html", collection=collection, report=report,
                  filename=filename, form=form, token=token, month_fr=month_fr,
                  status=form_status(form))


@admin_bp.route("/facturation/parametres", methods=["GET", "POST"])
def billing_settings():
    """The commune's creditor identifier, account, debit day, rejection fee and reminder
    levels (audited)."""
    settings = commune.billing_settings()
    form = BillingSettingsForm(data={
        "sepa_creditor_id": settings.sepa_creditor_id,
        "sepa_creditor_iban": settings.sepa_creditor_iban,
        "sepa_creditor_bic": settings.sepa_creditor_bic, "debit_day": settings.debit_day,
        "reminder_days": ", ".join(str(day) for day in settings.reminder_days),
        "amount": f"{settings.debit_rejection_fee_cents // 100},"
                  f"{settings.debit_rejection_fee_cents % 100:02d}"}
        if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            iban = mandates.checked_iban(form.sepa_creditor_iban.data)
            bic = mandates.bic_of(iban, form.sepa_creditor_bic.data)
        except mandates.MandateError as refusal:
            field = form.sepa_creditor_bic if refusal.field == "bic" else form.sepa_creditor_iban
            field.errors.append(str(refusal))
        else:
            if not bic:
                form.sepa_creditor_bic.errors.append("Indiquez le BIC : il n'a pas pu être "
                                                     "trouvé à partir de l'IBAN.")
            else:
                new = commune.set_billing_settings(
                    sepa_creditor_id=form.sepa_creditor_id.data,
                    sepa_creditor_iban=str(iban.compact), sepa_creditor_bic=bic,
                    debit_day=form.debit_day.data, debit_rejection_fee_cents=form.cents,
                    reminder_days=form.days)
                audit.record(current_actor(), None, audit.DEBIT_SETTINGS_SET,
                             summary="Paramètres de la facturation modifiés",
                             before={"ics": settings.sepa_creditor_id,
                                     "jour": settings.debit_day,
                                     "frais": settings.debit_rejection_fee_cents,
                                     "relances": list(settings.reminder_days)},
                             after={"ics": new.sepa_creditor_id, "jour": new.debit_day,
                                    "frais": new.debit_rejection_fee_cents,
                                    "relances": list(new.reminder_days)})
                flash("Paramètres de la facturation enregistrés.", "success")
                return redirect(url_for("staff.direct_debit_collections"), code=303)
    return render("staff/direct_debit/settings.html", form=form, status=form_status(form))


@bp.route("/familles/<int:family_id>/mandat", methods=["GET", "POST"])
def family_paper_mandate(family_id):
    """Record a paper mandate handed in by the family (audited); it replaces the one in force."""
    family = get_or_404(Family.select().where(Family.id == family_id))
    form = PaperMandateForm()
    if form.validate_on_submit():
        try:
            mandate = mandates.sign(family.id, form.holder.data, form.iban.data, form.bic.data,
                                    current_actor(), clock.now(), signature="papier",
                                    signed_on=form.signed_on.data)
        except mandates.MandateError as refusal:
            getattr(form, refusal.field).errors.append(str(refusal))
        else:
            flash(f"Mandat papier {mandate.rum} enregistré pour la famille "
                  f"{family.account_number}.", "success")
            return redirect(url_for("staff.family_paper_mandate", family_id=family.id),
                            code=303)
    return render("staff/direct_debit/paper_mandate.html", family=family, form=form,
                  mandate=mandates.active_mandate(family.id),
                  history=mandates.family_mandates(family.id), masked=mandates.masked,
                  status=form_status(form))
