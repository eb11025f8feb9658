"""Read paths for cohort pages, review queues and a startup's timeline: a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kakehashi.accounts.models import Startup
from kakehashi.applications.models import Application, ApplicationState, Call
from kakehashi.cohorts.fiscal import fiscal_year_bounds
from kakehashi.cohorts.models import (
    AnnualReport,
    Cohort,
    CohortMember,
    FundingRound,
    MemberStatus,
    SurveyRequest,
    ValuationMark,
    Verification,
)
from kakehashi.core.timezones import to_tokyo
from kakehashi.extensions import db


@dataclass(frozen=True)
class CohortRow:
    cohort: Cohort
    counts: dict[MemberStatus, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def cohort_list() -> list[CohortRow]:
    """Every cohort with its call and member counts by status (one query)."""
    counts = (
        select(
            CohortMember.cohort_id.label("cohort_id"),
            *(
                func.count(CohortMember.id).filter(CohortMember.status == status).label(status.value)
                for status in MemberStatus
            ),
        )
        .group_by(CohortMember.cohort_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Cohort, *(counts.c[status.value] for status in MemberStatus))
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
        .options(joinedload(Cohort.call))
        .order_by(Cohort.starts_on.desc().nulls_last(), Cohort.id.desc())
    ).all()
    return [CohortRow(row[0], {status: row[i + 1] or 0 for i, status in enumerate(MemberStatus)}) for row in rows]


def cohort_members(cohort: Cohort) -> list[CohortMember]:
    return list(
        db.session.scalars(
            select(CohortMember)
            .where(CohortMember.cohort_id == cohort.id)
            .options(joinedload(CohortMember.startup))
            .order_by(CohortMember.joined_at, CohortMember.id)
        )
    )


def startups_not_in(cohort: Cohort) -> list[Startup]:
    """The startups staff may add to a cohort by hand."""
    present = select(CohortMember.startup_id).where(CohortMember.cohort_id == cohort.id)
    return list(db.session.scalars(select(Startup).where(Startup.id.not_in(present)).order_by(Startup.search_name)))


def surveys_of(cohort: Cohort) -> list[SurveyRequest]:
    return list(
        db.session.scalars(
            select(SurveyRequest).where(SurveyRequest.cohort_id == cohort.id).order_by(SurveyRequest.fiscal_year.desc())
        )
    )


def rounds_awaiting_review() -> list[FundingRound]:
    return list(
        db.session.scalars(
            select(FundingRound)
            .where(FundingRound.status == Verification.REPORTED)
            .options(joinedload(FundingRound.startup))
            .order_by(FundingRound.updated_at, FundingRound.id)
        )
    )


def reports_awaiting_review() -> list[AnnualReport]:
    return list(
        db.session.scalars(
            select(AnnualReport)
            .where(AnnualReport.status == Verification.REPORTED)
            .options(joinedload(AnnualReport.startup))
            .order_by(AnnualReport.updated_at, AnnualReport.id)
        )
    )


def mark_of_round(funding_round: FundingRound) -> ValuationMark | None:
    return db.session.scalar(select(ValuationMark).where(ValuationMark.funding_round_id == funding_round.id))


# --- a startup's timeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str  # "application", "decision", "cohort", "round", "valuation", "annual_report"
    obj: Any


def _day(moment: datetime | date) -> date:
    return to_tokyo(moment).date() if isinstance(moment, datetime) else moment


def startup_timeline(startup: Startup, applications: list[Application] | None = None) -> list[TimelineEntry]:
    """Applications and decisions, cohorts, rounds, valuation marks and annual reports, newest first.

    Four queries (five without ``applications``), whatever the number of rows.
    """
    if applications is None:
        applications = list(
            db.session.scalars(
                select(Application)
                .where(Application.startup_id == startup.id)
                .options(joinedload(Application.call).joinedload(Call.vertical))
            )
        )
    entries: list[TimelineEntry] = []
    for application in applications:
        if application.state is ApplicationState.DRAFT:
            continue
        entries.append(
            TimelineEntry(_day(application.submitted_at or application.created_at), "application", application)
        )
        if application.decided_at is not None and application.decision is not None:
            entries.append(TimelineEntry(_day(application.decided_at), "decision", application))
    memberships = db.session.scalars(
        select(CohortMember)
        .where(CohortMember.startup_id == startup.id)
        .options(joinedload(CohortMember.cohort).joinedload(Cohort.call))
    ).all()
    for member in memberships:
        entries.append(TimelineEntry(member.cohort.starts_on or _day(member.joined_at), "cohort", member))
    for funding_round in db.session.scalars(select(FundingRound).where(FundingRound.startup_id == startup.id)):
        entries.append(TimelineEntry(funding_round.announced_on, "round", funding_round))
    for mark in db.session.scalars(select(ValuationMark).where(ValuationMark.startup_id == startup.id)):
        entries.append(TimelineEntry(mark.as_of, "valuation", mark))
    for report in db.session.scalars(select(AnnualReport).where(AnnualReport.startup_id == startup.id)):
        entries.append(TimelineEntry(fiscal_year_bounds(report.fiscal_year)[1], "annual_report", report))
    order = {"annual_report": 0, "valuation": 1, "round": 2, "cohort": 3, "decision": 4, "application": 5}
    entries.sort(key=lambda e: (e.on, -order[e.kind], getattr(e.obj, "id", 0)), reverse=True)
    return entries
