"""The rules reported figures must meet: shared by the forms (to show messages) and the services (to refuse)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import list_currencies
from flask_babel import lazy_gettext as _l

from kakehashi.cohorts.models import RoundStage, to_jpy
from kakehashi.core.errors import DomainError

# Sanity limits: larger figures are typing mistakes, not startups.
MAX_AMOUNT = Decimal("1000000000000")  # 1 trillion in the round's currency
MAX_AMOUNT_JPY = 10_000_000_000_000  # ¥10 trillion, the whole country's annual target
MAX_FX_RATE = Decimal("100000")
MAX_REVENUE_JPY = 10_000_000_000_000
MAX_EMPLOYEES = 1_000_000


# --- errors ---------------------------------------------------------------------------------------


class InvalidFigures(DomainError):
    """Input a business rule refuses; ``errors`` maps a field name to its message."""

    def __init__(self, errors: dict[str, Any]) -> None:
        self.errors = errors
        super().__init__(_l("Please correct the highlighted fields."))


class AlreadyMember(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This startup is already a member of the cohort."))


class AlreadyVerified(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("These figures have been verified and can no longer be changed."))


class NoteRequired(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("Say why in the note: the startup reads it to correct the figures."))


class SurveyAlreadySent(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("The survey for this fiscal year has already been sent to this cohort."))


class InvalidCohortDates(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("The programme must end on or after the day it starts."))


# --- validation (shared by the forms and the services) -----------------------------------------


def currency_codes() -> frozenset[str]:
    return frozenset(list_currencies())


@dataclass(frozen=True)
class RoundValues:
    announced_on: date
    stage: RoundStage
    currency: str
    amount: Decimal
    fx_rate_to_jpy: Decimal | None
    pre_money: Decimal | None
    post_money: Decimal | None
    investors: str | None
    source_url: str | None


def round_errors(values: RoundValues, *, today: date) -> dict[str, Any]:
    """Every rule a reported round must meet, as ``{field: message}`` (empty when all is well)."""
    errors: dict[str, Any] = {}
    if values.announced_on > today:
        errors["announced_on"] = _l("The announcement date cannot be in the future.")
    currency = (values.currency or "").strip().upper()
    if currency not in currency_codes():
        errors["currency"] = _l("Enter a three-letter ISO 4217 currency code, such as JPY, USD or SGD.")
    if values.amount is None or values.amount <= 0:
        errors["amount"] = _l("The amount raised must be more than zero.")
    elif values.amount > MAX_AMOUNT:
        errors["amount"] = _l("This amount is too large to be a funding round. Please check the figure.")
    rate = Decimal("1") if currency == "JPY" else values.fx_rate_to_jpy
    if currency != "JPY" and "currency" not in errors:
        if rate is None:
            errors["fx_rate_to_jpy"] = _l("Enter the exchange rate to yen used for this round.")
        elif rate <= 0:
            errors["fx_rate_to_jpy"] = _l("The exchange rate must be more than zero.")
        elif rate > MAX_FX_RATE:
            errors["fx_rate_to_jpy"] = _l("This exchange rate is too large. Please check it.")
    rate_ok = rate is not None and rate > 0 and "fx_rate_to_jpy" not in errors
    if "amount" not in errors and rate_ok and to_jpy(values.amount, rate) > MAX_AMOUNT_JPY:
        errors["amount"] = _l("This amount is too large to be a funding round. Please check the figure.")
    if values.pre_money is not None and values.pre_money <= 0:
        errors["pre_money"] = _l("The pre-money valuation must be more than zero.")
    elif values.pre_money is not None and values.pre_money > MAX_AMOUNT * 100:
        errors["pre_money"] = _l("This valuation is too large. Please check the figure.")
    if values.post_money is not None:
        if values.amount is not None and values.post_money < values.amount:
            errors["post_money"] = _l("The post-money valuation cannot be lower than the amount raised.")
        elif values.post_money > MAX_AMOUNT * 100:
            errors["post_money"] = _l("This valuation is too large. Please check the figure.")
    if values.source_url and not is_web_url(values.source_url):
        errors["source_url"] = _l("The source must be a web address starting with http:// or https://.")
    return errors


def is_web_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def report_errors(revenue_jpy: int | None, overseas_revenue_jpy: int | None, employees: int | None) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if revenue_jpy is None or revenue_jpy < 0:
        errors["revenue_jpy"] = _l("Revenue cannot be negative.")
    elif revenue_jpy > MAX_REVENUE_JPY:
        errors["revenue_jpy"] = _l("This revenue is too large. Please check the figure.")
    if overseas_revenue_jpy is None or overseas_revenue_jpy < 0:
        errors["overseas_revenue_jpy"] = _l("Overseas revenue cannot be negative.")
    elif revenue_jpy is not None and overseas_revenue_jpy > revenue_jpy:
        errors["overseas_revenue_jpy"] = _l("Overseas revenue cannot be more than the total revenue.")
    if employees is not None and not 0 <= employees <= MAX_EMPLOYEES:
        errors["employees"] = _l("Enter the number of employees (zero or more).")
    return errors
