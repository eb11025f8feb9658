"""Cohorts: the startups a call accepted (or staff added by hand), followed across time."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kakehashi.core import audit
from kakehashi.core.db import TimestampMixin, UTCDateTime, str_enum, utcnow
from kakehashi.core.errors import InvalidTransition
from kakehashi.extensions import db

if TYPE_CHECKING:
    from kakehashi.accounts.models import Startup
    from kakehashi.applications.models import Application, Call


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
    status: Mapped[MemberStatus] = mapped_column(str_enum(MemberStatus), default=MemberStatus.ACTIVE)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    startup: Mapped[Startup] = relationship()
    application: Mapped[Application | None] = relationship()


# --- trackers -------------------------------------------------------------------------------------


class RoundStage(enum.StrEnum):
    PRE_SEED = "pre_seed"
    SEED = "seed"
    PRE_A = "pre_a"
    SERIES_A = "series_a"
    SERIES_B = "series_b"
    SERIES_C_PLUS = "series_c_plus"
    J_KISS = "j_kiss"  # J-KISS or another convertible instrument
    GRANT = "grant"
    DEBT = "debt"

    @property
    def label(self) -> str:
        return str(ROUND_STAGE_LABELS[self])


ROUND_STAGE_LABELS = {
    RoundStage.PRE_SEED: _l("Pre-seed"),
    RoundStage.SEED: _l("Seed"),
    RoundStage.PRE_A: _l("Pre-Series A"),
    RoundStage.SERIES_A: _l("Series A"),
    RoundStage.SERIES_B: _l("Series B"),
    RoundStage.SERIES_C_PLUS: _l("Series C and later"),
    RoundStage.J_KISS: _l("J-KISS / convertible"),
    RoundStage.GRANT: _l("Grant"),
    RoundStage.DEBT: _l("Debt"),
}


class Verification(enum.StrEnum):
    """Reported by the startup (or staff), then checked by staff. Only verified figures count."""

    REPORTED = "reported"
    VERIFIED = "verified"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return str(
            {
                Verification.REPORTED: _l("Awaiting verification"),
                Verification.VERIFIED: _l("Verified"),
                Verification.REJECTED: _l("Rejected"),
            }[self]
        )


VERIFICATION_TRANSITIONS: dict[Verification, set[Verification]] = {
    Verification.REPORTED: {Verification.VERIFIED, Verification.REJECTED},
    Verification.REJECTED: {Verification.REPORTED},  # corrected and reported again
    Verification.VERIFIED: set(),
}


class FundingRound(TimestampMixin, db.Model):
    """A round as announced: original amount and currency, the FX rate used, and the JPY amount."""

    __tablename__ = "funding_round"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("fx_rate_to_jpy > 0", name="fx_rate_positive"),
        CheckConstraint("amount_jpy > 0", name="amount_jpy_positive"),
        CheckConstraint("pre_money IS NULL OR pre_money > 0", name="pre_money_positive"),
        CheckConstraint("post_money IS NULL OR post_money >= amount", name="post_money_covers_amount"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
        Index("ix_funding_round_status_announced", "status", "announced_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"), index=True)
    announced_on: Mapped[date]
    stage: Mapped[RoundStage] = mapped_column(str_enum(RoundStage))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    fx_rate_to_jpy: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    amount_jpy: Mapped[int] = mapped_column(BigInteger)  # derived: amount × rate, rounded to the yen
    pre_money: Mapped[Decimal | None] = mapped_column(Numeric(20, 2))  # in the round's currency
    post_money: Mapped[Decimal | None] = mapped_column(Numeric(20, 2))
    investors: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[Verification] = mapped_column(str_enum(Verification), default=Verification.REPORTED)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)

    startup: Mapped[Startup] = relationship()

    def set_money(
        self,
        *,
        currency: str,
        amount: Decimal,
        fx_rate_to_jpy: Decimal,
        pre_money: Decimal | None,
        post_money: Decimal | None,
    ) -> None:
        """The only writer of ``amount_jpy``: computed from the amount and the stored rate."""
        self.currency = currency.upper()
        self.amount = amount
        self.fx_rate_to_jpy = Decimal("1") if self.currency == "JPY" else fx_rate_to_jpy
        self.amount_jpy = to_jpy(amount, self.fx_rate_to_jpy)
        self.pre_money = pre_money
        self.post_money = post_money

    @property
    def post_money_jpy(self) -> int | None:
        return to_jpy(self.post_money, self.fx_rate_to_jpy) if self.post_money is not None else None

    def transition_to(self, new: Verification, *, by: Any) -> None:
        if new not in VERIFICATION_TRANSITIONS[self.status]:
            raise InvalidTransition(self.status, new)
        old, self.status = self.status, new
        audit.record(by, "funding_round.status", self, {"from": old.value, "to": new.value})


def to_jpy(amount: Decimal, rate: Decimal) -> int:
    return int((Decimal(amount) * Decimal(rate)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class ValuationBasis(enum.StrEnum):
    ROUND_POST_MONEY = "round_post_money"
    MARKET_CAP = "market_cap"
    STAFF_ESTIMATE = "staff_estimate"
    EXIT = "exit"

    @property
    def label(self) -> str:
        return str(
            {
                ValuationBasis.ROUND_POST_MONEY: _l("Post-money of the latest round"),
                ValuationBasis.MARKET_CAP: _l("Market capitalisation"),
                ValuationBasis.STAFF_ESTIMATE: _l("Staff estimate"),
                ValuationBasis.EXIT: _l("Exit"),
            }[self]
        )


class ValuationMark(db.Model):
    """What a startup was worth on a date. Its valuation on any day is its latest mark on or before it."""

    __tablename__ = "valuation_mark"
    __table_args__ = (
        CheckConstraint("valuation_jpy > 0", name="valuation_positive"),
        Index("ix_valuation_mark_startup_as_of", "startup_id", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"))
    as_of: Mapped[date]
    valuation_jpy: Mapped[int] = mapped_column(BigInteger)
    basis: Mapped[ValuationBasis] = mapped_column(str_enum(ValuationBasis))
    funding_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("funding_round.id", ondelete="CASCADE"), unique=True
    )
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    startup: Mapped[Startup] = relationship()


class AnnualReport(TimestampMixin, db.Model):
    """A startup's figures for a Japanese fiscal year (``fiscal_year`` 2025 = April 2025 – March 2026)."""

    __tablename__ = "annual_report"
    __table_args__ = (
        UniqueConstraint("startup_id", "fiscal_year"),
        CheckConstraint("revenue_jpy >= 0", name="revenue_not_negative"),
        CheckConstraint("overseas_revenue_jpy >= 0", name="overseas_not_negative"),
        CheckConstraint("overseas_revenue_jpy <= revenue_jpy", name="overseas_within_revenue"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="employees_not_negative"),
        CheckConstraint("fiscal_year BETWEEN 1990 AND 2200", name="fiscal_year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"), index=True)
    fiscal_year: Mapped[int] = mapped_column(index=True)
    revenue_jpy: Mapped[int] = mapped_column(BigInteger)
    overseas_revenue_jpy: Mapped[int] = mapped_column(BigInteger)
    employees: Mapped[int | None]
    status: Mapped[Verification] = mapped_column(str_enum(Verification), default=Verification.REPORTED)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)

    startup: Mapped[Startup] = relationship()

    @property
    def overseas_share(self) -> Decimal | None:
        """Overseas revenue ÷ revenue; undefined (None), not zero, when there was no revenue."""
        if not self.revenue_jpy:
            return None
        return Decimal(self.overseas_revenue_jpy) / Decimal(self.revenue_jpy)

    def transition_to(self, new: Verification, *, by: Any) -> None:
        if new not in VERIFICATION_TRANSITIONS[self.status]:
            raise InvalidTransition(self.status, new)
        old, self.status = self.status, new
        audit.record(by, "annual_report.status", self, {"from": old.value, "to": new.value})


class SurveyRequest(db.Model):
    """Staff asked a cohort for its annual figures; a reminder follows after 14 days."""

    __tablename__ = "survey_request"
    __table_args__ = (UniqueConstraint("cohort_id", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    cohort: Mapped[Cohort] = relationship()


class KpiTarget(db.Model):
    """A target for one indicator in one fiscal year, edited by staff (defaults from the policy)."""

    __tablename__ = "kpi_target"
    __table_args__ = (UniqueConstraint("fiscal_year", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int]
    indicator: Mapped[str] = mapped_column(String(40))
    target: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
