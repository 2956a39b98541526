"""The one path of every Valider / Refuser of the back office's queues (dossiers,
quotients, the children and guardians families declare)."""
from flask import flash, redirect, url_for

from blueprints.common import form_status


def review(form, item_id, show, act, refused, success, page):
    """A form with errors is shown again (nothing lost); else the domain's ``act(form)``
    runs, its refusal (``refused``, e.g. already reviewed in another tab) or
    ``success(form)`` is flashed, and the list is shown again (303 to ``page``)."""
    form.item_id = item_id
    if not form.validate_on_submit():
        return show(form, status=form_status(form))
    try:
        act(form)
    except refused as error:
        flash(str(error), "error")
    else:
        flash(success(form), "success")
    return redirect(url_for(page), code=303)
