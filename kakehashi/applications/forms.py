from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select

from kakehashi.applications import formatting
from kakehashi.applications.models import APPLICATION_FIELDS, BLINDABLE_FIELDS, ApplicationState
from kakehashi.core.forms import DateRange, localized_data, localized_field
from kakehashi.core.i18n import pick
from kakehashi.core.timezones import to_tokyo, tokyo_to_utc

TEXT_LIMIT = 5000


class VerticalForm(FlaskForm):
    name = localized_field(_l("Name"), max_length=120)
    description = localized_field(_l("Description"), required=False, textarea=True, max_length=2000)
    active = BooleanField(_l("Offered for new calls"), default=True)

    def values(self) -> dict[str, Any]:
        return {
            "name": localized_data(self.name),
            "description": localized_data(self.description),
            "active": self.active.data,
        }


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CallForm(FlaskForm):
    vertical_id = SelectField(_l("Vertical"), coerce=int, validators=[InputRequired()])
    title = localized_field(_l("Title"), max_length=200)
    summary = localized_field(_l("Summary"), textarea=True, max_length=1000)
    description = localized_field(_l("Description"), required=False, textarea=True, max_length=20000)
    eligibility = localized_field(_l("Eligibility"), required=False, textarea=True, max_length=5000)
    opens_at = DateTimeLocalField(
        _l("Opens (Japan time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Enter the date and time the call opens.")), DateRange()],
    )
    closes_at = DateTimeLocalField(
        _l("Deadline (Japan time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Enter the deadline.")), DateRange()],
    )
    seats = IntegerField(
        _l("Seats in the cohort"), default=10, validators=[InputRequired(), NumberRange(min=0, max=1000)]
    )
    target_applications = IntegerField(
        _l("Target number of applications"), default=100, validators=[InputRequired(), NumberRange(min=1, max=100000)]
    )
    judges_per_application = IntegerField(
        _l("Judges per application"), default=3, validators=[InputRequired(), NumberRange(min=1, max=20)]
    )
    deck_max_mb = IntegerField(
        _l("Pitch deck size limit (MB)"), default=20, validators=[InputRequired(), NumberRange(min=1, max=50)]
    )
    blind_fields = MultiCheckboxField(
        _l("Hidden from judges (blind review)"),
        choices=[],
        validators=[Optional()],
        description=_l("Judges will not see these fields of an application."),
    )

    def __init__(self, *args: Any, verticals: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vertical_id.choices = [SelectChoice(v.id, pick(v.name)) for v in verticals]
        self.blind_fields.choices = [SelectChoice(key, label) for key, label in BLINDABLE_FIELDS.items()]
        for field in (self.opens_at, self.closes_at):  # a time not posted keeps the call's: as Japan time
            if field.data is not None and field.data.tzinfo is not None:
                field.data = to_tokyo(field.data).replace(tzinfo=None)

    def validate_closes_at(self, field: DateTimeLocalField) -> None:
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The deadline must be after the opening time."))

    def fill_from(self, call: Any) -> None:
        """Show a call's stored UTC times as Japan wall-clock times."""
        self.opens_at.data = to_tokyo(call.opens_at).replace(tzinfo=None)
        self.closes_at.data = to_tokyo(call.closes_at).replace(tzinfo=None)
        for name in ("title", "summary", "description", "eligibility"):
            getattr(self, name).process(None, data=getattr(call, name) or {})

    def values(self) -> dict[str, Any]:
        return {
            "vertical_id": self.vertical_id.data,
            "title": localized_data(self.title),
            "summary": localized_data(self.summary),
            "description": localized_data(self.description),
            "eligibility": localized_data(self.eligibility),
            "opens_at": tokyo_to_utc(self.opens_at.data),
            "closes_at": tokyo_to_utc(self.closes_at.data),
            "seats": self.seats.data,
            "target_applications": self.target_applications.data,
            "judges_per_application": self.judges_per_application.data,
            "deck_max_mb": self.deck_max_mb.data,
            "blind_fields": list(self.blind_fields.data or []),
        }


class CriterionForm(FlaskForm):
    name = localized_field(_l("Criterion"), max_length=200)
    guidance = localized_field(_l("Guidance for judges"), required=False, textarea=True, max_length=2000)
    weight = DecimalField(
        _l("Weight"),
        default=Decimal("1"),
        places=2,
        validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=Decimal("1000"))],
    )
    scale_min = IntegerField(_l("Lowest score"), default=1, validators=[InputRequired(), NumberRange(min=0, max=100)])
    scale_max = IntegerField(_l("Highest score"), default=5, validators=[InputRequired(), NumberRange(min=1, max=100)])

    def validate_scale_max(self, field: IntegerField) -> None:
        if self.scale_min.data is not None and field.data is not None and field.data <= self.scale_min.data:
            raise ValidationError(_l("The highest score must be above the lowest."))

    def values(self) -> dict[str, Any]:
        return {
            "name": localized_data(self.name),
            "guidance": localized_data(self.guidance),
            "weight": self.weight.data,
            "scale_min": self.scale_min.data,
            "scale_max": self.scale_max.data,
        }


