"""Operations on landing cases: opening one, working through its tasks, reviews, comments, documents.

Each takes objects and the acting user, changes task states only through ``CaseTask.transition_to``,
writes audit rows and queues email (in the recipient's language) in the same transaction, and flushes;
the caller commits. A refusal raises a ``DomainError`` with a translated message and changes nothing.

- Founders start, upload, submit and comment on their own open case's tasks that are neither locked
  nor finished; staff may too, and alone approve, request changes, complete directly, mark not
  applicable, open, close and reopen cases, and delete a closed case's documents.
- Finishing a task (done or not applicable) unlocks every locked task whose dependencies are all
  finished. Finishing the milestone step sets ``case.operating_on`` (the KPI "overseas startups brought
  to the ward" counts it).
"""

from __future__ import annotations

import copy
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kakehashi.accounts import services as accounts
from kakehashi.accounts.models import InvitedRole, User
from kakehashi.core import audit, outbox, storage
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError
from kakehashi.core.timezones import to_tokyo
from kakehashi.extensions import db
from kakehashi.softlanding import permissions
from kakehashi.softlanding.models import (
    CaseState,
    CaseTask,
    ChecklistTemplate,
    LandingCase,
    Party,
    StepFields,
    TaskComment,
    TaskDocument,
    TaskState,
    TemplateStep,
)
from kakehashi.softlanding.permissions import DOCUMENT_PURPOSE
from kakehashi.softlanding.schedule import plan_case, tokyo_today

if TYPE_CHECKING:
    from werkzeug.datastructures import FileStorage

    from kakehashi.accounts.models import Startup

DOCUMENT_KINDS = ("pdf", "jpeg", "png")
DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS_PER_TASK = 20
COMMENT_MAX_LENGTH = 5000
REMIND_DAYS_AHEAD = 3
# The columns a task copies from its template step (every shared column: a new one is copied too).
STEP_FIELDS = tuple(StepFields.__annotations__)
# States in which the founder is working on a task (documents may change).
WORKING_STATES = (TaskState.TODO, TaskState.IN_PROGRESS, TaskState.NEEDS_CHANGES)


class CaseError(DomainError):
    """A soft-landing rule said no."""


