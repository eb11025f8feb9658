"""Hubs: the staff's forms and their rules, hub staff, the occupancy calendar and the iCalendar feed."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from kakehashi.accounts.models import Invitation, InvitedRole
from kakehashi.extensions import db
from kakehashi.partners import calendar
from kakehashi.partners.models import BookingState, HubMember, PartnerHub
from tests.factories import StaffFactory, UserFactory
from tests.partners.factories import BookingFactory, HomeHubFactory, PartnerHubFactory, hub_staff_of

HUB_FORM = {
    "name-ja": "シンガポール・ラボ",
    "name-en": "Marina Bay Labs",
    "city-ja": "シンガポール",
    "city-en": "Singapore",
    "country": "SG",
    "timezone": "Asia/Singapore",
    "website": "https://marina-labs.example",
    "agreement_starts_on": "2026-04-01",
    "agreement_ends_on": "2028-03-31",
    "capacity_desks": "8",
    "daily_rate": "45.50",
    "currency": "sgd",
    "refund_days_before": "7",
    "payment_instructions-en": "DBS Bank, account 123-456789-0",
    "is_active": "y",
}


def field_errors(page):
    return [html.unescape(m.strip()) for m in re.findall(r'class="invalid-feedback d-block">(.*?)</div>', page, re.S)]


def test_staff_create_a_hub_with_bilingual_texts_and_a_feed(login_as):
    client = login_as(StaffFactory())
    response = client.post("/partners/hubs/new", data=HUB_FORM)
    hub = db.session.scalars(select(PartnerHub)).one()
    assert response.headers["Location"] == f"/partners/hubs/{hub.id}"
    assert (hub.name, hub.city, hub.currency, hub.daily_rate, hub.capacity_desks) == (
        {"ja": "シンガポール・ラボ", "en": "Marina Bay Labs"},
        {"ja": "シンガポール", "en": "Singapore"},
        "SGD",
        Decimal("45.50"),
        8,
    )
    assert hub.payment_instructions == {"en": "DBS Bank, account 123-456789-0"}
    assert hub.is_home is False and hub.is_active is True and len(hub.feed_token) >= 40
    page = client.get(f"/partners/hubs/{hub.id}?lang=en").text
    assert "Marina Bay Labs" in page and "SGD45.50" in page


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"currency": "EUX"}, ["Enter a three-letter ISO 4217 currency code, such as JPY, EUR or SGD."]),
        ({"timezone": "Europe/Atlantis"}, ["Enter a time zone name such as Europe/Berlin or Asia/Singapore."]),
        ({"timezone": "../etc/passwd"}, ["Enter a time zone name such as Europe/Berlin or Asia/Singapore."]),
        ({"agreement_ends_on": "2026-03-31"}, ["The agreement cannot end before it starts."]),
        ({"capacity_desks": "-1"}, ["Enter the number of desks (zero or more, at most 10,000)."]),
        ({"daily_rate": "-5"}, ["Enter the daily rate per desk (zero or more)."]),
        ({"currency": "JPY", "daily_rate": "1500.5"}, ["JPY has 0 decimal places: the rate cannot have more."]),
        ({"website": "ftp://x.example"}, ["The website must be a web address starting with http:// or https://."]),
    ],
)
def test_hub_settings_a_rule_refuses_are_shown_on_their_fields(login_as, changes, errors):
    page = login_as(StaffFactory()).post("/partners/hubs/new?lang=en", data={**HUB_FORM, **changes})
    assert page.status_code == 200
    assert field_errors(page.text) == errors
    assert db.session.scalar(select(func.count(PartnerHub.id))) == 0


def test_there_is_only_one_home_hub(login_as):
    HomeHubFactory(name={"en": "Kakehashi Incubation Centre"})
    page = login_as(StaffFactory()).post("/partners/hubs/new?lang=en", data={**HUB_FORM, "is_home": "y"})
    assert field_errors(page.text) == [
        "Kakehashi Incubation Centre is already the home hub: there can be only one. Untick it there first."
    ]
    assert db.session.scalar(select(func.count(PartnerHub.id))) == 1


def test_editing_the_home_hub_keeps_it_home(login_as):
    home = HomeHubFactory()
    client = login_as(StaffFactory())
    form = client.get(f"/partners/hubs/{home.id}/edit").text
    assert 'value="Kakehashi Incubation Centre"' in form
    data = {**HUB_FORM, "country": "JP", "timezone": "Asia/Tokyo", "currency": "JPY", "daily_rate": "3500"}
    response = client.post(f"/partners/hubs/{home.id}/edit", data={**data, "is_home": "y"})
    assert response.status_code == 302
    db.session.refresh(home)
    assert (home.is_home, home.daily_rate, home.name["en"]) == (True, Decimal("3500"), "Marina Bay Labs")


def test_people_who_are_not_ward_staff_cannot_create_or_edit_hubs(login_as):
    hub = PartnerHubFactory()
    for user in (UserFactory(), hub_staff_of(hub)):
        client = login_as(user)
        assert client.get("/partners/hubs/new").status_code == 403
        assert client.post(f"/partners/hubs/{hub.id}/edit", data=HUB_FORM).status_code == 403
        assert client.post(f"/partners/hubs/{hub.id}/feed/revoke").status_code == 403
    db.session.refresh(hub)
    assert hub.feed_token is not None


# --- hub staff ---------------------------------------------------------------------------------------------


def test_staff_invite_a_new_person_to_a_hubs_staff_and_add_an_existing_one(login_as, outbox):
    hub = PartnerHubFactory(name={"en": "Spree Works"})
    existing = UserFactory(email="lena@spree.example")
    client = login_as(StaffFactory())
    client.post(
        f"/partners/hubs/{hub.id}/staff", data={"name": "Jonas", "email": "Jonas@Spree.example", "locale": "en"}
    )
    client.post(f"/partners/hubs/{hub.id}/staff", data={"name": "Lena", "email": "lena@spree.example", "locale": "en"})
    members = db.session.scalars(select(HubMember).order_by(HubMember.id)).all()
    assert [m.user.email for m in members] == ["jonas@spree.example", "lena@spree.example"]
    invitation = db.session.scalars(select(Invitation)).one()
    assert (invitation.user.email, invitation.role) == ("jonas@spree.example", InvitedRole.HUB_STAFF)
    emails = outbox()
    assert [(e.to_address, e.template) for e in emails] == [
        ("jonas@spree.example", "accounts/invitation"),
        (existing.email, "partners/added_to_hub"),
    ]
    assert "Spree Works" in emails[0].body_text and "Spree Works" in emails[1].subject
    # Adding the same person twice is refused; removing them ends their access.
    client.post(f"/partners/hubs/{hub.id}/staff?lang=en", data={"name": "Lena", "email": "lena@spree.example"})
    assert db.session.scalar(select(func.count(HubMember.id))) == 2
    client.post(f"/partners/hubs/{hub.id}/staff/{members[1].id}/remove")
    assert db.session.scalar(select(func.count(HubMember.id))) == 1
    assert login_as(existing).get(f"/partners/hubs/{hub.id}").status_code == 404


# --- occupancy calendar --------------------------------------------------------------------------------------


def test_desks_held_per_day_sweeps_overlapping_bookings_clipped_to_the_window():
    hub = PartnerHubFactory(capacity_desks=5)
    BookingFactory(hub=hub, starts_on=date(2026, 4, 28), ends_on=date(2026, 5, 2), desks=2, state=BookingState.APPROVED)
    BookingFactory(hub=hub, starts_on=date(2026, 5, 2), ends_on=date(2026, 5, 4), desks=3, state=BookingState.CONFIRMED)
    BookingFactory(hub=hub, starts_on=date(2026, 5, 4), ends_on=date(2026, 5, 9), desks=1, state=BookingState.COMPLETED)
    BookingFactory(hub=hub, starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 9), desks=5)  # requested: holds nothing
    BookingFactory(starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 9), desks=5, state=BookingState.CONFIRMED)
    held = calendar.desks_held(hub.id, date(2026, 5, 1), date(2026, 5, 6))
    assert list(held.values()) == [2, 5, 3, 4, 1, 1]
    assert calendar.days_over_capacity(hub, date(2026, 5, 1), date(2026, 5, 6), 1) == [date(2026, 5, 2)]
    assert calendar.day_runs([date(2026, 5, 4), date(2026, 5, 2), date(2026, 5, 3), date(2026, 5, 9)]) == [
        (date(2026, 5, 2), date(2026, 5, 4)),
        (date(2026, 5, 9), date(2026, 5, 9)),
    ]


def test_the_hub_page_shows_three_month_grids_with_desks_taken_and_full_days(login_as, count_queries):
    hub = PartnerHubFactory(capacity_desks=3)
    BookingFactory(
        hub=hub, starts_on=date(2026, 5, 30), ends_on=date(2026, 6, 2), desks=3, state=BookingState.CONFIRMED
    )
    BookingFactory(hub=hub, starts_on=date(2026, 7, 31), ends_on=date(2026, 8, 3), desks=1, state=BookingState.APPROVED)
    client = login_as(StaffFactory())
    page = client.get(f"/partners/hubs/{hub.id}?lang=en").text
    cells = dict(re.findall(r'data-day="([\d-]+)" data-held="(\d+)"', page))
    assert len(cells) == 31 + 30 + 31  # May, June and July 2026
    assert min(cells) == "2026-05-01" and max(cells) == "2026-07-31"
    assert [cells[d] for d in ("2026-05-29", "2026-05-30", "2026-06-02", "2026-06-03", "2026-07-31")] == [
        "0",
        "3",
        "3",
        "0",
        "1",
    ]
    assert re.findall(r"<caption[^>]*>([^<·]+)", page) == ["May 2026 ", "June 2026 ", "July 2026"]
    assert page.count("table-danger") == 4  # 30 May – 2 June are full
    assert "2 full days" in page
    for _ in range(5):
        BookingFactory(hub=hub, starts_on=date(2026, 6, 10), ends_on=date(2026, 6, 12), state=BookingState.APPROVED)
    with count_queries() as small:
        client.get(f"/partners/hubs/{hub.id}")
    for _ in range(20):
        BookingFactory(hub=hub, starts_on=date(2026, 7, 1), ends_on=date(2026, 7, 2), state=BookingState.APPROVED)
    with count_queries() as large:
        client.get(f"/partners/hubs/{hub.id}")
    assert small.count == large.count


def test_the_calendar_weeks_follow_the_readers_locale(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("ja"):
        assert calendar.weekday_names() == ["日", "月", "火", "水", "木", "金", "土"]
        hub = PartnerHubFactory()
        may = calendar.occupancy_calendar(hub, date(2026, 5, 1), months=1)[0]
        assert may.title == "2026年5月"
        assert [c.day.day if c else None for c in may.weeks[0]] == [None, None, None, None, None, 1, 2]


# --- the iCalendar feed -------------------------------------------------------------------------------------------


def test_the_feed_lists_confirmed_and_completed_bookings_as_all_day_events(client):
    hub = PartnerHubFactory(name={"en": "Spree Works"})
    confirmed = BookingFactory(
        hub=hub,
        startup__name={"en": "Kaze Robotics"},
        starts_on=date(2026, 6, 1),
        ends_on=date(2026, 6, 3),
        desks=2,
        state=BookingState.CONFIRMED,
    )
    completed = BookingFactory(
        hub=hub, starts_on=date(2026, 4, 1), ends_on=date(2026, 4, 1), state=BookingState.COMPLETED
    )
    for state in (BookingState.REQUESTED, BookingState.APPROVED, BookingState.CANCELLED, BookingState.DECLINED):
        BookingFactory(hub=hub, state=state)
    BookingFactory(state=BookingState.CONFIRMED)  # another hub's
    response = client.get(f"/partners/feeds/{hub.feed_token}.ics", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    feed = Calendar.from_ical(response.data)
    events = {str(e["uid"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {f"booking-{confirmed.id}@kakehashi.test", f"booking-{completed.id}@kakehashi.test"}
    event = events[f"booking-{confirmed.id}@kakehashi.test"]
    assert (event.decoded("dtstart"), event.decoded("dtend")) == (date(2026, 6, 1), date(2026, 6, 4))  # exclusive end
    assert str(event["summary"]) == "Kaze Robotics (2 desks)"
    one_day = events[f"booking-{completed.id}@kakehashi.test"]
    assert (one_day.decoded("dtstart"), one_day.decoded("dtend")) == (date(2026, 4, 1), date(2026, 4, 2))
    assert str(feed["x-wr-calname"]) == "Spree Works: desk bookings"


def test_a_revoked_or_rotated_feed_address_stops_working(client, login_as):
    hub = PartnerHubFactory()
    old = hub.feed_token
    assert client.get(f"/partners/feeds/{old}.ics").status_code == 200
    assert client.get("/partners/feeds/not-a-token.ics").status_code == 404
    staff = login_as(StaffFactory())
    staff.post(f"/partners/hubs/{hub.id}/feed/rotate")
    db.session.refresh(hub)
    new = hub.feed_token
    assert new != old
    assert client.get(f"/partners/feeds/{old}.ics").status_code == 404
    assert client.get(f"/partners/feeds/{new}.ics").status_code == 200
    staff.post(f"/partners/hubs/{hub.id}/feed/revoke")
    db.session.refresh(hub)
    assert hub.feed_token is None
    assert client.get(f"/partners/feeds/{new}.ics").status_code == 404
    assert "The calendar feed is switched off." in staff.get(f"/partners/hubs/{hub.id}?lang=en").text


def test_hub_staff_see_their_feed_address_but_startups_do_not(login_as):
    hub = PartnerHubFactory()
    assert hub.feed_token in login_as(hub_staff_of(hub)).get(f"/partners/hubs/{hub.id}").text
    from tests.partners.factories import cohort_founder

    founder, _startup = cohort_founder()
    page = login_as(founder).get(f"/partners/hubs/{hub.id}")
    assert page.status_code == 200 and hub.feed_token not in page.text
