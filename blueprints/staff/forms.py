"""Forms of the back office; every message in French, next to its field."""
import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, ValidationError

from blueprints.common import required_text
from blueprints.dossier.forms import FrenchDateField, quotient_field
from blueprints.messagerie.forms import ReplyWithFilesForm
from domain.clock import today
from domain.family.documents import COMMUNE_CATEGORIES, FAMILY_CATEGORIES
from domain.messaging.messages import MAX_SERVICE_NAME, service_names
from domain.staff.accounts import ROLE_LABELS, STAFF_ROLES
from models import Child


class RefusalForm(FlaskForm):
    """Refuser: the reason is required, it is sent to the family."""

    reason = required_text("Motif du refus",
                           "Indiquez le motif du refus : il est envoyé à la famille.", 2000,
                           "Le motif", field=TextAreaField)


class QuotientValidationForm(FlaskForm):
    """Valider a declared quotient from an effective date."""

    effective_from = FrenchDateField("Date d'effet", [DataRequired("Indiquez la date d'effet.")])


class QuotientCorrectionForm(FlaskForm):
    """Correct a declared quotient's value (misread) before validating it."""

    quotient = quotient_field("Quotient lu sur l'attestation", "Indiquez le quotient familial.")
    reason = StringField("Motif (facultatif)", [Optional(), Length(max=200, message=(
        "Le motif ne doit pas dépasser 200 caractères."))])


class ChildForm(FlaskForm):
    """A child's identity and schooling, which only the service changes."""

    last_name = StringField("Nom", [DataRequired("Indiquez le nom."),
                                    Length(max=100, message="100 caractères au plus.")])
    first_name = StringField("Prénom", [DataRequired("Indiquez le prénom."),
                                        Length(max=100, message="100 caractères au plus.")])
    birth_date = FrenchDateField("Date de naissance", [Optional()])
    school_name = StringField("École", [Length(max=120, message="120 caractères au plus.")])
    school_type = SelectField("Type d'école", choices=list(Child.SCHOOL_TYPE_LABELS.items()),
                              validate_choice=False,
                              validators=[AnyOf(list(Child.SCHOOL_TYPE_LABELS),
                                                message="Choisissez un type d'école de la liste.")])
    class_level = SelectField("Classe", choices=[(level, level) for level in Child.LEVELS],
                              validate_choice=False,
                              validators=[AnyOf(list(Child.LEVELS),
                                                message="Choisissez une classe de la liste.")])

    def validate_birth_date(self, field):
        """Not in the future, not absurdly old for a school child."""
        if field.data and not datetime.date(2000, 1, 1) <= field.data <= today():
            raise ValidationError("Indiquez une date de naissance plausible (JJ/MM/AAAA).")


class AuditFilterForm(FlaskForm):
    """Filters of the audit log (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    famille = StringField("Famille (n° de compte)", validators=[Optional(), Length(max=9)])
    agent = SelectField("Agent", validate_choice=False, validators=[Optional()])

    def validate_agent(self, field):
        """A staff account of the list (a forged value says so in French)."""
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choisissez un agent de la liste.")
    du = FrenchDateField("Du", [Optional()])
    au = FrenchDateField("Au", [Optional()])


EMAIL_EXAMPLE = "Cette adresse email n'est pas valide. Exemple : prenom.nom@exemple.fr"
RELATIONSHIPS = ("Mère", "Père", "Tuteur / tutrice", "Autre")


class DisplayPeriodForm(FlaskForm):
    """What is shown to families between two optional dates (news, commune documents)."""

    display_from = FrenchDateField("Afficher à partir du", [Optional()])
    display_until = FrenchDateField("Afficher jusqu'au", [Optional()])

    def validate_display_until(self, field):
        """The last day shown cannot come before the first."""
        if field.data and self.display_from.data and field.data < self.display_from.data:
            raise ValidationError("La date de fin doit suivre la date de début.")


class FamilyAccountForm(FlaskForm):
    """Créer un compte famille: the family, its first guardian, the sign-in email."""

    family_name = required_text("Nom de la famille",
                                "Indiquez le nom de la famille.", 80, "Le nom",
                                render_kw={"autocomplete": "off"})
    guardian_last_name = required_text("Nom du responsable légal",
                                       "Indiquez le nom du responsable légal.", 80, "Le nom")
    guardian_first_name = required_text("Prénom du responsable légal",
                                        "Indiquez le prénom du responsable légal.", 80,
                                        "Le prénom")
    relationship = SelectField("Lien avec les enfants", validate_choice=False,
                               choices=[("", "--- Non précisé ---")]
                               + [(r, r) for r in RELATIONSHIPS])
    email = EmailField("Adresse email (identifiant de connexion)", validators=[
        DataRequired("Indiquez l'adresse email du responsable légal."),
        Length(max=200, message="L'adresse ne doit pas dépasser 200 caractères."),
        Email(EMAIL_EXAMPLE)])

    def validate_relationship(self, field):
        if field.data and field.data not in RELATIONSHIPS:
            raise ValidationError("Choisissez un lien dans la liste.")


class RoleForm(FlaskForm):
    """An agent's role: agent or administrateur."""

    role = SelectField("Rôle", validate_choice=False,
                       choices=[(r, ROLE_LABELS[r]) for r in STAFF_ROLES])

    def validate_role(self, field):
        if field.data not in STAFF_ROLES:
            raise ValidationError("Choisissez le rôle : agent ou administrateur.")


