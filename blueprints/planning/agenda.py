"""PLANNING › "Mon agenda": the family's private calendar address, to subscribe to from a
phone's calendar; renewed (the old one stops) or removed."""
from flask import abort, flash, redirect, url_for
from flask_login import current_user

from blueprints.common import EmptyForm, public_url, render
from blueprints.planning import bp
from domain import clock
from domain.booking import calendar_feed


@bp.route("/agenda")
def agenda():
    """The address (if any), how to subscribe, and the buttons."""
    feed = calendar_feed.live_feed(current_user.family_id)
    address = public_url("agenda.feed", token=feed.token) if feed else None
    return render("planning/agenda.html", address=address,
                  webcal=address.replace("https://", "webcal://").replace("http://", "webcal://")
                  if address else None,
                  renew_form=EmptyForm(prefix="renouveler"), revoke_form=EmptyForm(prefix="retirer"))


@bp.route("/agenda/renouveler", methods=["POST"])
def agenda_renew():
    """A new address; the old one answers 410 from now on."""
    if not EmptyForm(prefix="renouveler").validate_on_submit():
        abort(400)
    had = calendar_feed.live_feed(current_user.family_id) is not None
    calendar_feed.renew(current_user.family_id, clock.now())
    flash("Nouvelle adresse créée : l'ancienne ne fonctionne plus." if had else
          "Votre adresse d'agenda est créée.", "success")
    return redirect(url_for("planning.agenda"), code=303)


@bp.route("/agenda/retirer", methods=["POST"])
def agenda_revoke():
    """No address any more: the agenda apps that use it stop receiving the days."""
    if not EmptyForm(prefix="retirer").validate_on_submit():
        abort(400)
    if calendar_feed.revoke(current_user.family_id, clock.now()):
        flash("Votre adresse d'agenda est supprimée.", "success")
    return redirect(url_for("planning.agenda"), code=303)
