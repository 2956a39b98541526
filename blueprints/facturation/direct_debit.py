"""FACTURATION › "Payer par prélèvement automatique": sign a SEPA mandate online, see it,
download it, revoke it."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from blueprints.common import EmptyForm, current_family, download, form_status, render
from blueprints.facturation import bp
from blueprints.facturation.forms import MandateForm
from domain import clock, commune
from domain.billing import mandates
from domain.billing.direct_debit import PRENOTIFICATION


def _page(form, status=200):
    family = current_family()
    settings = commune.billing_settings()
    return render("facturation/direct_debit.html", status=status, form=form,
                  revoke_form=EmptyForm(prefix="revoquer"),
                  mandate=mandates.active_mandate(family.id),
                  history=mandates.family_mandates(family.id), masked=mandates.masked,
                  mandate_text=mandates.MANDATE_TEXT.format(creditor=settings.name),
                  creditor=settings, notice_days=PRENOTIFICATION.days)


@bp.route("/prelevement")
def direct_debit():
    """The mandate in force, or the form to sign one."""
    return _page(MandateForm())


@bp.route("/prelevement", methods=["POST"])
def sign_mandate():
    """Sign a mandate online: the consent is recorded with its time and address."""
    form = MandateForm()
    if form.validate_on_submit():
        try:
            mandate = mandates.sign(current_family().id, form.holder.data, form.iban.data,
                                    form.bic.data, current_user._get_current_object(),
                                    clock.now(), consent_address=request.remote_addr or "")
        except mandates.MandateError as refusal:
            getattr(form, refusal.field).errors.append(str(refusal))
        else:
            flash(f"Votre mandat de prélèvement {mandate.rum} est enregistré : vos prochaines "
                  "factures seront prélevées sur ce compte.", "success")
            return redirect(url_for("facturation.direct_debit"), code=303)
    return _page(form, status=form_status(form))


@bp.route("/prelevement/revoquer", methods=["POST"])
def revoke_mandate():
    """Stop the debits: the mandate in force is revoked."""
    if not EmptyForm(prefix="revoquer").validate_on_submit():
        abort(400)
    if mandates.revoke(current_family().id, current_user._get_current_object(),
                       clock.now()) is not None:
        flash("Votre mandat est révoqué : vos prochaines factures ne seront pas prélevées.",
              "success")
    return redirect(url_for("facturation.direct_debit"), code=303)


@bp.route("/prelevement/mandat/<int:mandate_id>.pdf")
def mandate_pdf(mandate_id):
    """One of the family's mandates as a PDF (another family's: 404)."""
    try:
        mandate = mandates.mandate_of_family(mandate_id, current_family().id)
    except LookupError:
        abort(404)
    debit = commune.billing_settings()
    return download(mandates.mandate_pdf(mandate, debit.name, debit.sepa_creditor_id, ""),
                    "application/pdf", f"mandat-{mandate.rum}.pdf")
