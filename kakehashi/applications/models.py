"""Verticals, calls with their rubric, and applications."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kakehashi.core import audit
from kakehashi.core.db import TimestampMixin, UTCDateTime, str_enum, utcnow
from kakehashi.core.errors import InvalidTransition
from kakehashi.extensions import db

if TYPE_CHECKING:
    from kakehashi.accounts.models import Startup, User
    from kakehashi.core.storage import StoredFile


class Vertical(TimestampMixin, db.Model):
    __tablename__ = "vertical"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[dict[str, str]]
    description: Mapped[dict[str, str] | None]
    active: Mapped[bool] = mapped_column(default=True)


class CallState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    DECIDED = "decided"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return str(CALL_STATE_LABELS[self])


CALL_STATE_LABELS = {
    CallState.DRAFT: _l("Draft"),
    CallState.OPEN: _l("Open"),
    CallState.CLOSED: _l("Closed (judging)"),
    CallState.DECIDED: _l("Decided"),
    CallState.ARCHIVED: _l("Archived"),
}

# Applicant fields staff may hide from judges for blind review.
BLINDABLE_FIELDS = {
    "startup_name": _l("Startup name"),
    "website": _l("Website"),
    "founders": _l("Founders"),
    "country": _l("Country"),
}


class Call(TimestampMixin, db.Model):
    __tablename__ = "call"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("seats >= 0", name="seats_not_negative"),
        CheckConstraint("target_applications > 0", name="target_positive"),
        CheckConstraint("judges_per_application >= 1", name="at_least_one_judge"),
        CheckConstraint("deck_max_mb >= 1 AND deck_max_mb <= 50", name="deck_limit_range"),
        Index("ix_call_state_closes_at", "state", "closes_at"),
    )

    TRANSITIONS: ClassVar[dict[CallState, set[CallState]]] = {
        CallState.DRAFT: {CallState.OPEN},
        CallState.OPEN: {CallState.CLOSED, CallState.DRAFT},
        CallState.CLOSED: {CallState.DECIDED, CallState.OPEN},
        CallState.DECIDED: {CallState.ARCHIVED},
        CallState.ARCHIVED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    vertical_id: Mapped[int] = mapped_column(ForeignKey("vertical.id"), index=True)
    title: Mapped[dict[str, str]]
    summary: Mapped[dict[str, str]]
    description: Mapped[dict[str, str] | None]
    eligibility: Mapped[dict[str, str] | None]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    seats: Mapped[int] = mapped_column(default=10)
    target_applications: Mapped[int] = mapped_column(default=100)
    judges_per_application: Mapped[int] = mapped_column(default=3)
    deck_max_mb: Mapped[int] = mapped_column(default=20)
    blind_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[CallState] = mapped_column(str_enum(CallState), default=CallState.DRAFT)

    vertical: Mapped[Vertical] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="call",
        order_by="Criterion.position, Criterion.id",
        cascade="all, delete-orphan",
        lazy="raise",
    )

    def is_open_at(self, moment: datetime) -> bool:
        """Accepting submissions: open by state *and* by the clock."""
        return self.state is CallState.OPEN and self.opens_at <= moment < self.closes_at

    @property
    def is_open(self) -> bool:
        return self.is_open_at(utcnow())

    @property
    def deck_max_bytes(self) -> int:
        return self.deck_max_mb * 1024 * 1024

    @property
    def rubric_editable(self) -> bool:
        """The rubric may change until judging starts (when the call closes)."""
        return self.state in (CallState.DRAFT, CallState.OPEN)

    def transition_to(self, new: CallState, *, by: User | None) -> None:
        if new not in self.TRANSITIONS[self.state]:
            raise InvalidTransition(self.state, new)
        old, self.state = self.state, new
        audit.record(by, "call.state", self, {"from": old.value, "to": new.value})


class Criterion(db.Model):
    __tablename__ = "criterion"
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("scale_max > scale_min", name="scale_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[dict[str, str]]
    guidance: Mapped[dict[str, str] | None]
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)

    call: Mapped[Call] = relationship(back_populates="criteria")


class ApplicationState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    UNDER_REVIEW = "under_review"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return str(APPLICATION_STATE_LABELS[self])

    @property
    def is_decided(self) -> bool:
        return self in (ApplicationState.ACCEPTED, ApplicationState.WAITLISTED, ApplicationState.REJECTED)


APPLICATION_STATE_LABELS = {
    ApplicationState.DRAFT: _l("Draft"),
    ApplicationState.SUBMITTED: _l("Submitted"),
    ApplicationState.WITHDRAWN: _l("Withdrawn"),
    ApplicationState.UNDER_REVIEW: _l("Under review"),
    ApplicationState.ACCEPTED: _l("Accepted"),
    ApplicationState.WAITLISTED: _l("Waitlisted"),
    ApplicationState.REJECTED: _l("Not selected"),
}

# The answers of an application, in form order.
APPLICATION_FIELDS = (
    "company_summary",
    "founders",
    "team_size",
    "problem",
    "solution",
    "market",
    "traction",
    "funding_raised_jpy",
    "valuation_jpy",
    "revenue_jpy",
    "overseas_revenue_share",
    "why_programme",
)

# The fields an application needs before it can be submitted (the deck is checked separately).
REQUIRED_FOR_SUBMISSION = (
    "company_summary",
    "founders",
    "team_size",
    "problem",
    "solution",
    "market",
    "traction",
    "funding_raised_jpy",
    "why_programme",
)


class Application(TimestampMixin, db.Model):
    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("call_id", "startup_id"),
        CheckConstraint("team_size IS NULL OR team_size >= 1", name="team_size_positive"),
        CheckConstraint("funding_raised_jpy IS NULL OR funding_raised_jpy >= 0", name="funding_not_negative"),
        CheckConstraint("valuation_jpy IS NULL OR valuation_jpy >= 0", name="valuation_not_negative"),
        CheckConstraint("revenue_jpy IS NULL OR revenue_jpy >= 0", name="revenue_not_negative"),
        CheckConstraint(
            "overseas_revenue_share IS NULL OR (overseas_revenue_share >= 0 AND overseas_revenue_share <= 100)",
            name="overseas_share_percent",
        ),
        Index("ix_application_call_state", "call_id", "state"),
        CheckConstraint(
            "decision IS NULL OR decision IN ('accepted', 'waitlisted', 'rejected')", name="decision_is_an_outcome"
        ),
    )

    TRANSITIONS: ClassVar[dict[ApplicationState, set[ApplicationState]]] = {
        ApplicationState.DRAFT: {ApplicationState.SUBMITTED, ApplicationState.WITHDRAWN},
        ApplicationState.SUBMITTED: {
            ApplicationState.WITHDRAWN,
            ApplicationState.UNDER_REVIEW,
            ApplicationState.ACCEPTED,
            ApplicationState.WAITLISTED,
            ApplicationState.REJECTED,
        },
        ApplicationState.UNDER_REVIEW: {
            ApplicationState.SUBMITTED,  # the call was re-opened
            ApplicationState.WITHDRAWN,
            ApplicationState.ACCEPTED,
            ApplicationState.WAITLISTED,
            ApplicationState.REJECTED,
        },
        ApplicationState.WAITLISTED: {ApplicationState.ACCEPTED, ApplicationState.REJECTED},
        ApplicationState.ACCEPTED: set(),
        ApplicationState.REJECTED: set(),
        ApplicationState.WITHDRAWN: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id"), index=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    state: Mapped[ApplicationState] = mapped_column(str_enum(ApplicationState), default=ApplicationState.DRAFT)
    # Optimistic locking: two simultaneous submissions cannot both win.
    version: Mapped[int] = mapped_column(default=1)

    company_summary: Mapped[str | None] = mapped_column(Text)
    founders: Mapped[str | None] = mapped_column(Text)
    team_size: Mapped[int | None]
    problem: Mapped[str | None] = mapped_column(Text)
    solution: Mapped[str | None] = mapped_column(Text)
    market: Mapped[str | None] = mapped_column(Text)
    traction: Mapped[str | None] = mapped_column(Text)
    funding_raised_jpy: Mapped[int | None] = mapped_column(BigInteger)
    valuation_jpy: Mapped[int | None] = mapped_column(BigInteger)
    revenue_jpy: Mapped[int | None] = mapped_column(BigInteger)
    overseas_revenue_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    why_programme: Mapped[str | None] = mapped_column(Text)
    deck_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))

    # Staff's decision, kept private until released (then it becomes the state).
    decision: Mapped[ApplicationState | None] = mapped_column(str_enum(ApplicationState))
    feedback: Mapped[str | None] = mapped_column(Text)

    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    call: Mapped[Call] = relationship()
    startup: Mapped[Startup] = relationship()
    deck: Mapped[StoredFile | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def is_editable(self) -> bool:
        return self.state is ApplicationState.DRAFT

    @property
    def can_withdraw(self) -> bool:
        return ApplicationState.WITHDRAWN in self.TRANSITIONS[self.state]

    def missing_for_submission(self) -> list[str]:
        missing = [name for name in REQUIRED_FOR_SUBMISSION if getattr(self, name) in (None, "")]
        if self.deck_id is None:
            missing.append("deck")
        return missing

    def transition_to(self, new: ApplicationState, *, by: User | None) -> None:
        if new not in self.TRANSITIONS[self.state]:
            raise InvalidTransition(self.state, new)
        old, self.state = self.state, new
        audit.record(by, "application.state", self, {"from": old.value, "to": new.value})


# The staff list's order (newest submission first, drafts last). PostgreSQL's index says
# ``submitted_at DESC NULLS LAST`` (migration 0008); SQLite puts NULLs last in DESC order anyway and
# refuses NULLS LAST in an index.
# Alembic's comparison cannot see that the two forms are the same index: ``dialect_specific`` tells the
# schema test to check it by name instead.
Index(
    "ix_application_call_submitted",
    Application.call_id,
    Application.submitted_at.desc(),
    Application.id.desc(),
    info={"dialect_specific": True},
)
