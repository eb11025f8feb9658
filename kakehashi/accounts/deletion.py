"""Deleting an account: the person's rows and the files only they own go; the programme's records stay.

What goes, in one transaction (stored bytes once it commits):
- the user row and what hangs off it (memberships, invitation, judging invitations, assignments and
  scores, conflicts, hub staff memberships: foreign keys cascade);
- their landing cases, with every task, comment and document, and the documents' stored files;
- each startup of which they were the **only** member: its applications with their pitch decks
  (rows and stored files), judges' assignments on them, conflicts, funding rounds, valuation marks and
  annual reports. A startup with other members stays as it is (it is the team's, not the person's);
- email queued or sent to their address; their IP address in the audit trail, and their name or email
  in the data of audit rows about their account.
Elsewhere their name disappears with the row: ``…_by_id`` columns become empty (``ON DELETE SET NULL``).

Refused (nothing changes) while:
- they are the last active member of programme staff (nobody could run the programme);
- they are the only member of a startup that is in a cohort or has booked desks (the programme's
  records and payments must stay attached to a team: add a teammate first, or ask staff);
- they have reviews on a call that has not been decided yet (the ranking would change under staff).

The audit row says what was deleted, in counts, without personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from kakehashi.accounts.models import Startup, StartupMember, User
from kakehashi.accounts.services import check_password
from kakehashi.core import audit, storage
from kakehashi.core.audit import AuditEvent
from kakehashi.core.errors import DomainError
from kakehashi.core.i18n import pick
from kakehashi.core.outbox import OutboundEmail
from kakehashi.extensions import db

# Audit data keys that carry the person's own details.
PERSONAL_KEYS = ("name", "email")


class CannotDeleteAccount(DomainError):
    pass


@dataclass
class DeletionPlan:
    """What deleting ``user`` removes (shown before confirming, and counted in the audit row)."""

    user: User
    startups: list[Startup] = field(default_factory=list)  # they are the only member
    application_ids: list[int] = field(default_factory=list)
    deck_files: list[storage.StoredFile] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    document_files: list[storage.StoredFile] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "startups": len(self.startups),
            "applications": len(self.application_ids),
            "decks": len(self.deck_files),
            "landing_cases": len(self.case_ids),
            "documents": len(self.document_files),
        }


def _sole_member_startups(user: User) -> list[Startup]:
    teammate = aliased(StartupMember)
    others = select(teammate.id).where(teammate.startup_id == Startup.id, teammate.user_id != user.id).exists()
    return list(
        db.session.scalars(
            select(Startup)
            .join(StartupMember, StartupMember.startup_id == Startup.id)
            .where(StartupMember.user_id == user.id, ~others)
            .order_by(Startup.id)
        )
    )


def plan_deletion(user: User) -> DeletionPlan:
    from kakehashi.applications.models import Application
    from kakehashi.softlanding.models import CaseTask, LandingCase, TaskDocument

    plan = DeletionPlan(user=user, startups=_sole_member_startups(user))
    startup_ids = [s.id for s in plan.startups]
    if startup_ids:
        rows = db.session.execute(
            select(Application.id, Application.deck_id).where(Application.startup_id.in_(startup_ids))
        ).all()
        plan.application_ids = [row.id for row in rows]
        deck_ids = [row.deck_id for row in rows if row.deck_id is not None]
        if deck_ids:
            plan.deck_files = list(
                db.session.scalars(select(storage.StoredFile).where(storage.StoredFile.id.in_(deck_ids)))
            )
    plan.case_ids = list(db.session.scalars(select(LandingCase.id).where(LandingCase.founder_id == user.id)))
    if plan.case_ids:
        plan.document_files = list(
            db.session.scalars(
                select(storage.StoredFile)
                .join(TaskDocument, TaskDocument.file_id == storage.StoredFile.id)
                .join(CaseTask, CaseTask.id == TaskDocument.task_id)
                .where(CaseTask.case_id.in_(plan.case_ids))
            )
        )
    return plan


def deletion_problem(user: User, plan: DeletionPlan | None = None) -> str | None:
    """Why the account cannot be deleted now (a translated sentence), or None."""
    from kakehashi.applications.judging.models import AssignmentState, JudgeAssignment
    from kakehashi.applications.models import Call, CallState
    from kakehashi.cohorts.models import CohortMember
    from kakehashi.partners.models import ExchangeBooking

    if user.is_staff and user.active:
        other_staff = db.session.scalar(
            select(func.count(User.id)).where(User.is_staff.is_(True), User.active.is_(True), User.id != user.id)
        )
        if not other_staff:
            return str(_l("This is the last active programme staff account. Make someone else staff first."))
    plan = plan or plan_deletion(user)
    for startup in plan.startups:
        in_programme = db.session.scalar(
            select(CohortMember.id).where(CohortMember.startup_id == startup.id).limit(1)
        ) or db.session.scalar(select(ExchangeBooking.id).where(ExchangeBooking.startup_id == startup.id).limit(1))
        if in_programme:
            return str(
                _l(
                    "%(startup)s takes part in the programme and you are its only member. "
                    "Add a teammate to the startup first, or ask programme staff.",
                    startup=pick(startup.name),
                )
            )
    judging = db.session.scalar(
        select(JudgeAssignment.id)
        .join(Call, Call.id == JudgeAssignment.call_id)
        .where(
            JudgeAssignment.judge_id == user.id,
            JudgeAssignment.state == AssignmentState.SUBMITTED,
            Call.state.in_((CallState.OPEN, CallState.CLOSED)),
        )
        .limit(1)
    )
    if judging:
        return str(
            _l(
                "You have reviews on a call that has not been decided yet. "
                "Ask programme staff to remove your assignments first."
            )
        )
    return None


class WrongPassword(CannotDeleteAccount):
    def __init__(self) -> None:
        super().__init__(_l("The password is not correct."))


def delete_own_account(user: User, *, password: str) -> dict[str, int]:
    """The user deletes their own account, confirming it with their password."""
    if not check_password(user, password):
        raise WrongPassword()
    return delete_account(user, by=user)


def delete_account(user: User, *, by: User) -> dict[str, int]:
    """Delete ``user`` as described above; returns the counts. Raises ``CannotDeleteAccount``."""
    from kakehashi.applications.models import Application
    from kakehashi.softlanding.models import LandingCase, TaskDocument

    plan = plan_deletion(user)
    problem = deletion_problem(user, plan)
    if problem:
        raise CannotDeleteAccount(problem)
    user_id, email, self_service = user.id, user.email, by.id == user.id
    counts = plan.counts

    # Landing cases: documents (rows, then their files), then the cases (tasks and comments cascade).
    if plan.case_ids:
        file_ids = [f.id for f in plan.document_files]
        if file_ids:
            db.session.execute(delete(TaskDocument).where(TaskDocument.file_id.in_(file_ids)))
        db.session.execute(delete(LandingCase).where(LandingCase.id.in_(plan.case_ids)))
    # Startups only they belonged to: applications (assignments and scores cascade), then the startup.
    if plan.application_ids:
        db.session.execute(delete(Application).where(Application.id.in_(plan.application_ids)))
    if plan.startups:
        db.session.execute(delete(Startup).where(Startup.id.in_([s.id for s in plan.startups])))
    db.session.flush()
    for stored in [*plan.document_files, *plan.deck_files]:
        storage.remove(stored)  # the row now, the bytes after commit

    db.session.execute(delete(OutboundEmail).where(OutboundEmail.to_address == email))
    db.session.execute(update(AuditEvent).where(AuditEvent.actor_id == user_id).values(ip=None))
    _scrub_audit_about(user_id)
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.flush()
    gone = SimpleNamespace(__tablename__=User.__tablename__, id=user_id)  # the row is gone; the audit names its id
    event = audit.record(None if self_service else by, "user.deleted", gone, {"self": self_service, **counts})
    if self_service:
        event.ip = None  # their address too is personal data
    db.session.flush()
    return counts


def _scrub_audit_about(user_id: int) -> None:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == User.__tablename__, AuditEvent.object_id == user_id)
    )
    for event in events:
        data: dict[str, Any] = dict(event.data or {})
        if any(key in data for key in PERSONAL_KEYS):
            event.data = {key: value for key, value in data.items() if key not in PERSONAL_KEYS}
