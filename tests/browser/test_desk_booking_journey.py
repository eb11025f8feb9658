"""Journey 5: a cohort startup books desks at a partner hub, the hub approves, the founder pays by card
through Stripe Checkout (the stand-in), and Stripe's signed webhook confirms the booking.

The browser goes to the checkout URL the stand-in returned, where a page standing in for Stripe's takes
the payment and sends the payer back to the success URL, as Stripe does. Stripe's webhook is posted over
HTTP to the live server by the test, signed with the SDK.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from kakehashi.core.outbox import OutboundEmail
from kakehashi.extensions import db
from kakehashi.partners.models import BookingState, ExchangeBooking
from kakehashi.partners.services import tokyo_today
from kakehashi.payments.models import Payment, PaymentState, StripeEvent
from tests.browser.support import check_page, expect, fresh, sign_in, snapshot
from tests.partners.factories import cohort_founder
from tests.payments.conftest import WEBHOOK, signed, stripe_on  # noqa: F401 - a fixture
from tests.payments.factories import PartnerHubFactory, hub_staff_of
from tests.payments.stripe_standin import StripeStandIn

pytestmark = pytest.mark.browser


class HostedCheckout(StripeStandIn):
    """The stand-in, plus the page Stripe hosts at a session's ``url``: paying there completes the session
    and sends the payer back to its ``success_url`` (the webhook is sent separately, by the test)."""

    PAGE = re.compile(r"^/c/pay/(cs_test_\w+)$")

    def handle(self, request: Request) -> Response:
        match = self.PAGE.match(request.path)
        if match is None or match.group(1) not in self.sessions:
            return super().handle(request)
        session = self.sessions[match.group(1)]
        if request.method == "POST":
            self.complete(session["id"])
            return redirect(session["success_url"], code=303)
        amount = f"¥{int(session['amount_total']):,}"
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout (stand-in)</title></head>'
            f'<body><main><h1>Kakehashi: {amount}</h1><form method="post"><button>Pay {amount}</button></form>'
            "</main></body></html>"
        )
        return Response(page, content_type="text/html; charset=utf-8")


@pytest.fixture
def stripe_standin() -> Iterator[StripeStandIn]:
    """Overrides the payments tests' fixture (``stripe_on`` uses it) with the one serving the checkout page."""
    standin = HostedCheckout().start()
    yield standin
    standin.stop()


def post_webhook(url: str, event: dict) -> dict:
    body, header = signed(event)
    request = urllib.request.Request(  # noqa: S310 - the live server on 127.0.0.1
        url + WEBHOOK,
        data=body.encode(),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200
        return json.load(response)


def test_a_cohort_startup_books_desks_pays_by_card_and_the_webhook_confirms_it(site, stripe_on):  # noqa: F811
    hub = PartnerHubFactory(name={"ja": "ベルリン・ハブ", "en": "Berlin Hub"}, capacity_desks=5)
    hub_staff = hub_staff_of(hub)
    founder, startup = cohort_founder(name={"ja": "ソラ・エナジー", "en": "Sora Energy"})
    first_day = tokyo_today() + timedelta(days=30)

    # The founder asks for two desks for three days; the fee is shown before the request is sent.
    page = site.person("en-US")
    sign_in(page, founder)
    page.locator("nav.navbar").get_by_role("link", name="Partner hubs").click()
    page.get_by_role("link", name="Berlin Hub").click()
    page.get_by_role("link", name="Book desks").click()
    check_page(site, page, "book")
    page.get_by_label("First day").fill(first_day.isoformat())
    page.get_by_label("Last day").fill((first_day + timedelta(days=2)).isoformat())
    page.get_by_label("Desks").fill("2")
    page.get_by_label("Purpose of the stay").fill("Meetings with Berlin energy utilities.")
    page.get_by_role("button", name="Show the fee").click()
    expect(page.locator("#fee [data-fee]")).to_have_text("¥60,000")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request has been sent.")).to_be_visible()
    expect(page.locator("#booking-state")).to_have_attribute("data-state", "requested")

    # The hub's staff follow the link in their email and approve.
    fresh()
    email = db.session.scalars(
        select(OutboundEmail).where(
            OutboundEmail.to_address == hub_staff.email, OutboundEmail.template == "partners/request_received"
        )
    ).one()
    link = re.search(r"https?://\S+/partners/bookings/\d+", email.body_text).group(0)
    hub_page = site.person("en-GB", timezone="Europe/Berlin")
    sign_in(hub_page, hub_staff)
    hub_page.goto(link)
    check_page(site, hub_page, "booking-to-decide")
    hub_page.get_by_label("Note to the requester").fill("Welcome! Desks 4 and 5 by the window.")
    hub_page.get_by_role("button", name="Approve").click()
    expect(hub_page.get_by_text("The booking has been approved; the requester has been told.")).to_be_visible()

    # The founder pays by card: off to Stripe Checkout and back.
    page.reload()
    expect(page.locator("#booking-state")).to_have_attribute("data-state", "approved")
    page.get_by_role("link", name="Receipt and payment").click()
    expect(page.locator("#payment-state")).to_contain_text("Payment pending")
    check_page(site, page, "receipt")
    page.get_by_role("button", name="Pay by card").click()
    expect(page).to_have_url(re.compile(re.escape(stripe_on.url) + r"/c/pay/cs_test_"))
    page.get_by_role("button", name="Pay ¥60,000").click()

    # Back on the site: pending until Stripe's webhook says the money arrived.
    expect(page.locator("#payment-message")).to_contain_text("Payment pending")
    snapshot(site, page, "payment-pending")
    (session_id,) = stripe_on.sessions
    answer = post_webhook(site.url, stripe_on.event("checkout.session.completed", stripe_on.complete(session_id)))
    assert answer == {"message": "applied: paid, booking confirmed"}
    # The page refreshes itself (a Refresh header: the CSP allows no script) and shows the outcome.
    expect(page.locator("#payment-message")).to_contain_text(
        "Payment received. Thank you! Your booking is confirmed.", timeout=15_000
    )
    check_page(site, page, "payment-received")
    page.get_by_role("link", name="Back to the receipt").click()
    expect(page.locator("#payment-state")).to_contain_text("Paid")
    page.get_by_role("link", name=re.compile("Booking \\d+")).click()
    expect(page.locator("#booking-state")).to_have_attribute("data-state", "confirmed")
    snapshot(site, page, "booking-confirmed")

    fresh()
    booking = db.session.scalars(select(ExchangeBooking)).one()
    payment = db.session.scalars(select(Payment)).one()
    assert (booking.startup_id, booking.desks, booking.state) == (startup.id, 2, BookingState.CONFIRMED)
    assert (payment.state, payment.amount, payment.currency) == (PaymentState.PAID, 60_000, "JPY")
    assert db.session.scalars(select(StripeEvent.outcome)).all() == ["applied: paid, booking confirmed"]
