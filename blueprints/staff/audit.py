"""Espace agents: the audit log, read only, filtered by family, agent and dates."""
import datetime

from flask import request, url_for

from blueprints.htmx import render
from blueprints.staff import bp
from blueprints.staff.forms import AuditFilterForm
from domain import audit
from domain.clock import paris_midnight_utc
from domain.family.search import SearchPage
from models import Family, User, parse_id

PER_PAGE = 50


def staff_choices():
    """Every staff account, for the "Agent" filter."""
    staff = User.select().where(User.role.in_([User.ROLE_AGENT, User.ROLE_ADMIN])) \
        .order_by(User.display_name, User.email)
    return [("", "Tous")] + [(str(u.id), u.display_name or u.email) for u in staff]


@bp.route("/journal/")
def audit_log():
    """Journal des modifications: who changed what, when, why; nothing edits it."""
    form = AuditFilterForm(request.args)
    form.agent.choices = staff_choices()
    family = user = since = until = None
    valid = form.validate()
    if valid and form.famille.data:
        number = parse_id(form.famille.data)
        family = Family.get_or_none(Family.account_number == number) \
            if number is not None else None
        if family is None:
            form.famille.errors.append("Aucune famille n'a ce numéro de compte.")
    if valid and form.agent.data:
        user = int(form.agent.data)
    if valid and form.du.data:
        since = paris_midnight_utc(form.du.data)
    if valid and form.au.data:
        until = paris_midnight_utc(form.au.data + datetime.timedelta(days=1))
    if form.du.data and form.au.data and form.au.data < form.du.data:
        form.au.errors.append("La date de fin précède la date de début.")
    action = request.args.get("action") if request.args.get("action") in audit.ACTION_LABELS \
        else None
    if form.errors:
        rows, result = [], SearchPage(query="")
    else:
        query = audit.entries(family=family, user=user, since=since, until=until, action=action)
        result = SearchPage(query="", total=query.count(), per_page=PER_PAGE)
        try:
            page = max(1, int(request.args.get("page", "1")))
        except ValueError:
            page = 1
        result.page = min(page, result.pages)
        rows = list(query.paginate(result.page, PER_PAGE))
    args = {k: v for k, v in request.args.items() if k != "page" and v}

    def page_url(number):
        return url_for("staff.audit_log", page=number, **args)

    return render("staff/audit/index.html", form=form, rows=rows, result=result,
                  page_url=page_url, action=action, action_label=audit.label_of(action or ""),
                  details_of=audit.details_of, label_of=audit.label_of,
                  changes_of=audit.changes_of, change_sentences=audit.change_sentences,
                  status=200)
