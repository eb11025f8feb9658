"""Booking requests: outbound by cohort startups, inbound by partner-hub staff; refusals store nothing."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from kakehashi.accounts.models import Startup
from kakehashi.cohorts.models import MemberStatus
from kakehashi.core.audit import AuditEvent
from kakehashi.core.outbox import OutboundEmail
from kakehashi.extensions import db
from kakehashi.partners import services
from kakehashi.partners.models import BookingState, Direction, ExchangeBooking
from tests.factories import CohortMemberFactory, StaffFactory, StartupFactory, UserFactory, member_of
from tests.partners.factories import BookingFactory, HomeHubFactory, PartnerHubFactory, cohort_founder, hub_staff_of


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def alerts(page):
    found = re.findall(r'role="alert"[^>]*>(.*?)</', page, re.S)
    return [html.unescape(re.sub(r"\s+", " ", m).strip()) for m in found]


def book(client, hub, **data):
    form = {"starts_on": "2026-06-01", "ends_on": "2026-06-03", "desks": "1", "preview": "1", **data}
    return client.post(f"/partners/hubs/{hub.id}/book?lang=en", data=form)


# --- outbound -----------------------------------------------------------------------------------------------


def test_a_cohort_member_books_desks_and_the_hubs_staff_hear_of_it(login_as, outbox):
    user, startup = cohort_founder(name={"en": "Kaze Robotics"})
    hub = PartnerHubFactory(name={"en": "Spree Works"})
    hub_user = hub_staff_of(hub, name="Lena")
    StaffFactory()  # ward staff: not told about a partner hub's request when it has staff
    client = login_as(user)
    form = {"startup_id": startup.id, "starts_on": "2026-06-01", "ends_on": "2026-06-05", "desks": "2"}
    response = client.post(f"/partners/hubs/{hub.id}/book", data={**form, "send": "1", "fee_shown": "250.00"})
    booking = db.session.scalars(select(ExchangeBooking)).one()
    assert response.headers["Location"] == f"/partners/bookings/{booking.id}"
    assert (booking.direction, booking.state, booking.startup_id, booking.requested_by_id) == (
        Direction.OUTBOUND,
        BookingState.REQUESTED,
        startup.id,
        user.id,
    )
    [email] = outbox()
    assert email.to_address == hub_user.email
    assert email.subject == "Desk request at Spree Works: Kaze Robotics"
    assert "Kaze Robotics asks for 2 desks at Spree Works from Jun 1, 2026 to Jun 5, 2026." in email.body_text
    assert f"http://kakehashi.test/partners/bookings/{booking.id}" in email.body_text
    assert [e.action for e in db.session.scalars(select(AuditEvent))] == ["booking.requested"]


def test_a_member_of_several_cohort_startups_chooses_which_one_books(login_as):
    user, first = cohort_founder(name={"en": "Alpha"})
    second = StartupFactory(name={"en": "Beta"})
    member_of(second, user=user)
    CohortMemberFactory(startup=second, status=MemberStatus.GRADUATED)
    not_in_cohort = StartupFactory(name={"en": "Gamma"})
    member_of(not_in_cohort, user=user)
    page = login_as(user).get(f"/partners/hubs/{PartnerHubFactory().id}/book?lang=en")
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]+)</option>', page.text.split('name="startup_id"', 1)[1])
    assert [name for _id, name in options] == ["Alpha", "Beta"]


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "desks", "message"),
    [
        ("2026-06-05", "2026-06-04", "1", "The last day cannot be before the first day."),
        ("2026-04-30", "2026-05-02", "1", "The first day cannot be in the past."),
        (
            "2027-03-30",
            "2027-04-02",
            "1",
            "Our agreement with this hub runs from Apr 1, 2026 to Mar 31, 2027. Choose dates within it.",
        ),
        ("2026-06-01", "2026-06-03", "6", "Choose between 1 and 5 desks: the hub has no more."),
    ],
)
def test_requests_a_rule_refuses_say_why_and_store_nothing(login_as, starts_on, ends_on, desks, message):
    user, startup = cohort_founder()
    hub = PartnerHubFactory()
    client = login_as(user)
    form = {"startup_id": startup.id, "starts_on": starts_on, "ends_on": ends_on, "desks": desks}
    for action in ({"preview": "1"}, {"send": "1", "fee_shown": "75.00"}):
        page = client.post(f"/partners/hubs/{hub.id}/book?lang=en", data={**form, **action})
        assert page.status_code == 200
        assert alerts(page.text) == [message]
    assert (count(ExchangeBooking), count(AuditEvent), count(OutboundEmail)) == (0, 0, 0)


def test_the_services_refuse_the_same_requests():
    with force_locale("en"):
        _refusals()
    db.session.rollback()
    assert count(ExchangeBooking) == 0


def _refusals():
    user, startup = cohort_founder()
    hub = PartnerHubFactory(agreement_starts_on=date(2026, 7, 1), agreement_ends_on=None)
    with pytest.raises(services.BookingError, match="starts on Jul 1, 2026"):
        services.request_outbound(
            hub, startup, by=user, starts_on=date(2026, 6, 30), ends_on=date(2026, 7, 2), desks=1, purpose=None
        )
    hub.agreement_starts_on, hub.agreement_ends_on = None, date(2026, 6, 30)
    with pytest.raises(services.BookingError, match="ends on Jun 30, 2026"):
        services.request_outbound(
            hub, startup, by=user, starts_on=date(2026, 6, 30), ends_on=date(2026, 7, 2), desks=1, purpose=None
        )
    with pytest.raises(services.BookingError, match="Only startups of a cohort"):
        services.request_outbound(
            hub, StartupFactory(), by=user, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2), desks=1, purpose=None
        )


def test_the_agreement_days_themselves_may_be_booked():
    user, startup = cohort_founder()
    hub = PartnerHubFactory(agreement_starts_on=date(2026, 5, 1), agreement_ends_on=date(2026, 5, 31))
    booking = services.request_outbound(
        hub, startup, by=user, starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 31), desks=5, purpose=None
    )
    assert booking.days == 31 and booking.fee == Decimal("3875.00")


def test_a_request_that_does_not_fit_names_the_full_days(login_as):
    user, startup = cohort_founder()
    hub = PartnerHubFactory(capacity_desks=3)
    BookingFactory(hub=hub, starts_on=date(2026, 6, 2), ends_on=date(2026, 6, 4), desks=2, state=BookingState.APPROVED)
    BookingFactory(hub=hub, starts_on=date(2026, 6, 3), ends_on=date(2026, 6, 3), desks=1, state=BookingState.CONFIRMED)
    BookingFactory(hub=hub, starts_on=date(2026, 6, 6), ends_on=date(2026, 6, 6), desks=2, state=BookingState.COMPLETED)
    # Requested, declined and cancelled bookings hold no desks.
    for state in (BookingState.REQUESTED, BookingState.DECLINED, BookingState.CANCELLED):
        BookingFactory(hub=hub, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 9), desks=3, state=state)
    page = book(login_as(user), hub, startup_id=startup.id, starts_on="2026-06-01", ends_on="2026-06-08", desks="2")
    assert alerts(page.text) == [
        "Not enough desks are free on Jun 2, 2026 – Jun 4, 2026 and Jun 6, 2026 (the hub has 3 desks). "
        "Choose other dates or fewer desks."
    ]
    ja = login_as(user).post(
        f"/partners/hubs/{hub.id}/book?lang=ja",
        data={"startup_id": startup.id, "starts_on": "2026-06-01", "ends_on": "2026-06-08", "desks": "2", "preview": 1},
    )
    assert "2026/06/02" in ja.text and "2026/06/06" in ja.text
    # One desk fits everywhere except 3 June (2 + 1 taken).
    page = book(login_as(user), hub, startup_id=startup.id, starts_on="2026-06-01", ends_on="2026-06-08", desks="1")
    assert "free on Jun 3, 2026 (the hub" in alerts(page.text)[0]


def test_a_startup_outside_any_cohort_cannot_book(login_as):
    startup = StartupFactory()
    user = member_of(startup)
    CohortMemberFactory(startup=startup, status=MemberStatus.WITHDRAWN)
    hub = PartnerHubFactory()
    assert login_as(user).get(f"/partners/hubs/{hub.id}/book").status_code == 404


def test_an_inactive_hub_takes_no_bookings(login_as):
    user, startup = cohort_founder()
    hub = PartnerHubFactory(is_active=False)
    assert login_as(user).get(f"/partners/hubs/{hub.id}").status_code == 404
    with pytest.raises(services.BookingError, match="not taking bookings"):
        services.request_outbound(
            hub, startup, by=user, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2), desks=1, purpose=None
        )


# --- inbound ------------------------------------------------------------------------------------------------


def test_partner_staff_request_desks_at_the_home_hub_for_a_new_overseas_startup(login_as, outbox):
    home = HomeHubFactory()
    partner = PartnerHubFactory(name={"en": "Marina Labs"})
    hub_user = hub_staff_of(partner)
    ward = StaffFactory(locale="ja")
    form = {
        "requesting_hub_id": partner.id,
        "startup_id": "0",
        "new_name": "Tempelhof Mobility GmbH",
        "new_country": "DE",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-10",
        "desks": "2",
        "purpose": "Meeting Japanese carmakers",
        "send": "1",
        "fee_shown": "60000",
    }
    response = login_as(hub_user).post(f"/partners/hubs/{home.id}/book", data=form)
    assert response.status_code == 302
    booking = db.session.scalars(select(ExchangeBooking)).one()
    startup = db.session.get(Startup, booking.startup_id)
    assert (startup.name, startup.country, startup.is_overseas) == ({"en": "Tempelhof Mobility GmbH"}, "DE", True)
    assert (booking.direction, booking.requesting_hub_id, booking.fee, booking.currency) == (
        Direction.INBOUND,
        partner.id,
        Decimal("60000"),
        "JPY",
    )
    [email] = outbox()  # the home hub has no hub staff: programme staff decide, in their language
    assert (email.to_address, email.locale) == (ward.email, "ja")
    # The hub staff see the request among their bookings; next time the startup is in the list.
    assert f'data-booking="{booking.id}"' in login_as(hub_user).get("/partners/bookings/mine").text
    page = login_as(hub_user).get(f"/partners/hubs/{home.id}/book?lang=en")
    assert f'<option value="{startup.id}">Tempelhof Mobility GmbH</option>' in page.text


def test_inbound_requests_are_for_startups_from_abroad_that_the_hub_itself_requested_before():
    home = HomeHubFactory()
    partner, other = PartnerHubFactory(), PartnerHubFactory()
    hub_user = hub_staff_of(partner)
    others_startup = BookingFactory(hub=home, direction=Direction.INBOUND, requesting_hub=other).startup
    dates = {"starts_on": date(2026, 6, 1), "ends_on": date(2026, 6, 2), "desks": 1, "purpose": None}
    with pytest.raises(services.BookingError, match="requested desks for before"):
        services.request_inbound(home, partner, by=hub_user, startup=others_startup, **dates)
    with pytest.raises(services.BookingError, match="outside Japan"):
        services.request_inbound(home, partner, by=hub_user, new_startup_name="X", new_startup_country="JP", **dates)
    with pytest.raises(services.BookingError, match="home hub only"):
        services.request_inbound(other, partner, by=hub_user, new_startup_name="X", new_startup_country="DE", **dates)
    db.session.rollback()
    assert count(ExchangeBooking) == 1 and count(Startup) == 1


def test_an_inbound_request_refused_for_its_dates_creates_no_startup(login_as):
    home = HomeHubFactory()
    partner = PartnerHubFactory()
    form = {
        "requesting_hub_id": partner.id,
        "startup_id": "0",
        "new_name": "Nordlicht AB",
        "new_country": "SE",
        "starts_on": "2026-04-01",
        "ends_on": "2026-04-03",
        "desks": "1",
        "send": "1",
        "fee_shown": "9000",
    }
    page = login_as(hub_staff_of(partner)).post(f"/partners/hubs/{home.id}/book?lang=en", data=form)
    assert alerts(page.text) == ["The first day cannot be in the past."]
    assert (count(Startup), count(ExchangeBooking)) == (0, 0)


def test_people_who_are_not_partner_staff_cannot_request_inbound(login_as):
    home = HomeHubFactory()
    user, _startup = cohort_founder()
    assert login_as(user).get(f"/partners/hubs/{home.id}/book").status_code == 404
    assert login_as(UserFactory()).get(f"/partners/hubs/{home.id}/book").status_code == 404
