from __future__ import annotations

from decimal import Decimal
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kakehashi.core.forms import localized_data, localized_field
from kakehashi.core.i18n import countries, pick
from kakehashi.partners import services
from kakehashi.partners.models import BookingState, Direction, EventKind
from kakehashi.partners.queries import BookingFilters

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("ja", "日本語")]


def apply_errors(form: FlaskForm, errors: dict[str, Any]) -> bool:
    """Put the services' messages on the form's fields; False when there were any."""
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.append(message)
        elif field.type == "FormField":
            field.form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
    return not errors


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- hubs ---------------------------------------------------------------------------------------------


class HubForm(FlaskForm):
    name = localized_field(_l("Name"), max_length=200)
    city = localized_field(_l("City"), max_length=100)
    country = SelectField(_l("Country"), validators=[InputRequired()])
    timezone = StringField(
        _l("Time zone"),
        validators=[InputRequired(message=_l("Enter the hub's time zone.")), Length(max=64)],
        description=_l("IANA name, such as Europe/Berlin or Asia/Singapore."),
        render_kw={"list": "timezones", "autocomplete": "off"},
    )
    website = StringField(
        _l("Website"), validators=[Optional(), Length(max=500)], render_kw={"placeholder": "https://"}
    )
    description = localized_field(_l("Description"), required=False, textarea=True, max_length=5000)
    agreement_starts_on = DateField(_l("Agreement (MOU) starts"), validators=[Optional()])
    agreement_ends_on = DateField(
        _l("Agreement (MOU) ends"), validators=[Optional()], description=_l("Bookings must fall within the agreement.")
    )
    capacity_desks = IntegerField(
        _l("Desks"), validators=[InputRequired(message=_l("Enter the number of desks."))], default=0
    )
    daily_rate = DecimalField(
        _l("Daily rate per desk"),
        places=None,
        validators=[InputRequired(message=_l("Enter the daily rate per desk (0 if free)."))],
        default=Decimal(0),
    )
    currency = StringField(
        _l("Currency"),
        validators=[InputRequired(message=_l("Enter the currency code.")), Length(max=3)],
        description=_l("ISO 4217 code: JPY, EUR, SGD…"),
        render_kw={"maxlength": 3, "autocapitalize": "characters", "list": "currency-codes"},
    )
    refund_days_before = IntegerField(
        _l("Full refund if cancelled at least this many days before the start"),
        validators=[InputRequired(message=_l("Enter a number of days (0 or more)."))],
        default=14,
    )
    payment_instructions = localized_field(
        _l("Bank-transfer instructions"),
        required=False,
        textarea=True,
        max_length=3000,
        description=_l("Shown on receipts when fees are paid by bank transfer."),
    )
    is_home = BooleanField(_l("This is the ward's own home hub"))
    is_active = BooleanField(_l("Active: taking bookings"), default=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice(code, name) for code, name in countries()]

    def fill_from(self, hub: Any) -> None:
        for name in ("name", "city", "description", "payment_instructions"):
            getattr(self, name).process(None, data=getattr(hub, name) or {})

    def values(self) -> services.HubValues:
        return services.HubValues(
            name=localized_data(self.name) or {},
            description=localized_data(self.description),
            city=localized_data(self.city) or {},
            country=(self.country.data or "").upper(),
            timezone=(self.timezone.data or "").strip(),
            website=(self.website.data or "").strip() or None,
            agreement_starts_on=self.agreement_starts_on.data,
            agreement_ends_on=self.agreement_ends_on.data,
            capacity_desks=self.capacity_desks.data,
            daily_rate=self.daily_rate.data,
            currency=(self.currency.data or "").strip().upper(),
            refund_days_before=self.refund_days_before.data,
            payment_instructions=localized_data(self.payment_instructions),
            is_home=bool(self.is_home.data),
            is_active=bool(self.is_active.data),
        )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        return apply_errors(self, services.hub_errors(self.values()))


class HubStaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(message=_l("Enter a name.")), Length(max=200)])
    email = StringField(
        _l("Email address"), validators=[InputRequired(message=_l("Enter an email address.")), Length(max=320)]
    )
    locale = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)

    def validate_email(self, field: StringField) -> None:
        try:
            validate_email(field.data or "", check_deliverability=False)
        except EmailNotValidError as error:
            raise ValidationError(_l("Enter a valid email address, like name@example.com.")) from error


# --- bookings -----------------------------------------------------------------------------------------