def upload_limit() -> int:
    return int(current_app.config.get("LANDING_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


# --- checks ---------------------------------------------------------------------------------------


def _require_staff(by: Any) -> None:
    if not permissions.can_review(by):
        raise CaseError(_l("Only programme staff can do this."))


def _require_open(case: LandingCase) -> None:
    if case.state is not CaseState.OPEN:
        raise CaseError(_l("This case is closed."))


def _require_worker(task: CaseTask, by: Any) -> None:
    """The case's founder or staff, on an open case, on a task that is neither locked nor finished."""
    if not permissions.can_view_case(by, task.case):
        raise CaseError(_l("Only the founder of this case or programme staff can do this."))
    _require_open(task.case)
    if task.state is TaskState.LOCKED:
        raise CaseError(_l("This step is waiting for the steps it depends on."))
    if task.state.is_finished:
        raise CaseError(_l("This step is finished."))


def _clean_text(text: str | None, *, required: bool, empty_message: Any) -> str | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise CaseError(empty_message)
        return None
    if len(text) > COMMENT_MAX_LENGTH:
        raise CaseError(_l("Please keep it under %(count)d characters.", count=COMMENT_MAX_LENGTH))
    return text


def _today(today: date | None) -> date:
    return today or tokyo_today()


# --- opening a case -----------------------------------------------------------------------------


def open_case(
    *,
    template: ChecklistTemplate,
    founder_email: str,
    founder_name: str,
    planned_arrival_on: date,
    concierge: User | None,
    company_name: str | None,
    home_country: str | None,
    startup: Startup | None = None,
    by: User,
    today: date | None = None,
) -> LandingCase:
    """Copy every step of ``template`` into a new case; invite the founder if they have no account."""
    _require_staff(by)
    if not template.is_active:
        raise CaseError(_l("This checklist is no longer offered. Please choose another one."))
    if concierge is not None and not concierge.is_staff:
        raise CaseError(_l("The concierge must be a member of programme staff."))
    founder_name = (founder_name or "").strip()
    if not founder_name or not (founder_email or "").strip():
        raise CaseError(_l("Enter the founder's name and email address."))
    steps = list(
        db.session.scalars(
            select(TemplateStep).where(TemplateStep.template_id == template.id).order_by(TemplateStep.position)
        )
    )
    if not steps:
        raise CaseError(_l("This checklist has no steps yet."))

    founder = accounts.find_user_by_email(founder_email)
    invited = founder is None
    if founder is not None:
        if founder.is_staff:
            raise CaseError(_l("A landing case is for an overseas founder, not for programme staff."))
        has_open = db.session.scalar(
            select(LandingCase.id).where(LandingCase.founder_id == founder.id, LandingCase.state == CaseState.OPEN)
        )
        if has_open is not None:
            raise CaseError(
                _l("%(name)s already has an open landing case. Close it before opening another.", name=founder.name)
            )
    else:
        founder = accounts.invite(
            email=founder_email,
            name=founder_name,
            role=InvitedRole.OVERSEAS_FOUNDER,
            locale="en",
            by=by,
            purpose=template.name,
        )

    case = LandingCase(
        founder_id=founder.id,
        startup_id=startup.id if startup is not None else None,
        concierge_id=concierge.id if concierge is not None else None,
        template_id=template.id,
        template_version=template.version,
        name=copy.deepcopy(template.name),
        path=template.path,
        company_name=(company_name or "").strip() or None,
        home_country=(home_country or "").strip().upper() or None,
        planned_arrival_on=planned_arrival_on,
        opened_on=_today(today),
        state=CaseState.OPEN,
        feed_token=secrets.token_urlsafe(32),
    )
    case.founder, case.concierge = founder, concierge
    db.session.add(case)
    db.session.flush()
    keys = {step.key for step in steps}
    for step in steps:
        fields = {name: copy.deepcopy(getattr(step, name)) for name in STEP_FIELDS}
        fields["depends_on"] = list(step.depends_on or [])
        waits = any(key in keys for key in fields["depends_on"])
        db.session.add(CaseTask(case_id=case.id, state=TaskState.LOCKED if waits else TaskState.TODO, **fields))
    db.session.flush()
    audit.record(
        by,
        "landing_case.opened",
        case,
        {
            "founder": founder.id,
            "invited": invited,
            "template": template.key,
            "version": template.version,
            "tasks": len(steps),
        },
    )
    if not invited:
        outbox.queue(founder, "softlanding/case_opened", case=case, concierge=concierge)
    return case


# --- the founder's work -------------------------------------------------------------------------


def start_task(task: CaseTask, *, by: User) -> None:
    """To do or needs changes → in progress."""
    _require_worker(task, by)
    task.transition_to(TaskState.IN_PROGRESS, by=by)
    db.session.flush()


def _document_count(task: CaseTask) -> int:
    return db.session.scalar(select(func.count(TaskDocument.id)).where(TaskDocument.task_id == task.id)) or 0


def add_document(task: CaseTask, upload: FileStorage, *, by: User) -> TaskDocument:
    """Store a PDF, JPEG or PNG (checked by content and size) on a task being worked on.

    Uploading to a task that is to do (or needs changes) starts it. A refused file stores nothing: a wrong
    type raises ``storage.InvalidFileType`` (a ``DomainError``), a file over ``LANDING_UPLOAD_MAX_BYTES``
    raises ``storage.FileTooLarge`` (413), as every upload in the app does.
    """
    _require_worker(task, by)
    if task.state not in WORKING_STATES:
        raise CaseError(_l("Documents cannot change while the step is awaiting review."))
    if _document_count(task) >= MAX_DOCUMENTS_PER_TASK:
        raise CaseError(_l("A step can have at most %(count)d documents.", count=MAX_DOCUMENTS_PER_TASK))
    stored = storage.store_upload(
        upload, purpose=DOCUMENT_PURPOSE, by=by, kind=DOCUMENT_KINDS, max_bytes=upload_limit()
    )
    document = TaskDocument(task_id=task.id, file_id=stored.id, uploaded_by_id=by.id)
    document.file = stored
    db.session.add(document)
    if task.state is not TaskState.IN_PROGRESS:
        task.transition_to(TaskState.IN_PROGRESS, by=by)
    db.session.flush()
    audit.record(
        by,
        "task_document.uploaded",
        document,
        {"task": task.id, "case": task.case_id, "file": stored.id, "type": stored.content_type, "size": stored.size},
    )
    return document


def remove_document(document: TaskDocument, *, by: User) -> None:
    """Delete a document (its row now, its stored bytes once the transaction commits)."""
    task = document.task
    _require_worker(task, by)
    if task.state not in WORKING_STATES:
        raise CaseError(_l("Documents cannot change while the step is awaiting review."))
    stored = document.file
    audit.record(by, "task_document.removed", document, {"task": task.id, "case": task.case_id, "file": stored.id})
    db.session.delete(document)
    db.session.flush()
    storage.remove(stored)
    db.session.flush()


def submit_task(task: CaseTask, *, by: User, note: str | None = None) -> None:
    """Send the step for review (a step that needs an upload needs a document); tell the concierge."""
    _require_worker(task, by)
    note = _clean_text(note, required=False, empty_message=None)
    if task.state is TaskState.SUBMITTED:
        raise CaseError(_l("This step is already awaiting review."))
    if task.needs_upload and _document_count(task) == 0:
        raise CaseError(_l("Please upload at least one document before submitting this step."))
    if task.state is TaskState.NEEDS_CHANGES:  # back to work, then submitted again
        task.transition_to(TaskState.IN_PROGRESS, by=by)
    task.transition_to(TaskState.SUBMITTED, by=by)
    if note:
        db.session.add(TaskComment(task_id=task.id, author_id=by.id, body=note, decision=TaskState.SUBMITTED.value))
    db.session.flush()
    for recipient in _staff_for(task.case, exclude=by):
        outbox.queue(recipient, "softlanding/task_submitted", task=task, case=task.case, by=by, note=note)


def add_comment(task: CaseTask, *, by: User, body: str) -> TaskComment:
    """A message in the task's thread; the other side (founder, or the concierge) is emailed."""
    if not permissions.can_view_case(by, task.case):
        raise CaseError(_l("Only the founder of this case or programme staff can do this."))
    _require_open(task.case)
    if not permissions.can_comment(by, task):
        raise CaseError(_l("You can comment on this step once it is open to you."))
    text = _clean_text(body, required=True, empty_message=_l("Please write a comment."))
    comment = TaskComment(task_id=task.id, author_id=by.id, body=text)
    db.session.add(comment)
    db.session.flush()
    audit.record(by, "task_comment.added", comment, {"task": task.id, "case": task.case_id})
    recipients = [task.case.founder] if by.id != task.case.founder_id else _staff_for(task.case, exclude=by)
    for recipient in recipients:
        outbox.queue(recipient, "softlanding/new_comment", task=task, case=task.case, comment=comment, by=by)
    return comment


# --- staff decisions ----------------------------------------------------------------------------


def approve_task(task: CaseTask, *, by: User, comment: str | None = None, today: date | None = None) -> list[CaseTask]:
    """A submitted step → done; returns the tasks this unlocked. The founder is told what comes next."""
    _require_staff(by)
    _require_open(task.case)
    if task.state is not TaskState.SUBMITTED:
        raise CaseError(_l("Only a step awaiting review can be approved."))
    text = _clean_text(comment, required=False, empty_message=None)
    return _finish(task, by=by, today=_today(today), comment=text, template="softlanding/task_approved")


def complete_task(task: CaseTask, *, by: User, today: date | None = None) -> list[CaseTask]:
    """Staff mark a step done directly (typically staff- or professional-side steps)."""
    _require_staff(by)
    _require_open(task.case)
    return _finish(task, by=by, today=_today(today), comment=None, template="softlanding/task_approved")


def request_changes(task: CaseTask, *, by: User, comment: str) -> None:
    """A submitted step goes back to the founder, with a comment saying what to change."""
    _require_staff(by)
    _require_open(task.case)
    text = _clean_text(comment, required=True, empty_message=_l("Say what needs to change: the founder reads it."))
    if task.state is not TaskState.SUBMITTED:
        raise CaseError(_l("Only a step awaiting review can be sent back for changes."))
    task.transition_to(TaskState.NEEDS_CHANGES, by=by)
    note = TaskComment(task_id=task.id, author_id=by.id, body=text, decision=TaskState.NEEDS_CHANGES.value)
    db.session.add(note)
    db.session.flush()
    outbox.queue(task.case.founder, "softlanding/changes_requested", task=task, case=task.case, comment=note, by=by)


def mark_not_applicable(task: CaseTask, *, by: User, reason: str, today: date | None = None) -> list[CaseTask]:
    """The step does not apply to this founder: it releases its dependants today."""
    _require_staff(by)
    _require_open(task.case)
    if task.is_milestone:
        raise CaseError(_l("The “operating in Japan” step cannot be marked not applicable."))
    text = _clean_text(reason, required=True, empty_message=_l("Give the reason the step does not apply."))
    task.transition_to(TaskState.NOT_APPLICABLE, by=by, on=_today(today), reason=text)
    db.session.flush()
    return unlock_ready(task.case, by=by)


def _finish(task: CaseTask, *, by: User, today: date, comment: str | None, template: str) -> list[CaseTask]:
    case = task.case
    task.transition_to(TaskState.DONE, by=by, on=today)
    if comment:
        db.session.add(TaskComment(task_id=task.id, author_id=by.id, body=comment, decision=TaskState.DONE.value))
    if task.is_milestone:
        case.operating_on = today
        audit.record(by, "landing_case.operating", case, {"on": today})
    db.session.flush()
    unlocked = unlock_ready(case, by=by)
    tasks = _tasks_of(case)
    plan = plan_case(case, tasks, today)
    outbox.queue(
        case.founder,
        template,
        task=task,
        case=case,
        comment=comment,
        unlocked=[(t, plan.tasks[t.key]) for t in unlocked],
        plan=plan,
    )
    return unlocked


def _tasks_of(case: LandingCase) -> list[CaseTask]:
    return list(db.session.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.position)))


