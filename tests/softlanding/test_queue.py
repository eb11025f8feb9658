"""The staff queue and case lists: what they show, in which order, and in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

import pytest
import time_machine

from kakehashi.extensions import db
from kakehashi.softlanding import services
from tests.factories import StaffFactory, UserFactory
from tests.softlanding.factories import open_small_case, small_template, tasks_of, upload

NOW = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo
TODAY = dt.date(2026, 5, 1)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


def section(page: Any, element_id: str) -> str:
    """The text of the table ``element_id``, one line per row."""
    html = page.get_data(as_text=True).split(f'id="{element_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr.*?</tr>", html.split("<tbody>", 1)[1], re.S)
    return "\n".join(" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows)


def open_case(template: Any, concierge: Any, company: str) -> Any:
    return open_small_case(
        template=template, staff=concierge, founder=UserFactory(locale="en"), company_name=company, today=TODAY
    )


def submit_passport(case: Any, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        task = tasks_of(case)["passport"]
        services.add_document(task, upload(), by=case.founder)
        services.submit_task(task, by=case.founder)
        db.session.commit()


def finish(case: Any, *keys: str, by: Any) -> None:
    for key in keys:
        services.complete_task(tasks_of(case)[key], by=by, today=TODAY)
    db.session.commit()


@pytest.fixture
def world() -> dict[str, Any]:
    """Three open cases and a closed one: two of ``me`` (the concierge), one of ``other``."""
    me = StaffFactory(locale="ja", name="佐藤")
    other = StaffFactory(locale="ja", name="鈴木")
    template = small_template()
    aurora = open_case(template, me, "Aurora Robotics")
    borealis = open_case(template, me, "Borealis Bio")
    cygnus = open_case(template, other, "Cygnus Pay")
    closed = open_case(template, other, "Draco Foods")
    services.close_case(closed, by=other)
    db.session.commit()
    submit_passport(cygnus, NOW + dt.timedelta(hours=1))
    submit_passport(aurora, NOW + dt.timedelta(hours=2))
    finish(borealis, "passport", "housing", by=me)  # registration: due 14 days after housing
    return {"me": me, "other": other, "aurora": aurora, "borealis": borealis, "cygnus": cygnus, "closed": closed}


def test_the_queue_shows_reviews_oldest_first_overdue_tasks_and_cases_by_progress(login_as, world):
    with time_machine.travel(NOW + dt.timedelta(days=20), tick=False):
        page = login_as(world["me"]).get("/landing/queue")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text  # staff work in Japanese
    awaiting = section(page, "awaiting-review").splitlines()
    assert [line.split(" 手続き")[1] for line in awaiting] == [
        " passport Cygnus Pay 鈴木",
        " passport Aurora Robotics 佐藤",
    ]
    # Most overdue first (then by task): every step past its due date, whatever its state or side.
    overdue = [
        re.match(r"(\S+) .*手続き (\w+) .*(Aurora Robotics|Borealis Bio|Cygnus Pay)", line).groups()
        for line in section(page, "overdue").splitlines()
    ]
    assert overdue == [
        ("2026/05/03", "consult", "Aurora Robotics"),  # staff-side, planned 2 days from the opening
        ("2026/05/03", "consult", "Borealis Bio"),
        ("2026/05/03", "consult", "Cygnus Pay"),
        ("2026/05/04", "passport", "Aurora Robotics"),  # submitted on time, not reviewed yet
        ("2026/05/04", "passport", "Cygnus Pay"),
        ("2026/05/15", "registration", "Borealis Bio"),  # its deadline: 14 days after housing
    ]
    cases = [line.split(" ")[0] for line in section(page, "open-cases").splitlines()]
    assert cases == ["Aurora", "Cygnus", "Borealis"]  # least progress first; Borealis has 2 of 6 done
    assert "Draco Foods" not in page.text  # closed


def test_the_queue_filters_on_my_cases(login_as, world):
    page = login_as(world["me"]).get("/landing/queue?mine=y")
    assert page.status_code == 200
    assert "checked" in page.text.split('id="filters"', 1)[1].split("</form>", 1)[0]
    assert "Cygnus Pay" not in page.text
    assert "Aurora Robotics" in section(page, "awaiting-review")
    assert "Borealis Bio" in section(page, "open-cases")


def test_the_case_list_shows_every_case_with_its_state_and_operating_date(login_as, world):
    borealis = world["borealis"]
    finish(borealis, "registration", "consult", "bank", "operating", by=world["me"])
    page = login_as(world["me"]).get("/landing/cases/?lang=en")
    assert page.status_code == 200
    rows = section(page, "cases")
    assert "Draco Foods" in rows and "Closed" in rows
    [borealis_row] = [line for line in rows.splitlines() if "Borealis Bio" in line]
    assert "6 of 6 steps done" in borealis_row
    assert "May 1, 2026" in borealis_row  # operating since
    assert db.session.get(type(borealis), borealis.id).operating_on == TODAY


# --- a fixed number of queries ------------------------------------------------------------------------


def _queries(login_as: Any, count_queries: Any, url: str, user: Any) -> int:
    client = login_as(user)
    assert client.get(url).status_code == 200  # warm up
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def _make_cases(n: int, template: Any, staff: Any) -> list[Any]:
    cases = []
    for i in range(n):
        case = open_case(template, staff, f"Company {i}")
        if i % 2:
            submit_passport(case, NOW)
        else:
            finish(case, "passport", "consult", by=staff)
        cases.append(case)
    return cases


@pytest.mark.parametrize("url", ["/landing/queue", "/landing/queue?mine=y", "/landing/cases/"])
def test_staff_lists_take_a_fixed_number_of_queries(login_as, count_queries, url):
    staff = StaffFactory(locale="ja")
    template = small_template()
    _make_cases(2, template, staff)
    small = _queries(login_as, count_queries, url, staff)
    _make_cases(6, template, staff)
    assert _queries(login_as, count_queries, url, staff) == small


def test_the_case_and_task_pages_take_a_fixed_number_of_queries(login_as, count_queries):
    staff = StaffFactory(locale="ja")
    case = open_case(small_template(), staff, "Aurora Robotics")
    passport = tasks_of(case)["passport"]
    services.add_document(passport, upload(), by=case.founder)
    services.add_comment(passport, by=case.founder, body="First question")
    db.session.commit()
    pages = [f"/landing/cases/{case.id}", f"/landing/tasks/{passport.id}"]
    before = [_queries(login_as, count_queries, url, case.founder) for url in pages]
    for i in range(4):
        services.add_document(passport, upload(filename=f"page-{i}.pdf"), by=case.founder)
        services.add_comment(passport, by=staff, body=f"Answer {i}")
        services.add_comment(passport, by=case.founder, body=f"Thanks {i}")
    db.session.commit()
    assert [_queries(login_as, count_queries, url, case.founder) for url in pages] == before
