"""Who may reach the soft-landing pages: a case, its tasks and its documents are private to the case's
founder and staff. Another founder is told they do not exist (404) — on every page and every action —
the case's own founder gets 403 on staff actions, anyone else 403 on staff pages, anonymous visitors
are sent to log in, and a revoked calendar address is gone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from kakehashi.core.audit import AuditEvent
from kakehashi.extensions import db
from kakehashi.softlanding import services
from kakehashi.softlanding.models import LandingCase, TaskComment, TaskDocument
from tests.factories import StaffFactory, UserFactory
from tests.softlanding.factories import open_small_case, small_template, tasks_of, upload

TODAY = dt.date(2026, 5, 1)


@pytest.fixture
def world() -> dict[str, Any]:
    staff = StaffFactory(locale="ja")
    template = small_template()
    founder = UserFactory(locale="en")
    case = open_small_case(template=template, staff=staff, founder=founder, today=TODAY)
    passport = tasks_of(case)["passport"]
    document = services.add_document(passport, upload(), by=founder)
    services.add_comment(passport, by=founder, body="Hello")
    db.session.commit()
    other_founder = UserFactory(locale="en")
    open_small_case(template=template, staff=staff, founder=other_founder, today=TODAY)
    return {
        "staff": staff,
        "founder": founder,
        "other_founder": other_founder,
        "case": case,
        "task": passport,
        "document": document,
    }


def case_urls(w: dict[str, Any]) -> dict[str, str]:
    c, t, d = w["case"].id, w["task"].id, w["document"].id
    return {
        "case": f"/landing/cases/{c}",
        "task": f"/landing/tasks/{t}",
        "document": f"/landing/documents/{d}",
    }


FOUNDER_POSTS = {
    "start": "/landing/tasks/{t}/start",
    "submit": "/landing/tasks/{t}/submit",
    "upload": "/landing/tasks/{t}/documents",
    "remove": "/landing/documents/{d}/remove",
    "comment": "/landing/tasks/{t}/comments",
    "rotate": "/landing/cases/{c}/feed/rotate",
    "revoke": "/landing/cases/{c}/feed/revoke",
}
STAFF_POSTS = {
    "approve": "/landing/tasks/{t}/approve",
    "request_changes": "/landing/tasks/{t}/request-changes",
    "complete": "/landing/tasks/{t}/complete",
    "not_applicable": "/landing/tasks/{t}/not-applicable",
    "close": "/landing/cases/{c}/close",
    "reopen": "/landing/cases/{c}/reopen",
    "delete_documents": "/landing/cases/{c}/delete-documents",
}
STAFF_PAGES = ["/landing/queue", "/landing/cases/", "/landing/cases/new"]


def post_url(template: str, w: dict[str, Any]) -> str:
    return template.format(c=w["case"].id, t=w["task"].id, d=w["document"].id)


def snapshot() -> tuple[int, ...]:
    """Rows an action could add or remove: audit events, documents, comments."""
    return (
        db.session.scalar(select(func.count(AuditEvent.id))),
        db.session.scalar(select(func.count(TaskDocument.id))),
        db.session.scalar(select(func.count(TaskComment.id))),
    )


def case_state(w: dict[str, Any]) -> tuple[Any, ...]:
    """The case's state and feed token, and every task's state."""
    db.session.expire_all()
    case = db.session.get(LandingCase, w["case"].id)
    return (case.state, case.feed_token, tuple(sorted((t.key, t.state) for t in tasks_of(case).values())))


FULL_DATA = {
    "note": "n",
    "comment": "c",
    "changes": "Please fix.",
    "reason": "r",
    "body": "b",
    "confirm": "y",
}


@pytest.mark.parametrize("what", ["case", "task", "document"])
def test_another_founder_is_told_a_case_task_or_document_does_not_exist(login_as, world, what):
    response = login_as(world["other_founder"]).get(case_urls(world)[what])
    assert response.status_code == 404


@pytest.mark.parametrize("action", sorted({**FOUNDER_POSTS, **STAFF_POSTS}))
def test_another_founder_gets_404_on_every_action_and_nothing_changes(login_as, world, action):
    before, state = snapshot(), case_state(world)
    url = post_url({**FOUNDER_POSTS, **STAFF_POSTS}[action], world)
    response = login_as(world["other_founder"]).post(url, data=FULL_DATA)
    assert response.status_code == 404
    assert (snapshot(), case_state(world)) == (before, state)


@pytest.mark.parametrize("action", sorted(STAFF_POSTS))
def test_the_cases_founder_gets_403_on_staff_actions_and_nothing_changes(login_as, world, action):
    before, state = snapshot(), case_state(world)
    response = login_as(world["founder"]).post(post_url(STAFF_POSTS[action], world), data=FULL_DATA)
    assert response.status_code == 403
    assert (snapshot(), case_state(world)) == (before, state)


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_are_refused_to_founders(login_as, world, url):
    assert login_as(world["founder"]).get(url).status_code == 403
    assert login_as(world["founder"]).post("/landing/cases/new", data={}).status_code == 403


def test_the_founder_and_staff_reach_the_case_its_tasks_and_documents(login_as, world):
    for user in (world["founder"], world["staff"]):
        client = login_as(user)
        for url in case_urls(world).values():
            with client.get(url) as response:
                assert response.status_code == 200, (user, url)


def test_the_stored_file_of_a_document_is_not_downloadable_by_another_founder(login_as, world):
    file_id = world["document"].file_id
    assert login_as(world["other_founder"]).get(f"/files/{file_id}").status_code == 404
    with login_as(world["founder"]).get(f"/files/{file_id}") as response:
        assert response.status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    urls = [*case_urls(world).values(), "/landing/", *STAFF_PAGES]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
    for template in {**FOUNDER_POSTS, **STAFF_POSTS}.values():
        response = client.post(post_url(template, world), data=FULL_DATA)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), template


def test_the_feed_is_public_by_its_token_and_gone_once_revoked(client, login_as, world):
    token = world["case"].feed_token
    assert client.get(f"/landing/feeds/{token}.ics").status_code == 200
    services.revoke_feed_token(world["case"], by=world["founder"])
    db.session.commit()
    assert client.get(f"/landing/feeds/{token}.ics").status_code == 404
    assert client.get("/landing/feeds/.ics").status_code == 404


def test_a_denied_download_writes_no_audit_row(login_as, world):
    before = snapshot()
    assert login_as(world["other_founder"]).get(case_urls(world)["document"]).status_code == 404
    assert snapshot() == before
