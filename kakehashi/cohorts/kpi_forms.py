"""The KPI targets form: one field per indicator, empty meaning "the policy's default"."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import NumberRange, Optional

from kakehashi.cohorts.kpis import DEFINITIONS, Indicator, Target, Unit

MAX_YEN = Decimal(10) ** 15  # ¥1,000 trillion: anything above is a typing mistake
HELP = {
    Unit.JPY: _l("In yen. Leave empty for the policy's default."),
    Unit.SHARE: _l("In percent. Leave empty for the policy's default."),
    Unit.COUNT: _l("Leave empty for the policy's default."),
}
LIMITS = {Unit.JPY: MAX_YEN, Unit.SHARE: Decimal(100), Unit.COUNT: Decimal(100_000)}


def _field(indicator: Indicator) -> DecimalField:
    definition = DEFINITIONS[indicator]
    return DecimalField(
        definition.name,
        places=None,
        validators=[Optional(), NumberRange(min=Decimal("0.0001"), max=LIMITS[definition.unit])],
        description=HELP[definition.unit],
    )


class KpiTargetsForm(FlaskForm):
    valuation = _field(Indicator.VALUATION)
    overseas_share = _field(Indicator.OVERSEAS_SHARE)
    funding = _field(Indicator.FUNDING)
    attracted = _field(Indicator.ATTRACTED)
    applications = _field(Indicator.APPLICATIONS)
    events = _field(Indicator.EVENTS)

    def fill(self, targets: dict[Indicator, Target], *, values: bool) -> None:
        """Placeholders show the policy defaults; with ``values``, fields show the edited targets."""
        for indicator, target in targets.items():
            field = self[indicator.value]
            value = target.value * 100 if DEFINITIONS[indicator].unit is Unit.SHARE else target.value
            field.render_kw = {"placeholder": _plain(_default_shown(indicator))}
            if values and not target.is_default:
                field.data = _trim(value)

    def values(self) -> dict[Indicator, Decimal | None]:
        result: dict[Indicator, Decimal | None] = {}
        for indicator in Indicator:
            data = self[indicator.value].data
            if data is not None and DEFINITIONS[indicator].unit is Unit.SHARE:
                data = data / 100
            result[indicator] = data
        return result


def _default_shown(indicator: Indicator) -> Decimal:
    definition = DEFINITIONS[indicator]
    return definition.default_target * 100 if definition.unit is Unit.SHARE else definition.default_target


def _trim(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _plain(value: Decimal) -> str:
    return format(_trim(value), "f")
