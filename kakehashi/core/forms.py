from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from kakehashi.core.outbox import EmailStatus


class PostForm(FlaskForm):
    """Only the CSRF token: the form behind a POST button."""


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=80)])
    actor = StringField(_l("Actor's email"), validators=[Optional(), Length(max=320)])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=60)])
    object_id = IntegerField(_l("Object ID"), validators=[Optional(), NumberRange(min=1)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])


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
