"""The checklist's steps are rendered once per change of the landing data (``queries.cached_steps``):
every change to what they show must show on the next load, in each viewer's language, on each day."""

from __future__ import annotations

import datetime as dt

import time_machine

from kakehashi.core import cache
from kakehashi.extensions import db
from kakehashi.softlanding import queries
from kakehashi.softlanding.models import TaskComment
from tests.softlanding.test_views import TODAY, founder_case, step_row, tasks_of, text_of

NOW = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo


def checklist(client, case):
    page = client.get(f"/landing/cases/{case.id}")
    assert page.status_code == 200
    return page


def test_changes_to_tasks_and_comments_show_on_the_next_load(login_as):
    with time_machine.travel(NOW, tick=False):
        staff, founder, case = founder_case()
        client = login_as(founder)
        first = tasks_of(case)["passport"]
        assert cache.token(queries.STEPS_NAMESPACE)  # the case's creation gave the steps a token
        assert "Step passport" in step_row(checklist(client, case), "passport")
        assert checklist(client, case).text == checklist(client, case).text  # cached: the same page

        first.title = {"en": "Renamed step", "ja": "新しい手続き"}
        db.session.commit()
        assert "Renamed step" in step_row(checklist(client, case), "passport")

        db.session.add(TaskComment(task_id=first.id, author_id=staff.id, body="Please check."))
        db.session.commit()
        assert "1 message" in text_of(step_row(checklist(client, case), "passport"))


def test_each_language_and_each_day_has_its_own_steps(login_as):
    with time_machine.travel(NOW, tick=False):
        staff, founder, case = founder_case()
        founder_page = checklist(login_as(founder), case)
        staff_page = checklist(login_as(staff), case)  # staff read Japanese
    assert "Step passport" in step_row(founder_page, "passport")
    assert "手続き passport" in step_row(staff_page, "passport")
    assert "Landing queue" not in founder_page.text and 'id="case-details"' not in founder_page.text
    assert 'id="case-details"' in staff_page.text  # the parts that depend on the viewer are not cached

    later = dt.datetime.combine(TODAY + dt.timedelta(days=60), dt.time(3), tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):
        overdue = checklist(login_as(founder), case)
    assert "Overdue" in overdue.text and "Overdue" not in founder_page.text


def test_a_transaction_with_its_own_landing_changes_neither_reads_nor_fills_the_cache(app):
    with time_machine.travel(NOW, tick=False):
        _staff, _founder, case = founder_case()
        calls = []
        assert queries.cached_steps(("t", case.id), lambda: calls.append(1) or "first") == "first"
        assert queries.cached_steps(("t", case.id), lambda: calls.append(1) or "second") == "first"
        tasks_of(case)["passport"].title = {"en": "Pending", "ja": "保留"}
        db.session.flush()
        assert queries.cached_steps(("t", case.id), lambda: calls.append(1) or "own") == "own"
        db.session.rollback()
        assert queries.cached_steps(("t", case.id), lambda: calls.append(1) or "third") == "first"
        assert len(calls) == 2