def unlock_ready(case: LandingCase, *, by: Any) -> list[CaseTask]:
    """Every locked task whose dependencies are all finished becomes to-do (audited); returns them."""
    tasks = _tasks_of(case)
    finished = {t.key for t in tasks if t.state.is_finished}
    known = {t.key for t in tasks}
    unlocked = []
    for task in tasks:
        if task.state is TaskState.LOCKED and all(k in finished for k in task.depends_on or [] if k in known):
            task.transition_to(TaskState.TODO, by=by)
            unlocked.append(task)
    db.session.flush()
    return unlocked


def _staff_for(case: LandingCase, *, exclude: Any = None) -> list[User]:
    """The concierge, or every active staff member when the case has none (never the actor)."""
    concierge = case.concierge
    if concierge is not None and concierge.active:
        recipients = [concierge]
    else:
        recipients = list(
            db.session.scalars(select(User).where(User.is_staff.is_(True), User.active.is_(True)).order_by(User.id))
        )
    exclude_id = getattr(exclude, "id", None)
    return [user for user in recipients if user.id != exclude_id]


# --- the case -----------------------------------------------------------------------------------


def close_case(case: LandingCase, *, by: User) -> None:
    _require_staff(by)
    if case.state is CaseState.CLOSED:
        raise CaseError(_l("This case is already closed."))
    case.state = CaseState.CLOSED
    case.closed_at = utcnow()
    db.session.flush()
    audit.record(by, "landing_case.closed", case)


