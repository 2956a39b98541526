"""Espace agents (administrateur): « Paramètres de la commune ».

Its name, addresses and contact, the régie's address and hours, the logo, the
school-holiday zone, the monthly deadline day and the main inscription period: one
form, saved by :func:`domain.staff.commune_settings.update` (checked and audited), every
rule of the portal reading them from ``domain.commune``.
"""
from flask import flash, redirect, url_for

from blueprints.common import commune_settings, form_status
from blueprints.htmx import current_actor, render
from blueprints.staff import admin_bp
from blueprints.staff.commune_forms import CommuneSettingsForm
from domain import commune
from domain.staff import commune_settings as settings_page


def _form_of(current):
    """The form filled with the settings as they are."""
    return CommuneSettingsForm(
        formdata=None, name=current.name, address=current.address,
        contact_email=current.contact_email or "", phone=current.phone,
        regie_address=current.regie_address, regie_hours=current.regie_hours,
        holiday_zone=current.holiday_zone, deadline_day=current.deadline_day,
        main_period_opens="%02d/%02d" % tuple(reversed(current.main_period_opens)),
        main_period_closes="%02d/%02d" % tuple(reversed(current.main_period_closes)))


def _save(form):
    """Save a valid form; False with the French message next to its field when refused."""
    try:
        logo = None
        if form.logo.data and getattr(form.logo.data, "filename", ""):
            logo = settings_page.checked_logo(form.logo.data)
        settings_page.update(current_actor(), form.values(), new_logo=logo,
                       remove_logo=bool(form.remove_logo.data))
    except commune.SettingsProblem as problem:
        form[problem.field].errors = list(form[problem.field].errors) + [str(problem)]
        return False
    return True


@admin_bp.route("/commune", methods=["GET", "POST"])
def commune_settings_page():
    """Show and change the commune's settings."""
    form = CommuneSettingsForm()
    if form.is_submitted():
        if form.validate() and _save(form):
            flash("Les paramètres de la commune sont enregistrés.", "success")
            return redirect(url_for("staff.admin.commune_settings_page"), code=303)
    else:
        form = _form_of(commune_settings())
    return render("staff/commune/settings.html", form=form, current=commune_settings(),
                  status=form_status(form))
