"""Fiscal-year periods seen from today, the status rule, and the targets staff set per year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.cohorts.kpis.definitions import DEFINITIONS, Indicator, Status
from kakehashi.cohorts.models import KpiTarget
from kakehashi.core import audit
from kakehashi.core.db import utcnow
from kakehashi.core.timezones import TOKYO, tokyo_day_bounds
from kakehashi.extensions import db

# --- periods ----------------------------------------------------------------------------------------


def today_in_tokyo() -> date:
    return utcnow().astimezone(TOKYO).date()


def current_fiscal_year(today: date | None = None) -> int:
    return fiscal_year_of(today or today_in_tokyo())


@dataclass(frozen=True)
class Period:
    """A fiscal year seen from ``today``: its bounds, the as-of date and how much of it has passed."""

    fiscal_year: int
    start: date
    end: date
    today: date

    @classmethod
    def of(cls, fiscal_year: int, today: date | None = None) -> Period:
        start, end = fiscal_year_bounds(fiscal_year)
        return cls(fiscal_year, start, end, today or today_in_tokyo())

    @property
    def as_of(self) -> date:
        """The last day the figures can cover: the end of the year, or today while it runs."""
        return min(self.end, self.today)

    @property
    def is_over(self) -> bool:
        return self.today > self.end

    @property
    def has_started(self) -> bool:
        return self.today >= self.start

    @property
    def elapsed(self) -> Decimal:
        """Share of the year passed, counting today: 0 before it starts, 1 once it is over."""
        if not self.has_started:
            return Decimal(0)
        if self.is_over:
            return Decimal(1)
        return Decimal((self.today - self.start).days + 1) / Decimal((self.end - self.start).days + 1)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants at which the year starts (Tokyo) and the next one starts."""
        return tokyo_day_bounds(self.start)[0], tokyo_day_bounds(self.end)[1]


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def status_of(actual: Any, target: Decimal, *, elapsed: Decimal = Decimal(1)) -> Status | None:
    """Met, on track (``elapsed`` < 1 and actual ≥ target × elapsed), behind; None without data."""
    if actual is None:
        return None
    actual = Decimal(actual)
    if actual >= target:
        return Status.MET
    if elapsed < 1 and actual >= target * elapsed:
        return Status.ON_TRACK
    return Status.BEHIND


# --- targets ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    value: Decimal
    is_default: bool


def targets_for(fiscal_year: int) -> dict[Indicator, Target]:
    """Each indicator's target for the year: the staff's ``KpiTarget`` or the policy default."""
    edited = {
        row.indicator: row.target
        for row in db.session.scalars(select(KpiTarget).where(KpiTarget.fiscal_year == fiscal_year))
    }
    return {
        indicator: Target(Decimal(edited[indicator]), False)
        if indicator in edited
        else Target(definition.default_target, True)
        for indicator, definition in DEFINITIONS.items()
    }


def target_history(indicator: Indicator, fiscal_years: list[int]) -> dict[int, Decimal]:
    edited = dict(
        db.session.execute(
            select(KpiTarget.fiscal_year, KpiTarget.target).where(
                KpiTarget.indicator == indicator.value, KpiTarget.fiscal_year.in_(fiscal_years)
            )
        ).all()
    )
    default = DEFINITIONS[indicator].default_target
    return {fy: Decimal(edited.get(fy, default)) for fy in fiscal_years}


def set_target(fiscal_year: int, indicator: Indicator, value: Decimal | None, *, by: Any) -> None:
    """Set (or, with ``None``, reset to the policy default) a year's target; audited. The caller commits."""
    row = db.session.scalar(
        select(KpiTarget).where(KpiTarget.fiscal_year == fiscal_year, KpiTarget.indicator == indicator.value)
    )
    old = Decimal(row.target) if row is not None else None
    if value is None or value == DEFINITIONS[indicator].default_target:
        if row is None:
            return
        db.session.delete(row)
        new: Decimal | None = None
    else:
        if old is not None and old == value:
            return
        if row is None:
            row = KpiTarget(fiscal_year=fiscal_year, indicator=indicator.value, target=value)
            db.session.add(row)
        row.target = value
        row.updated_by_id = getattr(by, "id", None)
        new = value
    db.session.flush()
    audit.record(
        by,
        "kpi_target.updated",
        None,
        {
            "fiscal_year": fiscal_year,
            "indicator": indicator.value,
            "from": str(old) if old is not None else None,
            "to": str(new) if new is not None else None,
        },
    )
