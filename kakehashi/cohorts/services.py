"""Operations on cohorts, funding rounds, valuation marks, annual reports and follow-up surveys.

Each takes objects and the acting user, changes state (statuses only through ``transition_to``),
writes the audit row and queues email in the same transaction, and flushes; the caller commits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kakehashi.accounts.models import Startup, StartupMember, User
from kakehashi.cohorts.fiscal import fiscal_year_of
from kakehashi.cohorts.models import (
    AnnualReport,
    Cohort,
    CohortMember,
    FundingRound,
    MemberStatus,
    SurveyRequest,
    ValuationBasis,
    ValuationMark,
    Verification,
)
from kakehashi.cohorts.validation import (
    MAX_AMOUNT_JPY,
    AlreadyMember,
    AlreadyVerified,
    InvalidCohortDates,
    InvalidFigures,
    NoteRequired,
    RoundValues,
    SurveyAlreadySent,
    report_errors,
    round_errors,
)
from kakehashi.core import audit, outbox
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError
from kakehashi.core.timezones import to_tokyo
from kakehashi.extensions import db

SURVEY_REMINDER_AFTER = timedelta(days=14)
# Members of these statuses are asked for their annual figures.
SURVEYED_STATUSES = (MemberStatus.ACTIVE, MemberStatus.GRADUATED)


def tokyo_today(now: datetime | None = None) -> date:
    return to_tokyo(now or utcnow()).date()


# --- cohorts (staff) --------------------------------------------------------------------------------


def save_cohort(
    cohort: Cohort | None, *, by: User, name: dict[str, str], starts_on: date | None, ends_on: date | None
) -> Cohort:
    """Create a cohort by hand (no call: e.g. from before the platform) or change its name and dates."""
    if starts_on and ends_on and ends_on < starts_on:
        raise InvalidCohortDates()
    created = cohort is None
    if cohort is None:
        cohort = Cohort(call_id=None)
        db.session.add(cohort)
    cohort.name, cohort.starts_on, cohort.ends_on = name, starts_on, ends_on
    db.session.flush()
    audit.record(
        by,
        "cohort.created" if created else "cohort.updated",
        cohort,
        {"starts_on": starts_on, "ends_on": ends_on},
    )
    return cohort


def add_member(cohort: Cohort, startup: Startup, *, by: User) -> CohortMember:
    exists = db.session.scalar(
        select(CohortMember.id).where(CohortMember.cohort_id == cohort.id, CohortMember.startup_id == startup.id)
    )
    if exists is not None:
        raise AlreadyMember()
    member = CohortMember(cohort_id=cohort.id, startup_id=startup.id, status=MemberStatus.ACTIVE)
    db.session.add(member)
    db.session.flush()
    audit.record(by, "cohort.member_added", cohort, {"startup": startup.id, "by_hand": True})
    return member


def change_member_status(member: CohortMember, new: MemberStatus, *, by: User | None) -> None:
    if member.status is new:
        return
    old, member.status = member.status, new
    audit.record(by, "cohort.member_status", member, {"from": old.value, "to": new.value, "cohort": member.cohort_id})
    db.session.flush()


def graduate_due(*, today: date, by: User | None = None) -> int:
    """Active members of cohorts whose programme has ended (``ends_on`` on or before today) graduate."""
    members = db.session.scalars(
        select(CohortMember)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.status == MemberStatus.ACTIVE, Cohort.ends_on.is_not(None), Cohort.ends_on <= today)
        .order_by(CohortMember.id)
    ).all()
    for member in members:
        change_member_status(member, MemberStatus.GRADUATED, by=by)
    return len(members)


# --- funding rounds -----------------------------------------------------------------------------------


def _apply_round(funding_round: FundingRound, values: RoundValues) -> None:
    funding_round.announced_on = values.announced_on
    funding_round.stage = values.stage
    funding_round.set_money(
        currency=values.currency.strip(),
        amount=values.amount,
        fx_rate_to_jpy=values.fx_rate_to_jpy if values.fx_rate_to_jpy is not None else Decimal("1"),
        pre_money=values.pre_money,
        post_money=values.post_money,
    )
    funding_round.investors = (values.investors or "").strip() or None
    funding_round.source_url = (values.source_url or "").strip() or None


def report_round(startup: Startup, values: RoundValues, *, by: User, today: date | None = None) -> FundingRound:
    """A round reported by a member (or staff); it counts only once staff verify it."""
    errors = round_errors(values, today=today or tokyo_today())
    if errors:
        raise InvalidFigures(errors)
    funding_round = FundingRound(startup_id=startup.id, status=Verification.REPORTED, reported_by_id=by.id)
    _apply_round(funding_round, values)
    db.session.add(funding_round)
    db.session.flush()
    audit.record(by, "funding_round.reported", funding_round, {"startup": startup.id})
    return funding_round


def correct_round(funding_round: FundingRound, values: RoundValues, *, by: User, today: date | None = None) -> None:
    """Correct a round that is still awaiting review, or a rejected one (which is then reported again)."""
    if funding_round.status is Verification.VERIFIED:
        raise AlreadyVerified()
    errors = round_errors(values, today=today or tokyo_today())
    if errors:
        raise InvalidFigures(errors)
    _apply_round(funding_round, values)
    funding_round.reported_by_id = by.id
    if funding_round.status is Verification.REJECTED:
        funding_round.transition_to(Verification.REPORTED, by=by)
    audit.record(by, "funding_round.corrected", funding_round)
    db.session.flush()


def review_round(funding_round: FundingRound, *, verify: bool, note: str | None, by: User) -> ValuationMark | None:
    """Staff verify or reject a reported round. Verifying a round with a post-money marks the valuation."""
    note = (note or "").strip() or None
    if not verify and not note:
        raise NoteRequired()
    funding_round.transition_to(Verification.VERIFIED if verify else Verification.REJECTED, by=by)
    funding_round.reviewed_by_id, funding_round.reviewed_at, funding_round.review_note = by.id, utcnow(), note
    mark = None
    if verify and funding_round.post_money is not None:
        mark = ValuationMark(
            startup_id=funding_round.startup_id,
            as_of=funding_round.announced_on,
            valuation_jpy=funding_round.post_money_jpy,
            basis=ValuationBasis.ROUND_POST_MONEY,
            funding_round_id=funding_round.id,
            recorded_by_id=by.id,
        )
        db.session.add(mark)
        db.session.flush()
        audit.record(by, "valuation_mark.created", mark, {"funding_round": funding_round.id})
    db.session.flush()
    template = "cohorts/round_verified" if verify else "cohorts/round_rejected"
    startup = db.session.get(Startup, funding_round.startup_id)
    for member in members_of(funding_round.startup_id):
        outbox.queue(member, template, funding_round=funding_round, startup=startup)
    return mark


# --- valuation marks (staff) -------------------------------------------------------------------------

MANUAL_BASES = (ValuationBasis.MARKET_CAP, ValuationBasis.STAFF_ESTIMATE, ValuationBasis.EXIT)


class InvalidMark(DomainError):
    def __init__(self, message: Any) -> None:
        super().__init__(message)


def add_valuation_mark(
    startup: Startup,
    *,
    by: User,
    as_of: date,
    valuation_jpy: int,
    basis: ValuationBasis,
    note: str | None,
    today: date | None = None,
) -> ValuationMark:
    """A mark staff record by hand; round post-money marks come only from verified rounds."""
    if basis not in MANUAL_BASES:
        raise InvalidMark(_l("Post-money marks are created when a round is verified."))
    if as_of > (today or tokyo_today()):
        raise InvalidMark(_l("A valuation mark cannot be dated in the future."))
    if not 0 < valuation_jpy <= MAX_AMOUNT_JPY * 100:
        raise InvalidMark(_l("The valuation must be more than zero and a plausible figure."))
    mark = ValuationMark(
        startup_id=startup.id,
        as_of=as_of,
        valuation_jpy=valuation_jpy,
        basis=basis,
        note=(note or "").strip() or None,
        recorded_by_id=by.id,
    )
    db.session.add(mark)
    db.session.flush()
    audit.record(by, "valuation_mark.created", mark, {"startup": startup.id, "basis": basis.value})
    return mark


# --- annual reports ------------------------------------------------------------------------------------


def reportable_fiscal_year(fiscal_year: int, *, today: date | None = None) -> bool:
    """Figures are reported for past fiscal years and the current one, from 1990."""
    return 1990 <= fiscal_year <= fiscal_year_of(today or tokyo_today())


def annual_report_of(startup: Startup, fiscal_year: int) -> AnnualReport | None:
    return db.session.scalar(
        select(AnnualReport).where(AnnualReport.startup_id == startup.id, AnnualReport.fiscal_year == fiscal_year)
    )


def save_annual_report(
    startup: Startup,
    fiscal_year: int,
    *,
    by: User,
    revenue_jpy: int,
    overseas_revenue_jpy: int,
    employees: int | None,
) -> AnnualReport:
    """Report a fiscal year's figures, or correct them before verification (a rejected report is re-reported)."""
    errors = report_errors(revenue_jpy, overseas_revenue_jpy, employees)
    if not reportable_fiscal_year(fiscal_year):
        errors["fiscal_year"] = _l("Figures can be reported for past fiscal years and the current one only.")
    if errors:
        raise InvalidFigures(errors)
    report = annual_report_of(startup, fiscal_year)
    created = report is None
    if report is None:
        report = AnnualReport(startup_id=startup.id, fiscal_year=fiscal_year, status=Verification.REPORTED)
        db.session.add(report)
    elif report.status is Verification.VERIFIED:
        raise AlreadyVerified()
    report.revenue_jpy, report.overseas_revenue_jpy, report.employees = revenue_jpy, overseas_revenue_jpy, employees
    report.reported_by_id = by.id
    db.session.flush()
    if report.status is Verification.REJECTED:
        report.transition_to(Verification.REPORTED, by=by)
    audit.record(by, "annual_report.reported" if created else "annual_report.corrected", report)
    db.session.flush()
    return report


