"""Who sees what: startups see only their own bookings, hub staff only their hub's, ward staff everything."""

import re
from datetime import date
from decimal import Decimal

from kakehashi.partners.models import BookingState, Direction
from tests.factories import StaffFactory, StartupFactory, UserFactory, member_of
from tests.partners.factories import BookingFactory, HomeHubFactory, PartnerHubFactory, cohort_founder, hub_staff_of


def listed(page):
    return sorted(int(i) for i in re.findall(r'data-booking="(\d+)"', page))


def test_a_startup_cannot_see_another_startups_booking(login_as):
    mine = BookingFactory()
    theirs = BookingFactory()
    client = login_as(member_of(mine.startup))
    assert client.get(f"/partners/bookings/{mine.id}").status_code == 200
    assert client.get(f"/partners/bookings/{mine.id}/receipt").status_code == 200
    for url in (f"/partners/bookings/{theirs.id}", f"/partners/bookings/{theirs.id}/receipt"):
        assert client.get(url).status_code == 404
    for action in ("approve", "decline", "cancel"):
        assert client.post(f"/partners/bookings/{theirs.id}/{action}").status_code == 404
    assert listed(client.get("/partners/bookings/mine").text) == [mine.id]


def test_partner_staff_see_only_their_hubs_bookings_and_the_inbound_requests_they_made(login_as):
    home = HomeHubFactory()
    hub, other = PartnerHubFactory(), PartnerHubFactory()
    at_hub = BookingFactory(hub=hub)
    at_other = BookingFactory(hub=other)
    inbound_mine = BookingFactory(hub=home, direction=Direction.INBOUND, requesting_hub=hub, fee=Decimal("9000"))
    inbound_theirs = BookingFactory(hub=home, direction=Direction.INBOUND, requesting_hub=other, fee=Decimal("9000"))
    client = login_as(hub_staff_of(hub))
    for booking in (at_hub, inbound_mine):
        assert client.get(f"/partners/bookings/{booking.id}").status_code == 200
    for booking in (at_other, inbound_theirs):
        assert client.get(f"/partners/bookings/{booking.id}").status_code == 404
    assert listed(client.get(f"/partners/hubs/{hub.id}/bookings").text) == sorted([at_hub.id, inbound_mine.id])
    assert client.get(f"/partners/hubs/{other.id}/bookings").status_code == 404
    assert client.get(f"/partners/hubs/{other.id}").status_code == 404
    assert client.get("/partners/bookings/").status_code == 403
    assert listed(client.get("/partners/bookings/mine").text) == [inbound_mine.id]
    # They decide at their hub, not at the home hub they requested from.
    assert client.post(f"/partners/bookings/{inbound_mine.id}/approve").status_code == 403
    index = client.get("/partners/").text
    assert f'data-hub="{hub.id}"' in index and f'data-hub="{home.id}"' in index
    assert f'data-hub="{other.id}"' not in index


def test_cohort_members_see_active_partner_hubs_and_others_see_none(login_as):
    home = HomeHubFactory()
    active, inactive = PartnerHubFactory(), PartnerHubFactory(is_active=False)
    founder, _ = cohort_founder()
    index = login_as(founder).get("/partners/").text
    assert [int(i) for i in re.findall(r'data-hub="(\d+)"', index)] == [active.id]
    assert login_as(founder).get(f"/partners/hubs/{home.id}").status_code == 404
    outsider = member_of(StartupFactory())
    page = login_as(outsider).get("/partners/?lang=en").text
    assert 'id="no-hubs"' in page and "data-hub" not in page
    assert login_as(outsider).get(f"/partners/hubs/{active.id}").status_code == 404
    staff_index = login_as(StaffFactory()).get("/partners/").text
    assert sorted(int(i) for i in re.findall(r'data-hub="(\d+)"', staff_index)) == sorted(
        [home.id, active.id, inactive.id]
    )


