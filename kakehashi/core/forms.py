from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import flash
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Form, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from kakehashi.core.outbox import EmailStatus

MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds: a bigger one is a database error, not a miss
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2999, 12, 31)


class DateRange:
    """A date people could mean: years 1900 to 2999. Dates at the edges of the calendar overflow time-zone
    and day arithmetic (``9999-12-31`` plus a day, ``0001-01-01`` in UTC), which were 500s."""

    def __init__(self, earliest: date = EARLIEST_DATE, latest: date = LATEST_DATE) -> None:
        self.earliest, self.latest = earliest, latest

    def __call__(self, form: Any, field: Any) -> None:
        value = field.data
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and not self.earliest <= day <= self.latest:
            raise ValidationError(
                _(
                    "Enter a date between %(earliest)s and %(latest)s.",
                    earliest=format_date(self.earliest),
                    latest=format_date(self.latest),
                )
            )


class PostForm(FlaskForm):
    """Only the CSRF token: the form behind a POST button."""


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=80)])
    actor = StringField(_l("Actor's email"), validators=[Optional(), Length(max=320)])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=60)])
    object_id = IntegerField(_l("Object ID"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    since = DateField(_l("From"), validators=[Optional(), DateRange()])
    until = DateField(_l("Until"), validators=[Optional(), DateRange()])


class OutboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice(EmailStatus.QUEUED.value, _l("Queued")),
            SelectChoice(EmailStatus.SENT.value, _l("Sent")),
            SelectChoice(EmailStatus.FAILED.value, _l("Failed")),
        ],
        validators=[Optional()],
    )
    to = StringField(_l("Recipient"), validators=[Optional(), Length(max=320)])


# --- localised (ja/en) text fields ----------------------------------------------------------------


def localized_field(
    label: Any, *, required: bool = True, textarea: bool = False, max_length: int = 300, description: Any = None
) -> FormField:
    """A pair of inputs, Japanese and English, whose data is ``{"ja": …, "en": …}``.

    ``required`` means at least one language must be given; the other falls back to it when shown.
    """
    widget = TextAreaField if textarea else StringField
    render = {"rows": 4} if textarea else {}

    class _Localized(Form):
        ja = widget(_l("Japanese"), validators=[Optional(), Length(max=max_length)], render_kw={"lang": "ja", **render})
        en = widget(_l("English"), validators=[Optional(), Length(max=max_length)], render_kw={"lang": "en", **render})

        def validate(self, extra_validators: Any = None) -> bool:
            valid = super().validate(extra_validators)
            if required and not any((self.data.get(code) or "").strip() for code in ("ja", "en")):
                self.form_errors.append(_l("Enter this in Japanese, English or both."))
                return False
            return valid

    return FormField(_Localized, label=label, description=description)


def localized_data(field: FormField) -> dict[str, str] | None:
    data = {code: (value or "").strip() for code, value in (field.data or {}).items() if code in ("ja", "en")}
    data = {code: value for code, value in data.items() if value}
    return data or None


def flash_form_errors(form: Any) -> None:
    """Every validation message of a form posted from another page, as flashed messages."""
    for errors in form.errors.values():
        for message in errors if isinstance(errors, list) else [errors]:
            flash(str(message), "danger")