class _BookingFields(FlaskForm):
    """Dates, desks and purpose; the fee is shown (``preview``) before the request is sent."""

    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the first day."))])
    ends_on = DateField(
        _l("Last day"),
        validators=[InputRequired(message=_l("Enter the last day."))],
        description=_l("Inclusive: the last day at the desk."),
    )
    desks = IntegerField(
        _l("Desks"),
        default=1,
        validators=[InputRequired(message=_l("Enter the number of desks.")), NumberRange(min=1, max=1000)],
    )
    purpose = TextAreaField(_l("Purpose of the stay"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    fee_shown = HiddenField()
    preview = SubmitField(_l("Show the fee"))
    send = SubmitField(_l("Send the request"))

    def dates(self) -> dict[str, Any]:
        return {
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "desks": self.desks.data,
            "purpose": self.purpose.data,
        }


class OutboundBookingForm(_BookingFields):
    startup_id = SelectField(_l("Startup"), coerce=int, validators=[InputRequired()])

    def __init__(self, *args: Any, startups: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.startup_id.choices = [SelectChoice(s.id, pick(s.name)) for s in startups]
        if len(startups) == 1 and self.startup_id.data is None:
            self.startup_id.data = startups[0].id


NEW_STARTUP = 0


class InboundBookingForm(_BookingFields):
    requesting_hub_id = SelectField(_l("On behalf of the hub"), coerce=int, validators=[InputRequired()])
    startup_id = SelectField(_l("Startup"), coerce=int, validators=[InputRequired()])
    new_name = StringField(_l("New startup's name"), validators=[Optional(), Length(max=200)])
    new_country = SelectField(_l("New startup's country"), validators=[Optional()])

    def __init__(self, *args: Any, hubs: list[Any] = (), startups: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requesting_hub_id.choices = [SelectChoice(h.id, pick(h.name)) for h in hubs]
        self.startup_id.choices = [
            SelectChoice(NEW_STARTUP, _l("A startup not listed here (add it below)")),
            *(SelectChoice(s.id, pick(s.name)) for s in startups),
        ]
        self.new_country.choices = [
            SelectChoice("", "—"),
            *(SelectChoice(code, name) for code, name in countries() if code != "JP"),
        ]

    def validate_new_name(self, field: StringField) -> None:
        if self.startup_id.data == NEW_STARTUP and not (field.data or "").strip():
            raise ValidationError(_l("Enter the startup's name, or choose one from the list."))

    def validate_new_country(self, field: SelectField) -> None:
        if self.startup_id.data == NEW_STARTUP and not field.data:
            raise ValidationError(_l("Choose the startup's country."))


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Note to the requester"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class DeclineForm(FlaskForm):
    note = TextAreaField(
        _l("Why the request is declined"),
        validators=[InputRequired(message=_l("Say why in the note: the requester reads it.")), Length(max=2000)],
        render_kw={"rows": 2},
    )


class BookingFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("State"), validators=[Optional()])
    hub_id = SelectField(_l("Hub"), validators=[Optional()])
    direction = SelectField(_l("Direction"), validators=[Optional()])

    def __init__(self, *args: Any, hubs: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state.choices = [SelectChoice("", _l("All")), *(SelectChoice(s.value, s.label) for s in BookingState)]
        self.hub_id.choices = [SelectChoice("", _l("All")), *(SelectChoice(str(h.id), pick(h.name)) for h in hubs)]
        self.direction.choices = [SelectChoice("", _l("All")), *(SelectChoice(d.value, d.label) for d in Direction)]

    def filters(self) -> BookingFilters:
        """Each filter on its own: an unknown value is ignored rather than refusing the whole list."""
        state = self.state.data if self.state.data in {s.value for s in BookingState} else None
        direction = self.direction.data if self.direction.data in {d.value for d in Direction} else None
        hubs = {str(choice.value) for choice in self.hub_id.choices if choice.value}
        hub = self.hub_id.data if self.hub_id.data in hubs else None
        return BookingFilters(
            state=BookingState(state) if state else None,
            hub_id=int(hub) if hub else None,
            direction=Direction(direction) if direction else None,
        )


# --- joint events ---------------------------------------------------------------------------------------


class EventForm(FlaskForm):
    kind = SelectField(_l("Kind"), validators=[InputRequired()])
    title = localized_field(_l("Title"), max_length=200)
    held_on = DateField(_l("Held on"), validators=[InputRequired(message=_l("Enter the day the event was held."))])
    hub_ids = MultiCheckboxField(_l("Partner hubs involved"), coerce=int, validate_choice=False)
    participants = IntegerField(_l("Participants"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    report = localized_field(_l("Short report"), required=False, textarea=True, max_length=3000)

    def __init__(self, *args: Any, hubs: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, k.label) for k in EventKind]
        self.hub_ids.choices = [SelectChoice(h.id, pick(h.name)) for h in hubs]

    def validate_hub_ids(self, field: MultiCheckboxField) -> None:
        offered = {choice.value for choice in field.choices}
        if not field.data or not set(field.data) <= offered:
            raise ValidationError(_l("Choose the partner hubs abroad that took part."))

    def validate_held_on(self, field: DateField) -> None:
        if field.data and field.data > services.tokyo_today():
            raise ValidationError(_l("Record an event once it has taken place."))

    def fill_from(self, event: Any) -> None:
        self.title.process(None, data=event.title or {})
        self.report.process(None, data=event.report or {})
        self.kind.data = event.kind.value
        self.hub_ids.data = [h.id for h in event.hubs]

    def values(self) -> services.EventValues:
        return services.EventValues(
            kind=EventKind(self.kind.data),
            title=localized_data(self.title),
            held_on=self.held_on.data,
            hub_ids=list(self.hub_ids.data or []),
            participants=self.participants.data,
            report=localized_data(self.report),
        )
