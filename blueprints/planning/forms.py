"""Forms of PLANNING - RÉSERVATIONS (CSRF on every one).

The month grid's checkboxes are many and dynamic: the view reads them from
``request.form.getlist("jours")`` and ``domain.booking.days`` checks them; its
form is plain HTML with the CSRF token. The phone flow has a real form.
"""
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, SubmitField
from wtforms.validators import InputRequired

from domain.formats import date_fr, day_label

NO_BOOKING = "0"


class DayForm(FlaskForm):
    """The phone flow: one day, one modalité d'accueil, VALIDER."""

    ligne = HiddenField()
    vue = HiddenField()
    du = HiddenField()
    jour = SelectField("Jour", validators=[InputRequired("Choisissez un jour.")],
                       validate_choice=False)
    modalite = RadioField("Modalité d'accueil", validate_choice=False,
                          validators=[InputRequired("Choisissez une modalité d'accueil.")])
    submit = SubmitField("VALIDER")

    def set_choices(self, line, days):
        """The open days of the range that can be changed, and the line's modalités."""
        self.jour.choices = [("", "— Choisissez un jour —")] + [
            (day.isoformat(), f"{day_label(day)} ({date_fr(day)})") for day in days]
        self.modalite.choices = [(str(m.id), m.name) for m in line.modalites] + [
            (NO_BOOKING, "Pas de réservation ce jour-là")]
