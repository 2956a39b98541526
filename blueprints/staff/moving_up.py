"""Espace agents, administrateur: « Passage de classe » of next year, reviewed then
applied in one go (domain.catalogue.moving_up)."""
from flask import flash, redirect, request, url_for

from blueprints.common import EmptyForm, get_or_404
from blueprints.htmx import current_actor, render
from blueprints.staff import admin_bp
from domain.catalogue import moving_up
from models import School, SchoolYear, parse_id


def _page(year, errors=None, values=None, status=200):
    moves = moving_up.review(year)
    values = values or {}
    return render("staff/catalogue/moving_up.html", year=year, moves=moves,
                  schools=list(School.select().where(~School.archived).order_by(School.name)),
                  choices=moving_up.CHOICE_LABELS, errors=errors or {},
                  chosen={m.child.id: values.get(m.child.id, (m.choice, m.next_school))
                          for m in moves},
                  form=EmptyForm(), status=status)


@admin_bp.route("/catalogue/<int:year_id>/passage", methods=["GET", "POST"])
def moving_up_review(year_id):
    """The children's levels and schools of ``year`` (computed when it was prepared):
    staff mark the exceptions (maintien, another school, leaving) and apply them."""
    year = get_or_404(SchoolYear.select().where(SchoolYear.id == year_id))
    if request.method == "GET":
        return _page(year)
    form = EmptyForm()
    if not form.validate_on_submit():
        return _page(year, status=422)
    choices, schools = {}, {}
    for key, value in request.form.items():
        if key.startswith("choix-") and (child_id := parse_id(key[6:])):
            choices[child_id] = value
            schools[child_id] = request.form.get(f"ecole-{child_id}", "")
    try:
        counts = moving_up.apply_review(current_actor(), year, choices,
                                        schools)
    except moving_up.MoveRefused as refusal:
        return _page(year, refusal.errors,
                     {cid: (choices[cid], schools[cid]) for cid in choices}, status=422)
    flash(f"Passage de classe {year.label} enregistré : {counts['passage']} passage(s), "
          f"{counts['maintien']} maintien(s), {counts['autre_ecole']} changement(s) d'école, "
          f"{counts['sortie']} sortie(s).", "success")
    return redirect(url_for("staff.admin.moving_up_review", year_id=year.id), code=303)
