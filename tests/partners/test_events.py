"""Joint events with partner hubs: recorded by staff, listed per Japanese fiscal year (1 April – 31 March)."""

import re
from datetime import date

from sqlalchemy import func, select

from kakehashi.extensions import db
from kakehashi.partners import queries
from kakehashi.partners.models import EventKind, PartnerEvent
from tests.factories import StaffFactory, UserFactory
from tests.partners.factories import (
    HomeHubFactory,
    PartnerEventFactory,
    PartnerHubFactory,
    cohort_founder,
    hub_staff_of,
)


def listed(page):
    return [int(i) for i in re.findall(r'data-event="(\d+)"', page)]


def test_events_held_selects_the_fiscal_year_from_1_april_to_31_march():
    march = PartnerEventFactory(held_on=date(2026, 3, 31))
    april = PartnerEventFactory(held_on=date(2026, 4, 1))
    next_march = PartnerEventFactory(held_on=date(2027, 3, 31))
    assert set(db.session.scalars(queries.events_held(2025))) == {march}
    assert set(db.session.scalars(queries.events_held(2026))) == {april, next_march}
    count = select(func.count()).select_from(queries.events_held(2026).subquery())
    assert db.session.scalar(count) == 2


def test_the_events_page_lists_one_fiscal_year_at_a_time(login_as):
    hub = PartnerHubFactory(name={"en": "Spree Works"})
    march = PartnerEventFactory(held_on=date(2026, 3, 31), hubs=[hub])
    april = PartnerEventFactory(held_on=date(2026, 4, 1), hubs=[hub], title={"en": "Demo day Berlin"})
    PartnerEventFactory(held_on=date(2023, 6, 1))
    client = login_as(StaffFactory())
    page = client.get("/partners/events/?lang=en").text  # today is 1 May 2026: FY2026
    assert listed(page) == [april.id]
    assert "Demo day Berlin" in page and "Spree Works" in page and "1 event" in page
    assert listed(client.get("/partners/events/?year=2025").text) == [march.id]
    assert re.findall(r">FY(\d{4})<", page) == ["2026", "2025", "2024", "2023"]
    assert client.get("/partners/events/?year=1066").status_code == 404


def test_staff_record_edit_and_delete_an_event(login_as):
    berlin, singapore = PartnerHubFactory(), PartnerHubFactory()
    home = HomeHubFactory()
    client = login_as(StaffFactory())
    form = client.get("/partners/events/new").text
    assert f'value="{berlin.id}"' in form and f'value="{home.id}"' not in form  # only hubs abroad
    data = {
        "kind": "demo_day",
        "title-ja": "ベルリン・デモデイ",
        "title-en": "Berlin demo day",
        "held_on": "2026-04-20",
        "hub_ids": [berlin.id, singapore.id],
        "participants": "120",
        "report-en": "Six cohort startups pitched to 40 investors.",
    }
    response = client.post("/partners/events/new", data=data)
    assert response.headers["Location"] == "/partners/events/?year=2026"
    event = queries.load_event(db.session.scalars(select(PartnerEvent.id)).one())
    assert (event.kind, event.title, event.participants, event.report) == (
        EventKind.DEMO_DAY,
        {"ja": "ベルリン・デモデイ", "en": "Berlin demo day"},
        120,
        {"en": "Six cohort startups pitched to 40 investors."},
    )
    assert {h.id for h in event.hubs} == {berlin.id, singapore.id}
    edit = client.get(f"/partners/events/{event.id}/edit").text
    assert 'value="Berlin demo day"' in edit
    client.post(f"/partners/events/{event.id}/edit", data={**data, "hub_ids": [singapore.id], "held_on": "2026-03-20"})
    event = queries.load_event(event.id)
    assert [h.id for h in event.hubs] == [singapore.id] and event.held_on == date(2026, 3, 20)
    response = client.post(f"/partners/events/{event.id}/delete")
    assert response.headers["Location"] == "/partners/events/?year=2025"
    assert db.session.scalar(select(func.count(PartnerEvent.id))) == 0
    assert db.session.get(type(berlin), berlin.id) is not None  # the hubs stay


def test_an_event_needs_a_past_date_and_a_partner_hub(login_as):
    home = HomeHubFactory()
    page = login_as(StaffFactory()).post(
        "/partners/events/new?lang=en",
        data={"kind": "pitch", "title-en": "Future pitch", "held_on": "2026-05-02", "hub_ids": [home.id]},
    )
    assert "Record an event once it has taken place." in page.text
    assert "Choose the partner hubs abroad that took part." in page.text
    assert db.session.scalar(select(func.count(PartnerEvent.id))) == 0


def test_only_ward_staff_see_and_record_events(login_as):
    event = PartnerEventFactory()
    hub = PartnerHubFactory()
    founder, _ = cohort_founder()
    for user in (UserFactory(), founder, hub_staff_of(hub)):
        client = login_as(user)
        assert client.get("/partners/events/").status_code == 403
        assert client.post("/partners/events/new", data={"kind": "pitch"}).status_code == 403
        assert client.post(f"/partners/events/{event.id}/delete").status_code == 403
    assert db.session.scalar(select(func.count(PartnerEvent.id))) == 1
