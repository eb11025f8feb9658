"""Judges of a call, conflicts of interest, assignments and scores."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kakehashi.core import audit
from kakehashi.core.db import UTCDateTime, str_enum, utcnow
from kakehashi.core.errors import InvalidTransition
from kakehashi.extensions import db

if TYPE_CHECKING:
    from kakehashi.accounts.models import Startup, User
    from kakehashi.applications.models import Application, Call, Criterion


class CallJudge(db.Model):
    """A judge invited to a call, with expertise tags used to prefer matching verticals."""

    __tablename__ = "call_judge"
    __table_args__ = (UniqueConstraint("call_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    expertise: Mapped[list[str]] = mapped_column(JSON, default=list)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    call: Mapped[Call] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ConflictSource(enum.StrEnum):
    STAFF = "staff"
    JUDGE = "judge"


class Conflict(db.Model):
    """A judge must not judge a startup (invested in it, same employer, …)."""

    __tablename__ = "conflict"
    __table_args__ = (UniqueConstraint("judge_id", "startup_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[ConflictSource] = mapped_column(str_enum(ConflictSource))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    judge: Mapped[User] = relationship(foreign_keys=[judge_id])
    startup: Mapped[Startup] = relationship()


class AssignmentState(enum.StrEnum):
    ASSIGNED = "assigned"
    CONFLICTED = "conflicted"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return str(
            {
                AssignmentState.ASSIGNED: _l("To score"),
                AssignmentState.CONFLICTED: _l("Conflict declared"),
                AssignmentState.SUBMITTED: _l("Submitted"),
            }[self]
        )


class Recommendation(enum.StrEnum):
    ACCEPT = "accept"
    MAYBE = "maybe"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return str(
            {
                Recommendation.ACCEPT: _l("Accept"),
                Recommendation.MAYBE: _l("Undecided"),
                Recommendation.REJECT: _l("Do not accept"),
            }[self]
        )


class JudgeAssignment(db.Model):
    __tablename__ = "judge_assignment"
    __table_args__ = (
        UniqueConstraint("application_id", "judge_id"),
        Index("ix_judge_assignment_judge_state", "judge_id", "state"),
        # The ranking reads a call's submitted reviews and their scores from this index alone.
        Index("ix_judge_assignment_call_state_score", "call_id", "state", "application_id", "judge_id", "review_score"),
    )

    # A submitted review stays editable (re-submitted) while judging is open; a conflicted
    # assignment is final: it is never scored.
    TRANSITIONS: ClassVar[dict[AssignmentState, set[AssignmentState]]] = {
        AssignmentState.ASSIGNED: {AssignmentState.SUBMITTED, AssignmentState.CONFLICTED},
        AssignmentState.SUBMITTED: {AssignmentState.SUBMITTED},
        AssignmentState.CONFLICTED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    state: Mapped[AssignmentState] = mapped_column(str_enum(AssignmentState), default=AssignmentState.ASSIGNED)
    manual: Mapped[bool] = mapped_column(default=False)
    recommendation: Mapped[Recommendation | None] = mapped_column(str_enum(Recommendation))
    comment: Mapped[str | None] = mapped_column(Text)
    conflict_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Derived: the submitted review's weighted mean of its criterion scores (None until submitted).
    # Written only by ``services.save_review`` (``ranking.weighted_mean``), in the scores' transaction.
    review_score: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(default=1)

    application: Mapped[Application] = relationship()
    judge: Mapped[User] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="assignment", cascade="all, delete-orphan", lazy="raise")

    __mapper_args__: ClassVar[dict[str, object]] = {"version_id_col": version}

    @property
    def counts(self) -> bool:
        """Does this assignment occupy a judging slot (not conflicted)?"""
        return self.state is not AssignmentState.CONFLICTED

    def transition_to(self, new: AssignmentState, *, by: User | None) -> None:
        if new not in self.TRANSITIONS[self.state]:
            raise InvalidTransition(self.state, new)
        old, self.state = self.state, new
        audit.record(by, "assignment.state", self, {"from": old.value, "to": new.value})


class Score(db.Model):
    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("assignment_id", "criterion_id"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("judge_assignment.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"), index=True)
    value: Mapped[int]

    assignment: Mapped[JudgeAssignment] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()
