"""« Mon enfant est malade »: declare booked days absent for illness, send the
certificate now or later (domain.booking.illness)."""
from flask import flash, redirect, request, url_for
from flask_login import current_user

from blueprints.common import current_family
from blueprints.htmx import current_actor, render
from blueprints.planning import bp
from domain import commune
from domain.booking import illness
from domain.uploads import UploadError, check_upload


def _certificate(field):
    """The checked upload of ``field``, None when no file was chosen."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    return check_upload(upload)


def _show(errors=None, status=200):
    family = current_family()
    return render("planning/illness.html", days=illness.declarable_days(family),
                  declared=illness.declared_marks(family), illness=illness,
                  delay=commune.certificate_delay_days(), errors=errors or {},
                  ticked=set(request.form.getlist("jour")), status=status)


@bp.route("/malade", methods=["GET", "POST"])
def illness_declare():
    """The form: booked days from today (one child or several) and the certificate."""
    if request.method == "GET":
        return _show()
    try:
        certificate = _certificate("certificat")
    except UploadError as refused:
        return _show({"certificat": str(refused)}, 400)
    try:
        count = illness.declare(current_user.family, request.form.getlist("jour"),
                                certificate, current_actor())
    except (illness.IllnessError, ValueError) as refused:
        message = str(refused) if isinstance(refused, illness.IllnessError) \
            else "Un des jours cochés n'est pas valide."
        return _show({"jour": message}, 400)
    flash(f"Absence pour maladie enregistrée ({count} jour(s))."
          + ("" if certificate else " Pensez à envoyer le certificat médical."), "success")
    return redirect(url_for("planning.illness_declare"), code=303)


@bp.route("/malade/certificat", methods=["POST"])
def illness_certificate():
    """Send the certificate of days already declared, within the commune's delay."""
    try:
        certificate = _certificate("certificat-suite")
        if certificate is None:
            raise UploadError("Choisissez le fichier du certificat médical.")
    except UploadError as refused:
        return _show({"certificat-suite": str(refused)}, 400)
    try:
        illness.add_certificate(current_user.family, request.form.getlist("absence"),
                                certificate, current_actor())
    except (illness.IllnessError, ValueError) as refused:
        message = str(refused) if isinstance(refused, illness.IllnessError) \
            else "Un des jours cochés n'est pas valide."
        return _show({"absence": message}, 400)
    flash("Certificat médical envoyé : il sera examiné par le service.", "success")
    return redirect(url_for("planning.illness_declare"), code=303)
