"""Partner hubs abroad (and the ward's own home hub), desk bookings between them, and joint events."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kakehashi.core import audit
from kakehashi.core.db import TimestampMixin, UTCDateTime, str_enum, utcnow
from kakehashi.core.errors import InvalidTransition
from kakehashi.extensions import db

if TYPE_CHECKING:
    from kakehashi.accounts.models import Startup, User


class PartnerHub(TimestampMixin, db.Model):
    __tablename__ = "partner_hub"
    __table_args__ = (
        CheckConstraint("capacity_desks >= 0 AND capacity_desks <= 10000", name="capacity_range"),
        CheckConstraint("daily_rate >= 0", name="daily_rate_not_negative"),
        CheckConstraint("refund_days_before >= 0", name="refund_days_not_negative"),
        CheckConstraint(
            "agreement_ends_on IS NULL OR agreement_starts_on IS NULL OR agreement_ends_on >= agreement_starts_on",
            name="agreement_dates_ordered",
        ),
        # At most one home hub: the partial unique index works on SQLite and PostgreSQL.
        Index(
            "uq_partner_hub_one_home",
            "is_home",
            unique=True,
            sqlite_where=text("is_home"),
            postgresql_where=text("is_home"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[dict[str, str]]
    description: Mapped[dict[str, str] | None]
    city: Mapped[dict[str, str]]
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name, e.g. "Europe/Berlin"
    website: Mapped[str | None] = mapped_column(String(500))
    # The MOU: bookings must fall inside it. None = open-ended on that side.
    agreement_starts_on: Mapped[date | None]
    agreement_ends_on: Mapped[date | None]
    capacity_desks: Mapped[int]
    daily_rate: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # per desk per day, in ``currency``
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217
    # Cancelled at least this many days before the start: full refund; later: none.
    refund_days_before: Mapped[int] = mapped_column(default=14)
    # Bank-transfer details shown on receipts when payment is manual (no Stripe keys).
    payment_instructions: Mapped[dict[str, str] | None]
    is_home: Mapped[bool] = mapped_column(default=False)  # the ward's own facility
    is_active: Mapped[bool] = mapped_column(default=True)
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)  # iCalendar feed; None = revoked

    members: Mapped[list[HubMember]] = relationship(back_populates="hub", cascade="all, delete-orphan", lazy="raise")


class HubMember(db.Model):
    """A partner hub's staff member: approves or declines bookings at that hub."""

    __tablename__ = "hub_member"
    __table_args__ = (UniqueConstraint("hub_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("partner_hub.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    hub: Mapped[PartnerHub] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Direction(enum.StrEnum):
    OUTBOUND = "outbound"  # one of our cohort startups at a partner hub abroad
    INBOUND = "inbound"  # a partner's startup at our home hub

    @property
    def label(self) -> str:
        return str({Direction.OUTBOUND: _l("Outbound"), Direction.INBOUND: _l("Inbound")}[self])


class BookingState(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"  # capacity held; waiting for payment
    CONFIRMED = "confirmed"  # paid or fee waived
    COMPLETED = "completed"
    DECLINED = "declined"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(BOOKING_STATE_LABELS[self])

    @property
    def holds_desks(self) -> bool:
        """States that take capacity on the booked days."""
        return self in HOLDING_STATES


BOOKING_STATE_LABELS = {
    BookingState.REQUESTED: _l("Requested"),
    BookingState.APPROVED: _l("Approved, awaiting payment"),
    BookingState.CONFIRMED: _l("Confirmed"),
    BookingState.COMPLETED: _l("Completed"),
    BookingState.DECLINED: _l("Declined"),
    BookingState.CANCELLED: _l("Cancelled"),
}
HOLDING_STATES = (BookingState.APPROVED, BookingState.CONFIRMED, BookingState.COMPLETED)

BOOKING_TRANSITIONS: dict[BookingState, set[BookingState]] = {
    BookingState.REQUESTED: {
        BookingState.APPROVED,
        BookingState.CONFIRMED,
        BookingState.DECLINED,
        BookingState.CANCELLED,
    },
    BookingState.APPROVED: {BookingState.CONFIRMED, BookingState.CANCELLED},
    BookingState.CONFIRMED: {BookingState.COMPLETED, BookingState.CANCELLED},
    BookingState.COMPLETED: set(),
    BookingState.DECLINED: set(),
    BookingState.CANCELLED: set(),
}


class ExchangeBooking(TimestampMixin, db.Model):
    __tablename__ = "exchange_booking"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint("desks >= 1 AND desks <= 1000", name="desks_range"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        Index("ix_exchange_booking_hub_days", "hub_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("partner_hub.id"), index=True)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id"), index=True)
    # Inbound requests come from a partner hub's staff on behalf of one of their startups.
    requesting_hub_id: Mapped[int | None] = mapped_column(ForeignKey("partner_hub.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]  # inclusive: the last day at the desk
    desks: Mapped[int] = mapped_column(default=1)
    purpose: Mapped[str | None] = mapped_column(Text)
    state: Mapped[BookingState] = mapped_column(str_enum(BookingState), default=BookingState.REQUESTED, index=True)
    # The fee is computed (hub rate × days × desks) when requested, in the hub's currency, never typed in.
    fee: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    fee_waived: Mapped[bool] = mapped_column(default=False)
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    hub: Mapped[PartnerHub] = relationship(foreign_keys=[hub_id])
    requesting_hub: Mapped[PartnerHub | None] = relationship(foreign_keys=[requesting_hub_id])
    startup: Mapped[Startup] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    @property
    def amount_due(self) -> Decimal:
        return Decimal(0) if self.fee_waived else self.fee

    def transition_to(self, new: BookingState, *, by: Any) -> None:
        if new not in BOOKING_TRANSITIONS[self.state]:
            raise InvalidTransition(self.state, new)
        old = self.state
        self.state = new
        audit.record(by, "booking.state", self, {"from": old.value, "to": new.value})


class EventKind(enum.StrEnum):
    PITCH = "pitch"
    MEETUP = "meetup"
    DEMO_DAY = "demo_day"
    WEBINAR = "webinar"

    @property
    def label(self) -> str:
        return str(
            {
                EventKind.PITCH: _l("Pitch event"),
                EventKind.MEETUP: _l("Meet-up"),
                EventKind.DEMO_DAY: _l("Demo day"),
                EventKind.WEBINAR: _l("Webinar"),
            }[self]
        )


partner_event_hub = Table(
    "partner_event_hub",
    db.Model.metadata,
    Column("event_id", ForeignKey("partner_event.id", ondelete="CASCADE"), primary_key=True),
    Column("hub_id", ForeignKey("partner_hub.id", ondelete="CASCADE"), primary_key=True),
)


class PartnerEvent(TimestampMixin, db.Model):
    """A joint event with overseas partner hubs: feeds the KPI "joint events with overseas partner hubs"."""

    __tablename__ = "partner_event"
    __table_args__ = (CheckConstraint("participants IS NULL OR participants >= 0", name="participants_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    title: Mapped[dict[str, str]]
    held_on: Mapped[date] = mapped_column(index=True)
    participants: Mapped[int | None]
    report: Mapped[dict[str, str] | None]  # a short report, per language
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    hubs: Mapped[list[PartnerHub]] = relationship(secondary=partner_event_hub, lazy="raise")
