import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import select

from kakehashi.applications.models import ApplicationState
from kakehashi.cohorts import services, validation
from kakehashi.cohorts.models import Cohort, CohortMember, MemberStatus, Verification
from kakehashi.core.audit import AuditEvent
from kakehashi.extensions import db
from tests.factories import (
    AnnualReportFactory,
    ApplicationFactory,
    CohortFactory,
    CohortMemberFactory,
    FundingRoundFactory,
    StaffFactory,
    StartupFactory,
    ValuationMarkFactory,
    member_of,
)

TODAY = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def make_cohorts(n):
    for i in range(n):
        cohort = CohortFactory()
        for status in MemberStatus:
            CohortMemberFactory(cohort=cohort, status=status)
        if i % 2:
            CohortMemberFactory(cohort=cohort, status=MemberStatus.ACTIVE)


def test_the_cohort_list_shows_member_counts_by_status(login_as):
    cohort = CohortFactory(name={"ja": "第1期", "en": "First batch"})
    CohortMemberFactory(cohort=cohort, status=MemberStatus.ACTIVE)
    CohortMemberFactory(cohort=cohort, status=MemberStatus.ACTIVE)
    CohortMemberFactory(cohort=cohort, status=MemberStatus.WITHDRAWN)
    CohortFactory(name={"en": "Empty"})
    page = login_as(StaffFactory()).get("/cohorts/?lang=en")
    assert page.status_code == 200
    row = page.text.split("First batch", 1)[1].split("</tr>", 1)[0]
    assert dict(re.findall(r'data-status="(\w+)">(\d+)<', row)) == {"active": "2", "graduated": "0", "withdrawn": "1"}
    assert "Added by hand" in page.text
    assert "Empty" in page.text


def _count_page(login_as, count_queries, url):
    client = login_as(StaffFactory())
    client.get(url)  # warm up caches
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_the_cohort_list_takes_a_fixed_number_of_queries(login_as, count_queries):
    make_cohorts(2)
    small = _count_page(login_as, count_queries, "/cohorts/")
    make_cohorts(8)
    assert _count_page(login_as, count_queries, "/cohorts/") == small


def test_staff_create_a_cohort_by_hand_without_a_call(login_as):
    client = login_as(StaffFactory())
    response = client.post(
        "/cohorts/new",
        data={
            "name-ja": "創業前期",
            "name-en": "Pre-platform batch",
            "starts_on": "2019-04-01",
            "ends_on": "2020-03-31",
        },
    )
    assert response.status_code == 302
    cohort = db.session.scalars(select(Cohort)).one()
    assert (cohort.call_id, cohort.name, cohort.starts_on, cohort.ends_on) == (
        None,
        {"ja": "創業前期", "en": "Pre-platform batch"},
        dt.date(2019, 4, 1),
        dt.date(2020, 3, 31),
    )


def test_a_cohort_cannot_end_before_it_starts(login_as):
    response = login_as(StaffFactory()).post(
        "/cohorts/new", data={"name-en": "Backwards", "starts_on": "2020-04-01", "ends_on": "2020-03-31"}
    )
    assert response.status_code == 200
    assert "must end on or after the day it starts" in response.text
    assert db.session.scalars(select(Cohort)).all() == []


def test_staff_edit_a_cohorts_name_and_dates(login_as):
    cohort = CohortFactory()
    client = login_as(StaffFactory())
    assert client.get(f"/cohorts/{cohort.id}/edit").status_code == 200
    client.post(
        f"/cohorts/{cohort.id}/edit",
        data={"name-ja": "新しい名前", "name-en": "", "starts_on": "2024-04-01", "ends_on": "2025-09-30"},
    )
    db.session.refresh(cohort)
    assert (cohort.name, cohort.ends_on) == ({"ja": "新しい名前"}, dt.date(2025, 9, 30))


def test_staff_add_an_existing_startup_and_change_its_status(login_as):
    cohort = CohortFactory()
    startup = StartupFactory(name={"en": "Hand Added KK"})
    client = login_as(StaffFactory())
    page = client.get(f"/cohorts/{cohort.id}?lang=en")
    assert "Hand Added KK" in page.text
    assert client.post(f"/cohorts/{cohort.id}/members", data={"startup_id": str(startup.id)}).status_code == 302
    member = db.session.scalars(select(CohortMember)).one()
    assert (member.startup_id, member.status, member.application_id) == (startup.id, MemberStatus.ACTIVE, None)
    client.post(f"/cohorts/{cohort.id}/members/{member.id}/status", data={"status": "withdrawn"})
    db.session.refresh(member)
    assert member.status is MemberStatus.WITHDRAWN
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["cohort.member_added", "cohort.member_status"]


