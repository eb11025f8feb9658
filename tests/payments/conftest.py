"""Stripe for the payments tests: the real SDK against a local stand-in, and signed webhook deliveries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from flask import Flask

from tests.payments.stripe_standin import StripeStandIn

SECRET_KEY = "sk_test_kakehashi"
WEBHOOK_SECRET = "whsec_test_kakehashi"
WEBHOOK = "/payments/stripe/webhook"


@pytest.fixture(autouse=True)
def _in_english(english: None) -> None:
    """Refusals are matched in English."""


@pytest.fixture
def stripe_standin() -> Iterator[StripeStandIn]:
    standin = StripeStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def stripe_on(app: Flask, stripe_standin: StripeStandIn) -> StripeStandIn:
    """Stripe configured (both keys) and pointed at the stand-in; the app's config is restored after the test."""
    app.config.update(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_standin.url,
        STRIPE_MAX_NETWORK_RETRIES=0,
    )
    return stripe_standin


def signed(event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[str, str]:
    """The body and the ``Stripe-Signature`` header Stripe would send."""
    body = json.dumps(event)
    return body, stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)


def deliver(client: Any, event: dict[str, Any], **kwargs: Any) -> Any:
    body, header = signed(event, **kwargs)
    return client.post(WEBHOOK, data=body, headers={"Stripe-Signature": header}, content_type="application/json")
