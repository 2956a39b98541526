"""Forms of the INSCRIPTION tab."""
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget


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
