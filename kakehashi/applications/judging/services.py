"""Judging operations: judges and conflicts, assignment, scoring, decisions and their release.

Each takes objects and the acting user, changes state through transition methods, audits and
queues email in the same transaction, and flushes; the caller commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from kakehashi.accounts import services as accounts
from kakehashi.accounts.models import InvitedRole, User
from kakehashi.applications.judging.assignment import Item, Judge, Plan, plan_assignments
from kakehashi.applications.judging.models import (
    AssignmentState,
    CallJudge,
    Conflict,
    ConflictSource,
    JudgeAssignment,
    Recommendation,
    Score,
)
from kakehashi.applications.judging.ranking import weighted_mean
from kakehashi.applications.models import Application, ApplicationState, Call, CallState, Criterion
from kakehashi.core import audit, outbox
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError, InvalidTransition
from kakehashi.extensions import db

# Applications that are judged: submitted ones, under review once the call has closed.
JUDGED_STATES = (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)


class AlreadyJudge(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This person is already a judge of this call."))


class JudgeConflicted(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This judge has a conflict of interest with this startup."))


class AlreadyAssigned(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This judge is already assigned to this application."))


class NotAJudgeOfCall(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This person is not a judge of this call."))


class NotBeingJudged(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("Judges can be assigned only to applications that are submitted or under review."))


class ReviewAlreadySubmitted(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This judge has already submitted a review; it cannot be removed."))


class JudgingClosed(DomainError):
    def __init__(self) -> None:
        super().__init__(
            _l(
                "Judging is not open for this call: scores can be entered only while the call is closed "
                "for judging and before decisions are released."
            )
        )


class IncompleteReview(DomainError):
    def __init__(self, missing: list[int]) -> None:
        self.missing = missing
        super().__init__(_l("Score every criterion and give a recommendation before submitting."))


class ScoreOutOfRange(DomainError):
    def __init__(self, criterion: Criterion) -> None:
        super().__init__(
            _l("Scores must be between %(low)d and %(high)d.", low=criterion.scale_min, high=criterion.scale_max)
        )


class ReviewChangedElsewhere(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This review was changed at the same time in another window. Please check it."))


# --- judges -------------------------------------------------------------------------------------


def parse_expertise(text: str) -> list[str]:
    """``"FinTech, payments、AI"`` → ``["FinTech", "payments", "AI"]`` (commas in either script).

    Full-width letters typed with a Japanese input method become ordinary ones (NFKC), so ``ＡＩ``
    is ``AI`` and matches the vertical's name.
    """
    text = unicodedata.normalize("NFKC", text or "")
    tags = [" ".join(t.split())[:60] for t in text.replace("、", ",").split(",")]
    unique: list[str] = []
    for tag in tags:
        if tag and tag.casefold() not in {u.casefold() for u in unique}:
            unique.append(tag)
    return unique[:20]


def invite_judge(call: Call, *, email: str, name: str, expertise: list[str], locale: str, by: User) -> CallJudge:
    """Add a judge to a call; someone new gets an invitation to set a password first."""
    user = accounts.find_user_by_email(email)
    if user is None:  # one email: the invitation names the call
        user = accounts.invite(email=email, name=name, role=InvitedRole.JUDGE, locale=locale, by=by, purpose=call.title)
    elif db.session.scalar(select(CallJudge.id).where(CallJudge.call_id == call.id, CallJudge.user_id == user.id)):
        raise AlreadyJudge()
    else:
        outbox.queue(user, "judging/added_to_call", call=call)
    judge = CallJudge(call_id=call.id, user_id=user.id, expertise=expertise, invited_by_id=by.id)
    db.session.add(judge)
    db.session.flush()
    audit.record(by, "judging.judge_added", call, {"judge": user.id, "expertise": expertise})
    return judge


def is_judge_of(user: User, call: Call) -> bool:
    return (
        db.session.scalar(select(CallJudge.id).where(CallJudge.call_id == call.id, CallJudge.user_id == user.id))
        is not None
    )


# --- conflicts ------------------------------------------------------------------------------------


def record_conflict(
    judge: User, application: Application, *, reason: str, by: User, source: ConflictSource = ConflictSource.STAFF
) -> Conflict:
    """A judge must not judge this startup. Their open assignments to it end and are replaced."""
    conflict = db.session.scalar(
        select(Conflict).where(Conflict.judge_id == judge.id, Conflict.startup_id == application.startup_id)
    )
    if conflict is None:
        conflict = Conflict(
            judge_id=judge.id,
            startup_id=application.startup_id,
            reason=reason.strip(),
            source=source,
            recorded_by_id=by.id,
        )
        db.session.add(conflict)
        db.session.flush()
        audit.record(
            by,
            "judging.conflict_recorded",
            conflict,
            {"judge": judge.id, "startup": application.startup_id, "source": source.value},
        )
    affected = db.session.scalars(
        select(JudgeAssignment)
        .join(Application, Application.id == JudgeAssignment.application_id)
        .where(
            JudgeAssignment.judge_id == judge.id,
            Application.startup_id == application.startup_id,
            JudgeAssignment.state == AssignmentState.ASSIGNED,
        )
    ).all()
    for assignment in affected:
        assignment.conflict_reason = reason.strip()
        assignment.transition_to(AssignmentState.CONFLICTED, by=by)
        db.session.flush()
        replace_judge(assignment.application, by=by)
    return conflict


def declare_conflict(assignment: JudgeAssignment, *, reason: str, by: User) -> None:
    """The judge says they cannot judge this application; a replacement is assigned if possible."""
    if assignment.application.call.state not in (CallState.OPEN, CallState.CLOSED):
        raise JudgingClosed()
    if assignment.state is not AssignmentState.ASSIGNED:
        raise InvalidTransition(assignment.state, AssignmentState.CONFLICTED)
    record_conflict(assignment.judge, assignment.application, reason=reason, by=by, source=ConflictSource.JUDGE)


# --- assignment -----------------------------------------------------------------------------------


def _call_judges(call: Call) -> list[tuple[CallJudge, User]]:
    return list(
        db.session.execute(
            select(CallJudge, User)
            .join(User, User.id == CallJudge.user_id)
            .where(CallJudge.call_id == call.id, User.active.is_(True))
            .order_by(User.id)
        ).all()
    )


def _plan_for(call: Call, applications: list[Application]) -> Plan:
    judges = [Judge(user.id, frozenset(cj.expertise or [])) for cj, user in _call_judges(call)]
    names = frozenset(call.vertical.name.values())
    items = [Item(a.id, a.startup_id, names) for a in applications]
    judge_ids = [j.id for j in judges]
    conflicts = (
        db.session.execute(select(Conflict.judge_id, Conflict.startup_id).where(Conflict.judge_id.in_(judge_ids))).all()
        if judge_ids
        else []
    )
    # Assignments to applications no longer judged (withdrawn) are no work for anyone.
    rows = db.session.execute(
        select(JudgeAssignment.application_id, JudgeAssignment.judge_id, JudgeAssignment.state)
        .join(Application, Application.id == JudgeAssignment.application_id)
        .where(JudgeAssignment.call_id == call.id, Application.state.in_(JUDGED_STATES))
    ).all()
    existing: dict[int, set[int]] = {}
    excluded: dict[int, set[int]] = {}
    for application_id, judge_id, state in rows:
        target = excluded if state is AssignmentState.CONFLICTED else existing
        target.setdefault(application_id, set()).add(judge_id)
    # Loads count every live assignment in the call, so pass them all; items limit what is planned.
    return plan_assignments(
        items, judges, call.judges_per_application, conflicts=conflicts, existing=existing, excluded=excluded
    )


def judged_applications(call: Call) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.call_id == call.id, Application.state.in_(JUDGED_STATES))
            .order_by(Application.id)
        )
    )


def _lock_call(call: Call) -> None:
    """One planner at a time per call: a second click waits, then sees the first one's assignments
    (PostgreSQL row lock; SQLite serialises writers anyway and ignores FOR UPDATE)."""
    db.session.execute(select(Call.id).where(Call.id == call.id).with_for_update())


def auto_assign(call: Call, *, by: User) -> Plan:
    """Give every judged application its judges. Existing assignments stay; returns the plan."""
    _lock_call(call)
    plan = _plan_for(call, judged_applications(call))
    _create(call, plan, by=by, manual=False)
    audit.record(by, "judging.auto_assigned", call, {"created": len(plan.new), "short": len(plan.short)})
    return plan


def replace_judge(application: Application, *, by: User | None) -> list[int]:
    """Top the application up to its number of judges (after a conflict); returns the new judges."""
    if application.state not in JUDGED_STATES:  # decided or withdrawn: nobody needs to judge it now
        return []
    _lock_call(application.call)
    plan = _plan_for(application.call, [application])
    _create(application.call, plan, by=by, manual=False)
    return [judge for _app, judge in plan.new]


def _create(call: Call, plan: Plan, *, by: User | None, manual: bool) -> None:
    for application_id, judge_id in plan.new:
        assignment = JudgeAssignment(call_id=call.id, application_id=application_id, judge_id=judge_id, manual=manual)
        db.session.add(assignment)
        db.session.flush()
        audit.record(by, "judging.assigned", assignment, {"application": application_id, "judge": judge_id})
    db.session.flush()


def add_assignment(application: Application, judge: User, *, by: User) -> JudgeAssignment:
    """Staff assign a judge by hand (on top of, or instead of, the automatic plan)."""
    if application.state not in JUDGED_STATES:
        raise NotBeingJudged()
    if not judge.active or not is_judge_of(judge, application.call):
        raise NotAJudgeOfCall()
    if db.session.scalar(
        select(Conflict.id).where(Conflict.judge_id == judge.id, Conflict.startup_id == application.startup_id)
    ):
        raise JudgeConflicted()
    if db.session.scalar(
        select(JudgeAssignment.id).where(
            JudgeAssignment.application_id == application.id, JudgeAssignment.judge_id == judge.id
        )
    ):
        raise AlreadyAssigned()
    assignment = JudgeAssignment(
        call_id=application.call_id, application_id=application.id, judge_id=judge.id, manual=True
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(by, "judging.assigned", assignment, {"application": application.id, "judge": judge.id, "manual": True})
    return assignment


def remove_assignment(assignment: JudgeAssignment, *, by: User) -> None:
    if assignment.state is AssignmentState.SUBMITTED:
        raise ReviewAlreadySubmitted()
    audit.record(
        by, "judging.unassigned", assignment, {"application": assignment.application_id, "judge": assignment.judge_id}
    )
    db.session.delete(assignment)
    db.session.flush()


def short_of_judges(call: Call) -> dict[int, int]:
    """Applications that would still lack judges after automatic assignment (and how many), because
    there are too few judges or too many conflicts. Judges already assigned count, even inactive ones."""
    return _plan_for(call, judged_applications(call)).short


# --- scoring ------------------------------------------------------------------------------------


def judging_open(call: Call) -> bool:
    return call.state is CallState.CLOSED


def criteria_of(call: Call) -> list[Criterion]:
    return list(
        db.session.scalars(
            select(Criterion).where(Criterion.call_id == call.id).order_by(Criterion.position, Criterion.id)
        )
    )


def recompute_review_scores(call: Call) -> None:
    """Store ``review_score`` for every submitted review of ``call`` from its scores (``save_review`` does it
    one review at a time; this is for reviews written in bulk, e.g. the demo data)."""
    rows = db.session.execute(
        select(Score.assignment_id, Score.value, Criterion.weight)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .join(JudgeAssignment, JudgeAssignment.id == Score.assignment_id)
        .where(JudgeAssignment.call_id == call.id, JudgeAssignment.state == AssignmentState.SUBMITTED)
    ).all()
    by_assignment: dict[int, list[tuple[int, Decimal]]] = {}
    for assignment_id, value, weight in rows:
        by_assignment.setdefault(assignment_id, []).append((value, weight))
    for assignment in db.session.scalars(
        select(JudgeAssignment).where(
            JudgeAssignment.call_id == call.id, JudgeAssignment.state == AssignmentState.SUBMITTED
        )
    ):
        pairs = by_assignment.get(assignment.id)
        assignment.review_score = weighted_mean(pairs) if pairs else None
    db.session.flush()


def save_review(
    assignment: JudgeAssignment,
    *,
    by: User,
    scores: Mapping[int, int | None],
    comment: str | None,
    recommendation: Recommendation | None,
    submit: bool,
    now: datetime | None = None,
) -> None:
    """Save a judge's scores (a draft may be partial); ``submit`` requires every criterion."""
    call = assignment.application.call
    if not judging_open(call):
        raise JudgingClosed()
    if assignment.state is AssignmentState.CONFLICTED:
        raise JudgeConflicted()
    if assignment.state is AssignmentState.SUBMITTED:
        submit = True  # a submitted review has no draft: changing it re-submits it, complete
    criteria = criteria_of(call)
    for criterion in criteria:  # check everything before changing anything
        value = scores.get(criterion.id)
        if value is not None and not criterion.scale_min <= value <= criterion.scale_max:
            raise ScoreOutOfRange(criterion)
    existing = {
        s.criterion_id: s for s in db.session.scalars(select(Score).where(Score.assignment_id == assignment.id))
    }
    for criterion in criteria:
        value = scores.get(criterion.id)
        if value is None:
            if criterion.id in existing:
                db.session.delete(existing.pop(criterion.id))
            continue
        if criterion.id in existing:
            existing[criterion.id].value = value
        else:
            existing[criterion.id] = Score(assignment_id=assignment.id, criterion_id=criterion.id, value=value)
            db.session.add(existing[criterion.id])
    assignment.comment = (comment or "").strip() or None
    assignment.recommendation = recommendation
    if submit:
        missing = [c.id for c in criteria if scores.get(c.id) is None]
        if missing or recommendation is None or not criteria:
            raise IncompleteReview(missing)
        assignment.transition_to(AssignmentState.SUBMITTED, by=by)
        assignment.submitted_at = now or utcnow()
        assignment.review_score = weighted_mean((scores[c.id], c.weight) for c in criteria)  # type: ignore[misc]
    audit.record(
        by,
        "judging.review_submitted" if submit else "judging.review_saved",
        assignment,
        {"scores": {str(k): v for k, v in scores.items()}},
    )
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ReviewChangedElsewhere() from error
