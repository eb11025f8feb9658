"""The audit trail: state changes are recorded with who, what, where and when; staff can search it."""

from __future__ import annotations

from datetime import UTC, datetime

from kakehashi.core import audit
from kakehashi.extensions import db
from tests.factories import StaffFactory, UserFactory


def test_an_audit_row_commits_or_vanishes_with_its_change(app):
    user = UserFactory()
    audit.record(user, "user.something", user, {"to": "x"})
    db.session.rollback()
    assert db.session.query(audit.AuditEvent).count() == 0
    audit.record(user, "user.something", user, {"to": "x"})
    db.session.commit()
    [event] = db.session.query(audit.AuditEvent).all()
    assert (event.actor_id, event.object_type, event.object_id, event.data) == (user.id, "user", user.id, {"to": "x"})


def test_audit_rows_carry_the_client_address(client, login_as):
    staff = StaffFactory()
    user = UserFactory()
    login_as(staff)
    # (Not grant-staff: a new address makes the login not fresh, and granting staff needs a fresh one.)
    client.post(f"/admin/users/{user.id}/deactivate", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    event = db.session.query(audit.AuditEvent).filter_by(action="user.deactivated").one()
    assert event.ip == "203.0.113.5"
    assert event.actor_id == staff.id


def _event(actor, action, at):
    event = audit.record(actor, action, actor)
    event.at = at
    return event


def test_staff_filter_the_audit_log_by_action_actor_and_tokyo_dates(client, login_as):
    staff = StaffFactory(email="office@ward.example")
    other = UserFactory(email="someone@example.org")
    # 23:30 UTC on 31 March is 08:30 on 1 April in Tokyo.
    _event(staff, "user.staff_granted", datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    _event(other, "user.login", datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    _event(other, "user.password_changed", datetime(2026, 4, 2, 1, 0, tzinfo=UTC))
    db.session.commit()
    login_as(staff)

    def actions(query: str) -> list[str]:
        page = client.get(f"/admin/audit?lang=en&{query}").text
        return [a for a in ("user.staff_granted", "user.login", "user.password_changed") if f"<code>{a}</code>" in page]

    assert actions("") == ["user.staff_granted", "user.login", "user.password_changed"]
    assert actions("action=user.login") == ["user.login"]
    assert actions("actor=SOMEONE@example.org") == ["user.login", "user.password_changed"]
    assert actions("since=2026-04-01&until=2026-04-01") == ["user.staff_granted"]
    assert actions(f"object_type=user&object_id={other.id}") == ["user.login", "user.password_changed"]


def test_a_bad_filter_value_is_explained_not_an_error(client, login_as):
    login_as(StaffFactory())
    response = client.get("/admin/audit?lang=en&since=31/04/2026&object_id=abc")
    assert response.status_code == 200
    assert "Not a valid date value." in response.text


def test_the_audit_log_uses_a_fixed_number_of_queries(client, login_as, count_queries):
    staff = StaffFactory()
    login_as(staff)
    for _ in range(3):
        audit.record(UserFactory(), "user.login")
    db.session.commit()
    with count_queries() as few:
        client.get("/admin/audit")
    for _ in range(30):
        audit.record(UserFactory(), "user.login")
    db.session.commit()
    with count_queries() as many:
        client.get("/admin/audit")
    assert many.count == few.count


def test_navigation_follows_the_role(client, login_as):
    def navigation() -> str:
        page = client.get("/?lang=en").text
        return page[page.index("<nav") : page.index("</nav>")]

    anonymous = navigation()
    assert "Administration" not in anonymous and "Soft landing" not in anonymous
    login_as(UserFactory())
    member = navigation()
    assert "Soft landing" in member and "Administration" not in member
    login_as(StaffFactory())
    staff = navigation()
    for item in ("Administration", "Users", "Audit log", "Outbox", "Cohorts"):
        assert item in staff
