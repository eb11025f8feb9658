"""The thin edge to Stripe's API (the official SDK): Checkout Sessions, refunds, expiring a session.

Nothing here touches the database. Amounts go to Stripe in the currency's minor unit (JPY is a
zero-decimal currency: ¥30,000 is 30000; EUR 12.50 is 1250). Every call that creates something carries
an idempotency key, so a retried request never charges or refunds twice. A Stripe error becomes a
``GatewayError`` with a message for the user (translated), and is logged with Stripe's own text.

``STRIPE_API_BASE`` points the SDK somewhere else than Stripe's API (the tests' local stand-in).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from kakehashi.core.errors import DomainError

log = logging.getLogger(__name__)

# https://docs.stripe.com/currencies: amounts are integers in the smallest unit of the currency.
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905 - a table
)
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())  # noqa: SIM905 - the last digit must be 0


class GatewayError(DomainError):
    """Stripe refused or could not be reached; the message says so in the user's language."""


def _exponent(currency: str) -> int:
    code = currency.upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal("30000")`` JPY → 30000; ``Decimal("12.50")`` EUR → 1250. Refuses fractions a currency lacks."""
    scaled = Decimal(amount).scaleb(_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency.upper()} has more decimals than the currency allows")
    return int(scaled)


def from_minor_units(amount: int, currency: str) -> Decimal:
    """The inverse: 1250 EUR cents → ``Decimal("12.50")``."""
    return Decimal(int(amount)).scaleb(-_exponent(currency))


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def _client() -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES") or 0),
    )


STRIPE_REFUSED = _l("Stripe refused the request. Please try again later or contact programme staff.")
STRIPE_UNREACHABLE = _l("Stripe could not be reached. Nothing was charged; please try again in a few minutes.")


def _translate(error: stripe.StripeError, action: str) -> GatewayError:
    """Log Stripe's own message (for staff) and return one a user can act on."""
    log.warning(
        "Stripe %s failed: %s (HTTP %s, request %s): %s",
        action,
        type(error).__name__,
        getattr(error, "http_status", None),
        getattr(error, "request_id", None),
        getattr(error, "user_message", None) or str(error),
    )
    if isinstance(error, stripe.CardError):
        return GatewayError(_l("The card was declined: %(reason)s", reason=error.user_message or error.code or ""))
    if isinstance(error, stripe.APIConnectionError):
        return GatewayError(STRIPE_UNREACHABLE)
    return GatewayError(STRIPE_REFUSED)


def create_checkout_session(
    *,
    amount_minor: int,
    currency: str,
    product_name: str,
    reference: str,
    metadata: dict[str, str],
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> CheckoutSession:
    """One-line Checkout Session in payment mode. The same key and parameters give the same session."""
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount_minor,
                    "product_data": {"name": product_name},
                },
            }
        ],
        "client_reference_id": reference,
        "metadata": metadata,
        # The charge carries the same metadata, so a refund event can be traced back too.
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    try:
        session = _client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key}).to_dict()
    except stripe.StripeError as error:
        raise _translate(error, "checkout session") from error
    if not session.get("id") or not session.get("url"):
        log.warning("Stripe returned a checkout session without an id or url: %r", session.get("id"))
        raise GatewayError(STRIPE_REFUSED)
    return CheckoutSession(id=session["id"], url=session["url"])


def expire_checkout_session(session_id: str) -> bool:
    """Close an open session so it can no longer be paid (best effort: a failure is logged, not raised)."""
    try:
        _client().v1.checkout.sessions.expire(session_id)
    except stripe.StripeError as error:
        _translate(error, "expiring a checkout session")
        return False
    return True


def refund(*, payment_intent_id: str, amount_minor: int, idempotency_key: str) -> dict[str, Any]:
    """Refund (part of) a payment; returns Stripe's refund as a dict (``id``, ``status``, ``amount``)."""
    try:
        result = (
            _client()
            .v1.refunds.create(
                {"payment_intent": payment_intent_id, "amount": amount_minor, "reason": "requested_by_customer"},
                {"idempotency_key": idempotency_key},
            )
            .to_dict()
        )
    except stripe.StripeError as error:
        raise _translate(error, "refund") from error
    return {"id": result.get("id"), "status": result.get("status"), "amount": result.get("amount")}
