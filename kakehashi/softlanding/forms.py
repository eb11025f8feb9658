"""Forms for landing cases and their tasks (the template editor's forms are in ``template_forms.py``)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from kakehashi.core.i18n import countries, pick

ACCEPTED_UPLOADS = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


class NewCaseForm(FlaskForm):
    template_id = SelectField(
        _l("Checklist template"), coerce=int, validators=[InputRequired(message=_l("Choose a checklist template."))]
    )
    founder_email = EmailField(
        _l("Founder's email address"),
        validators=[
            DataRequired(message=_l("Enter the founder's email address.")),
            Email(message=_l("Enter a valid email address, like name@example.com."), check_deliverability=False),
            Length(max=320),
        ],
        description=_l("Someone without an account is invited to choose a password; their pages are in English."),
    )
    founder_name = StringField(
        _l("Founder's name"),
        validators=[DataRequired(message=_l("Enter the founder's name.")), Length(max=200)],
    )
    planned_arrival_on = DateField(
        _l("Planned arrival in Japan"),
        validators=[InputRequired(message=_l("Enter the planned arrival date."))],
    )
    concierge_id = SelectField(_l("Concierge"), choices=[], validators=[Optional()])
    company_name = StringField(_l("Company name"), validators=[Optional(), Length(max=200)])
    home_country = SelectField(_l("Home country"), choices=[], validators=[Optional()])

    def __init__(self, *args: Any, templates: list[Any] = (), staff: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template_id.choices = [
            SelectChoice(t.id, _l("%(name)s (version %(version)s)", name=pick(t.name), version=t.version))
            for t in templates
        ]
        self.concierge_id.choices = [SelectChoice("", _l("No concierge yet"))] + [
            SelectChoice(str(user.id), user.name) for user in staff
        ]
        self.home_country.choices = [SelectChoice("", _l("Not given"))] + [
            SelectChoice(code, name) for code, name in countries()
        ]

    def values(self, *, templates: dict[int, Any], staff: dict[int, Any]) -> dict[str, Any]:
        concierge = self.concierge_id.data
        return {
            "template": templates[self.template_id.data],
            "founder_email": self.founder_email.data.strip(),
            "founder_name": self.founder_name.data.strip(),
            "planned_arrival_on": self.planned_arrival_on.data,
            "concierge": staff.get(int(concierge)) if concierge else None,
            "company_name": _clean(self.company_name.data),
            "home_country": self.home_country.data or None,
        }


class UploadForm(FlaskForm):
    document = FileField(
        _l("Document"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
        description=_l("PDF, JPEG or PNG."),
        render_kw={"accept": ACCEPTED_UPLOADS},
    )


class SubmitForm(FlaskForm):
    note = TextAreaField(
        _l("Note for programme staff (optional)"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2}
    )


class ApproveForm(FlaskForm):
    comment = TextAreaField(
        _l("Comment for the founder (optional)"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2}
    )


class RequestChangesForm(FlaskForm):
    changes = TextAreaField(
        _l("What needs to change"),
        validators=[DataRequired(message=_l("Say what needs to change: the founder reads it.")), Length(max=4000)],
        render_kw={"rows": 3},
    )


class NotApplicableForm(FlaskForm):
    reason = TextAreaField(
        _l("Why this step does not apply"),
        validators=[DataRequired(message=_l("Give the reason this step does not apply.")), Length(max=2000)],
        render_kw={"rows": 2},
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(message=_l("Write a message first.")), Length(max=4000)],
        render_kw={"rows": 3},
    )


class DeleteDocumentsForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that every document of this case is deleted for good."),
        validators=[DataRequired(message=_l("Tick the box to confirm the deletion."))],
    )


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    mine = BooleanField(_l("Only cases where I am the concierge"))
