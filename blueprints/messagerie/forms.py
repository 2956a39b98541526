"""Forms of the messagerie: NOUS ENVOYER UN MESSAGE and the reply in a thread."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import ValidationError

from blueprints.common import required_text
from domain.messaging.messages import ATTACHMENT_LABELS, check_attachments, services, theme_problem
from domain.uploads import MAX_ATTACHMENTS

SERVICE_PLACEHOLDER = "--- Veuillez sélectionner un service ---"
THEME_PLACEHOLDER = "--- Veuillez sélectionner un thème ---"
ATTACHMENT_FIELDS = tuple(f"attachment_{n}" for n in range(1, MAX_ATTACHMENTS + 1))
TOO_MANY_FILES = f"Vous pouvez joindre {MAX_ATTACHMENTS} fichiers au plus."
ACCEPTED_TYPES = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


class MessageForm(FlaskForm):
    """NOUS ENVOYER UN MESSAGE; the themes offered follow the chosen service."""

    service = SelectField("Service", validate_choice=False)
    theme = SelectField("Thème", validate_choice=False)
    subject = required_text("Objet", "Indiquez l'objet de votre message.", 150, "L'objet")
    body = required_text("Message",
                         "Écrivez votre message.", 5000, "Le message", field=TextAreaField)
    attachment_1 = FileField(ATTACHMENT_LABELS[0])
    attachment_2 = FileField(ATTACHMENT_LABELS[1])
    attachment_3 = FileField(ATTACHMENT_LABELS[2])
    attachment_4 = FileField(ATTACHMENT_LABELS[3])
    confirm_by_email = BooleanField("Confirmation par email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offered = services()  # the active services and their themes (one query)
        self.service.choices = [("", SERVICE_PLACEHOLDER)] + [(s, s) for s in self.offered]
        self.theme.choices = [("", THEME_PLACEHOLDER)] + [
            (theme, theme) for theme in self.offered.get(self.service.data, ())]

    @property
    def attachment_fields(self):
        """The four file fields, in order."""
        return [self[name] for name in ATTACHMENT_FIELDS]

    def validate_service(self, field):
        if not field.data:
            raise ValidationError("Sélectionnez un service.")
        if field.data not in self.offered:
            raise ValidationError("Ce service n'existe pas : choisissez-en un dans la liste.")

    def validate_theme(self, field):
        problem = theme_problem(self.service.data, field.data)
        if problem:
            raise ValidationError(problem)


class ReplyForm(FlaskForm):
    """Write again in a thread (family or staff)."""

    body = required_text("Votre réponse",
                         "Écrivez votre réponse.", 5000, "La réponse", field=TextAreaField)


class ReplyWithFilesForm(ReplyForm):
    """Write again in a thread with up to four attachments (family or staff), checked as
    in a new message (``domain.uploads``)."""

    attachment_1 = FileField(ATTACHMENT_LABELS[0])
    attachment_2 = FileField(ATTACHMENT_LABELS[1])
    attachment_3 = FileField(ATTACHMENT_LABELS[2])
    attachment_4 = FileField(ATTACHMENT_LABELS[3])

    @property
    def attachment_fields(self):
        """The four file fields, in order."""
        return [self[name] for name in ATTACHMENT_FIELDS]


def submitted_files(files):
    """The files of a request: ``([(field name, file)], too_many)``.

    Only the four attachment fields, one file each, are allowed; any other file
    (a forged fifth one) makes ``too_many`` true.
    """
    named, too_many = [], False
    for name in files:
        chosen = [f for f in files.getlist(name) if f and f.filename]
        if not chosen:
            continue
        if name not in ATTACHMENT_FIELDS or len(chosen) > 1:
            too_many = True
            continue
        named.append((name, chosen[0]))
    named.sort(key=lambda pair: ATTACHMENT_FIELDS.index(pair[0]))
    return named, too_many


def checked_reply(form, files):
    """A reply and its attachments checked together, before any file is saved:
    ``(checked files, None)``, or ``(None, (files_error, kept))`` with each file's error set
    on its field and ``kept`` the names of the files that were fine (to show again)."""
    named, too_many = submitted_files(files)
    checked, file_errors = check_attachments(named)
    if form.validate_on_submit() and not file_errors and not too_many:
        return checked, None
    for name, message in file_errors.items():
        form[name].errors = list(form[name].errors) + [message]
    kept = {name: f.filename for name, f in named if name not in file_errors}
    return None, (TOO_MANY_FILES if too_many else None, kept)
