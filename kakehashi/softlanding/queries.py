"""Read paths for the soft-landing pages: each in a fixed number of queries, whatever the number of cases.

Cases are loaded with their tasks (``selectinload``: one more query for all of them) and their founder
and concierge (joined); plans are computed in Python from the loaded tasks (a case has ~20).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from functools import cache as cache_once
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from kakehashi.accounts.models import User
from kakehashi.core import cache
from kakehashi.extensions import db
from kakehashi.softlanding.models import (
    CaseState,
    CaseTask,
    ChecklistTemplate,
    LandingCase,
    TaskComment,
    TaskDocument,
    TaskState,
)
from kakehashi.softlanding.schedule import CasePlan, TaskPlan, plan_case


@dataclass(frozen=True)
class CaseRow:
    """A case, its tasks (by position) and its plan."""

    case: LandingCase
    tasks: list[CaseTask]
    plan: CasePlan

    @property
    def by_key(self) -> dict[str, CaseTask]:
        return {task.key: task for task in self.tasks}


def _row(case: LandingCase, today: date) -> CaseRow:
    tasks = list(case.tasks)
    return CaseRow(case, tasks, plan_case(case, tasks, today))


def _cases(*criteria: Any) -> list[LandingCase]:
    """Cases matching ``criteria`` with founder, concierge and tasks: two queries."""
    query = (
        select(LandingCase)
        .where(*criteria)
        .options(
            joinedload(LandingCase.founder),
            joinedload(LandingCase.concierge),
            selectinload(LandingCase.tasks),
        )
        .order_by(LandingCase.opened_on.desc(), LandingCase.id.desc())
    )
    return list(db.session.scalars(query).unique())


# --- founders ----------------------------------------------------------------------------------------


def founder_case_rows(user: Any, today: date) -> list[CaseRow]:
    """The founder's own cases, open ones first."""
    cases = _cases(LandingCase.founder_id == user.id)
    cases.sort(key=lambda case: case.state is not CaseState.OPEN)
    return [_row(case, today) for case in cases]


# --- staff lists -------------------------------------------------------------------------------------


def all_case_rows(today: date) -> list[CaseRow]:
    """Every case, open and closed, newest first."""
    return [_row(case, today) for case in _cases()]


@dataclass(frozen=True)
class OverdueItem:
    task: CaseTask
    row: CaseRow
    plan: TaskPlan


@dataclass(frozen=True)
class StaffQueue:
    awaiting_review: list[tuple[CaseTask, CaseRow]] = field(default_factory=list)  # oldest submission first
    overdue: list[OverdueItem] = field(default_factory=list)  # most overdue first
    cases: list[CaseRow] = field(default_factory=list)  # least progress first


def staff_queue(today: date, *, concierge: Any = None) -> StaffQueue:
    """The staff queue over open cases (only ``concierge``'s when given): two queries."""
    criteria = [LandingCase.state == CaseState.OPEN]
    if concierge is not None:
        criteria.append(LandingCase.concierge_id == concierge.id)
    rows = [_row(case, today) for case in _cases(*criteria)]
    awaiting = [(task, row) for row in rows for task in row.tasks if task.state is TaskState.SUBMITTED]
    awaiting.sort(key=lambda item: (item[0].submitted_at or item[0].state_changed_at, item[0].id))
    overdue = [
        OverdueItem(task, row, row.plan.tasks[task.key])
        for row in rows
        for task in row.tasks
        if task.key in row.plan.tasks and row.plan.tasks[task.key].overdue
    ]
    overdue.sort(key=lambda item: (item.plan.due or today, item.task.id))
    cases = sorted(
        rows,
        key=lambda row: (row.plan.percent, row.plan.operating_on or date.max, row.case.id),
    )
    return StaffQueue(awaiting, overdue, cases)


def staff_users() -> list[User]:
    """Who can be a concierge: active staff, by name."""
    return list(
        db.session.scalars(select(User).where(User.is_staff.is_(True), User.active.is_(True)).order_by(User.name))
    )


