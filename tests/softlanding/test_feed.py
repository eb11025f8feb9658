"""The private iCalendar feed: valid iCalendar, one all-day event per unfinished step with a due date."""

from datetime import date, timedelta

import pytest
from icalendar import Calendar

from kakehashi.extensions import db
from kakehashi.softlanding import services
from kakehashi.softlanding.feeds import case_calendar
from kakehashi.softlanding.models import TaskState
from kakehashi.softlanding.schedule import plan_case
from tests.factories import StaffFactory, UserFactory
from tests.softlanding.factories import open_small_case, tasks_of

OPENED = date(2026, 5, 1)


@pytest.fixture
def staff():
    return StaffFactory(locale="ja")


def feed_of(app, case, today):
    tasks = sorted(tasks_of(case).values(), key=lambda t: t.position)
    with app.test_request_context(base_url="https://kakehashi.example"):
        body = case_calendar(case, tasks, plan_case(case, tasks, today))
    return Calendar.from_ical(body), {t.key: t for t in tasks}


def test_the_feed_is_valid_icalendar_with_an_event_per_unfinished_step(app, staff):
    case = open_small_case(founder=UserFactory(locale="en"), staff=staff, today=OPENED)
    tasks = tasks_of(case)
    tasks["passport"].state = TaskState.SUBMITTED
    services.approve_task(tasks["passport"], by=staff, today=date(2026, 5, 3))
    services.mark_not_applicable(tasks["consult"], by=staff, reason="Done at home.", today=date(2026, 5, 3))
    db.session.commit()

    calendar, by_key = feed_of(app, case, date(2026, 5, 3))

    assert str(calendar["prodid"]) == "-//Kakehashi//Soft landing//EN"
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["x-wr-calname"]) == "Landing checklist: " + case.name["en"]
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    # Finished steps (passport done, consult not applicable) have no event.
    assert sorted(events) == ["Step bank", "Step housing", "Step operating", "Step registration"]
    housing = events["Step housing"]
    assert str(housing["uid"]) == f"task-{by_key['housing'].id}@kakehashi"
    assert housing["dtstart"].dt == date(2026, 5, 13)  # 10 days from 3 May
    assert housing["dtend"].dt - housing["dtstart"].dt == timedelta(days=1)  # one all-day event
    assert f"https://kakehashi.example/landing/tasks/{by_key['housing'].id}" in str(housing["description"])
    assert events["Step registration"]["dtstart"].dt == date(2026, 5, 27)  # 14 days after housing, projected
    assert "Projected date" in str(events["Step registration"]["description"])


def test_the_uid_of_a_step_stays_when_its_date_moves(app, staff):
    case = open_small_case(founder=UserFactory(), staff=staff, today=OPENED)

    early, _ = feed_of(app, case, OPENED)
    late, _ = feed_of(app, case, date(2026, 6, 1))

    uid_dates = lambda cal: {str(e["uid"]): e["dtstart"].dt for e in cal.walk("VEVENT")}  # noqa: E731
    assert uid_dates(early).keys() == uid_dates(late).keys()
    assert uid_dates(early) != uid_dates(late)


def test_titles_fall_back_to_japanese(app, staff):
    case = open_small_case(founder=UserFactory(locale="en"), staff=staff, today=OPENED)
    passport = tasks_of(case)["passport"]
    passport.title = {"ja": "旅券の確認"}
    db.session.commit()

    calendar, _ = feed_of(app, case, OPENED)

    assert "旅券の確認" in [str(e["summary"]) for e in calendar.walk("VEVENT")]


def test_an_overdue_step_says_so(app, staff):
    case = open_small_case(founder=UserFactory(), staff=staff, today=OPENED)
    tasks = tasks_of(case)
    for key in ("passport", "housing"):
        tasks[key].state = TaskState.TODO
        services.complete_task(tasks[key], by=staff, today=OPENED)
    db.session.commit()

    calendar, _ = feed_of(app, case, date(2026, 6, 1))

    registration = next(e for e in calendar.walk("VEVENT") if str(e["summary"]) == "Step registration")
    assert registration["dtstart"].dt == date(2026, 5, 15)
    assert str(registration["description"]).startswith("Overdue.")


def test_an_empty_plan_gives_an_empty_calendar(app, staff):
    case = open_small_case(founder=UserFactory(), staff=staff, today=OPENED)
    with app.test_request_context():
        body = case_calendar(case, [], plan_case(case, [], OPENED))

    calendar = Calendar.from_ical(body)
    assert calendar.walk("VEVENT") == []
    assert body.startswith(b"BEGIN:VCALENDAR")
