"""Espace agents (administrateur): ÉCOLES — list, add, edit, archive a school."""
from flask import flash, redirect, url_for
from flask_login import current_user

from blueprints.common import EmptyForm, form_status, get_or_404, render
from blueprints.staff import admin_bp
from blueprints.staff.family_forms import SchoolForm
from domain.catalogue import schools
from models import School, parse_id


def _me():
    return current_user._get_current_object()


@admin_bp.route("/ecoles/")
def schools_page():
    """The commune's schools with their levels and where their GS go for CP."""
    return render("staff/schools/index.html", schools=schools.all_schools())


def _form(school=None):
    form = SchoolForm(obj=school, data=None if school is None else {
        "levels": list(school.level_list),
        "next_school": str(school.next_school_id or "")})
    form.next_school.choices = [("", "Nulle part (l'école a aussi des CP)")] + [
        (str(s.id), s.name) for s in schools.active_schools()
        if school is None or s.id != school.id]
    return form


def _edit(school):
    form = _form(school)
    if form.validate_on_submit():
        try:
            saved = schools.save_school(_me(), school, form.name.data, form.kind.data,
                                        form.levels.data, parse_id(form.next_school.data))
        except schools.SchoolProblem as problem:
            form[problem.field].errors.append(str(problem))
        else:
            flash(f"L'école {saved.name} est enregistrée.", "success")
            return redirect(url_for("staff.admin.schools_page"), code=303)
    return render("staff/schools/edit.html", form=form, school=school,
                  status=form_status(form))


@admin_bp.route("/ecoles/nouvelle", methods=["GET", "POST"])
def new_school():
    return _edit(None)


@admin_bp.route("/ecoles/<int:school_id>/modifier", methods=["GET", "POST"])
def edit_school(school_id):
    return _edit(get_or_404(School.select().where(School.id == school_id)))


@admin_bp.route("/ecoles/<int:school_id>/archiver", methods=["POST"])
def archive_school(school_id):
    """Archive a school (no longer offered in the forms) or bring it back."""
    school = get_or_404(School.select().where(School.id == school_id))
    if EmptyForm().validate_on_submit():
        schools.set_archived(_me(), school, not school.archived)
        flash(f"L'école {school.name} est {'archivée' if school.archived else 'réactivée'}.",
              "success")
    return redirect(url_for("staff.admin.schools_page"), code=303)
