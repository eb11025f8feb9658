"""Staff forms for checklist templates and their steps."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kakehashi.core.forms import localized_data, localized_field
from kakehashi.core.i18n import pick
from kakehashi.softlanding.models import LandingPath, Party, StepCategory
from kakehashi.softlanding.template_services import KEY_MAX, KEY_PATTERN, MAX_DAYS, StepValues

KEY_HELP = _l("Short and stable, in lower-case letters, digits and hyphens, e.g. “resident-registration”.")
KEY_INVALID = _l("Use lower-case letters, digits and hyphens only, e.g. “resident-registration”.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TemplateForm(FlaskForm):
    key = StringField(
        _l("Key"),
        validators=[
            InputRequired(message=_l("Enter a key.")),
            Length(max=KEY_MAX),
            Regexp(KEY_PATTERN, message=KEY_INVALID),
        ],
        description=KEY_HELP,
    )
    name = localized_field(_l("Name"), max_length=200)
    description = localized_field(_l("Description"), required=False, textarea=True, max_length=2000)
    path = SelectField(_l("Path"), validators=[InputRequired()])

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.path.choices = [SelectChoice(p.value, p.label) for p in LandingPath]
        if editing:  # the key is fixed once created (the default loader and cases refer to it)
            del self.key

    def fill_from(self, template: Any) -> None:
        self.name.process(None, data=template.name or {})
        self.description.process(None, data=template.description or {})

    def values(self) -> dict[str, Any]:
        return {
            "name": localized_data(self.name),
            "description": localized_data(self.description),
            "path": LandingPath(self.path.data),
        }


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[AnyOf(["1", "0"])])


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])

    @property
    def offset(self) -> int:
        return -1 if self.direction.data == "up" else 1


class StepForm(FlaskForm):
    key = StringField(
        _l("Key"),
        validators=[
            InputRequired(message=_l("Enter a key.")),
            Length(max=KEY_MAX),
            Regexp(KEY_PATTERN, message=KEY_INVALID),
        ],
        description=KEY_HELP,
    )
    category = SelectField(_l("Category"), validators=[InputRequired()])
    title = localized_field(_l("Title"), max_length=200)
    body = localized_field(
        _l("Explanation"),
        required=False,
        textarea=True,
        max_length=5000,
        description=_l("Markdown: **bold**, lists, [links](https://…). Practical: costs, where to go, what to check."),
    )
    party = SelectField(_l("Who does it"), validators=[InputRequired()])
    duration_days = IntegerField(
        _l("Typical duration (days)"),
        default=1,
        validators=[
            InputRequired(message=_l("Enter the typical duration in days.")),
            NumberRange(min=0, max=MAX_DAYS),
        ],
    )
    depends_on = MultiCheckboxField(
        _l("Depends on"),
        choices=[],
        description=_l("The step becomes available when all of these are done (or not applicable)."),
    )
    deadline_days = IntegerField(
        _l("Deadline: days"),
        validators=[Optional(), NumberRange(min=0, max=MAX_DAYS)],
        description=_l("Leave empty for no deadline."),
    )
    deadline_after = SelectField(_l("Deadline: counted from the completion of"), choices=[], default="")
    required_documents = localized_field(
        _l("Required documents"),
        required=False,
        textarea=True,
        max_length=2000,
        description=_l("One per line."),
    )
    needs_upload = BooleanField(_l("Submitting needs at least one uploaded document"))
    source_url = StringField(
        _l("Source"),
        validators=[Optional(), Length(max=500)],
        description=_l("The public page this step's rule comes from."),
        render_kw={"inputmode": "url"},
    )
    reviewed_on = DateField(_l("Last reviewed"), validators=[Optional()])
    is_milestone = BooleanField(_l("This is the “operating in Japan” milestone"))

    def __init__(self, *args: Any, other_steps: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice(c.value, c.label) for c in StepCategory]
        self.party.choices = [SelectChoice(p.value, p.label) for p in Party]
        options = [SelectChoice(step.key, f"{step.key} — {pick(step.title)}") for step in other_steps]
        self.depends_on.choices = options
        self.deadline_after.choices = [SelectChoice("", _l("(no deadline)")), *options]

    def fill_from(self, step: Any) -> None:
        for name in ("title", "body", "required_documents"):
            getattr(self, name).process(None, data=getattr(step, name) or {})
        self.depends_on.data = list(step.depends_on or [])
        self.deadline_after.data = step.deadline_after or ""

    def validate_deadline_after(self, field: SelectField) -> None:
        if (self.deadline_days.data is None) != (not field.data):
            raise ValidationError(_l("Give both the number of days and the step the deadline is counted from."))

    def validate_source_url(self, field: StringField) -> None:
        if field.data and urlsplit(field.data.strip()).scheme not in ("http", "https"):
            raise ValidationError(_l("Enter a web address starting with http:// or https://."))

    def values(self) -> StepValues:
        def text(field: Any) -> dict[str, str] | None:  # browsers send CRLF line ends
            data = localized_data(field)
            return {code: value.replace("\r\n", "\n") for code, value in data.items()} if data else None

        return StepValues(
            key=self.key.data.strip(),
            category=StepCategory(self.category.data),
            title=localized_data(self.title) or {},
            body=text(self.body),
            party=Party(self.party.data),
            duration_days=self.duration_days.data,
            deadline_days=self.deadline_days.data,
            deadline_after=self.deadline_after.data or None,
            required_documents=text(self.required_documents),
            needs_upload=self.needs_upload.data,
            source_url=(self.source_url.data or "").strip() or None,
            reviewed_on=self.reviewed_on.data,
            depends_on=tuple(self.depends_on.data or ()),
            is_milestone=self.is_milestone.data,
        )
