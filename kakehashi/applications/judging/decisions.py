"""Decisions: staff decide applications under review, then release them in one step.

Releasing tells every applicant (outbox email in their language), moves the applications to their
outcome and the call to decided, and forms the call's cohort from the accepted startups. Each
function changes state through transition methods, audits, and flushes; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from kakehashi.accounts.models import User
from kakehashi.applications.judging.services import JudgingClosed, judging_open
from kakehashi.applications.models import Application, ApplicationState, Call, CallState
from kakehashi.applications.services import members_of
from kakehashi.cohorts.models import Cohort, CohortMember
from kakehashi.core import audit, outbox
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError
from kakehashi.extensions import db

OUTCOMES = (ApplicationState.ACCEPTED, ApplicationState.WAITLISTED, ApplicationState.REJECTED)


class NotDecidable(DomainError):
    def __init__(self, application: Application | None = None) -> None:
        self.application = application
        super().__init__(_l("Only applications under review in a call that is closed for judging can be decided."))


class UndecidedApplications(DomainError):
    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(
            _l("%(n)d applications under review have no decision yet. Decide them all before releasing.", n=count)
        )


def can_decide(application: Application) -> bool:
    """Decisions are taken on applications under review, while the call is closed for judging."""
    return application.state is ApplicationState.UNDER_REVIEW and judging_open(application.call)


def set_decision(
    application: Application, decision: ApplicationState | None, *, feedback: str | None, by: User
) -> None:
    """Record staff's decision; applicants see nothing until the decisions are released."""
    set_decisions([application], decision, by=by, feedback=feedback)


def set_decisions(
    applications: list[Application], decision: ApplicationState | None, *, by: User, feedback: str | None = None
) -> None:
    """The same decision for several applications: all of them, or (if one cannot be decided) none."""
    if decision is not None and decision not in OUTCOMES:
        raise NotDecidable()
    for application in applications:
        if not can_decide(application):
            raise NotDecidable(application)
    for application in applications:
        application.decision = decision
        if feedback is not None:
            application.feedback = feedback.strip() or None
        audit.record(by, "application.decision", application, {"decision": decision.value if decision else None})
    db.session.flush()


def accepted_count(call: Call) -> int:
    """Applications marked accepted that still stand (not withdrawn since)."""
    return (
        db.session.scalar(
            select(func.count(Application.id)).where(
                Application.call_id == call.id,
                Application.decision == ApplicationState.ACCEPTED,
                Application.state.in_((ApplicationState.UNDER_REVIEW, ApplicationState.ACCEPTED)),
            )
        )
        or 0
    )


def release_decisions(call: Call, *, by: User, now: datetime | None = None) -> Cohort:
    """Tell every applicant, move the call to decided and form its cohort. Safe to repeat."""
    if call.state is CallState.DECIDED:
        return form_cohort(call, by=by)
    if call.state is not CallState.CLOSED:
        raise JudgingClosed()
    under_review = list(
        db.session.scalars(
            select(Application)
            .where(Application.call_id == call.id, Application.state == ApplicationState.UNDER_REVIEW)
            .order_by(Application.id)
        )
    )
    undecided = [a for a in under_review if a.decision is None]
    if undecided:
        raise UndecidedApplications(len(undecided))
    now = now or utcnow()
    for application in under_review:
        application.transition_to(application.decision, by=by)
        application.decided_at = now
        for member in members_of(application.startup_id):
            outbox.queue(
                member,
                f"judging/decision_{application.decision.value}",
                application=application,
                call=call,
                startup=application.startup,
            )
    call.transition_to(CallState.DECIDED, by=by)
    audit.record(by, "judging.decisions_released", call, {"applications": len(under_review)})
    db.session.flush()
    return form_cohort(call, by=by)


def form_cohort(call: Call, *, by: User | None) -> Cohort:
    """The call's cohort holds its accepted startups; running it again adds only what is missing."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.call_id == call.id))
    if cohort is None:
        cohort = Cohort(call_id=call.id, name=dict(call.title))
        db.session.add(cohort)
        db.session.flush()
        audit.record(by, "cohort.created", cohort, {"call": call.id})
    present = set(db.session.scalars(select(CohortMember.startup_id).where(CohortMember.cohort_id == cohort.id)))
    for application in db.session.scalars(
        select(Application)
        .where(Application.call_id == call.id, Application.state == ApplicationState.ACCEPTED)
        .order_by(Application.id)
    ):
        if application.startup_id not in present:
            db.session.add(
                CohortMember(cohort_id=cohort.id, startup_id=application.startup_id, application_id=application.id)
            )
            present.add(application.startup_id)
            audit.record(by, "cohort.member_added", cohort, {"startup": application.startup_id})
    db.session.flush()
    return cohort