def active_templates() -> list[ChecklistTemplate]:
    return list(
        db.session.scalars(
            select(ChecklistTemplate).where(ChecklistTemplate.is_active.is_(True)).order_by(ChecklistTemplate.key)
        )
    )


# --- one case, one task ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskCounts:
    documents: int = 0
    comments: int = 0


def case_row(case_id: int, today: date) -> CaseRow | None:
    """A case with founder, concierge and tasks (two queries), and its plan."""
    case = db.session.scalars(
        select(LandingCase)
        .where(LandingCase.id == case_id)
        .options(
            joinedload(LandingCase.founder),
            joinedload(LandingCase.concierge),
            selectinload(LandingCase.tasks),
        )
    ).first()
    return _row(case, today) if case is not None else None


@cache_once
def _case_with_people_query() -> Select[tuple[LandingCase]]:
    """Built once (building it, options and all, costs more than running it on a hit)."""
    return (
        select(LandingCase)
        .where(LandingCase.id == bindparam("case_id"))
        .options(joinedload(LandingCase.founder), joinedload(LandingCase.concierge))
    )


def case_with_people(case_id: int) -> LandingCase | None:
    """A case with its founder and concierge (one query): the checklist page when its steps are cached."""
    return db.session.scalars(_case_with_people_query(), {"case_id": case_id}).first()


# --- the checklist's steps, rendered once per data change ------------------------------------------
# Progress, next steps and the table of steps come only from the case, its tasks and their documents and
# comments (watched: any change gives the namespace a new token, ``core.cache``), the Tokyo day, the
# language and where the app is mounted (in the key).

STEPS_NAMESPACE = "softlanding"
cache.watch(STEPS_NAMESPACE, LandingCase, CaseTask, TaskDocument, TaskComment, max_entries=256)  # ~15 KB each


def cached_steps(key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()`` for the current landing data and ``key``; computed at most once per token and key."""
    return cache.cached(STEPS_NAMESPACE, key, compute)


def task_counts(case: LandingCase) -> dict[int, TaskCounts]:
    """Documents and comments per task of ``case`` (one query)."""
    documents = (
        select(func.count(TaskDocument.id))
        .where(TaskDocument.task_id == CaseTask.id)
        .correlate(CaseTask)
        .scalar_subquery()
    )
    comments = (
        select(func.count(TaskComment.id))
        .where(TaskComment.task_id == CaseTask.id)
        .correlate(CaseTask)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(CaseTask.id, documents.scalar_subquery(), comments.scalar_subquery()).where(CaseTask.case_id == case.id)
    ).all()
    return {task_id: TaskCounts(docs or 0, notes or 0) for task_id, docs, notes in rows}


def load_task(task_id: int) -> CaseTask | None:
    """A task with its case (founder, concierge, every task), documents (file, uploader) and comments (author)."""
    return db.session.scalars(
        select(CaseTask)
        .where(CaseTask.id == task_id)
        .options(
            joinedload(CaseTask.case).joinedload(LandingCase.founder),
            joinedload(CaseTask.case).joinedload(LandingCase.concierge),
            joinedload(CaseTask.case).selectinload(LandingCase.tasks),
            selectinload(CaseTask.documents).joinedload(TaskDocument.file),
            selectinload(CaseTask.documents).joinedload(TaskDocument.uploaded_by),
            selectinload(CaseTask.comments).joinedload(TaskComment.author),
        )
    ).first()


def load_document(document_id: int) -> TaskDocument | None:
    return db.session.scalars(
        select(TaskDocument)
        .where(TaskDocument.id == document_id)
        .options(joinedload(TaskDocument.task).joinedload(CaseTask.case), joinedload(TaskDocument.file))
    ).first()


def case_by_feed_token(token: str) -> LandingCase | None:
    if not token:
        return None
    return db.session.scalars(
        select(LandingCase)
        .where(LandingCase.feed_token == token)
        .options(joinedload(LandingCase.founder), selectinload(LandingCase.tasks))
    ).first()
