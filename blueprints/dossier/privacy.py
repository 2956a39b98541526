"""MON DOSSIER › « Notifications » (which emails I receive) and « Télécharger mes
données » (the GDPR's right of access: a ZIP of everything held about the family)."""
from flask import flash, redirect, url_for
from flask_login import current_user

from blueprints.common import (
    EmptyForm,
    commune_settings,
    current_family,
    download,
    form_status,
    public_url,
)
from blueprints.dossier import bp
from blueprints.dossier.forms import NotificationsForm
from blueprints.htmx import render
from domain import email_prefs
from domain.billing.documents import invoice_file
from domain.family import my_data
from domain.family.email_choices import save_choices


@bp.route("/notifications", methods=["GET", "POST"])
def notifications():
    """Each optional kind of email ticked or not; the required ones shown as always sent."""
    current = email_prefs.choices(current_user)
    form = NotificationsForm(data={kind: current[kind] for kind in email_prefs.OPTIONAL})
    if form.validate_on_submit():
        save_choices(current_user, {kind for kind in email_prefs.OPTIONAL
                                    if form[kind].data})
        flash("Vos choix de notifications sont enregistrés.", "success")
        return redirect(url_for("dossier.notifications"), code=303)
    required = [label for kind, label, optional in email_prefs.KINDS if not optional]
    return render("dossier/notifications.html", form=form, required=required,
                  address=current_user.email, status=form_status(form))


@bp.route("/mes-donnees", methods=["GET", "POST"])
def my_data_page():
    """« Télécharger mes données »: what the ZIP holds, and the button (a POST: each
    download is audited and counted)."""
    form = EmptyForm()
    if form.validate_on_submit():
        family = current_family()
        online = public_url("facturation.index")
        try:
            name = commune_settings().name
            data = my_data.download(family, current_user,
                                    lambda invoice: invoice_file(invoice, name, online))
        except my_data.TooManyDownloads:
            form.submit.errors = [f"Vous avez déjà téléchargé vos données "
                                  f"{my_data.DOWNLOADS_PER_DAY} fois aujourd'hui. "
                                  "Réessayez demain."]
            return render("dossier/my_data.html", form=form,
                          per_day=my_data.DOWNLOADS_PER_DAY, status=429)
        return download(data, "application/zip",
                        f"mes-donnees-{family.account_number}.zip")
    return render("dossier/my_data.html", form=form, per_day=my_data.DOWNLOADS_PER_DAY,
                  status=form_status(form))
