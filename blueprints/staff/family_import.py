"""Espace agents: FAMILLES › Importer (a dry run, then "Importer") and « Inviter les
familles » with its progress view and « relancer »."""
from flask import Response, abort, current_app, flash, redirect, url_for
from flask_login import current_user

from blueprints.common import EmptyForm, form_status, public_url, render
from blueprints.staff import bp
from blueprints.staff.family_forms import ImportForm, RemindForm
from domain import clock
from domain.family import imports, invitations
from domain.family.accounts import INVITATION_SALT, make_reset_token
from domain.family.import_file import COLUMNS, FileProblem, template_csv


def _me():
    return current_user._get_current_object()


@bp.route("/familles/importer", methods=["GET", "POST"])
def import_families():
    """Upload the file: it is kept server-side under a token, then checked (dry run)."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(imports.MAX_FILE_BYTES + 1)
        if len(data) > imports.MAX_FILE_BYTES:
            form.file.errors.append("Le fichier dépasse 20 Mo.")
        elif not data.strip():
            form.file.errors.append("Le fichier est vide.")
        else:
            token = imports.keep_file(data, (upload.filename or "familles.csv")[:200], _me())
            return redirect(url_for("staff.import_check", token=token), code=303)
    return render("staff/families/import.html", form=form, columns=COLUMNS,
                  status=form_status(form))


@bp.route("/familles/importer/modele.csv")
def import_template():
    """The template: the header and two example rows (UTF-8 with BOM, ``;``)."""
    return Response(template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition":
                             'attachment; filename="modele-import-familles.csv"'})


def _kept(token):
    kept = imports.kept_file(token, _me())
    if kept is None:
        abort(404)
    return kept


@bp.route("/familles/importer/<token>", methods=["GET", "POST"])
def import_check(token):
    """The dry run (« N familles, M enfants, K erreurs », each error with its line and
    column); « Importer » writes it all in one transaction when there is no error."""
    data, filename = _kept(token)
    form = EmptyForm()
    try:
        report = imports.check(data, filename)
    except FileProblem as problem:
        flash(str(problem), "error")
        return redirect(url_for("staff.import_families"), code=303)
    if form.validate_on_submit() and not report.errors:
        outcome = imports.apply(_me(), report)
        flash(f"Import terminé : {outcome.created} famille(s) créée(s), {outcome.updated} mise(s) "
              f"à jour, {outcome.children_created} enfant(s) ajouté(s), "
              f"{outcome.children_updated} mis à jour.", "success")
        return redirect(url_for("staff.invitations_page"), code=303)
    return render("staff/families/import_check.html", report=report, form=form,
                  token=token, status=422 if report.errors else 200)


def _link_for(user):
    token = make_reset_token(current_app.config["SECRET_KEY"], user, salt=INVITATION_SALT)
    return public_url("auth.accept_invitation", token=token)


def _days_valid():
    return max(1, current_app.config["INVITATION_MAX_AGE"] // 86400)


@bp.route("/familles/invitations")
def invitations_page():
    """Where the invitations stand: queued, sent, failed, accepted."""
    counts, follows = invitations.progress()
    return render("staff/families/invitations.html", counts=counts, follows=follows,
                  labels=invitations.STATE_LABELS, waiting=len(invitations.not_invited()),
                  remind_form=RemindForm(), status=200)


@bp.route("/familles/invitations/inviter", methods=["POST"])
def invite_families():
    """Invite every imported family without a password, never invited yet."""
    if EmptyForm().validate_on_submit():
        count = invitations.invite(_me(), invitations.not_invited(), _link_for, _days_valid())
        flash(f"{count} invitation(s) mise(s) en file d'envoi." if count else
              "Aucune famille importée n'attend d'invitation.", "success" if count else "info")
    return redirect(url_for("staff.invitations_page"), code=303)


@bp.route("/familles/invitations/relancer", methods=["POST"])
def remind_families():
    """A new invitation to those who have not accepted after N days."""
    form = RemindForm()
    if form.validate_on_submit():
        users = invitations.to_remind(form.days.data, clock.utc_now())
        count = invitations.invite(_me(), users, _link_for, _days_valid())
        flash(f"{count} relance(s) mise(s) en file d'envoi." if count else
              "Personne à relancer.", "success" if count else "info")
        return redirect(url_for("staff.invitations_page"), code=303)
    counts, follows = invitations.progress()
    return render("staff/families/invitations.html", counts=counts, follows=follows,
                  labels=invitations.STATE_LABELS, waiting=len(invitations.not_invited()),
                  remind_form=form, status=422)