def test_a_startup_is_added_to_a_cohort_only_once():
    member = CohortMemberFactory()
    with pytest.raises(validation.AlreadyMember):
        services.add_member(member.cohort, member.startup, by=StaffFactory())


def test_a_member_status_change_for_another_cohort_is_not_found(login_as):
    member = CohortMemberFactory()
    other = CohortFactory()
    response = login_as(StaffFactory()).post(
        f"/cohorts/{other.id}/members/{member.id}/status", data={"status": "withdrawn"}
    )
    assert response.status_code == 404


def test_graduation_marks_active_members_of_ended_cohorts(app):
    ended = CohortFactory(ends_on=dt.date(2026, 4, 30))
    ends_today = CohortFactory(ends_on=dt.date(2026, 5, 1))
    running = CohortFactory(ends_on=dt.date(2026, 5, 2))
    active = CohortMemberFactory(cohort=ended)
    withdrawn = CohortMemberFactory(cohort=ended, status=MemberStatus.WITHDRAWN)
    today = CohortMemberFactory(cohort=ends_today)
    still = CohortMemberFactory(cohort=running)
    result = app.test_cli_runner().invoke(args=["cohorts", "graduate"])
    assert "Graduated 2" in result.output
    for member in (active, withdrawn, today, still):
        db.session.refresh(member)
    assert [m.status for m in (active, withdrawn, today, still)] == [
        MemberStatus.GRADUATED,
        MemberStatus.WITHDRAWN,
        MemberStatus.GRADUATED,
        MemberStatus.ACTIVE,
    ]
    assert "Graduated 0" in app.test_cli_runner().invoke(args=["cohorts", "graduate"]).output


def test_cohort_pages_are_for_staff_only(login_as, client):
    cohort = CohortFactory()
    member = member_of(StartupFactory())
    assert client.get("/cohorts/").headers["Location"].startswith("/login")
    login_as(member)
    assert client.get("/cohorts/").status_code == 403
    assert client.get(f"/cohorts/{cohort.id}").status_code == 403
    assert client.post("/cohorts/new", data={"name-en": "x"}).status_code == 403
    assert db.session.scalars(select(Cohort)).all() == [cohort]


# --- the startup page's timeline --------------------------------------------------------------------


def fill_history(startup, n, start=0):
    for i in range(start, start + n):
        ApplicationFactory(startup=startup, state=ApplicationState.SUBMITTED, submitted_at=TODAY)
        CohortMemberFactory(startup=startup)
        FundingRoundFactory(startup=startup, announced_on=dt.date(2024, 1, 1) + dt.timedelta(days=i))
        ValuationMarkFactory(startup=startup, as_of=dt.date(2024, 2, 1) + dt.timedelta(days=i))
        AnnualReportFactory(startup=startup, fiscal_year=2010 + i)


def test_the_startup_page_shows_the_timeline(login_as):
    startup = StartupFactory()
    member = member_of(startup)
    application = ApplicationFactory(
        startup=startup,
        state=ApplicationState.ACCEPTED,
        decision=ApplicationState.ACCEPTED,
        submitted_at=TODAY - dt.timedelta(days=60),
        decided_at=TODAY - dt.timedelta(days=30),
    )
    CohortMemberFactory(startup=startup, cohort=CohortFactory(name={"en": "Spring 2024"}))
    FundingRoundFactory(
        startup=startup, status=Verification.REJECTED, currency="USD", amount="2000000", fx_rate_to_jpy="150"
    )
    ValuationMarkFactory(startup=startup)
    AnnualReportFactory(startup=startup, fiscal_year=2024, revenue_jpy=0, overseas_revenue_jpy=0)
    page = login_as(member).get(f"/startups/{startup.id}?lang=en")
    assert page.status_code == 200
    timeline = page.text.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    kinds = [chunk.split('"', 1)[0] for chunk in timeline.split('data-kind="')[1:]]
    assert sorted(kinds) == sorted(["application", "decision", "cohort", "round", "valuation", "annual_report"])
    assert f"Applied to “{application.call.title['en']}”" in timeline
    assert "Spring 2024" in timeline
    assert "$2,000,000.00" in timeline and "Rejected" in timeline
    assert "overseas share undefined" in timeline
    assert "Report a funding round" in page.text
    assert "Add a valuation mark" not in page.text


def test_staff_see_the_valuation_mark_form_on_the_startup_page(login_as):
    startup = StartupFactory()
    page = login_as(StaffFactory()).get(f"/startups/{startup.id}?lang=en")
    assert "Add a valuation mark" in page.text


def test_the_startup_page_takes_a_fixed_number_of_queries(login_as, count_queries):
    startup = StartupFactory()
    member = member_of(startup)
    fill_history(startup, 1)
    client = login_as(member)
    url = f"/startups/{startup.id}"
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    fill_history(startup, 6, start=1)
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert large.count == small.count
