"""Staff's forms for a call's judges, conflicts of interest and assignments.

Select fields get their choices from the view (the call's judges, its judged applications); the
objects behind the chosen ids come back as ``form.judge`` / ``form.application``, so the view needs
no second look-up and a crafted id outside the choices is refused like any invalid input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from kakehashi.accounts.forms import LANGUAGE_CHOICES
from kakehashi.accounts.models import User
from kakehashi.applications.judging.models import Recommendation
from kakehashi.applications.judging.services import parse_expertise
from kakehashi.applications.models import Application, Criterion
from kakehashi.core.i18n import pick


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


class RecordConflictForm(_ChoosesJudge, FlaskForm):
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


# --- the judge's forms ---------------------------------------------------------------------------

COMMENT_LIMIT = 5000


def _score_value(value: Any) -> int | None:
    """Empty is "not scored yet"; anything else must be a whole number (else the field refuses it)."""
    return None if value in (None, "") else int(value)


def _optional_recommendation(value: Any) -> Recommendation | None:
    return None if value in (None, "") else Recommendation(value)


class ReviewForm(FlaskForm):
    """A score per criterion (added by :func:`review_form`), a comment and a recommendation.

    Everything may be empty in a draft. The score range is the service's rule, not the form's:
    a value outside the scale reaches ``save_review`` and is refused there with its message.
    """

    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), Length(max=COMMENT_LIMIT)],
        description=_l("Your reasons, for the programme staff. Applicants do not see it."),
        render_kw={"rows": 5},
    )
    recommendation = SelectField(
        _l("Recommendation"), coerce=_optional_recommendation, validators=[Optional()], choices=[]
    )

    criteria: list[Criterion]

    def score_field(self, criterion: Criterion) -> Any:
        return self[f"score_{criterion.id}"]

    def scores(self) -> dict[int, int | None]:
        return {criterion.id: self.score_field(criterion).data for criterion in self.criteria}


def review_form(criteria: list[Criterion], saved: dict[str, Any], *, posted: bool = True) -> ReviewForm:
    """The form for this call's rubric, filled with the saved review (or with what was posted)."""

    class _ReviewForm(ReviewForm):
        pass

    for criterion in criteria:
        setattr(
            _ReviewForm,
            f"score_{criterion.id}",
            SelectField(
                pick(criterion.name),
                coerce=_score_value,
                validate_choice=False,
                validators=[Optional()],
                choices=[SelectChoice("", _("Not scored yet"))]
                + [
                    SelectChoice(str(value), str(value))
                    for value in range(criterion.scale_min, criterion.scale_max + 1)
                ],
            ),
        )
    form = _ReviewForm(data=saved) if posted else _ReviewForm(formdata=None, data=saved)
    form.criteria = criteria
    form.recommendation.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(choice.value, choice.label) for choice in Recommendation
    ]
    return form


class DeclareConflictForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Say why you cannot judge this application.")), Length(max=2000)],
        description=_l("For example: your fund has invested in this startup, or you work with its founders."),
        render_kw={"rows": 3},
    )
