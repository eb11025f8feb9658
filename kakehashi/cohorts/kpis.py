"""The ward's six indicators (policy measure ②): each one's actual for a fiscal year, its target and status.

The definitions are in ``shared/reference/kpis.md``. Every actual is computed from the platform's data
by an SQL aggregate over the *same* selection the drill-down page lists (``*_counted`` below), so the
number and the rows behind it cannot disagree. No data is ``None`` ("no data"), never 0.

- KGI — total valuation five years after support: the latest valuation mark on or before the as-of
  date of every startup in a cohort that started at least five years before it (a startup in two
  cohorts counts once); also the same total over all cohorts, "to date".
- KSI — overseas revenue share three years after graduation: verified annual reports for the fiscal
  year of startups whose cohort ended at least three years before the fiscal year began; the mean of
  overseas revenue ÷ revenue, skipping reports with no revenue (their share is undefined).
- Funding raised per fiscal year: verified rounds of cohort startups announced in the fiscal year, in
  JPY (each round's own stored amount × stored FX rate); a startup in two cohorts counts once.
- Overseas startups brought to the ward: counts the soft-landing cases (``LandingCase``) that reached
  their "operating in Japan" milestone in the fiscal year, once soft landing exists; ``None`` until then.
- Applications per call: submitted applications (not draft, not withdrawn) of each call that opened in
  the fiscal year, and the average over those calls.
- Joint events with overseas partner hubs: counts the partner events (``PartnerEvent``) held in the
  fiscal year, once partner events exist; ``None`` until then.

Targets: a ``KpiTarget`` row for (fiscal year, indicator) overrides the policy's default. Status: met
(actual ≥ target), on track (the period is not over and the actual is at least the target × the share
of the period elapsed), behind otherwise; stock indicators (valuation, share) are met or behind.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Select, and_, case, cast, extract, func, literal, select, union_all

from kakehashi.applications.models import Application, ApplicationState, Call, CallState
from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.cohorts.models import (
    AnnualReport,
    Cohort,
    CohortMember,
    FundingRound,
    KpiTarget,
    ValuationMark,
    Verification,
)
from kakehashi.core import audit
from kakehashi.core.db import utcnow
from kakehashi.core.timezones import TOKYO, tokyo_day_bounds
from kakehashi.extensions import db

KGI_YEARS_AFTER_SUPPORT = 5
KSI_YEARS_AFTER_GRADUATION = 3
SHARE_PLACES = Decimal("0.0001")
NOT_SUBMITTED = (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)


class Indicator(enum.StrEnum):
    VALUATION = "valuation"  # KGI
    OVERSEAS_SHARE = "overseas_share"  # KSI
    FUNDING = "funding"
    ATTRACTED = "attracted"
    APPLICATIONS = "applications"
    EVENTS = "events"


class Unit(enum.StrEnum):
    JPY = "jpy"
    SHARE = "share"  # a fraction: 0.15 is 15 %
    COUNT = "count"


class Status(enum.StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    BEHIND = "behind"

    @property
    def label(self) -> str:
        return str({Status.MET: _l("Met"), Status.ON_TRACK: _l("On track"), Status.BEHIND: _l("Behind")}[self])


@dataclass(frozen=True)
class Definition:
    indicator: Indicator
    level: Any  # lazy strings, evaluated in the viewer's language
    name: Any
    target_text: Any  # how the policy states the target
    how_obtained: Any  # the policy's wording of how the number is obtained
    rule: Any  # how the platform computes it
    unit: Unit
    default_target: Decimal
    flow: bool  # accumulates over the period (pro-rata "on track"), else a stock (met / behind)
    available: bool = True  # False until the feature holding its data exists


DEFINITIONS: dict[Indicator, Definition] = {
    d.indicator: d
    for d in [
        Definition(
            Indicator.VALUATION,
            _l("KGI"),
            _l("Total valuation of supported startups five years after support"),
            _l("¥10bn in total"),
            _l(
                "Commercial registry information, press releases at funding and trusted databases "
                "(e.g. INITIAL); for unlisted companies, the valuation at the latest funding round is tracked."
            ),
            _l(
                "Latest valuation mark, on or before the as-of date, of every startup in a cohort that started "
                "at least five years before that date; each startup counted once."
            ),
            Unit.JPY,
            Decimal(10_000_000_000),
            flow=False,
        ),
        Definition(
            Indicator.OVERSEAS_SHARE,
            _l("KSI"),
            _l("Overseas revenue share three years after graduation"),
            _l("An average of at least 15%"),
            _l("Annual follow-up survey of supported companies, aggregated from their own reports."),
            _l(
                "Verified annual reports for the fiscal year of startups whose cohort ended at least three years "
                "before the fiscal year began; mean of overseas revenue ÷ revenue (reports without revenue are "
                "skipped: their share is undefined)."
            ),
            Unit.SHARE,
            Decimal("0.15"),
            flow=False,
        ),
        Definition(
            Indicator.FUNDING,
            _l("KPI (outcome)"),
            _l("Funding raised by supported startups per year"),
            _l("¥1bn a year"),
            _l("Monitoring of press releases and news reports, and admission agreements."),
            _l(
                "Verified funding rounds of cohort startups announced in the fiscal year, converted to yen "
                "with each round's stored exchange rate."
            ),
            Unit.JPY,
            Decimal(1_000_000_000),
            flow=True,
        ),
        Definition(
            Indicator.ATTRACTED,
            _l("KPI (outcome)"),
            _l("Overseas startups brought to the ward through the programme"),
            _l("5 a year"),
            _l("Monitoring of press releases and news reports, and admission agreements."),
            _l(
                "Soft-landing cases of overseas startups that reached their “operating in Japan” milestone in "
                "the fiscal year. Available once soft-landing cases are tracked on the platform."
            ),
            Unit.COUNT,
            Decimal(5),
            flow=True,
            available=False,
        ),
        Definition(
            Indicator.APPLICATIONS,
            _l("KPI (output)"),
            _l("Applications per accelerator call"),
            _l("100 per call"),
            _l("The programme's application management system."),
            _l(
                "Submitted applications (not drafts, not withdrawn) of each call that opened in the fiscal year, "
                "and their average per call."
            ),
            Unit.COUNT,
            Decimal(100),
            flow=True,
        ),
        Definition(
            Indicator.EVENTS,
            _l("KPI (output)"),
            _l("Joint events with overseas partner hubs"),
            _l("4 a year"),
            _l("Event reports."),
            _l(
                "Partner events (pitches, meet-ups, …) held in the fiscal year. Available once partner events "
                "are tracked on the platform."
            ),
            Unit.COUNT,
            Decimal(4),
            flow=True,
            available=False,
        ),
    ]
}


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


# --- KGI: valuation ---------------------------------------------------------------------------------

# Every member counts, whatever their status: the reference counts "every startup in cohorts".
_first_start = (
    select(CohortMember.startup_id.label("startup_id"), func.min(Cohort.starts_on).label("first_start"))
    .join(Cohort, Cohort.id == CohortMember.cohort_id)
    .group_by(CohortMember.startup_id)
    .subquery("first_start")
)


def _latest_marks(as_of: date) -> Any:
    """Each cohort startup's latest mark on or before ``as_of`` (ties: the later recorded), with the
    start of its first cohort."""
    ranked = (
        select(
            ValuationMark.id.label("mark_id"),
            ValuationMark.startup_id.label("startup_id"),
            ValuationMark.valuation_jpy.label("valuation_jpy"),
            _first_start.c.first_start.label("first_start"),
            func.row_number()
            .over(
                partition_by=ValuationMark.startup_id,
                order_by=(ValuationMark.as_of.desc(), ValuationMark.id.desc()),
            )
            .label("position"),
        )
        .join(_first_start, _first_start.c.startup_id == ValuationMark.startup_id)
        .where(ValuationMark.as_of <= as_of)
        .subquery("ranked")
    )
    return ranked


def kgi_cutoff(as_of: date) -> date:
    """Cohorts that started on or before this day count in the KGI on ``as_of``."""
    return years_before(as_of, KGI_YEARS_AFTER_SUPPORT)


def valuation_marks_counted(as_of: date, *, to_date: bool = False) -> Select[tuple[ValuationMark]]:
    """The marks the KGI (or, with ``to_date``, the all-cohorts total) adds up on ``as_of``."""
    ranked = _latest_marks(as_of)
    conditions = [ranked.c.position == 1]
    if not to_date:
        conditions.append(ranked.c.first_start <= kgi_cutoff(as_of))
    return (
        select(ValuationMark)
        .where(ValuationMark.id.in_(select(ranked.c.mark_id).where(*conditions)))
        .order_by(ValuationMark.valuation_jpy.desc(), ValuationMark.id)
    )


@dataclass(frozen=True)
class ValuationActual:
    kgi: int | None
    kgi_startups: int
    to_date: int | None
    to_date_startups: int


def valuation_totals(as_of: date) -> ValuationActual:
    """One query: the KGI total and the all-cohorts total on ``as_of``."""
    ranked = _latest_marks(as_of)
    eligible = ranked.c.first_start <= kgi_cutoff(as_of)
    row = db.session.execute(
        select(
            func.sum(ranked.c.valuation_jpy).filter(eligible),
            func.count().filter(eligible),
            func.sum(ranked.c.valuation_jpy),
            func.count(),
        ).where(ranked.c.position == 1)
    ).one()
    return ValuationActual(
        int(row[0]) if row[0] is not None else None,
        int(row[1] or 0),
        int(row[2]) if row[2] is not None else None,
        int(row[3] or 0),
    )


def valuation_over_time(days: list[date]) -> dict[date, int | None]:
    """Total valuation of all cohort startups on each day (one query however many days)."""
    if not days:
        return {}
    parts = []
    for day in days:
        ranked = _latest_marks(day)
        parts.append(
            select(literal(day.isoformat()).label("day"), func.sum(ranked.c.valuation_jpy).label("total")).where(
                ranked.c.position == 1
            )
        )
    rows = db.session.execute(union_all(*parts)).all()
    totals = {str(day): total for day, total in rows}
    return {day: int(totals[day.isoformat()]) if totals.get(day.isoformat()) is not None else None for day in days}


# --- KSI: overseas revenue share --------------------------------------------------------------------


def ksi_cutoff(fiscal_year: int) -> date:
    """Cohorts that ended on or before this day count in the KSI for ``fiscal_year``."""
    return years_before(fiscal_year_bounds(fiscal_year)[0], KSI_YEARS_AFTER_GRADUATION)


def _graduated_startups(ended_on_or_before: date) -> Select[tuple[int]]:
    return (
        select(CohortMember.startup_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.ends_on.is_not(None), Cohort.ends_on <= ended_on_or_before)
    )


def overseas_reports_counted(fiscal_year: int) -> Select[tuple[AnnualReport]]:
    """The verified reports the KSI looks at (those without revenue are listed, and skipped in the mean)."""
    return (
        select(AnnualReport)
        .where(
            AnnualReport.fiscal_year == fiscal_year,
            AnnualReport.status == Verification.VERIFIED,
            AnnualReport.startup_id.in_(_graduated_startups(ksi_cutoff(fiscal_year))),
        )
        .order_by(AnnualReport.startup_id)
    )


def _share_expression() -> Any:
    """Overseas ÷ revenue in SQL, as a float (integer division on SQLite otherwise); NULL without revenue."""
    return case(
        (
            AnnualReport.revenue_jpy > 0,
            cast(AnnualReport.overseas_revenue_jpy, Float) / cast(AnnualReport.revenue_jpy, Float),
        ),
        else_=None,
    )


def to_share(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ShareActual:
    mean: Decimal | None
    reports: int  # reports with a defined share, in the mean
    skipped: int  # reports with no revenue


def overseas_share(fiscal_year: int) -> ShareActual:
    counted = overseas_reports_counted(fiscal_year).order_by(None).subquery()
    share = case(
        (counted.c.revenue_jpy > 0, cast(counted.c.overseas_revenue_jpy, Float) / cast(counted.c.revenue_jpy, Float)),
        else_=None,
    )
    mean, defined, total = db.session.execute(
        select(func.avg(share), func.count(share), func.count(counted.c.id))
    ).one()
    return ShareActual(to_share(mean), int(defined or 0), int(total or 0) - int(defined or 0))


@dataclass(frozen=True)
class CohortShare:
    cohort_id: int
    name: dict[str, str]
    ends_on: date
    mean: Decimal | None
    reports: int
    counts_in_ksi: bool


def share_per_graduated_cohort(fiscal_year: int) -> list[CohortShare]:
    """For each cohort that has ended by the end of the year: the mean share of its members' verified
    reports for the year (one query)."""
    end = fiscal_year_bounds(fiscal_year)[1]
    share = _share_expression()
    rows = db.session.execute(
        select(Cohort.id, Cohort.name, Cohort.ends_on, func.avg(share), func.count(share))
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .outerjoin(
            AnnualReport,
            and_(
                AnnualReport.startup_id == CohortMember.startup_id,
                AnnualReport.fiscal_year == fiscal_year,
                AnnualReport.status == Verification.VERIFIED,
            ),
        )
        .where(Cohort.ends_on.is_not(None), Cohort.ends_on <= end)
        .group_by(Cohort.id)  # the primary key: name (JSON) and ends_on follow from it
        .order_by(Cohort.ends_on, Cohort.id)
    ).all()
    cutoff = ksi_cutoff(fiscal_year)
    return [
        CohortShare(cid, name, ends_on, to_share(mean), int(n), ends_on <= cutoff)
        for cid, name, ends_on, mean, n in rows
    ]


# --- funding ----------------------------------------------------------------------------------------


def _cohort_startups() -> Select[tuple[int]]:
    return select(CohortMember.startup_id)


def funding_rounds_counted(fiscal_year: int) -> Select[tuple[FundingRound]]:
    """Verified rounds of cohort startups announced in the fiscal year (``IN``: two cohorts, counted once)."""
    start, end = fiscal_year_bounds(fiscal_year)
    return (
        select(FundingRound)
        .where(
            FundingRound.status == Verification.VERIFIED,
            FundingRound.announced_on >= start,
            FundingRound.announced_on <= end,
            FundingRound.startup_id.in_(_cohort_startups()),
        )
        .order_by(FundingRound.announced_on, FundingRound.id)
    )


def funding_total(fiscal_year: int) -> tuple[int | None, int]:
    counted = funding_rounds_counted(fiscal_year).order_by(None).subquery()
    total, rounds = db.session.execute(select(func.sum(counted.c.amount_jpy), func.count(counted.c.id))).one()
    return (int(total) if total is not None else None), int(rounds or 0)


def _fiscal_year_sql(column: Any) -> Any:
    year = cast(extract("year", column), db.Integer)
    return case((cast(extract("month", column), db.Integer) >= 4, year), else_=year - 1)


def funding_per_year() -> dict[int, int]:
    """Verified funding of cohort startups per fiscal year, every year with any (one query)."""
    fy = _fiscal_year_sql(FundingRound.announced_on).label("fy")
    rows = db.session.execute(
        select(fy, func.sum(FundingRound.amount_jpy))
        .where(FundingRound.status == Verification.VERIFIED, FundingRound.startup_id.in_(_cohort_startups()))
        .group_by(fy)
        .order_by(fy)
    ).all()
    return {int(year): int(total) for year, total in rows}


# --- applications per call --------------------------------------------------------------------------


def calls_of_year(fiscal_year: int) -> Select[tuple[Call]]:
    """Calls that opened (Tokyo time) in the fiscal year; drafts never opened."""
    start, end = Period.of(fiscal_year).utc_bounds()
    return select(Call).where(Call.state != CallState.DRAFT, Call.opens_at >= start, Call.opens_at < end)


def applications_counted(fiscal_year: int) -> Select[tuple[Application]]:
    calls = calls_of_year(fiscal_year).with_only_columns(Call.id)
    return (
        select(Application)
        .where(Application.call_id.in_(calls), Application.state.not_in(NOT_SUBMITTED))
        .order_by(Application.call_id, Application.submitted_at, Application.id)
    )


@dataclass
class CallCount:
    call: Call
    submitted: int
    elapsed: Decimal  # share of the call's window passed: 1 once it has closed
    status: Status | None = None


def call_elapsed(call: Call, now: datetime) -> Decimal:
    if now >= call.closes_at:
        return Decimal(1)
    if now <= call.opens_at:
        return Decimal(0)
    return Decimal((now - call.opens_at).total_seconds()) / Decimal((call.closes_at - call.opens_at).total_seconds())


def applications_per_call(fiscal_year: int | None, target: Decimal, now: datetime | None = None) -> list[CallCount]:
    """Submitted applications of each call (of the year, or every call that opened), one query."""
    now = now or utcnow()
    calls = calls_of_year(fiscal_year) if fiscal_year is not None else select(Call).where(Call.state != CallState.DRAFT)
    submitted = func.count(Application.id).filter(Application.state.not_in(NOT_SUBMITTED))
    rows = db.session.execute(
        calls.add_columns(submitted)
        .outerjoin(Application, Application.call_id == Call.id)
        .group_by(Call.id)
        .order_by(Call.opens_at, Call.id)
    ).all()
    counts = []
    for call, n in rows:
        elapsed = call_elapsed(call, now)
        counts.append(CallCount(call, int(n), elapsed, status_of(int(n), target, elapsed=elapsed)))
    return counts


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

    # Counts LandingCase "operating in Japan" milestones once soft landing exists.
    results.append(Result(DEFINITIONS[Indicator.ATTRACTED], targets[Indicator.ATTRACTED], None, None))

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

    # Counts PartnerEvent rows held in the fiscal year once partner events exist.
    results.append(Result(DEFINITIONS[Indicator.EVENTS], targets[Indicator.EVENTS], None, None))
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
