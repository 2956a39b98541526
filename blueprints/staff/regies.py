"""Espace agents (administrateur): RÉGIES — list, add and edit the commune's régies,
and say which activities each collects for (audited)."""
from flask import flash, redirect, request, url_for

from blueprints.common import form_status, get_or_404
from blueprints.htmx import current_actor, render
from blueprints.staff import admin_bp
from blueprints.staff.forms import RegieForm
from domain import clock
from domain.billing import regies
from models import Regie, parse_id


@admin_bp.route("/facturation/regies/")
def regies_page():
    """Every régie with its numbering, its PayFiP number and its activities."""
    every = regies.all_regies()
    return render("staff/regies/index.html", regies=every, year=clock.today().year,
                  activities=regies.activities_by_regie(every[0].id))


def _edit(regie):
    """The form of ``regie`` (None: a new one); saved, back to the list."""
    main = regies.main_regie()
    mine = {a.id for a in regies.activities_by_regie(main.id).get(regie.id, [])} \
        if regie else set()
    form = RegieForm(obj=regie)
    chosen = mine
    if form.is_submitted():
        chosen = {parse_id(raw) for raw in request.form.getlist("activities")} - {None}
    if form.validate_on_submit():
        values = (form.name.data, form.invoice_prefix.data, form.credit_prefix.data,
                  form.payfip_client.data, chosen)
        try:
            saved = (regies.update_regie(current_actor(), regie.id, *values) if regie
                     else regies.create_regie(current_actor(), *values))
        except regies.RegieError as refusal:
            form[refusal.field].errors.append(str(refusal))
        else:
            flash(f"La régie « {saved.name} » est enregistrée.", "success")
            return redirect(url_for("staff.admin.regies_page"), code=303)
    return render("staff/regies/edit.html", form=form, regie=regie,
                  is_main=regie is not None and regie.id == main.id,
                  activities=regies.every_activity(), chosen=chosen, main=main,
                  regie_names={r.id: r.name for r in regies.all_regies()},
                  status=form_status(form))


@admin_bp.route("/facturation/regies/nouvelle", methods=["GET", "POST"])
def new_regie():
    return _edit(None)


@admin_bp.route("/facturation/regies/<int:regie_id>/modifier", methods=["GET", "POST"])
def edit_regie(regie_id):
    return _edit(get_or_404(Regie.select().where(Regie.id == regie_id)))
