"""Espace agents: write first, to one family or to a group of families.

The form chooses who (one family, the families booked on a day or on an activity
over a period, those of a school, or every family), the service it comes from, the
subject and the text. Its button shows the recipients (their number and list)
first; "Envoyer" on that page sends: one thread in each family's MESSAGERIE and
one email each (``domain.messaging.outreach``).
"""
from flask import flash, redirect, request, url_for

from blueprints.common import thread_link
from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from blueprints.staff.closures import _activities
from blueprints.staff.exports import parse_day
from domain.booking.closures import open_schools
from domain.messaging import outreach
from domain.messaging.messages import ACTUALISATION_SERVICE, SERVICES
from models import parse_id

FIELDS = ("destinataires", "famille", "jour", "du", "au", "activite", "ecole", "service",
          "sujet", "message")
#: Services a message may come from (the actualisation has its own circuit).
WRITING_SERVICES = [s for s in SERVICES if s != ACTUALISATION_SERVICE]


def _form_page(values, errors=None, status=200):
    return render("staff/outreach/new.html", values=values, errors=errors or {},
                  audiences=outreach.AUDIENCES, activities=_activities(),
                  schools=open_schools(), services=WRITING_SERVICES, status=status)


def _read(form):
    """(Audience, service, subject, body) or raises OutreachError."""
    kind = form.get("destinataires", "")
    day = last = None
    if kind == outreach.DAY:
        day, error = parse_day(form.get("jour"), None)
        if error:
            raise outreach.OutreachError("jour", error)
    elif kind == outreach.ACTIVITY:
        day, error = parse_day(form.get("du"), None)
        if error:
            raise outreach.OutreachError("du", error)
        last, error = parse_day(form.get("au"), None)
        if error:
            raise outreach.OutreachError("au", error)
    activity = None
    if kind in (outreach.DAY, outreach.ACTIVITY) and form.get("activite"):
        activity_id = parse_id(form.get("activite"))
        activity = next((a for a in _activities() if a.id == activity_id), None)
        if activity is None:
            raise outreach.OutreachError("activite", "Choisissez une activité de la liste.")
    school = None
    if kind == outreach.SCHOOL and form.get("ecole"):
        school_id = parse_id(form.get("ecole"))
        school = next((s for s in open_schools() if s.id == school_id), None)
        if school is None:
            raise outreach.OutreachError("ecole", "Choisissez une école de la liste.")
    chosen = outreach.audience(kind, account=form.get("famille", ""), day=day, last_day=last,
                               activity=activity, school=school)
    service = form.get("service", "")
    if service not in WRITING_SERVICES:
        raise outreach.OutreachError("service", "Choisissez le service qui écrit.")
    subject, body = outreach.check_message(form.get("sujet"), form.get("message"))
    return chosen, service, subject, body


@bp.route("/messages/ecrire", methods=["GET", "POST"])
def write_to_families():
    """Write to one family or a group: the recipients first, then "Envoyer"."""
    if request.method == "GET":
        values = {"destinataires": outreach.ONE, "famille": request.args.get("famille", "")}
        return _form_page(values)
    values = {name: request.form.get(name, "") for name in FIELDS}
    if request.form.get("modifier") == "1":
        return _form_page(values)
    try:
        chosen, service, subject, body = _read(request.form)
    except outreach.OutreachError as error:
        return _form_page(values, {error.field: error.message}, status=422)
    families = outreach.recipients(chosen)
    if request.form.get("confirmer") != "1" or not families:
        return render("staff/outreach/confirm.html", values=values, audience=chosen,
                      families=families, addresses=outreach.addresses_of(families),
                      service=service, subject=subject, body=body)
    sent, emails = outreach.send(current_actor(), chosen, service,
                                 subject, body, thread_link)
    flash(f"Message « {subject} » envoyé à {sent} famille(s) ({emails} email(s) mis en "
          "file d'envoi) ; chacune le retrouve dans sa MESSAGERIE.", "success")
    return redirect(url_for("staff.messages", etat="tous"), code=303)
