"""Staff's forms for a call's judges, conflicts of interest and assignments.

Select fields get their choices from the view (the call's judges, its judged applications); the
objects behind the chosen ids come back as ``form.judge`` / ``form.application``, so the view needs
no second look-up and a crafted id outside the choices is refused like any invalid input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, ValidationError

from kakehashi.accounts.forms import LANGUAGE_CHOICES
from kakehashi.accounts.models import User
from kakehashi.applications.judging.services import parse_expertise
from kakehashi.applications.models import Application


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class InviteJudgeForm(FlaskForm):
    name = StringField(
        _l("Name"), filters=[_strip], validators=[DataRequired(message=_l("Enter a name.")), Length(max=200)]
    )
    email = EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter an email address.")),
            Email(message=_l("Enter a valid email address, like name@example.com."), check_deliverability=False),
            Length(max=320),
        ],
    )
    expertise = StringField(
        _l("Expertise"),
        validators=[Length(max=1000)],
        description=_l(
            "Tags separated by commas, for example: FinTech, payments, AI. "
            "Judges whose tags match the call's vertical are preferred when assigning."
        ),
    )
    locale = SelectField(
        _l("Language of the invitation"),
        choices=LANGUAGE_CHOICES,
        description=_l("People who already have an account get email in the language they chose."),
    )

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "email": self.email.data,
            "expertise": parse_expertise(self.expertise.data or ""),
            "locale": self.locale.data,
        }


def _judge_label(user: User) -> str:
    return f"{user.name} <{user.email}>"


class _ChoosesJudge:
    """A ``judge_id`` select over the judges given; ``judge`` is the chosen :class:`User`."""

    judge_id: SelectField
    _judges: dict[int, User]

    def _set_judges(self, judges: Sequence[User]) -> None:
        self._judges = {user.id: user for user in judges}
        self.judge_id.choices = [SelectChoice(user.id, _judge_label(user)) for user in judges]

    def validate_judge_id(self, field: SelectField) -> None:
        if field.data not in self._judges:
            raise ValidationError(_l("Choose a judge of this call."))

    @property
    def judge(self) -> User:
        return self._judges[self.judge_id.data]


def _optional_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ConflictForm(_ChoosesJudge, FlaskForm):
    judge_id = SelectField(_l("Judge"), coerce=_optional_int, validate_choice=False)
    application_id = SelectField(_l("Startup"), coerce=_optional_int, validate_choice=False)
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Say why this judge should not judge this startup.")), Length(max=2000)],
        description=_l("For example: the judge's fund has invested in it, or they work for the same employer."),
        render_kw={"rows": 2},
    )

    def __init__(
        self, *args: Any, judges: Sequence[User], applications: Sequence[tuple[Application, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._set_judges(judges)
        self._applications = {application.id: application for application, _name in applications}
        self.application_id.choices = [SelectChoice(application.id, name) for application, name in applications]

    def validate_application_id(self, field: SelectField) -> None:
        if field.data not in self._applications:
            raise ValidationError(_l("Choose one of the applications being judged."))

    @property
    def application(self) -> Application:
        return self._applications[self.application_id.data]

    @property
    def reason_text(self) -> str:
        return self.reason.data.strip()


class AddAssignmentForm(_ChoosesJudge, FlaskForm):
    judge_id = SelectField(_l("Judge"), coerce=_optional_int, validate_choice=False)

    def __init__(self, *args: Any, judges: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_judges(judges)
