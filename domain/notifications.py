"""Every email the portal sends, one function each.

Each takes the address and the plain values its message shows (links are made
by the caller, which knows the site's URLs) and queues the mail in the outbox
(``domain.mail``), which the app delivers after the commit.
"""
from markupsafe import Markup, escape

from domain import email_prefs
from domain.formats import date_fr, time_fr
from domain.mail import send_email, send_many, unsubscribe_headers, unsubscribe_url


def _optional(address, kind, subject, template, **context):
    """Send an email of the optional ``kind`` (``domain.email_prefs``) unless its
    recipient refused that kind; it carries the one-click unsubscribe link (in the body
    and RFC 8058's headers). Returns the queued email, or None when not sent."""
    if not email_prefs.wanted(address, kind):
        return None
    user = email_prefs.family_user_of(address)
    url = unsubscribe_url(user.id, kind) if user is not None else None
    return send_email(address, subject, template,
                      mail_headers=unsubscribe_headers(url) if url else None,
                      unsubscribe_link=url, unsubscribe_kind=email_prefs.LABELS[kind],
                      **context)


def password_reset(address, link, minutes, user=None):
    """"Mot de passe oublié": the single-use reset link."""
    return send_email(address, "Portail Famille : réinitialisation de votre mot de passe",
                      "auth/email/reset_password", link=link, user=user, minutes=minutes)


def email_change_link(address, link, hours, family):
    """The signed link that confirms a new sign-in address, sent to that address."""
    return send_email(address, "Portail Famille : confirmez votre nouvelle adresse email",
                      "dossier/email/confirm_email", link=link, new_email=address,
                      hours=hours, family=family)


def email_changed(old_address, new_address, family, by_service=False):
    """Tell the old address that the sign-in address changed (``by_service``: the
    municipal service changed the guardian's email, and the sign-in address followed)."""
    return send_email(old_address, "Portail Famille : votre adresse email a changé",
                      "dossier/email/email_changed", new_email=new_address, family=family,
                      by_service=by_service)


def actualisation_validated(address, family, school_year, validation):
    """The guide's acknowledgement ("accusé"): the dossier of the year is validated."""
    return send_email(address, f"Portail Famille : votre dossier {school_year.label} est validé",
                      "dossier/email/actualisation_validee", family=family,
                      school_year=school_year, validation=validation)


def actualisation_refused(address, family, school_year, reason):
    """The actualisation cannot be validated as it is: the service's reason."""
    return send_email(address,
                      f"Portail Famille : votre dossier {school_year.label} est à compléter",
                      "dossier/email/actualisation_refusee", family=family,
                      school_year=school_year, reason=reason)


def quotient_validated(address, declaration, bracket, prices=(), repriced=None):
    """The declared quotient is validated, from its effective date: the new prices of the
    family's lines, and what changes on days already invoiced."""
    return send_email(address, "Portail Famille : votre quotient familial est validé",
                      "dossier/email/quotient_valide", declaration=declaration,
                      bracket=bracket, prices=list(prices), repriced=repriced)


def quotient_refused(address, declaration, reason):
    """The declared quotient is refused, with the service's reason."""
    return send_email(address, "Portail Famille : votre déclaration de quotient familial",
                      "dossier/email/quotient_refuse", declaration=declaration, reason=reason)


def staff_replied(address, thread, message, link, filenames=()):
    """A service answered the family's message: the answer's text, its attachments'
    names and the link to the thread."""
    return _optional(address, email_prefs.REPLIES,
                     f"Portail Famille : réponse à votre message « {thread.subject} »",
                     "messagerie/email/staff_reply", thread=thread, message=message,
                      link=link, filenames=list(filenames))


def new_family_message(address, family, thread, message, attachments, link):
    """Tell a service's own address that a family wrote (the text stays in the portal)."""
    return send_email(address,
                      f"Portail Famille : nouveau message de la famille {family.name} "
                      f"({family.account_number}) – {thread.subject}",
                      "messagerie/email/new_family_message", family=family, thread=thread,
                      message=message, attachments=attachments, link=link)


def invitation(address, link, days, user):
    """An account created by staff: the single-use link to choose a first password."""
    return send_email(address, "Portail Famille : votre compte est créé, choisissez votre "
                      "mot de passe", "auth/email/invitation", link=link, days=days, user=user)


