"""People and the startups they belong to."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from kakehashi.core.db import TimestampMixin, UTCDateTime, str_enum, utcnow
from kakehashi.extensions import db


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user"
    # Addresses are stored lower-cased, so the unique constraint is case-insensitive.
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    is_staff: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on password change or deactivation: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list[StartupMember]] = relationship(back_populates="user", lazy="raise")
    invitation: Mapped[Invitation | None] = relationship(
        back_populates="user", foreign_keys="Invitation.user_id", lazy="raise"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Startup(TimestampMixin, db.Model):
    __tablename__ = "startup"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[dict[str, str]]
    country: Mapped[str] = mapped_column(String(2), default="JP")  # ISO 3166-1 alpha-2
    website: Mapped[str | None] = mapped_column(String(300))
    founded_on: Mapped[date | None]
    is_overseas: Mapped[bool] = mapped_column(default=False)
    # Derived from ``name`` (both languages, lower-cased) so lists can search it with LIKE on any database.
    search_name: Mapped[str] = mapped_column(String(500), default="")

    members: Mapped[list[StartupMember]] = relationship(
        back_populates="startup", lazy="raise", cascade="all, delete-orphan"
    )

    @validates("name")
    def _derive_search_name(self, _key: str, value: dict[str, str]) -> dict[str, str]:
        self.search_name = " ".join(str(v) for v in (value or {}).values()).lower()[:500]
        return value


class MemberRole(enum.StrEnum):
    FOUNDER = "founder"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return str({MemberRole.FOUNDER: _l("Founder"), MemberRole.MEMBER: _l("Member")}[self])


class StartupMember(db.Model):
    __tablename__ = "startup_member"
    __table_args__ = (UniqueConstraint("startup_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole), default=MemberRole.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    startup: Mapped[Startup] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


class InvitedRole(enum.StrEnum):
    """What staff invited someone to be. Later features attach the matching membership."""

    JUDGE = "judge"
    HUB_STAFF = "hub_staff"
    OVERSEAS_FOUNDER = "overseas_founder"
    STAFF = "staff"
    STARTUP_MEMBER = "startup_member"

    @property
    def label(self) -> str:
        return str(
            {
                InvitedRole.STARTUP_MEMBER: _l("Startup team member"),
                InvitedRole.JUDGE: _l("Judge"),
                InvitedRole.HUB_STAFF: _l("Partner-hub staff"),
                InvitedRole.OVERSEAS_FOUNDER: _l("Overseas founder"),
                InvitedRole.STAFF: _l("Programme staff"),
            }[self]
        )


class Invitation(db.Model):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    role: Mapped[InvitedRole] = mapped_column(str_enum(InvitedRole))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="invitation", foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
