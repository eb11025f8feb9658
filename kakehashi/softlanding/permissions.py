"""Who may see and work on landing cases. Used by views, templates and services alike.

A case, its tasks and its documents (passports, residence cards) are private to the case's founder and
programme staff: anyone else is told they do not exist (404). The predicates are named for
``@access.rule(...)``; the access policy needs no registration beyond that name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kakehashi.accounts.permissions import is_staff
from kakehashi.core import storage
from kakehashi.core.storage import StoredFile
from kakehashi.extensions import db
from kakehashi.softlanding.models import CaseState, CaseTask, LandingCase, TaskDocument, TaskState

DOCUMENT_PURPOSE = "landing_document"  # StoredFile.purpose of task documents


def is_case_founder(user: Any, case: LandingCase) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.id == case.founder_id)


def can_view_case(user: Any, case: LandingCase) -> bool:
    """The case's founder and staff (everyone else: 404)."""
    return is_staff(user) or is_case_founder(user, case)


def can_view_task(user: Any, task: CaseTask) -> bool:
    return can_view_case(user, task.case)


def can_review(user: Any) -> bool:
    """Approve, request changes, complete, mark not applicable, open/close cases: staff."""
    return is_staff(user)


def can_manage_cases(user: Any) -> bool:
    return is_staff(user)


def can_work_on_task(user: Any, task: CaseTask) -> bool:
    """Start, upload, remove documents, submit: on an open case, a task that is neither locked nor finished."""
    case = task.case
    return (
        can_view_case(user, case)
        and case.state is CaseState.OPEN
        and task.state is not TaskState.LOCKED
        and not task.state.is_finished
    )


def can_comment(user: Any, task: CaseTask) -> bool:
    """Founders on the tasks they can work on; staff on any task of an open case."""
    if task.case.state is not CaseState.OPEN:
        return False
    return is_staff(user) or can_work_on_task(user, task)


def can_manage_feed(user: Any, case: LandingCase) -> bool:
    """Rotate or revoke the calendar feed's address."""
    return can_view_case(user, case)


def can_view_document(user: Any, document: TaskDocument) -> bool:
    return can_view_task(user, document.task)


def can_download_document(user: Any, stored: StoredFile) -> bool:
    """The storage download rule for landing documents: the case's founder (staff always pass)."""
    founder_id = db.session.scalar(
        select(LandingCase.founder_id)
        .join(CaseTask, CaseTask.case_id == LandingCase.id)
        .join(TaskDocument, TaskDocument.task_id == CaseTask.id)
        .where(TaskDocument.file_id == stored.id)
    )
    return founder_id is not None and bool(getattr(user, "is_authenticated", False)) and user.id == founder_id


storage.register_download_rule(DOCUMENT_PURPOSE, can_download_document)
