"""The dashboard's summary: the six indicators for a fiscal year, and the years and days charts cover."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select, union_all

from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.cohorts.kpis.definitions import DEFINITIONS, Definition, Indicator, Status
from kakehashi.cohorts.kpis.measures import (
    applications_per_call,
    attracted_count,
    events_count,
    funding_total,
    kgi_cutoff,
    ksi_cutoff,
    overseas_share,
    valuation_totals,
)
from kakehashi.cohorts.kpis.periods import Period, Target, current_fiscal_year, status_of, targets_for, today_in_tokyo
from kakehashi.cohorts.models import Cohort, FundingRound, ValuationMark
from kakehashi.extensions import db

# --- the summary ------------------------------------------------------------------------------------


@dataclass
class Result:
    definition: Definition
    target: Target
    actual: Any  # int yen, Decimal share, int/Decimal count; None = no data
    status: Status | None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def indicator(self) -> Indicator:
        return self.definition.indicator


def summary(fiscal_year: int, today: date | None = None, now: datetime | None = None) -> list[Result]:
    """The six indicators for a fiscal year, in the policy's order (a fixed number of queries)."""
    period = Period.of(fiscal_year, today)
    targets = targets_for(fiscal_year)
    results: list[Result] = []

    valuation = valuation_totals(period.as_of)
    target = targets[Indicator.VALUATION]
    results.append(
        Result(
            DEFINITIONS[Indicator.VALUATION],
            target,
            valuation.kgi,
            status_of(valuation.kgi, target.value),
            {
                "as_of": period.as_of,
                "cutoff": kgi_cutoff(period.as_of),
                "startups": valuation.kgi_startups,
                "to_date": valuation.to_date,
                "to_date_startups": valuation.to_date_startups,
            },
        )
    )

    share = overseas_share(fiscal_year)
    target = targets[Indicator.OVERSEAS_SHARE]
    results.append(
        Result(
            DEFINITIONS[Indicator.OVERSEAS_SHARE],
            target,
            share.mean,
            status_of(share.mean, target.value),
            {
                "reports": share.reports,
                "skipped": share.skipped,
                "cutoff": ksi_cutoff(fiscal_year),
                "reports_pending": not period.is_over,
            },
        )
    )

    total, rounds = funding_total(fiscal_year)
    target = targets[Indicator.FUNDING]
    results.append(
        Result(
            DEFINITIONS[Indicator.FUNDING],
            target,
            total,
            status_of(total, target.value, elapsed=period.elapsed),
            {"rounds": rounds, "elapsed": period.elapsed},
        )
    )

    attracted = attracted_count(fiscal_year)
    target = targets[Indicator.ATTRACTED]
    results.append(
        Result(
            DEFINITIONS[Indicator.ATTRACTED],
            target,
            attracted,
            status_of(attracted, target.value, elapsed=period.elapsed),
            {"elapsed": period.elapsed},
        )
    )

    target = targets[Indicator.APPLICATIONS]
    calls = applications_per_call(fiscal_year, target.value, now)
    average = (
        (Decimal(sum(c.submitted for c in calls)) / len(calls)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if calls
        else None
    )
    elapsed = sum((c.elapsed for c in calls), Decimal(0)) / len(calls) if calls else Decimal(1)
    results.append(
        Result(
            DEFINITIONS[Indicator.APPLICATIONS],
            target,
            average,
            status_of(average, target.value, elapsed=elapsed),
            {"calls": calls},
        )
    )

    events = events_count(fiscal_year)
    target = targets[Indicator.EVENTS]
    results.append(
        Result(
            DEFINITIONS[Indicator.EVENTS],
            target,
            events,
            status_of(events, target.value, elapsed=period.elapsed),
            {"elapsed": period.elapsed},
        )
    )
    return results


def fiscal_years_with_data(today: date | None = None) -> list[int]:
    """The years the selector offers: from the first cohort, round or mark to next year (one query)."""
    current = current_fiscal_year(today)
    first = _earliest_day()
    start = min(fiscal_year_of(first), current) if first else current
    return list(range(start, current + 2))


def _earliest_day() -> date | None:
    days = union_all(
        select(func.min(Cohort.starts_on).label("d")),
        select(func.min(FundingRound.announced_on).label("d")),
        select(func.min(ValuationMark.as_of).label("d")),
    ).subquery("days")
    value = db.session.scalar(select(func.min(days.c.d)))
    if isinstance(value, str):  # SQLite returns MIN over a union as text
        value = date.fromisoformat(value)
    return value


def year_end_days(first_fiscal_year: int, today: date | None = None) -> list[date]:
    """The last day of each fiscal year from ``first_fiscal_year`` to last year, then today."""
    today = today or today_in_tokyo()
    days = [fiscal_year_bounds(fy)[1] for fy in range(first_fiscal_year, fiscal_year_of(today))]
    return [*days, today]
