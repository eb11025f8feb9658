"""Paying for a booking: Stripe Checkout (start, come back, cancel), staff recording a bank transfer, and
Stripe's webhook — the one route without CSRF protection, authenticated by Stripe's signature instead.

The receipt page (``partners.receipt``) shows the buttons that post here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import stripe
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.extensions import csrf, db
from kakehashi.payments import services
from kakehashi.payments.forms import PaymentActionForm
from kakehashi.payments.models import Payment, PaymentMethod, PaymentState
from kakehashi.payments.permissions import can_mark_received, can_pay, can_view_payment

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__, template_folder="templates")

PENDING_REFRESH_SECONDS = 5


def _receipt_url(payment: Payment) -> str:
    return url_for("partners.receipt", booking_id=payment.booking_id)


def _absolute(endpoint: str, **values: Any) -> str:
    """Where Stripe sends the payer back: on BASE_URL, never on the Host header of this request."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _load_visible(payment_id: int) -> Payment:
    payment = access.load_or_404(Payment, payment_id)
    access.require(can_view_payment(current_user, payment), hide=True)
    return payment


@bp.post("/payments/<int:payment_id>/checkout")
@access.rule("can_pay")
def checkout(payment_id: int) -> Any:
    payment = _load_visible(payment_id)
    access.require(can_pay(current_user, payment))
    if not PaymentActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "danger")
        return redirect(_receipt_url(payment))
    try:
        url = services.start_checkout(
            payment,
            by=current_user,
            success_url=_absolute(".success", payment_id=payment.id),
            cancel_url=_absolute(".cancelled", payment_id=payment.id),
        )
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(_receipt_url(payment))
    db.session.commit()
    return redirect(url, code=303)


@bp.get("/payments/<int:payment_id>/success")
@access.rule("can_view_payment")
def success(payment_id: int) -> Any:
    """Back from Stripe. Shows the state only the webhook changes; never marks anything paid itself."""
    payment = _load_visible(payment_id)
    response = current_app.make_response(
        render_template("payments/success.html", payment=payment, booking=payment.booking, hub=payment.booking.hub)
    )
    if payment.state is PaymentState.PENDING and payment.method is PaymentMethod.STRIPE:
        response.headers["Refresh"] = str(PENDING_REFRESH_SECONDS)  # no script needed (the CSP allows none)
    return response


@bp.get("/payments/<int:payment_id>/cancelled")
@access.rule("can_view_payment")
def cancelled(payment_id: int) -> Any:
    payment = _load_visible(payment_id)
    return render_template(
        "payments/cancelled.html",
        payment=payment,
        booking=payment.booking,
        hub=payment.booking.hub,
        can_pay=can_pay(current_user, payment),
        form=PaymentActionForm(),
    )


@bp.post("/payments/<int:payment_id>/received")
@access.staff
def mark_received(payment_id: int) -> Any:
    payment = access.load_or_404(Payment, payment_id)
    access.require(can_mark_received(current_user, payment))
    if not PaymentActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "danger")
        return redirect(_receipt_url(payment))
    try:
        services.mark_received(payment, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("The payment has been recorded as received and the booking confirmed."), "success")
    return redirect(_receipt_url(payment))


# --- Stripe's webhook ------------------------------------------------------------------------------------


def _answer(message: str, status: int) -> Any:
    return jsonify(message=message), status


def _well_formed(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("id"), str)
        and 0 < len(payload["id"]) <= 255
        and isinstance(payload.get("type"), str)
        and len(payload["type"]) <= 100
        and isinstance(payload.get("data"), dict)
    )


@bp.post("/payments/stripe/webhook")
@csrf.exempt
@access.public
def stripe_webhook() -> Any:
    """Verify on the raw body (Stripe's default tolerance), store by event id, answer, then apply once.

    A redelivered event finds its id taken (the primary key) and is answered "already received". The
    event is committed before it is applied; if applying fails the answer is still 2xx (Stripe must not
    resend a stored event) and ``flask payments reapply`` retries it.
    """
    if not services.stripe_enabled():
        abort(404)
    body = request.get_data()
    try:
        stripe.Webhook.construct_event(
            body, request.headers.get("Stripe-Signature"), current_app.config["STRIPE_WEBHOOK_SECRET"]
        )
    except stripe.SignatureVerificationError as error:
        log.warning("Refused a Stripe webhook from %s: %s", request.remote_addr, error)
        return _answer("invalid signature", 400)
    except (ValueError, TypeError, AttributeError, KeyError) as error:  # signed, but not JSON or not an event
        log.warning("Refused a signed Stripe webhook that is not an event: %s", error)
        return _answer("not an event", 400)
    payload = json.loads(body)
    if not _well_formed(payload):
        log.warning("Refused a signed Stripe webhook that is not an event")
        return _answer("not an event", 400)
    event_id = payload["id"]
    try:
        services.receive_stripe_event(payload)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _answer("already received", 200)
    try:
        outcome = services.apply_stored_event(event_id)
        db.session.commit()
    except Exception as error:  # stored: Stripe gets its 2xx; the failure is recorded and retried by the CLI
        db.session.rollback()
        log.exception("Applying Stripe event %s failed; `flask payments reapply` retries it", event_id)
        try:
            services.record_failure(event_id, error)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("Recording the failure of Stripe event %s failed", event_id)
        return _answer("received; applying it failed and will be retried", 200)
    return _answer(outcome or "received", 200)