def review_annual_report(report: AnnualReport, *, verify: bool, note: str | None, by: User) -> None:
    note = (note or "").strip() or None
    if not verify and not note:
        raise NoteRequired()
    report.transition_to(Verification.VERIFIED if verify else Verification.REJECTED, by=by)
    report.reviewed_by_id, report.reviewed_at, report.review_note = by.id, utcnow(), note
    db.session.flush()
    template = "cohorts/report_verified" if verify else "cohorts/report_rejected"
    startup = db.session.get(Startup, report.startup_id)
    for member in members_of(report.startup_id):
        outbox.queue(member, template, report=report, startup=startup)


# --- follow-up surveys ---------------------------------------------------------------------------------


def members_of(startup_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(StartupMember, StartupMember.user_id == User.id)
            .where(StartupMember.startup_id == startup_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _surveyed_startups(cohort_id: int) -> list[Startup]:
    return list(
        db.session.scalars(
            select(Startup)
            .join(CohortMember, CohortMember.startup_id == Startup.id)
            .where(CohortMember.cohort_id == cohort_id, CohortMember.status.in_(SURVEYED_STATUSES))
            .order_by(Startup.id)
        )
    )


def send_survey(cohort: Cohort, fiscal_year: int, *, by: User, now: datetime | None = None) -> SurveyRequest:
    """Ask every member of the cohort's active and graduated startups for a fiscal year's figures."""
    now = now or utcnow()
    if not reportable_fiscal_year(fiscal_year, today=tokyo_today(now)):
        raise InvalidFigures({"fiscal_year": _l("Ask for a past fiscal year or the current one.")})
    exists = db.session.scalar(
        select(SurveyRequest.id).where(SurveyRequest.cohort_id == cohort.id, SurveyRequest.fiscal_year == fiscal_year)
    )
    if exists is not None:
        raise SurveyAlreadySent()
    request = SurveyRequest(cohort_id=cohort.id, fiscal_year=fiscal_year, sent_by_id=by.id, sent_at=now)
    db.session.add(request)
    db.session.flush()
    sent = _queue_survey_emails(cohort, fiscal_year, "cohorts/survey_request", _surveyed_startups(cohort.id))
    audit.record(by, "survey_request.sent", request, {"cohort": cohort.id, "fiscal_year": fiscal_year, "emails": sent})
    return request


def _queue_survey_emails(cohort: Cohort, fiscal_year: int, template: str, startups: list[Startup]) -> int:
    sent = 0
    for startup in startups:
        for member in members_of(startup.id):
            outbox.queue(member, template, cohort=cohort, startup=startup, fiscal_year=fiscal_year)
            sent += 1
    db.session.flush()
    return sent


def remind_surveys(*, now: datetime | None = None) -> int:
    """One reminder, 14 days after a survey, to the startups that have not reported. Safe to repeat.

    On PostgreSQL the requests are claimed with ``FOR UPDATE SKIP LOCKED`` so several machines may run it.
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(SurveyRequest)
        .where(SurveyRequest.reminded_at.is_(None), SurveyRequest.sent_at <= now - SURVEY_REMINDER_AFTER)
        .order_by(SurveyRequest.id)
        .with_for_update(skip_locked=True)
    ).all()
    reminded = 0
    for request in due:
        cohort = db.session.get(Cohort, request.cohort_id)
        reported = set(
            db.session.scalars(select(AnnualReport.startup_id).where(AnnualReport.fiscal_year == request.fiscal_year))
        )
        missing = [s for s in _surveyed_startups(request.cohort_id) if s.id not in reported]
        sent = _queue_survey_emails(cohort, request.fiscal_year, "cohorts/survey_reminder", missing)
        request.reminded_at = now
        audit.record(None, "survey_request.reminded", request, {"emails": sent})
        reminded += 1
    db.session.flush()
    return reminded