def test_the_requester_sees_but_cannot_decide_and_the_queue_is_not_theirs(login_as):
    hub = PartnerHubFactory()
    booking = BookingFactory(hub=hub)
    client = login_as(member_of(booking.startup))
    assert client.post(f"/partners/bookings/{booking.id}/approve").status_code == 403
    assert client.post(f"/partners/bookings/{booking.id}/decline", data={"note": "x"}).status_code == 403
    assert client.post(f"/partners/bookings/{booking.id}/waive-fee").status_code == 403
    assert client.get(f"/partners/hubs/{hub.id}/bookings").status_code == 404
    page = client.get(f"/partners/bookings/{booking.id}?lang=en").text
    assert "Approve" not in page and "Cancel the booking" in page


def test_signed_out_visitors_are_sent_to_sign_in(client):
    booking = BookingFactory()
    for url in ("/partners/", f"/partners/bookings/{booking.id}", f"/partners/hubs/{booking.hub_id}"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_ward_staffs_list_filters_by_state_hub_and_direction(login_as):
    home = HomeHubFactory()
    hub = PartnerHubFactory()
    a = BookingFactory(hub=hub, state=BookingState.CONFIRMED)
    b = BookingFactory(hub=hub)
    c = BookingFactory(hub=home, direction=Direction.INBOUND, requesting_hub=hub, fee=Decimal("9000"))
    client = login_as(StaffFactory())
    assert listed(client.get("/partners/bookings/").text) == sorted([a.id, b.id, c.id])
    assert listed(client.get("/partners/bookings/?state=confirmed").text) == [a.id]
    assert listed(client.get(f"/partners/bookings/?hub_id={hub.id}").text) == sorted([a.id, b.id])
    assert listed(client.get("/partners/bookings/?direction=inbound").text) == [c.id]
    assert listed(client.get("/partners/bookings/?state=nonsense").text) == sorted([a.id, b.id, c.id])
    # A hub's queue opens on what waits for a decision.
    assert listed(client.get(f"/partners/hubs/{hub.id}/bookings").text) == sorted([b.id, c.id])
    assert listed(client.get(f"/partners/hubs/{hub.id}/bookings?state=").text) == sorted([a.id, b.id, c.id])


def make_bookings(n, hub, startup, home):
    for i in range(n):
        day = date(2026, 6, 1 + i % 20)
        BookingFactory(hub=hub, startup=startup, starts_on=day, ends_on=day, state=BookingState.CONFIRMED)
        BookingFactory(hub=home, direction=Direction.INBOUND, requesting_hub=hub, fee=Decimal("3000"))


def _count(client, count_queries, url):
    client.get(url)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_booking_lists_take_a_fixed_number_of_queries(login_as, count_queries):
    from kakehashi.extensions import db
    from kakehashi.partners.services import approve_booking

    home = HomeHubFactory()
    hub = PartnerHubFactory()
    founder, startup = cohort_founder()
    partner_user = hub_staff_of(hub)
    staff = StaffFactory()
    make_bookings(2, hub, startup, home)
    approve_booking(BookingFactory(hub=hub, startup=startup), by=staff)  # one with a payment
    db.session.commit()
    urls = {
        staff: ["/partners/bookings/", "/partners/", f"/partners/hubs/{hub.id}/bookings?state="],
        founder: ["/partners/bookings/mine", "/partners/"],
        partner_user: [f"/partners/hubs/{hub.id}/bookings?state=", "/partners/bookings/mine"],
    }
    small = {(u.id, url): _count(login_as(u), count_queries, url) for u, us in urls.items() for url in us}
    make_bookings(8, hub, startup, home)
    PartnerHubFactory()
    approve_booking(
        BookingFactory(hub=hub, startup=startup, starts_on=date(2026, 7, 1), ends_on=date(2026, 7, 1)), by=staff
    )
    db.session.commit()
    large = {(u.id, url): _count(login_as(u), count_queries, url) for u, us in urls.items() for url in us}
    assert large == small


def test_other_signed_in_people_see_empty_lists(login_as):
    BookingFactory()
    page = login_as(UserFactory()).get("/partners/bookings/mine?lang=en").text
    assert listed(page) == [] and "No bookings match." in page
