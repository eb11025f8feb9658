"""Who may see and change cohorts and trackers. Used by views and templates alike.

Members see and report their own startup's rounds and annual reports; anyone else is told the
object does not exist (404). Verification, cohorts and valuation marks are staff-only (403).
"""

from __future__ import annotations

from typing import Any

from kakehashi.accounts.models import Startup
from kakehashi.accounts.permissions import is_member, is_staff
from kakehashi.cohorts.models import AnnualReport, FundingRound, Verification


def can_manage_cohorts(user: Any) -> bool:
    return is_staff(user)


def can_verify(user: Any) -> bool:
    return is_staff(user)


def can_mark_valuation(user: Any) -> bool:
    return is_staff(user)


def can_view_trackers(user: Any, startup: Startup) -> bool:
    """A startup's rounds, marks and annual reports: its members and staff."""
    return is_staff(user) or is_member(user, startup.id)


def can_report_for(user: Any, startup: Startup) -> bool:
    """Members report their own startup's rounds and annual figures; staff may enter them too."""
    return is_staff(user) or is_member(user, startup.id)


def can_view_round(user: Any, funding_round: FundingRound) -> bool:
    return is_staff(user) or is_member(user, funding_round.startup_id)


def can_correct_round(user: Any, funding_round: FundingRound) -> bool:
    """Until it is verified: while awaiting review, or after a rejection (then it is reported again)."""
    return can_view_round(user, funding_round) and funding_round.status is not Verification.VERIFIED


def can_view_report(user: Any, report: AnnualReport) -> bool:
    return is_staff(user) or is_member(user, report.startup_id)
