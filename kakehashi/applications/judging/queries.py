"""Read paths for judging pages: a fixed number of queries, aggregates in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select
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


def judge_calls(user: Any, *, call_id: int | None = None) -> list[tuple[Call, int, int]]:
    """Every call the judge sits on (or, with ``call_id``, that one call if they do), with their
    assignments and submitted reviews counted (conflicted ones left out), newest first. One query.

    Only the call's columns the queue shows are loaded; the queue splits ended calls from the rest.
    """
    submitted = func.sum(case((JudgeAssignment.state == AssignmentState.SUBMITTED, 1), else_=0))
    query = (
        select(Call, func.count(JudgeAssignment.id), submitted)
        .join(JudgeAssignment, JudgeAssignment.call_id == Call.id)
        .where(JudgeAssignment.judge_id == user.id, JudgeAssignment.state != AssignmentState.CONFLICTED)
        .options(load_only(Call.id, Call.title, Call.state, Call.blind_fields, raiseload=True))
        .group_by(Call.id)
        .order_by(Call.id.desc())
    )
    if call_id is not None:
        query = query.where(Call.id == call_id)
    return [(call, int(total), int(done or 0)) for call, total, done in db.session.execute(query)]


def queue_rows(user: Any, call_ids: list[int], named_call_ids: list[int]) -> list[Any]:
    """The judge's assignments (not the conflicted ones) in ``call_ids`` as plain rows — ``id``, ``state``,
    ``call_id``, ``application_id``, ``startup_name`` — newest call first. One query whatever the lists
    hold; the startup's name is joined only for ``named_call_ids`` (calls that do not hide it), else None.
    """
    shown = and_(Startup.id == Application.startup_id, JudgeAssignment.call_id.in_(named_call_ids))
    return list(
        db.session.execute(
            select(
                JudgeAssignment.id,
                JudgeAssignment.state,
                JudgeAssignment.call_id,
                JudgeAssignment.application_id,
                Startup.name.label("startup_name"),
            )
            .join(Application, Application.id == JudgeAssignment.application_id)
            .outerjoin(Startup, shown)
            .where(
                JudgeAssignment.judge_id == user.id,
                JudgeAssignment.state != AssignmentState.CONFLICTED,
                JudgeAssignment.call_id.in_(call_ids),
            )
            .order_by(JudgeAssignment.call_id.desc(), JudgeAssignment.id)
        )
    )


def cohort_of(call: Call) -> tuple[Cohort, int] | None:
    """The call's cohort and its member count (one query)."""
    members = select(func.count(CohortMember.id)).where(CohortMember.cohort_id == Cohort.id).scalar_subquery()
    row = db.session.execute(select(Cohort, members).where(Cohort.call_id == call.id)).first()
    return (row[0], int(row[1] or 0)) if row else None


def saved_review(assignment: JudgeAssignment) -> dict[str, Any]:
    scores = db.session.execute(select(Score.criterion_id, Score.value).where(Score.assignment_id == assignment.id))
    saved: dict[str, Any] = {f"score_{criterion_id}": value for criterion_id, value in scores}
    saved.update(comment=assignment.comment or "", recommendation=assignment.recommendation)
    return saved