class ApplyForm(FlaskForm):
    startup_id = SelectField(_l("Apply as"), coerce=int, validators=[InputRequired()])


def _text(label: Any, description: Any = None, rows: int = 4) -> TextAreaField:
    return TextAreaField(
        label, validators=[Optional(), Length(max=TEXT_LIMIT)], description=description, render_kw={"rows": rows}
    )


def _yen(label: Any, description: Any = None) -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=0, max=10**15, message=_l("Enter an amount in yen of 0 or more."))],
        description=description,
        render_kw={"inputmode": "numeric"},
    )


class ApplicationForm(FlaskForm):
    """Every field may be left empty in a draft; submission checks completeness."""

    company_summary = _text(_l("Company overview"), _l("What your company does, in a few sentences."))
    founders = _text(_l("Founders"), _l("Names, roles and backgrounds of the founding team."), rows=3)
    team_size = IntegerField(
        _l("Team size"),
        validators=[Optional(), NumberRange(min=1, max=100000, message=_l("Enter the number of people (1 or more)."))],
    )
    problem = _text(_l("Problem"))
    solution = _text(_l("Solution"))
    market = _text(_l("Market"), _l("Who your customers are and how large the market is."))
    traction = _text(_l("Traction"), _l("Customers, revenue, pilots, partnerships so far."))
    funding_raised_jpy = _yen(_l("Funding raised to date (JPY)"), _l("Enter 0 if you have not raised funding."))
    valuation_jpy = _yen(_l("Latest valuation (JPY, optional)"))
    revenue_jpy = _yen(_l("Annual revenue (JPY, optional)"))
    overseas_revenue_share = DecimalField(
        _l("Share of revenue from overseas (%)"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("Enter a percentage from %(min)s to %(max)s."))],
    )
    why_programme = _text(_l("Why this programme?"))
    deck = FileField(
        _l("Pitch deck (PDF)"),
        render_kw={"accept": "application/pdf,.pdf"},
    )

    @classmethod
    def labels(cls) -> dict[str, Any]:
        """Field name → label, in form order, for pages that show the answers."""
        return {name: getattr(cls, name).args[0] for name in APPLICATION_FIELDS}

    def values(self) -> dict[str, Any]:
        values = {}
        for name in APPLICATION_FIELDS:
            value = getattr(self, name).data
            values[name] = value.strip() if isinstance(value, str) else value
            if values[name] == "":
                values[name] = None
        return values


class _ListSelect(Select):
    """WTForms' ``Select``, with plain options (a string value and label, no extra attributes) written
    directly: the filter form renders on every page of the staff list. The HTML is WTForms' own
    (``selected`` before ``value``, both escaped); anything else goes through WTForms.
    """

    @classmethod
    def _dispatch_render_option(cls) -> Any:
        return cls.render_option  # the current signature: no need to inspect it on every render

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')  # noqa: S704  # nosec B704  # every part escaped above


class ApplicationFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Startup name"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), validators=[Optional()], choices=[], widget=_ListSelect())
    country = SelectField(_l("Country"), validators=[Optional()], choices=[], widget=_ListSelect())
    overseas = SelectField(_l("Based"), validators=[Optional()], choices=[], widget=_ListSelect())
    submitted_from = DateField(_l("Submitted from"), validators=[Optional()])
    submitted_to = DateField(_l("Submitted until"), validators=[Optional()])

    def __init__(self, *args: Any, country_codes: list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels translated once for this request (the request's ``Formats`` keeps the states' and the
        # countries' names for the rest of the page), not each time an option is rendered.
        fmt = formatting.formats()
        everything = _("All")
        self.status.choices = [SelectChoice("", everything)] + [
            SelectChoice(state.value, fmt.label(state)) for state in ApplicationState
        ]
        self.country.choices = [SelectChoice("", everything)] + [
            SelectChoice(code, fmt.country(code)) for code in country_codes
        ]
        self.overseas.choices = [
            SelectChoice("", _("Anywhere")),
            SelectChoice("no", _("In Japan")),
            SelectChoice("yes", _("Overseas")),
        ]
