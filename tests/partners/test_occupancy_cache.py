"""The hub page's occupancy calendar is rendered once per change of the hubs and bookings
(``queries.cached_occupancy``): every change must show on the next load, in each viewer's language."""

import re
from datetime import date

from kakehashi.core import cache
from kakehashi.extensions import db
from kakehashi.partners import queries
from kakehashi.partners.models import BookingState
from tests.factories import StaffFactory
from tests.partners.factories import BookingFactory, PartnerHubFactory


def cells(client, hub, lang="en"):
    page = client.get(f"/partners/hubs/{hub.id}?lang={lang}")
    assert page.status_code == 200
    return page.text, dict(re.findall(r'data-day="([\d-]+)" data-held="(\d+)"', page.text))


def test_bookings_capacity_and_language_show_on_the_next_load(login_as):
    hub = PartnerHubFactory(capacity_desks=3)
    booking = BookingFactory(hub=hub, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2), desks=2)  # requested
    client = login_as(StaffFactory())
    assert cache.token(queries.OCCUPANCY_NAMESPACE)
    page, held = cells(client, hub)
    assert held["2026-06-01"] == "0" and "/3</div>" in page
    assert cells(client, hub) == (page, held)  # cached: the same page

    booking.state = BookingState.APPROVED
    db.session.commit()
    page, held = cells(client, hub)
    assert held["2026-06-01"] == "2" and held["2026-06-03"] == "0"

    hub.capacity_desks = 2
    db.session.commit()
    page, held = cells(client, hub)
    assert "2/2</div>" in page and "2 full days" in page

    japanese, _held = cells(client, hub, "ja")
    assert "2026年6月" in japanese and "June 2026" not in japanese
    assert "June 2026" in cells(client, hub)[0]


def test_a_transaction_with_its_own_booking_changes_neither_reads_nor_fills_the_cache(app):
    hub = PartnerHubFactory()
    calls = []
    assert queries.cached_occupancy(("t", hub.id), lambda: calls.append(1) or "first") == "first"
    assert queries.cached_occupancy(("t", hub.id), lambda: calls.append(1) or "second") == "first"
    hub.capacity_desks = 9
    db.session.flush()
    assert queries.cached_occupancy(("t", hub.id), lambda: calls.append(1) or "own") == "own"
    db.session.rollback()
    assert queries.cached_occupancy(("t", hub.id), lambda: calls.append(1) or "third") == "first"
    assert len(calls) == 2
