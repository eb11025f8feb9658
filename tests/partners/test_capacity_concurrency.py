"""Capacity under concurrency (PostgreSQL): 30 approvals at once of overlapping one-desk bookings at a hub with
5 desks. With the row lock on the hub exactly 5 succeed and 25 get the clear refusal; without it the same race
oversells, which proves the test can see the race at all.

Each thread has its own app context and so its own session and connection; a barrier starts them together.
Committed rows are removed by the suite's table cleanup after the test.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select

from kakehashi.extensions import db
from kakehashi.partners import services
from kakehashi.partners.models import BookingState, ExchangeBooking
from kakehashi.payments.models import Payment
from tests.factories import StaffFactory
from tests.partners.factories import BookingFactory, PartnerHubFactory

THREADS = 30
CAPACITY = 5


def race(app: Flask, *, lock: bool, pause: float) -> tuple[Counter[str], list[str], list[BaseException]]:
    hub = PartnerHubFactory(capacity_desks=CAPACITY)  # €25.00 a day: an approval opens a payment
    staff = StaffFactory()
    booking_ids = [
        BookingFactory(hub=hub, starts_on=date(2030, 6, 1 + i % 3), ends_on=date(2030, 6, 10), desks=1).id
        for i in range(THREADS)
    ]
    staff_id = staff.id
    db.session.commit()
    app.config["PARTNERS_CAPACITY_CHECK_PAUSE"] = pause
    barrier = threading.Barrier(THREADS, timeout=30)
    outcomes: Counter[str] = Counter()
    refusals: list[str] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def approve(booking_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait()  # before touching the database: every thread starts with nothing checked out
                try:
                    booking = db.session.get(ExchangeBooking, booking_id)
                    services.approve_booking(booking, by=db.session.get(staff.__class__, staff_id), lock=lock)
                    db.session.commit()
                    outcome = "approved"
                except services.BookingError as refusal:
                    with force_locale("en"):
                        message = str(refusal)
                    db.session.rollback()
                    with guard:
                        refusals.append(message)
                    outcome = "refused"
                with guard:
                    outcomes[outcome] += 1
        except BaseException as error:  # noqa: BLE001 - any other failure is reported by the assertions
            with guard:
                errors.append(error)

    threads = [threading.Thread(target=approve, args=(booking_id,)) for booking_id in booking_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return outcomes, refusals, errors


def held_on_busiest_day() -> int:
    return db.session.scalar(
        select(func.count(ExchangeBooking.id)).where(
            ExchangeBooking.state == BookingState.APPROVED,
            ExchangeBooking.starts_on <= date(2030, 6, 3),
        )
    )


@pytest.mark.postgres_only
def test_thirty_concurrent_approvals_fill_five_desks_and_refuse_the_rest_clearly(app):
    outcomes, refusals, errors = race(app, lock=True, pause=0.01)
    assert errors == []
    assert outcomes == Counter({"approved": CAPACITY, "refused": THREADS - CAPACITY})
    assert held_on_busiest_day() == CAPACITY
    assert db.session.scalar(select(func.count(Payment.id))) == CAPACITY
    assert len(refusals) == THREADS - CAPACITY
    assert all(message.startswith("This booking no longer fits: not enough desks are free on") for message in refusals)


@pytest.mark.postgres_only
def test_without_the_lock_the_same_race_oversells(app):
    outcomes, _refusals, errors = race(app, lock=False, pause=0.3)
    assert errors == []
    assert outcomes["approved"] > CAPACITY
    assert held_on_busiest_day() > CAPACITY