class StaffAccountForm(RoleForm):
    """Créer un compte agent (administrateur only)."""

    display_name = required_text("Prénom et nom",
                                 "Indiquez le prénom et le nom de l'agent.", 120, "Le nom")
    email = EmailField("Adresse email professionnelle", validators=[
        DataRequired("Indiquez l'adresse email de l'agent."),
        Length(max=200, message="L'adresse ne doit pas dépasser 200 caractères."),
        Email(EMAIL_EXAMPLE)])


class StaffReplyForm(ReplyWithFilesForm):
    """The staff answer in a thread, with up to four attachments (the family side's checks)."""


class ServiceMailboxForm(FlaskForm):
    """A service of the MESSAGERIE: the address told of each new family message (empty:
    none), whether families may write to it, its themes (one per line)."""

    email = EmailField("Adresse email du service", validators=[
        Optional(), Length(max=200, message="L'adresse ne doit pas dépasser 200 caractères."),
        Email(EMAIL_EXAMPLE)])
    active = BooleanField("Actif (proposé aux familles)")
    themes = TextAreaField("Thèmes (un par ligne)", validators=[
        Length(max=2000, message="Les thèmes ne doivent pas dépasser 2000 caractères.")])


class NewServiceForm(ServiceMailboxForm):
    """Ajouter un service à la MESSAGERIE."""

    name = required_text("Nom du service", "Indiquez le nom du service.", MAX_SERVICE_NAME,
                         "Le nom")


class NewsForm(DisplayPeriodForm):
    """Write a news item: title, text, service, display dates."""

    title = required_text("Titre", "Indiquez le titre de l'actualité.", 150, "Le titre")
    body = required_text("Texte",
                         "Écrivez le texte de l'actualité.", 5000, "Le texte",
                         field=TextAreaField)
    service = SelectField("Service", validate_choice=False)
    email_families = BooleanField("À la publication, l'envoyer aussi par email à toutes les "
                                  "familles")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service.choices = [("", "--- Tous les services ---")] + [
            (s, s) for s in service_names()]

    def validate_service(self, field):
        if field.data and field.data not in dict(self.service.choices):
            raise ValidationError("Choisissez un service dans la liste.")


class DocumentForm(FlaskForm):
    """The category, title and file of a document put online; ``CATEGORIES`` are the
    categories offered."""

    CATEGORIES: tuple = ()

    title = required_text("Titre", "Indiquez le titre du document.", 150, "Le titre")
    file = FileField("Fichier (PDF, JPEG ou PNG, 6 Mo au plus)")

    def validate_category(self, field):
        """One of the categories offered (a forged value says so in French)."""
        if field.data not in dict(self.CATEGORIES):
            raise ValidationError("Choisissez une catégorie dans la liste.")


def category_field(categories):
    """The choice of a document's category, with an empty first choice."""
    return SelectField("Catégorie", validate_choice=False,
                       choices=[("", "--- Choisissez une catégorie ---")] + list(categories))


class CommuneDocumentForm(DisplayPeriodForm, DocumentForm):
    """Put a document online for every family."""

    CATEGORIES = tuple(COMMUNE_CATEGORIES)
    category = category_field(COMMUNE_CATEGORIES)


class FamilyDocumentForm(DocumentForm):
    """Put a document in one family's « Mes documents dématérialisés »."""

    CATEGORIES = tuple(FAMILY_CATEGORIES)
    account_number = StringField("N° de compte de la famille", validators=[
        DataRequired("Indiquez le n° de compte de la famille.")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    category = category_field(FAMILY_CATEGORIES)


class StaffCloseLineForm(FlaskForm):
    """Staff close a child's line from any date of the year, with a reason; or, for a line
    of an exclusive group, switch it to another line of the group from that date."""

    CLOSE = "fermer"

    # No DataRequired: its first option is a real choice (HTML refuses "required" then);
    # anything else than CLOSE or a sibling line is refused by the domain.
    target = SelectField("Action", validate_choice=False)
    closed_from = FrenchDateField("À partir du", [DataRequired("Indiquez la date.")])
    reason = required_text("Motif", "Indiquez le motif de la fermeture.", 250, "Le motif",
                           field=TextAreaField)


class RegieForm(FlaskForm):
    """A régie: its name, its numbering's prefixes, its PayFiP number, its activities
    (the domain checks prefixes and numbers, with a message by the field)."""

    name = StringField("Nom de la régie", [DataRequired("Indiquez le nom de la régie."),
                                           Length(max=120, message="120 caractères au plus.")])
    invoice_prefix = StringField("Préfixe des factures", [
        DataRequired("Indiquez le préfixe des factures."),
        Length(max=4, message="4 lettres au plus.")])
    credit_prefix = StringField("Préfixe des avoirs", [
        DataRequired("Indiquez le préfixe des avoirs."),
        Length(max=4, message="4 lettres au plus.")])
    payfip_client = StringField("Numéro client PayFiP", [
        Optional(), Length(max=6, message="6 chiffres.")])
