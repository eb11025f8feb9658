"""Read paths for judging pages: a fixed number of queries, aggregates in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, load_only

from kakehashi.accounts.models import Startup
from kakehashi.applications.judging.models import AssignmentState, JudgeAssignment, Score
from kakehashi.applications.judging.ranking import Result, Review, rank_applications
from kakehashi.applications.models import Application, ApplicationState, Call, CallState, Criterion
from kakehashi.cohorts.models import Cohort, CohortMember
from kakehashi.core import cache
from kakehashi.extensions import db

# The ranking (and the page rendered from it) is derived from these rows: any change to them gives the
# "judging" cache namespace a new token (``core.cache``).
cache.watch("judging", Call, Criterion, Application, Startup, JudgeAssignment)

RANKED_STATES = (
    ApplicationState.SUBMITTED,
    ApplicationState.UNDER_REVIEW,
    ApplicationState.ACCEPTED,
    ApplicationState.WAITLISTED,
    ApplicationState.REJECTED,
)


def review_scores(call: Call) -> list[Review]:
    """Each submitted review's weighted mean, as the scoring service stored it (``review_score``)."""
    rows = db.session.execute(
        select(JudgeAssignment.application_id, JudgeAssignment.judge_id, JudgeAssignment.review_score)
        .where(
            JudgeAssignment.call_id == call.id,
            JudgeAssignment.state == AssignmentState.SUBMITTED,
            JudgeAssignment.review_score.is_not(None),
        )
        .order_by(JudgeAssignment.id)
    )
    return [Review(application_id, judge_id, float(score)) for application_id, judge_id, score in rows]


def assignment_counts(call: Call) -> dict[int, tuple[int, int]]:
    """Application id → (judges assigned, reviews submitted), conflicted assignments left out."""
    live = JudgeAssignment.state != AssignmentState.CONFLICTED
    submitted = JudgeAssignment.state == AssignmentState.SUBMITTED
    rows = db.session.execute(
        select(
            JudgeAssignment.application_id,
            func.sum(case((live, 1), else_=0)),
            func.sum(case((submitted, 1), else_=0)),
        )
        .where(JudgeAssignment.call_id == call.id)
        .group_by(JudgeAssignment.application_id)
    )
    return {application_id: (int(assigned or 0), int(done or 0)) for application_id, assigned, done in rows}


def scale_range(call: Call) -> float:
    low, high = db.session.execute(
        select(func.min(Criterion.scale_min), func.max(Criterion.scale_max)).where(Criterion.call_id == call.id)
    ).one()
    return float(high - low) if low is not None and high is not None else 0.0


def ranking(call: Call) -> list[tuple[Application, Result]]:
    """Every judged application of the call with its result (four queries in all)."""
    # Only the columns the ranking shows (and its export): an application's answers are long texts that
    # 500 rows would load for nothing. Reading any other column of these rows raises instead of
    # quietly loading it one row at a time.
    applications = db.session.scalars(
        select(Application)
        .where(Application.call_id == call.id, Application.state.in_(RANKED_STATES))
        .options(
            load_only(
                Application.id,
                Application.call_id,
                Application.startup_id,
                Application.state,
                Application.decision,
                raiseload=True,
            ),
            joinedload(Application.startup).load_only(Startup.id, Startup.name, raiseload=True),
        )
        .order_by(Application.id)
    ).all()
    counts = assignment_counts(call)
    results = rank_applications(
        review_scores(call),
        {a.id: counts.get(a.id, (0, 0))[0] for a in applications},
        scale_range=scale_range(call),
    )
    return [(a, results[a.id]) for a in applications]


# Calls whose judging is over: the queue summarises them (a judge can still open one to see its reviews).
ENDED_CALL_STATES = (CallState.DECIDED, CallState.ARCHIVED)


def judge_queue(user: Any, *, call_id: int | None = None) -> list[JudgeAssignment]:
    """A judge's assignments (not the conflicted ones), with application and call loaded: those of calls
    still to be judged or being judged, or, with ``call_id``, those of that one call.

    The application's columns the queue needs are joined; its call (and the call's vertical) come in one
    more query (``selectinload``): joined, each call's JSON texts were decoded again for every row.
    """
    query = select(JudgeAssignment).where(
        JudgeAssignment.judge_id == user.id, JudgeAssignment.state != AssignmentState.CONFLICTED
    )
    if call_id is None:
        query = query.join(Call, Call.id == JudgeAssignment.call_id).where(Call.state.not_in(ENDED_CALL_STATES))
    else:
        query = query.where(JudgeAssignment.call_id == call_id)
    return list(
        db.session.scalars(
            query.options(
                joinedload(JudgeAssignment.application)
                .load_only(Application.id, Application.call_id, Application.startup_id, raiseload=True)
                .selectinload(Application.call)
                .joinedload(Call.vertical)
            ).order_by(JudgeAssignment.call_id.desc(), JudgeAssignment.id)
        )
    )


def ended_calls(user: Any) -> list[tuple[Call, int, int]]:
    """The calls whose judging is over that the judge sat on: (call, assignments, submitted), newest first."""
    submitted = func.sum(case((JudgeAssignment.state == AssignmentState.SUBMITTED, 1), else_=0))
    rows = db.session.execute(
        select(Call, func.count(JudgeAssignment.id), submitted)
        .join(JudgeAssignment, JudgeAssignment.call_id == Call.id)
        .where(
            JudgeAssignment.judge_id == user.id,
            JudgeAssignment.state != AssignmentState.CONFLICTED,
            Call.state.in_(ENDED_CALL_STATES),
        )
        .group_by(Call.id)
        .order_by(Call.id.desc())
    ).all()
    return [(call, int(total), int(done or 0)) for call, total, done in rows]


def cohort_of(call: Call) -> tuple[Cohort, int] | None:
    """The call's cohort and its member count (one query)."""
    members = select(func.count(CohortMember.id)).where(CohortMember.cohort_id == Cohort.id).scalar_subquery()
    row = db.session.execute(select(Cohort, members).where(Cohort.call_id == call.id)).first()
    return (row[0], int(row[1] or 0)) if row else None


def startup_names(assignments: list[JudgeAssignment]) -> dict[int, dict[str, str]]:
    """Application id → startup name, fetched (one query) only for calls that do not hide it."""
    visible = [a.application_id for a in assignments if "startup_name" not in (a.application.call.blind_fields or [])]
    if not visible:
        return {}
    rows = db.session.execute(
        select(Application.id, Startup.name)
        .join(Startup, Startup.id == Application.startup_id)
        .where(Application.id.in_(visible))
    )
    return {application_id: name for application_id, name in rows}


def saved_review(assignment: JudgeAssignment) -> dict[str, Any]:
    scores = db.session.execute(select(Score.criterion_id, Score.value).where(Score.assignment_id == assignment.id))
    saved: dict[str, Any] = {f"score_{criterion_id}": value for criterion_id, value in scores}
    saved.update(comment=assignment.comment or "", recommendation=assignment.recommendation)
    return saved
