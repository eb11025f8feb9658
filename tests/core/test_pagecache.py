"""core.pagecache: a repeat view is served from memory, and never once anything it shows has changed."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import event

from kakehashi.extensions import db
from tests.conftest import sign_in
from tests.factories import CallFactory, StaffFactory, UserFactory

NOW = datetime(2026, 6, 1, 3, 0, 10, tzinfo=UTC)  # 12:00:10 in Tokyo
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def statements(client: Any, url: str) -> tuple[int, str]:
    """(SQL statements, page) of one GET, counted with the page cache on (``count_queries`` turns it off)."""
    seen: list[str] = []
    thread = threading.get_ident()

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == thread and not statement.lstrip().upper().startswith(("BEGIN", "COMMIT")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True)


def test_a_repeat_view_is_served_with_one_query_and_the_same_page(login_as, english):
    CallFactory(title={"ja": "金融", "en": "FinTech call"})
    client = login_as(UserFactory(name="Aiko Founder"))
    first_count, first = statements(client, "/calls/")
    second_count, second = statements(client, "/calls/")
    assert "FinTech call" in first and "Aiko Founder" in first
    assert second == first
    assert first_count > 1
    assert second_count == 1  # the data's version, nothing else


def test_the_page_is_rendered_each_time_when_the_cache_is_off(app, login_as):
    app.config["PAGE_CACHE"] = False
    CallFactory()
    client = login_as(UserFactory())
    first_count, _page = statements(client, "/calls/")
    second_count, _page = statements(client, "/calls/")
    assert first_count > 1 and second_count > 1


def test_a_change_by_someone_else_shows_on_the_next_view(login_as, client, english):
    call = CallFactory(title={"ja": "金融", "en": "FinTech call"})
    founder = login_as(UserFactory())
    assert "FinTech call" in founder.get("/calls/").get_data(as_text=True)
    assert "FinTech call" in founder.get("/calls/").get_data(as_text=True)

    call.title = {"ja": "金融2", "en": "FinTech call, second round"}  # as staff editing it would
    db.session.commit()
    assert "FinTech call, second round" in founder.get("/calls/").get_data(as_text=True)


def test_each_visitor_gets_their_own_page(app, login_as, english):
    CallFactory()
    first = login_as(UserFactory(name="Aiko Founder"))
    assert "Aiko Founder" in first.get("/calls/").get_data(as_text=True)
    assert "Aiko Founder" in first.get("/calls/").get_data(as_text=True)

    second = sign_in(app.test_client(), UserFactory(name="Ben Founder"))
    page = second.get("/calls/").get_data(as_text=True)
    assert "Ben Founder" in page and "Aiko Founder" not in page
    anonymous = app.test_client().get("/calls/").get_data(as_text=True)
    assert "Ben Founder" not in anonymous and "Aiko Founder" not in anonymous
    assert "Aiko Founder" in first.get("/calls/").get_data(as_text=True)


def test_access_taken_away_is_refused_on_the_next_view(login_as):
    staff = StaffFactory()
    client = login_as(staff)
    assert client.get("/kpis/").status_code == 200
    assert client.get("/kpis/").status_code == 200

    staff.is_staff = False
    db.session.commit()
    assert client.get("/kpis/").status_code == 403


def test_a_page_served_from_memory_carries_this_session_s_own_working_csrf_token(app, login_as, csrf_enabled):
    CallFactory()
    user = UserFactory()
    client = login_as(user)
    first = TOKEN.search(client.get("/calls/").get_data(as_text=True))
    second = TOKEN.search(client.get("/calls/").get_data(as_text=True))
    assert first and second
    assert "kakehashi-csrf" not in first.group(1) + second.group(1)

    response = client.post("/logout", data={"csrf_token": second.group(1)})
    assert response.status_code == 302
    assert "/logout" not in client.get("/calls/").get_data(as_text=True)  # signed out: no sign-out form


def test_a_message_waiting_in_the_session_is_shown_once(login_as, english):
    CallFactory()
    client = login_as(UserFactory())
    client.get("/calls/")
    client.get("/calls/")
    with client.session_transaction() as session:  # what flash() in the previous request left
        session["_flashes"] = [("success", "Your profile was saved.")]
    assert "Your profile was saved." in client.get("/calls/").get_data(as_text=True)
    assert "Your profile was saved." not in client.get("/calls/").get_data(as_text=True)


def test_a_call_disappears_from_the_list_when_its_deadline_passes_without_any_write(client):
    CallFactory(
        title={"ja": "金融", "en": "FinTech call"},
        opens_at=NOW - timedelta(days=10),
        closes_at=NOW + timedelta(seconds=20),
    )
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        assert "金融" in client.get("/calls/").get_data(as_text=True)
        assert "金融" in client.get("/calls/").get_data(as_text=True)
    with time_machine.travel(NOW + timedelta(seconds=60), tick=False):
        assert "金融" not in client.get("/calls/").get_data(as_text=True)


def test_each_language_is_its_own_page(client):
    CallFactory(title={"ja": "金融の募集", "en": "FinTech call"})
    db.session.commit()
    assert "金融の募集" in client.get("/calls/").get_data(as_text=True)
    assert "FinTech call" in client.get("/calls/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "金融の募集" in client.get("/calls/").get_data(as_text=True)
