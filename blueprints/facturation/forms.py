"""Forms of FACTURATION; every message in French, next to its field."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class MandateForm(FlaskForm):
    """"Payer par prélèvement automatique": the account to debit and the family's consent.
    The IBAN and BIC are checked by the domain (``domain.billing.mandates``)."""

    holder = StringField("Titulaire du compte", validators=[
        DataRequired("Indiquez le nom du titulaire du compte."),
        Length(max=70, message="70 caractères au plus.")],
        render_kw={"autocomplete": "name"})
    iban = StringField("IBAN", validators=[
        DataRequired("Indiquez l'IBAN du compte à débiter."),
        Length(max=50, message="Un IBAN a 34 caractères au plus.")],
        render_kw={"autocomplete": "off", "spellcheck": "false"})
    bic = StringField("BIC (facultatif : trouvé à partir de l'IBAN)", validators=[
        Length(max=11, message="Un BIC a 8 ou 11 caractères.")],
        render_kw={"autocomplete": "off", "spellcheck": "false"})
    consent = BooleanField("J'autorise la commune à prélever mes factures sur ce compte, "
                           "selon le mandat ci-dessus.", validators=[
                               DataRequired("Cochez la case pour donner votre accord.")])
