"""Cohorts: the startups a call accepted (or staff added by hand), followed across time."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kakehashi.core.db import TimestampMixin, UTCDateTime, utcnow
from kakehashi.extensions import db

if TYPE_CHECKING:
    from kakehashi.accounts.models import Startup
    from kakehashi.applications.models import Application, Call


def _enum(enum_cls: type[enum.Enum]) -> Enum:
    return Enum(enum_cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Cohort(TimestampMixin, db.Model):
    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The call that formed it; None for cohorts from before the platform, added by hand.
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"), unique=True)
    name: Mapped[dict[str, str]]
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]

    call: Mapped[Call | None] = relationship()
    members: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", lazy="raise"
    )


class MemberStatus(enum.StrEnum):
    ACTIVE = "active"
    GRADUATED = "graduated"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(
            {
                MemberStatus.ACTIVE: _l("Active"),
                MemberStatus.GRADUATED: _l("Graduated"),
                MemberStatus.WITHDRAWN: _l("Withdrawn"),
            }[self]
        )


class CohortMember(db.Model):
    __tablename__ = "cohort_member"
    __table_args__ = (UniqueConstraint("cohort_id", "startup_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"))
    status: Mapped[MemberStatus] = mapped_column(_enum(MemberStatus), default=MemberStatus.ACTIVE)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    startup: Mapped[Startup] = relationship()
    application: Mapped[Application | None] = relationship()
