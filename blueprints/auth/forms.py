"""Forms of the auth blueprint."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from domain.family.passwords import password_problem


class LoginForm(FlaskForm):
    identifier = StringField("N° de compte ou adresse email",
                             validators=[DataRequired("Indiquez votre n° de compte ou votre email."),
                                         Length(max=200)])
    password = PasswordField("Mot de passe",
                             validators=[DataRequired("Indiquez votre mot de passe.")])
    remember = BooleanField("Rester connecté sur cet appareil")
    next = HiddenField()
    submit = SubmitField("Se connecter")


class ForgotPasswordForm(FlaskForm):
    identifier = StringField("N° de compte ou adresse email",
                             validators=[DataRequired("Indiquez votre n° de compte ou votre email."),
                                         Length(max=200)])
    submit = SubmitField("Recevoir un lien")


class NewPasswordForm(FlaskForm):
    password = PasswordField("Nouveau mot de passe (12 caractères au moins)",
                             validators=[DataRequired("Choisissez un mot de passe.")])
    confirm = PasswordField("Confirmez le mot de passe",
                            validators=[DataRequired("Confirmez le mot de passe."),
                                        EqualTo("password", "Les deux mots de passe diffèrent.")])
    submit = SubmitField("Enregistrer le mot de passe")

    def validate_password(self, field):
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Mot de passe actuel",
                            validators=[DataRequired("Indiquez votre mot de passe actuel.")])


class SecondFactorForm(FlaskForm):
    """The second step of a staff sign-in: a code of the app or a recovery code."""

    code = StringField("Code à 6 chiffres ou code de secours",
                       validators=[DataRequired("Indiquez le code affiché par votre application "
                                                "ou l'un de vos codes de secours."),
                                   Length(max=40, message="Ce code est trop long.")])


class EnrolmentForm(FlaskForm):
    """Confirm the authenticator app with its first code."""

    code = StringField("Code à 6 chiffres affiché par l'application",
                       validators=[DataRequired("Indiquez le code affiché par l'application."),
                                   Length(max=20, message="Ce code est trop long.")])
