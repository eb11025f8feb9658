"""Who may see and do what in judging."""

from __future__ import annotations

from typing import Any

from kakehashi.applications.judging.models import AssignmentState, JudgeAssignment
from kakehashi.applications.models import CallState


def can_score(user: Any, assignment: JudgeAssignment) -> bool:
    """Only the assigned judge, and never on an assignment they declared a conflict on.

    Everyone else — other judges, staff, applicants — gets a 404: a judge's review is theirs alone
    (staff see reviews on the ranking page, without going through the judge's screen).
    """
    return (
        getattr(user, "is_authenticated", False)
        and assignment.judge_id == user.id
        and assignment.state is not AssignmentState.CONFLICTED
    )


def can_declare_conflict(user: Any, assignment: JudgeAssignment) -> bool:
    """A judge may step aside from an unscored assignment until the decisions are out."""
    return (
        can_score(user, assignment)
        and assignment.state is AssignmentState.ASSIGNED
        and assignment.application.call.state in (CallState.OPEN, CallState.CLOSED)
    )
