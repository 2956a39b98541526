"""Every email the portal sends, one function each.

Each takes the address and the plain values its message shows (links are made
by the caller, which knows the site's URLs) and queues the mail in the outbox
(``domain.mail``), which the app delivers after the commit.
"""
from domain.formats import date_fr, time_fr
from domain.mail import send_email, send_many


def password_reset(address, link, minutes, user=None):
    """"Mot de passe oublié": the single-use reset link."""
    return send_email(address, "Portail Famille : réinitialisation de votre mot de passe",
                      "auth/email/reset_password", link=link, user=user, minutes=minutes)


def email_change_link(address, link, hours, family):
    """The signed link that confirms a new sign-in address, sent to that address."""
    return send_email(address, "Portail Famille : confirmez votre nouvelle adresse email",
                      "dossier/email/confirm_email", link=link, new_email=address,
                      hours=hours, family=family)


def email_changed(old_address, new_address, family):
    """Tell the old address that the sign-in address changed."""
    return send_email(old_address, "Portail Famille : votre adresse email a changé",
                      "dossier/email/email_changed", new_email=new_address, family=family)


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


def quotient_validated(address, declaration, bracket):
    """The declared quotient is validated, from its effective date."""
    return send_email(address, "Portail Famille : votre quotient familial est validé",
                      "dossier/email/quotient_valide", declaration=declaration,
                      bracket=bracket)


def quotient_refused(address, declaration, reason):
    """The declared quotient is refused, with the service's reason."""
    return send_email(address, "Portail Famille : votre déclaration de quotient familial",
                      "dossier/email/quotient_refuse", declaration=declaration, reason=reason)


def staff_replied(address, thread, message, link, filenames=()):
    """A service answered the family's message: the answer's text, its attachments'
    names and the link to the thread."""
    return send_email(address,
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
    return send_email(address, subject, "planning/email/recap", title=subject, recap=recap,
                      rows=recap.email_rows(), by_service=by_service, reason=reason)


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


def day_closed(address, family, day, what, reason, lines):
    """Staff closed a day the family had booked: its bookings are cancelled, not billed."""
    return send_email(address, f"Portail Famille : fermeture du {date_fr(day)}, "
                      "vos réservations sont annulées",
                      "staff/closures/email/day_closed", family=family, day=day, what=what,
                      reason=reason, lines=lines)
