"""Forms of the INSCRIPTION tab."""
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.dossier.forms import FrenchDateField


class InscriptionForm(FlaskForm):
    """The lines a parent ticks for one child, then "ENREGISTRER".

    Built with ``prefix=f"enfant-{child.id}"`` so that each child's form on the
    page has its own field names and ids. Choices are checked by
    ``domain.booking.inscription.chosen_activities`` (clear French messages), not here.
    """

    activites = SelectMultipleField("Activités à ouvrir", coerce=str, validate_choice=False,
                                    widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput())
    submit = SubmitField("ENREGISTRER")


class CloseLineForm(FlaskForm):
    """« Désinscrire » one open line from a date (prefix ``ligne-<enrolment id>``)."""

    closed_from = FrenchDateField("À partir du", [DataRequired("Indiquez la date.")])
    submit = SubmitField("Désinscrire")


class SwitchLineForm(FlaskForm):
    """« Changer pour » another line of the same exclusive group, from a date."""

    # No DataRequired: its first option is a real line (HTML refuses "required" then);
    # a missing or foreign line is refused by domain.booking.closing.switch_line.
    target = SelectField("Remplacer par", validate_choice=False)
    switch_from = FrenchDateField("À partir du", [DataRequired("Indiquez la date.")])
    submit = SubmitField("Changer")
