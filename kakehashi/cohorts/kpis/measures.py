"""Each indicator's actual, computed in SQL over the same selection its drill-down lists (``*_counted``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Float, Select, and_, case, cast, extract, func, literal, select, union_all

from kakehashi.applications.models import Application, Call, CallState
from kakehashi.cohorts.fiscal import fiscal_year_bounds
from kakehashi.cohorts.kpis.definitions import (
    KGI_YEARS_AFTER_SUPPORT,
    KSI_YEARS_AFTER_GRADUATION,
    NOT_SUBMITTED,
    SHARE_PLACES,
    Status,
)
from kakehashi.cohorts.kpis.periods import Period, status_of, years_before
from kakehashi.cohorts.models import AnnualReport, Cohort, CohortMember, FundingRound, ValuationMark, Verification
from kakehashi.core.db import utcnow
from kakehashi.extensions import db
from kakehashi.partners.models import PartnerEvent
from kakehashi.softlanding.models import LandingCase

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


# --- overseas startups brought to the ward, joint events --------------------------------------------


def cases_counted(fiscal_year: int) -> Select[tuple[LandingCase]]:
    """Soft-landing cases whose "operating in Japan" milestone was reached in the fiscal year."""
    start, end = fiscal_year_bounds(fiscal_year)
    return (
        select(LandingCase)
        .where(LandingCase.operating_on >= start, LandingCase.operating_on <= end)
        .order_by(LandingCase.operating_on, LandingCase.id)
    )


def events_counted(fiscal_year: int) -> Select[tuple[PartnerEvent]]:
    """Joint events with partner hubs held in the fiscal year."""
    start, end = fiscal_year_bounds(fiscal_year)
    return (
        select(PartnerEvent)
        .where(PartnerEvent.held_on >= start, PartnerEvent.held_on <= end)
        .order_by(PartnerEvent.held_on, PartnerEvent.id)
    )


def _count_in_year(column: Any, fiscal_year: int) -> int | None:
    """Rows whose ``column`` date falls in the year; ``None`` ("no data") while nothing has been recorded
    on or before the year's end (the year has not started, or the ward did not record these yet) —
    once records exist, a year without any is a real 0 (one query)."""
    start, end = fiscal_year_bounds(fiscal_year)
    in_year, so_far = db.session.execute(
        select(
            func.count().filter(column >= start, column <= end),
            func.count().filter(column <= end),
        ).select_from(column.table)
    ).one()
    return int(in_year) if so_far else None


def attracted_count(fiscal_year: int) -> int | None:
    return _count_in_year(LandingCase.operating_on, fiscal_year)


def events_count(fiscal_year: int) -> int | None:
    return _count_in_year(PartnerEvent.held_on, fiscal_year)