def reopen_case(case: LandingCase, *, by: User) -> None:
    _require_staff(by)
    if case.state is CaseState.OPEN:
        raise CaseError(_l("This case is already open."))
    other = db.session.scalar(
        select(LandingCase.id).where(
            LandingCase.founder_id == case.founder_id, LandingCase.state == CaseState.OPEN, LandingCase.id != case.id
        )
    )
    if other is not None:
        raise CaseError(_l("This founder has another open landing case. Close it before reopening this one."))
    case.state = CaseState.OPEN
    case.closed_at = None
    db.session.flush()
    audit.record(by, "landing_case.reopened", case)


def delete_case_documents(case: LandingCase, *, by: User) -> int:
    """Personal data: a closed case's documents go, rows now and stored bytes once committed."""
    _require_staff(by)
    if case.state is not CaseState.CLOSED:
        raise CaseError(_l("Documents can only be deleted once the case is closed."))
    count = _remove_documents(case)
    audit.record(by, "landing_case.documents_deleted", case, {"count": count})
    return count


DEFAULT_RETENTION_DAYS = 365


def retention_days() -> int:
    """``LANDING_DOCUMENT_RETENTION_DAYS`` (``KAKEHASHI_LANDING_DOCUMENT_RETENTION_DAYS``), default 365."""
    return int(current_app.config.get("LANDING_DOCUMENT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def purge_expired_documents(*, now: datetime | None = None, days: int | None = None) -> tuple[int, int]:
    """Delete the documents of cases closed more than ``days`` (the retention setting) ago.

    Rows go now, stored bytes once the caller commits. Safe to repeat: a case whose documents are gone
    is not touched (nor audited) again. Returns (cases, documents).
    """
    days = retention_days() if days is None else days
    if days < 0:
        raise ValueError("the retention period cannot be negative")
    cutoff = (now or utcnow()) - timedelta(days=days)
    cases = list(
        db.session.scalars(
            select(LandingCase)
            .where(
                LandingCase.state == CaseState.CLOSED,
                LandingCase.closed_at.is_not(None),
                LandingCase.closed_at < cutoff,
                select(TaskDocument.id)
                .join(CaseTask, CaseTask.id == TaskDocument.task_id)
                .where(CaseTask.case_id == LandingCase.id)
                .exists(),
            )
            .order_by(LandingCase.id)
        )
    )
    total = 0
    for case in cases:
        count = _remove_documents(case)
        audit.record(None, "landing_case.documents_purged", case, {"count": count, "retention_days": days})
        total += count
    db.session.flush()
    return len(cases), total


def _remove_documents(case: LandingCase) -> int:
    documents = list(
        db.session.scalars(
            select(TaskDocument)
            .join(CaseTask, CaseTask.id == TaskDocument.task_id)
            .where(CaseTask.case_id == case.id)
            .options(selectinload(TaskDocument.file))
            .order_by(TaskDocument.id)
        )
    )
    files = [document.file for document in documents]
    for document in documents:
        db.session.delete(document)
    db.session.flush()
    for stored in files:
        storage.remove(stored)
    db.session.flush()
    return len(documents)


def record_document_access(document: TaskDocument, *, by: User, action: str = "view") -> None:
    """Every view and download of a (possibly identity) document is audited."""
    audit.record(
        by,
        f"task_document.{action}",
        document,
        {"task": document.task_id, "case": document.task.case_id, "file": document.file_id},
    )
    db.session.flush()


def rotate_feed_token(case: LandingCase, *, by: User) -> str:
    """A new private calendar address; the old one stops working."""
    if not permissions.can_manage_feed(by, case):
        raise CaseError(_l("Only the founder of this case or programme staff can do this."))
    case.feed_token = secrets.token_urlsafe(32)
    db.session.flush()
    audit.record(by, "landing_case.feed_rotated", case)
    return case.feed_token


def revoke_feed_token(case: LandingCase, *, by: User) -> None:
    if not permissions.can_manage_feed(by, case):
        raise CaseError(_l("Only the founder of this case or programme staff can do this."))
    case.feed_token = None
    db.session.flush()
    audit.record(by, "landing_case.feed_revoked", case)


# --- reminders ----------------------------------------------------------------------------------


def send_reminders(*, today: date | None = None) -> int:
    """Email each founder once about their steps with a firm deadline within 3 days, or overdue.

    A step is reminded at most once a day (``CaseTask.reminded_on``): a second run the same day sends
    nothing; the next day it is reminded again while it is still due. Only the founder's own work counts
    (to do, in progress, needs changes; not staff-side steps), and only due dates that no longer move
    (the steps they rest on are finished). A step that changed state today is skipped: its founder has
    just been emailed about it (the case opened, the step unlocked or was sent back).
    Returns the number of emails queued.
    """
    today = _today(today)
    horizon = date.fromordinal(today.toordinal() + REMIND_DAYS_AHEAD)
    query = (
        select(LandingCase)
        .where(LandingCase.state == CaseState.OPEN)
        .options(selectinload(LandingCase.founder))
        .order_by(LandingCase.id)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Several runs at once (cron on several machines) each claim their own cases; SQLite serialises writers.
        query = query.with_for_update(skip_locked=True, of=LandingCase)
    cases = list(db.session.scalars(query))
    if not cases:
        return 0
    tasks_by_case: dict[int, list[CaseTask]] = defaultdict(list)
    for task in db.session.scalars(
        select(CaseTask).where(CaseTask.case_id.in_([c.id for c in cases])).order_by(CaseTask.position)
    ):
        tasks_by_case[task.case_id].append(task)
    by_founder: dict[int, list[tuple[LandingCase, CaseTask, Any]]] = defaultdict(list)
    founders: dict[int, User] = {}
    for case in cases:
        if not case.founder.active:
            continue
        plan = plan_case(case, tasks_by_case[case.id], today)
        for task in tasks_by_case[case.id]:
            task_plan = plan.tasks[task.key]
            if (
                task.state in WORKING_STATES
                and task.party is not Party.STAFF
                and not task_plan.due_is_projected
                and to_tokyo(task.state_changed_at).date() != today  # just told about it (opened, unlocked, sent back)
                and task_plan.due is not None
                and task_plan.due <= horizon
                and task.reminded_on != today
            ):
                by_founder[case.founder_id].append((case, task, task_plan))
                founders[case.founder_id] = case.founder
    for founder_id, items in by_founder.items():
        items.sort(key=lambda item: (item[2].due, item[1].position))
        for _case, task, _plan in items:
            task.reminded_on = today
        outbox.queue(founders[founder_id], "softlanding/reminder", items=items, today=today)
        audit.record(None, "landing_case.reminded", items[0][0], {"tasks": [t.id for _c, t, _p in items]})
    db.session.flush()
    return len(by_founder)
