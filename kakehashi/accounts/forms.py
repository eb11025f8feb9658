from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from kakehashi.accounts.models import InvitedRole
from kakehashi.accounts.services import MAX_PASSWORD_LENGTH, password_problem
from kakehashi.core.forms import localized_data, localized_field
from kakehashi.core.i18n import countries

LANGUAGE_CHOICES = [SelectChoice("ja", "日本語"), SelectChoice("en", "English")]


class NewPassword:
    """Validator: the password policy of ``accounts.services``, with the message in the user's language."""

    def __init__(self, email_field: str | None = "email") -> None:
        self.email_field = email_field

    def __call__(self, form: FlaskForm, field: PasswordField) -> None:
        email = getattr(form, self.email_field).data if self.email_field and hasattr(form, self.email_field) else None
        email = email or getattr(form, "account_email", None)
        problem = password_problem(field.data or "", email=email)
        if problem:
            raise ValidationError(problem)


def _email_field() -> EmailField:
    return EmailField(
        _l("Email address"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address, like name@example.com."), check_deliverability=False),
            Length(max=320),
        ],
    )


def _password_field(label: str | None = None) -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[DataRequired(message=_l("Enter a password.")), NewPassword()],
        description=_l("At least 8 characters. Long passphrases and any script are welcome."),
        render_kw={"autocomplete": "new-password", "maxlength": MAX_PASSWORD_LENGTH},
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class RegistrationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(message=_l("Enter your name.")), Length(max=200)])
    email = _email_field()
    password = _password_field()
    confirm = _confirm_field()
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class ResetRequestForm(FlaskForm):
    email = _email_field()


class SetPasswordForm(FlaskForm):
    """Reset or invitation: the account's email is known from the token (``account_email``)."""

    password = _password_field(_l("New password"))
    confirm = _confirm_field()

    def __init__(self, *args: object, account_email: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(message=_l("Enter your name.")), Length(max=200)])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = _password_field(_l("New password"))
    confirm = _confirm_field()

    def __init__(self, *args: object, account_email: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class ReauthenticateForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New email address"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address, like name@example.com."), check_deliverability=False),
            Length(max=320),
        ],
        render_kw={"autocomplete": "email"},
    )
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("I understand that my account and the data listed above are deleted for good."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class DeleteUserForm(FlaskForm):
    confirm = BooleanField(
        _l("Delete this account and its personal data for good"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class InviteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter a name.")), Length(max=200)])
    email = _email_field()
    role = SelectField(
        _l("Invite as"),
        choices=[],
        validators=[DataRequired()],
    )
    locale = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Labels are evaluated per request, in the viewer's language.
        self.role.choices = [
            SelectChoice(role.value, role.label) for role in InvitedRole if role is not InvitedRole.STARTUP_MEMBER
        ]


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("staff", _l("Staff")),
            SelectChoice("inactive", _l("Deactivated")),
            SelectChoice("invited", _l("Invitation pending")),
        ],
        validators=[Optional()],
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons."""


class StartupForm(FlaskForm):
    name = localized_field(
        _l("Startup name"), max_length=200, description=_l("As registered; add the other language if you have one.")
    )
    country = SelectField(_l("Country where the company is based"), validators=[DataRequired()])
    website = StringField(
        _l("Website"), validators=[Optional(), Length(max=300)], render_kw={"placeholder": "https://"}
    )
    founded_on = DateField(_l("Founded"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice(code, name) for code, name in countries()]

    def validate_website(self, field: StringField) -> None:
        if field.data:
            parts = urlsplit(field.data.strip())
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValidationError(_l("Enter a web address starting with https:// or http://."))

    def values(self) -> dict[str, Any]:
        return {
            "name": localized_data(self.name),
            "country": self.country.data,
            "website": (self.website.data or "").strip() or None,
            "founded_on": self.founded_on.data,
        }


class MemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter a name.")), Length(max=200)])
    email = StringField(
        _l("Email address"), validators=[DataRequired(message=_l("Enter an email address.")), Length(max=320)]
    )
    locale = SelectField(_l("Language"), choices=[SelectChoice("ja", "日本語"), SelectChoice("en", "English")])

    def validate_email(self, field: StringField) -> None:
        try:
            validate_email(field.data or "", check_deliverability=False)
        except EmailNotValidError as error:
            raise ValidationError(_l("Enter a valid email address, like name@example.com.")) from error
