from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from kakehashi.cohorts import services, validation
from kakehashi.cohorts.models import MemberStatus, RoundStage, ValuationBasis
from kakehashi.core.forms import localized_data, localized_field
from kakehashi.core.i18n import pick


def _apply_errors(form: FlaskForm, errors: dict[str, Any]) -> bool:
    """Put the services' messages on the form's fields; False when there were any."""
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
    return not errors


class CohortForm(FlaskForm):
    name = localized_field(_l("Name"), max_length=200)
    starts_on = DateField(_l("Programme starts"), validators=[Optional()])
    ends_on = DateField(
        _l("Programme ends (graduation)"),
        validators=[Optional()],
        description=_l("Active members graduate on this day."),
    )

    def validate_ends_on(self, field: DateField) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The programme must end on or after the day it starts."))

    def fill_from(self, cohort: Any) -> None:
        self.name.process(None, data=cohort.name or {})

    def values(self) -> dict[str, Any]:
        return {"name": localized_data(self.name), "starts_on": self.starts_on.data, "ends_on": self.ends_on.data}


class AddMemberForm(FlaskForm):
    startup_id = SelectField(_l("Startup"), coerce=int, validators=[InputRequired()])

    def __init__(self, *args: Any, startups: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.startup_id.choices = [SelectChoice(s.id, pick(s.name)) for s in startups]


class MemberStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[], validators=[InputRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, s.label) for s in MemberStatus]


AMOUNT_HELP = _l("In the round's currency, as announced.")


class FundingRoundForm(FlaskForm):
    announced_on = DateField(
        _l("Announced on"), validators=[InputRequired(message=_l("Enter the date the round was announced."))]
    )
    stage = SelectField(_l("Stage"), validators=[InputRequired()])
    currency = StringField(
        _l("Currency"),
        default="JPY",
        validators=[InputRequired(message=_l("Enter the currency code.")), Length(max=3)],
        description=_l("ISO 4217 code: JPY, USD, SGD…"),
        render_kw={"maxlength": 3, "autocapitalize": "characters", "list": "currency-codes"},
    )
    amount = DecimalField(
        _l("Amount raised"),
        validators=[InputRequired(message=_l("Enter the amount raised."))],
        description=AMOUNT_HELP,
    )
    fx_rate_to_jpy = DecimalField(
        _l("Exchange rate to yen"),
        places=None,
        validators=[Optional()],
        description=_l("Yen for one unit of the currency on the announcement date (e.g. 150.25). Not needed for JPY."),
    )
    pre_money = DecimalField(_l("Pre-money valuation"), validators=[Optional()], description=AMOUNT_HELP)
    post_money = DecimalField(_l("Post-money valuation"), validators=[Optional()], description=AMOUNT_HELP)
    investors = TextAreaField(_l("Investors"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
    source_url = StringField(
        _l("Source (press release or article)"),
        validators=[Optional(), Length(max=500)],
        render_kw={"inputmode": "url"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stage.choices = [SelectChoice(s.value, s.label) for s in RoundStage]

    def values(self) -> validation.RoundValues:
        return validation.RoundValues(
            announced_on=self.announced_on.data,
            stage=RoundStage(self.stage.data),
            currency=(self.currency.data or "").strip().upper(),
            amount=self.amount.data,
            fx_rate_to_jpy=self.fx_rate_to_jpy.data,
            pre_money=self.pre_money.data,
            post_money=self.post_money.data,
            investors=self.investors.data,
            source_url=(self.source_url.data or "").strip() or None,
        )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        return _apply_errors(self, validation.round_errors(self.values(), today=services.tokyo_today()))

    def show_errors(self, errors: dict[str, Any]) -> None:
        _apply_errors(self, errors)


class ReviewForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[],
        validators=[InputRequired()],
    )
    note = TextAreaField(
        _l("Note to the startup"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Required when rejecting: say what to correct."),
        render_kw={"rows": 3},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [SelectChoice("verify", _l("Verify")), SelectChoice("reject", _l("Reject"))]

    def validate_note(self, field: TextAreaField) -> None:
        if self.decision.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Say why in the note: the startup reads it to correct the figures."))

    @property
    def verify(self) -> bool:
        return self.decision.data == "verify"


class ValuationMarkForm(FlaskForm):
    as_of = DateField(_l("As of"), validators=[InputRequired(message=_l("Enter the date of the valuation."))])
    valuation_jpy = IntegerField(
        _l("Valuation (yen)"),
        validators=[
            InputRequired(message=_l("Enter the valuation in yen.")),
            NumberRange(min=1, max=validation.MAX_AMOUNT_JPY * 100, message=_l("Enter a valuation above zero.")),
        ],
    )
    basis = SelectField(_l("Basis"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.basis.choices = [SelectChoice(b.value, b.label) for b in services.MANUAL_BASES]

    def values(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.data,
            "valuation_jpy": self.valuation_jpy.data,
            "basis": ValuationBasis(self.basis.data),
            "note": self.note.data,
        }


class AnnualReportForm(FlaskForm):
    revenue_jpy = IntegerField(
        _l("Revenue (yen)"), validators=[InputRequired(message=_l("Enter the revenue for the year (0 if none)."))]
    )
    overseas_revenue_jpy = IntegerField(
        _l("Of which overseas revenue (yen)"),
        validators=[InputRequired(message=_l("Enter the overseas revenue (0 if none)."))],
        description=_l("Revenue from customers outside Japan."),
    )
    employees = IntegerField(_l("Employees at the end of the year"), validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        return _apply_errors(self, validation.report_errors(**self.values()))

    def values(self) -> dict[str, Any]:
        return {
            "revenue_jpy": self.revenue_jpy.data,
            "overseas_revenue_jpy": self.overseas_revenue_jpy.data,
            "employees": self.employees.data,
        }

    def show_errors(self, errors: dict[str, Any]) -> None:
        _apply_errors(self, errors)


class SurveyForm(FlaskForm):
    fiscal_year = IntegerField(
        _l("Fiscal year"),
        validators=[InputRequired(), NumberRange(min=1990, max=2200)],
        description=_l("FY2025 runs from 1 April 2025 to 31 March 2026."),
    )
