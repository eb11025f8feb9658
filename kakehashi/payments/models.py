"""Payments for exchange bookings: one ``Payment`` per booking, its history, and Stripe's events.

A payment's state only moves forward (``PAYMENT_TRANSITIONS``); every change is a ``PaymentEvent``.
Stripe webhooks are stored by event id (unique) before they are applied, so a redelivered event is a no-op.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kakehashi.core.db import TimestampMixin, UTCDateTime, str_enum, utcnow
from kakehashi.core.errors import InvalidTransition
from kakehashi.extensions import db

if TYPE_CHECKING:
    from kakehashi.partners.models import ExchangeBooking


class PaymentMethod(enum.StrEnum):
    STRIPE = "stripe"
    MANUAL = "manual"  # bank transfer, marked received by staff

    @property
    def label(self) -> str:
        return str({PaymentMethod.STRIPE: _l("Card (Stripe)"), PaymentMethod.MANUAL: _l("Bank transfer")}[self])


class PaymentState(enum.StrEnum):
    PENDING = "pending"  # waiting for the payer (or for Stripe's webhook)
    PAID = "paid"
    EXPIRED = "expired"  # the checkout session expired unpaid; a new one may be started
    REFUNDED = "refunded"

    @property
    def label(self) -> str:
        return str(
            {
                PaymentState.PENDING: _l("Payment pending"),
                PaymentState.PAID: _l("Paid"),
                PaymentState.EXPIRED: _l("Expired"),
                PaymentState.REFUNDED: _l("Refunded"),
            }[self]
        )


# Never backwards: a paid payment cannot become pending or expired again.
PAYMENT_TRANSITIONS: dict[PaymentState, set[PaymentState]] = {
    PaymentState.PENDING: {PaymentState.PAID, PaymentState.EXPIRED},
    PaymentState.EXPIRED: {PaymentState.PENDING, PaymentState.PAID},  # a new checkout; a late completion
    PaymentState.PAID: {PaymentState.REFUNDED},
    PaymentState.REFUNDED: set(),
}


class Payment(TimestampMixin, db.Model):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("exchange_booking.id"), unique=True)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    state: Mapped[PaymentState] = mapped_column(str_enum(PaymentState), default=PaymentState.PENDING, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # in ``currency`` (major units)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    paid_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    booking: Mapped[ExchangeBooking] = relationship()
    events: Mapped[list[PaymentEvent]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", order_by="PaymentEvent.id", lazy="raise"
    )

    def transition_to(self, new: PaymentState, *, by: Any, kind: str, data: dict[str, Any] | None = None) -> None:
        """Move forward and record the change as a payment event (``kind``: what caused it)."""
        if new not in PAYMENT_TRANSITIONS[self.state]:
            raise InvalidTransition(self.state, new)
        old = self.state
        self.state = new
        db.session.add(
            PaymentEvent(
                payment=self,
                kind=kind,
                from_state=old.value,
                to_state=new.value,
                actor_id=getattr(by, "id", None),
                data=data or {},
            )
        )


class PaymentEvent(db.Model):
    """The payment's history: state changes, refunds, refused webhooks (amount mismatch, …)."""

    __tablename__ = "payment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))  # e.g. "checkout.session.completed", "manual.received"
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    stripe_event_id: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="events")


class StripeEvent(db.Model):
    """Every webhook event Stripe sent, stored by its id before it is applied (so each applies once)."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Stripe's event id, "evt_…"
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)  # "applied", "ignored: …", "refused: amount mismatch"
