"""Soft landing: checklist templates staff maintain, and the cases (with their own copy) founders follow.

A template's steps form a DAG through ``depends_on`` (a list of step keys of the same template). Opening a
case copies every step into a ``CaseTask``, so editing a template never changes an open case. Due dates
and the projected "operating" date are computed (``schedule.py``), never stored by hand.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kakehashi.core import audit
from kakehashi.core.db import TimestampMixin, UTCDateTime, str_enum, utcnow
from kakehashi.core.errors import InvalidTransition
from kakehashi.extensions import db

if TYPE_CHECKING:
    from kakehashi.accounts.models import Startup, User
    from kakehashi.core.storage import StoredFile


class LandingPath(enum.StrEnum):
    STARTUP_VISA = "startup_visa"
    BUSINESS_MANAGER = "business_manager"
    RESIDENT = "resident"  # already resident, changing status

    @property
    def label(self) -> str:
        return str(
            {
                LandingPath.STARTUP_VISA: _l("Startup Visa"),
                LandingPath.BUSINESS_MANAGER: _l("Business Manager visa"),
                LandingPath.RESIDENT: _l("Already resident in Japan"),
            }[self]
        )


class StepCategory(enum.StrEnum):
    VISA = "visa"
    INCORPORATION = "incorporation"
    HOUSING = "housing"
    BANKING = "banking"
    REGISTRATION = "registration"
    TAX = "tax"  # tax and social insurance
    CULTURE = "culture"  # business culture

    @property
    def label(self) -> str:
        return str(
            {
                StepCategory.VISA: _l("Visa"),
                StepCategory.INCORPORATION: _l("Incorporation"),
                StepCategory.HOUSING: _l("Housing"),
                StepCategory.BANKING: _l("Banking"),
                StepCategory.REGISTRATION: _l("Ward registration"),
                StepCategory.TAX: _l("Tax and social insurance"),
                StepCategory.CULTURE: _l("Business culture"),
            }[self]
        )


class Party(enum.StrEnum):
    """Who does the step."""

    FOUNDER = "founder"
    STAFF = "staff"
    PROFESSIONAL = "professional"  # a judicial or administrative scrivener, tax accountant, …

    @property
    def label(self) -> str:
        return str(
            {
                Party.FOUNDER: _l("Founder"),
                Party.STAFF: _l("Programme staff"),
                Party.PROFESSIONAL: _l("Professional (scrivener, accountant)"),
            }[self]
        )


DEADLINE_RANGE = "deadline_days IS NULL OR (deadline_days >= 0 AND deadline_days <= 730)"


class StepFields:
    """The columns a template step and a case task share (a task is a copy of a step)."""

    key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    category: Mapped[StepCategory] = mapped_column(str_enum(StepCategory))
    title: Mapped[dict[str, str]]
    body: Mapped[dict[str, str] | None]  # Markdown, rendered safely
    party: Mapped[Party] = mapped_column(str_enum(Party), default=Party.FOUNDER)
    duration_days: Mapped[int] = mapped_column(default=1)  # typical duration
    # Optional deadline: ``deadline_days`` after the completion of step ``deadline_after``.
    deadline_days: Mapped[int | None]
    deadline_after: Mapped[str | None] = mapped_column(String(60))
    required_documents: Mapped[dict[str, str] | None]  # one per line, per language
    needs_upload: Mapped[bool] = mapped_column(default=False)  # submitting needs at least one document
    source_url: Mapped[str | None] = mapped_column(String(500))
    reviewed_on: Mapped[date | None]  # when staff last checked the step against its source
    depends_on: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys of steps in the same list
    is_milestone: Mapped[bool] = mapped_column(default=False)  # "operating in Japan"


class ChecklistTemplate(TimestampMixin, db.Model):
    __tablename__ = "checklist_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)  # e.g. "tokyo-startup-visa"
    name: Mapped[dict[str, str]]
    description: Mapped[dict[str, str] | None]
    path: Mapped[LandingPath] = mapped_column(str_enum(LandingPath))
    version: Mapped[int] = mapped_column(default=1)  # bumped by every edit
    is_active: Mapped[bool] = mapped_column(default=True)  # offered when opening a case

    steps: Mapped[list[TemplateStep]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="TemplateStep.position",
        lazy="raise",
    )


class TemplateStep(StepFields, db.Model):
    __tablename__ = "template_step"
    __table_args__ = (
        UniqueConstraint("template_id", "key"),
        CheckConstraint("duration_days >= 0 AND duration_days <= 730", name="duration_range"),
        CheckConstraint(DEADLINE_RANGE, name="deadline_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_template.id", ondelete="CASCADE"), index=True)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="steps")


class CaseState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(
            {
                CaseState.OPEN: lazy_pgettext("landing case state", "Open"),
                CaseState.CLOSED: lazy_pgettext("landing case state", "Closed"),
            }[self]
        )


class LandingCase(TimestampMixin, db.Model):
    __tablename__ = "landing_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    founder_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    startup_id: Mapped[int | None] = mapped_column(ForeignKey("startup.id", ondelete="SET NULL"), index=True)
    concierge_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_template.id", ondelete="SET NULL"))
    template_version: Mapped[int]
    name: Mapped[dict[str, str]]  # the template's name when the case was opened
    path: Mapped[LandingPath] = mapped_column(str_enum(LandingPath))
    company_name: Mapped[str | None] = mapped_column(String(200))  # before the startup exists on the platform
    home_country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166 alpha-2
    planned_arrival_on: Mapped[date]
    opened_on: Mapped[date]  # Tokyo date the case was opened: root tasks start then
    state: Mapped[CaseState] = mapped_column(str_enum(CaseState), default=CaseState.OPEN, index=True)
    operating_on: Mapped[date | None] = mapped_column(index=True)  # the milestone step's completion
    closed_at: Mapped[datetime | None]
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)  # iCalendar feed; None = revoked

    founder: Mapped[User] = relationship(foreign_keys=[founder_id])
    concierge: Mapped[User | None] = relationship(foreign_keys=[concierge_id])
    startup: Mapped[Startup | None] = relationship()
    template: Mapped[ChecklistTemplate | None] = relationship()
    tasks: Mapped[list[CaseTask]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseTask.position", lazy="raise"
    )


class TaskState(enum.StrEnum):
    LOCKED = "locked"  # waits for the steps it depends on
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"  # waiting for staff review
    NEEDS_CHANGES = "needs_changes"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return str(TASK_STATE_LABELS[self])

    @property
    def is_finished(self) -> bool:
        """Finished states release the tasks that depend on this one."""
        return self in (TaskState.DONE, TaskState.NOT_APPLICABLE)


TASK_STATE_LABELS = {
    TaskState.LOCKED: _l("Locked"),
    TaskState.TODO: _l("To do"),
    TaskState.IN_PROGRESS: _l("In progress"),
    TaskState.SUBMITTED: _l("Awaiting review"),
    TaskState.NEEDS_CHANGES: _l("Needs changes"),
    TaskState.DONE: _l("Done"),
    TaskState.NOT_APPLICABLE: _l("Not applicable"),
}

# Who may make each move is the services' business (founder: start/submit; staff: the rest).
TASK_TRANSITIONS: dict[TaskState, set[TaskState]] = {
    TaskState.LOCKED: {TaskState.TODO, TaskState.NOT_APPLICABLE},
    TaskState.TODO: {TaskState.IN_PROGRESS, TaskState.SUBMITTED, TaskState.DONE, TaskState.NOT_APPLICABLE},
    TaskState.IN_PROGRESS: {TaskState.SUBMITTED, TaskState.DONE, TaskState.NOT_APPLICABLE},
    TaskState.SUBMITTED: {TaskState.DONE, TaskState.NEEDS_CHANGES, TaskState.NOT_APPLICABLE},
    TaskState.NEEDS_CHANGES: {TaskState.IN_PROGRESS, TaskState.NOT_APPLICABLE},
    TaskState.DONE: set(),
    TaskState.NOT_APPLICABLE: set(),
}


class CaseTask(StepFields, db.Model):
    __tablename__ = "case_task"
    __table_args__ = (
        UniqueConstraint("case_id", "key"),
        CheckConstraint("duration_days >= 0 AND duration_days <= 730", name="duration_range"),
        CheckConstraint(DEADLINE_RANGE, name="deadline_range"),
        CheckConstraint(
            "(state IN ('done', 'not_applicable')) = (completed_on IS NOT NULL)", name="completed_when_finished"
        ),
        Index("ix_case_task_state_case", "state", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("landing_case.id", ondelete="CASCADE"), index=True)
    state: Mapped[TaskState] = mapped_column(str_enum(TaskState), default=TaskState.LOCKED)
    completed_on: Mapped[date | None]  # Tokyo date it became done / not applicable
    not_applicable_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminded_on: Mapped[date | None]  # Tokyo date of the last reminder (one per day at most)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    case: Mapped[LandingCase] = relationship(back_populates="tasks")
    documents: Mapped[list[TaskDocument]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskDocument.id", lazy="raise"
    )
    comments: Mapped[list[TaskComment]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskComment.id", lazy="raise"
    )

    def transition_to(self, new: TaskState, *, by: Any, on: date | None = None, reason: str | None = None) -> None:
        """The one way a task changes state; ``on`` is the Tokyo date for finishing moves."""
        if new not in TASK_TRANSITIONS[self.state]:
            raise InvalidTransition(self.state, new)
        old = self.state
        self.state = new
        self.state_changed_at = utcnow()
        if new.is_finished:
            if on is None:
                raise ValueError("a finishing move needs its date")
            self.completed_on = on
        if new is TaskState.NOT_APPLICABLE:
            self.not_applicable_reason = reason
        if new is TaskState.SUBMITTED:
            self.submitted_at = self.state_changed_at
        audit.record(by, "case_task.state", self, {"from": old.value, "to": new.value, "case": self.case_id})


class TaskDocument(db.Model):
    __tablename__ = "task_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("case_task.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[CaseTask] = relationship(back_populates="documents")
    file: Mapped[StoredFile] = relationship()
    uploaded_by: Mapped[User | None] = relationship()


class TaskComment(db.Model):
    __tablename__ = "task_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("case_task.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    # The review decision this comment came with, if any ("needs_changes", "done"), for the thread's labels.
    decision: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[CaseTask] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()