def message_confirmation(address, thread, message, filenames, link):
    """"Confirmation par email" of the family's own message."""
    return send_email(address,
                      f"Portail Famille : confirmation de votre message « {thread.subject} »",
                      "messagerie/email/confirmation", thread=thread, message=message,
                      filenames=filenames, link=link)


def booking_recap(address, recap, now, by_service=False, reason=""):
    """"Récapitulatif de vos réservations du DD/MM/YYYY à HHhMM", after TERMINER;
    ``by_service``: the service made the changes for the family (with its ``reason``)."""
    subject = f"Récapitulatif de vos réservations du {date_fr(now)} à {time_fr(now)}"
    if by_service:
        subject += " (modifié par le service)"
    rows_text, rows_html = recap_table(recap.email_rows())
    return send_email(address, subject, "planning/email/recap", title=subject, recap=recap,
                      rows_text=rows_text, rows_html=rows_html, by_service=by_service,
                      reason=reason)


def recap_table(rows):
    """(text, HTML) of the recap email's table rows: ``a | b | …`` lines, and ``<tr>`` rows
    with each cell escaped. Joined here in one pass: a family's whole month (96 rows and
    more) through the templates' loops was most of the email's rendering."""
    text = "".join(" | ".join(row) + "\n" for row in rows)
    html = "".join("\n<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return text, Markup(html)


def waiting_list_booked(address, recap):
    """A place freed on a day the family waited for: it is now booked (``recap``'s
    lines, priced at the family's tariff)."""
    return send_email(address, "Portail Famille : une place s'est libérée, elle est réservée",
                      "planning/email/waiting_list_booked", recap=recap,
                      rows=recap.email_rows())


def invoices_issued(items):
    """"Votre facture de janvier 2027 est disponible": ``items`` are (address, values)
    with the invoice's number, month, amount, due date and the link; bulk-queued."""
    return send_many([(address, f"Votre facture de {values['month']} est disponible",
                       "facturation/email/invoice", dict(values, reminder=False))
                      for address, values in items])


def invoice_reminders(items):
    """The reminder of an unpaid invoice past due (same values as ``invoices_issued``)."""
    return send_many([(address, f"Votre facture de {values['month']} est transmise au Trésor "
                                "public" if values.get("handed_over") else
                       f"Rappel : votre facture de {values['month']} reste à régler",
                       "facturation/email/invoice", dict(values, reminder=True))
                      for address, values in items])


def day_closed(address, family, first_day, last_day, what, reason, lines):
    """Staff closed days the family had booked: its bookings are cancelled, not billed."""
    days = (f"du {date_fr(first_day)}" if first_day == last_day
            else f"du {date_fr(first_day)} au {date_fr(last_day)}")
    return send_email(address, f"Portail Famille : fermeture {days}, "
                      "vos réservations sont annulées",
                      "staff/closures/email/day_closed", family=family, days=days, what=what,
                      reason=reason, lines=lines)


def line_closed(address, closed, by_service=False, reason=""):
    """A line closed (or switched to another) from a date: the days cancelled, those kept
    because already invoiced, the line that replaces it."""
    child, activity = closed.child, closed.activity
    what = (f"{activity.name} remplacée par {closed.switched_to.name}" if closed.switched_to
            else f"désinscription de {activity.name}")
    return send_email(address, f"Portail Famille : {child.first_name}, {what} à partir du "
                      f"{date_fr(closed.closed_from)}", "inscription/email/line_closed",
                      closed=closed, by_service=by_service, reason=reason)
def day_reopened(address, family, request, restored, refused):
    """Staff lifted a closure: the bookings given back, and those that could not be."""
    return send_email(address, f"Portail Famille : réouverture {request.days_label}",
                      "staff/closures/email/day_reopened", family=family,
                      days=request.days_label, what=request.scope_label, restored=restored,
                      refused=refused)


def deadline_reminder(address, family, subject, deadline, what, link):
    """A reminder a few days before a booking deadline (``what``: the lines and days
    still to book); optional: the recipient may refuse reminders."""
    return _optional(address, email_prefs.REMINDERS, subject, "planning/email/deadline_reminder",
                     family=family, deadline=deadline, what=what, link=link)
