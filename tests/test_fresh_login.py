"""Sensitive actions need a fresh login: a password typed in this browser within FRESH_LOGIN_MINUTES.

Changing the email address or the password, granting staff rights, deleting documents or an account,
and every CSV/XLSX export. A stale login (older than the limit, restored from a remember-me cookie, or
with no sign-in time at all) is sent to re-enter the password and the action is not performed; a GET
comes back to its own address afterwards, a POST to the page that had the form.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from sqlalchemy import func, select

from kakehashi import config
from kakehashi.core.audit import AuditEvent
from kakehashi.core.freshness import LOGIN_AT
from kakehashi.extensions import db
from kakehashi.softlanding import services as landing_services
from kakehashi.softlanding.models import TaskDocument
from tests.factories import PASSWORD, CallFactory, StaffFactory, UserFactory
from tests.softlanding.factories import open_small_case, tasks_of, upload

NEW_PASSWORD = "a sturdy passphrase 2026"
STALE_SECONDS = 16 * 60


def make_stale(client: Any, seconds: int = STALE_SECONDS) -> None:
    with client.session_transaction() as session:
        session[LOGIN_AT] = int(time.time()) - seconds


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def reauth_target(response: Any) -> str | None:
    """The ``next`` of a redirect to the re-authentication page (asserting it is one)."""
    assert response.status_code == 302, response.status_code
    location = urlsplit(response.headers["Location"])
    assert location.path == "/reauthenticate"
    return parse_qs(location.query).get("next", [None])[0]


def export_urls(app: Any, call_id: int) -> list[str]:
    """Every CSV/XLSX export route, as CSV (a new export route is picked up here by its URL)."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "csv" not in rule.rule:
                continue
            args = {"fmt": "csv", "call_id": call_id, "what": "rounds"}
            urls.append(url_for(rule.endpoint, **{name: args[name] for name in rule.arguments}))
    return sorted(urls)


# --- exports (GET) --------------------------------------------------------------------------------------


def test_the_export_routes_are_found_by_their_url(app):
    assert {
        "/admin/calls/1/applications.csv",
        "/admin/calls/1/ranking.csv",
        "/kpis/export/rounds.csv",
    } <= set(export_urls(app, 1))


def test_a_stale_login_is_sent_to_reauthenticate_before_any_export(app, login_as):
    call = CallFactory()
    client = login_as(StaffFactory())
    make_stale(client)
    for url in export_urls(app, call.id):
        before = audit_count()
        response = client.get(url)
        assert reauth_target(response) == url
        assert audit_count() == before  # not exported, so not audited either


def test_a_fresh_login_exports(app, login_as):
    call = CallFactory()
    client = login_as(StaffFactory())
    for url in export_urls(app, call.id):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/csv"


def test_a_login_older_than_the_configured_minutes_is_stale(app, login_as):
    app.config["FRESH_LOGIN_MINUTES"] = 1
    client = login_as(StaffFactory())
    make_stale(client, seconds=90)
    assert reauth_target(client.get("/kpis/export/rounds.csv")) == "/kpis/export/rounds.csv"
    app.config["FRESH_LOGIN_MINUTES"] = 2
    assert client.get("/kpis/export/rounds.csv").status_code == 200


def test_the_setting_comes_from_the_environment():
    assert config.from_environment({"KAKEHASHI_FRESH_LOGIN_MINUTES": "5"}) == {"FRESH_LOGIN_MINUTES": 5}


def test_a_session_without_a_sign_in_time_or_not_fresh_is_stale(login_as, client):
    login_as(StaffFactory())
    with client.session_transaction() as session:
        del session[LOGIN_AT]
    assert reauth_target(client.get("/kpis/export/rounds.csv")) == "/kpis/export/rounds.csv"
    login_as(StaffFactory())
    with client.session_transaction() as session:
        session["_fresh"] = False  # as Flask-Login leaves a session restored from a remember-me cookie
    assert reauth_target(client.get("/kpis/export/rounds.csv")) == "/kpis/export/rounds.csv"


def test_signing_in_with_the_password_is_fresh_but_a_remember_me_cookie_is_not(app, client):
    StaffFactory(email="sato@example.org")
    response = client.post("/login", data={"email": "sato@example.org", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    assert client.get("/kpis/export/rounds.csv").status_code == 200
    # The browser closes: the session cookie goes, the remember-me cookie signs the user in again.
    client.delete_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    response = client.get("/kpis/export/rounds.csv")
    assert reauth_target(response) == "/kpis/export/rounds.csv"
    assert client.get("/account").status_code == 200  # still signed in, just not fresh


# --- re-authentication ------------------------------------------------------------------------------------


def test_reauthenticating_with_the_password_returns_to_the_page_and_works(login_as):
    user = StaffFactory()
    client = login_as(user)
    make_stale(client)
    target = reauth_target(client.get("/kpis/export/rounds.csv?lang=en"))
    page = client.get(f"/reauthenticate?next={target}")
    assert "For your security, please enter your password again to continue." in page.text
    assert "Confirm it is you" in page.text
    response = client.post("/reauthenticate", data={"password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == target
    assert client.get(target).status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == user.id)).all()
    assert "user.reauthenticated" in actions


def test_a_wrong_password_is_refused_with_a_message_and_stays_stale(login_as):
    client = login_as(StaffFactory())
    make_stale(client)
    response = client.post("/reauthenticate?lang=en", data={"password": "not my password", "next": "/kpis/"})
    assert response.status_code == 200
    assert "The password is not correct." in response.text
    assert reauth_target(client.get("/kpis/export/rounds.csv"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_an_unsafe_next_is_not_followed(login_as, target):
    client = login_as(UserFactory())
    response = client.post("/reauthenticate", data={"password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/account"


def test_reauthentication_is_rate_limited_like_sign_in(login_as):
    client = login_as(UserFactory())
    ip = {"REMOTE_ADDR": "198.51.100.23"}
    statuses = [
        client.post("/reauthenticate", data={"password": "wrong"}, environ_base=ip).status_code for _ in range(11)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert client.get("/reauthenticate", environ_base=ip).status_code == 200  # reading the page is not limited


def test_anonymous_visitors_are_sent_to_sign_in_not_to_reauthenticate(client):
    assert client.get("/reauthenticate").headers["Location"].startswith("/login")
    assert client.get("/kpis/export/rounds.csv").headers["Location"].startswith("/login")


# --- sensitive POSTs ------------------------------------------------------------------------------------


def test_granting_staff_needs_a_fresh_login_and_returns_to_the_users_page(login_as):
    staff, user = StaffFactory(), UserFactory()
    client = login_as(staff)
    make_stale(client)
    before = audit_count()
    response = client.post(
        f"/admin/users/{user.id}/grant-staff", headers={"Referer": f"http://localhost/admin/users/{user.id}"}
    )
    assert reauth_target(response) == f"/admin/users/{user.id}"
    db.session.refresh(user)
    assert user.is_staff is False and audit_count() == before
    login_as(staff)
    client.post(f"/admin/users/{user.id}/grant-staff")
    db.session.refresh(user)
    assert user.is_staff is True


def test_a_referer_from_another_site_is_not_used_as_the_way_back(login_as):
    staff, user = StaffFactory(), UserFactory()
    client = login_as(staff)
    make_stale(client)
    response = client.post(f"/admin/users/{user.id}/grant-staff", headers={"Referer": "https://evil.example/x"})
    assert reauth_target(response) == "/"


def test_changing_the_password_needs_a_fresh_login(login_as):
    user = UserFactory()
    client = login_as(user)
    make_stale(client)
    data = {"pw-current": PASSWORD, "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD}
    assert reauth_target(client.post("/account/password", data=data)) == "/account"
    db.session.refresh(user)
    assert user.session_version == 1  # not changed
    login_as(user)
    assert client.post("/account/password", data=data).headers["Location"] == "/account"
    db.session.refresh(user)
    assert user.session_version == 2


def test_changing_the_email_address_needs_a_fresh_login_then_reconfirms_it(login_as, outbox):
    user = UserFactory(email="old@example.org", name="Hana")
    client = login_as(user)
    make_stale(client)
    data = {"em-email": "new@example.org", "em-current": PASSWORD}
    assert reauth_target(client.post("/account/email", data=data)) == "/account"
    db.session.refresh(user)
    assert user.email == "old@example.org"
    login_as(user)
    response = client.post("/account/email", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    db.session.refresh(user)
    assert (user.email, user.email_verified_at) == ("new@example.org", None)
    sent = {(email.to_address, email.template) for email in outbox()}
    assert sent == {("old@example.org", "accounts/email_changed"), ("new@example.org", "accounts/verify_email")}
    assert client.get("/account").status_code == 200  # this browser stays signed in


def test_changing_the_email_needs_the_current_password_and_a_free_address(login_as):
    UserFactory(email="taken@example.org")
    user = UserFactory(email="old@example.org")
    client = login_as(user)
    wrong = client.post("/account/email?lang=en", data={"em-email": "new@example.org", "em-current": "nope"})
    assert wrong.status_code == 200 and "Your current password is not correct." in wrong.text
    taken = client.post("/account/email?lang=en", data={"em-email": "Taken@example.org", "em-current": PASSWORD})
    assert taken.status_code == 200 and "An account with this email address already exists." in taken.text
    db.session.refresh(user)
    assert user.email == "old@example.org"


def test_removing_a_landing_document_needs_a_fresh_login(login_as):
    founder = UserFactory(locale="en")
    case = open_small_case(founder=founder)
    task = tasks_of(case)["passport"]
    document = landing_services.add_document(task, upload(), by=founder)
    db.session.commit()
    client = login_as(founder)
    make_stale(client)
    response = client.post(f"/landing/documents/{document.id}/remove")
    assert reauth_target(response) == f"/landing/tasks/{task.id}"
    assert db.session.scalar(select(func.count(TaskDocument.id))) == 1
    login_as(founder)
    assert client.post(f"/landing/documents/{document.id}/remove").status_code == 302
    assert db.session.scalar(select(func.count(TaskDocument.id))) == 0


def test_deleting_a_closed_cases_documents_needs_a_fresh_login(login_as):
    staff, founder = StaffFactory(), UserFactory(locale="en")
    case = open_small_case(founder=founder, staff=staff)
    landing_services.add_document(tasks_of(case)["passport"], upload(), by=founder)
    landing_services.close_case(case, by=staff)
    db.session.commit()
    client = login_as(staff)
    make_stale(client)
    response = client.post(f"/landing/cases/{case.id}/delete-documents", data={"confirm": "y"})
    assert reauth_target(response) == f"/landing/cases/{case.id}#personal-data"
    assert db.session.scalar(select(func.count(TaskDocument.id))) == 1
    login_as(staff)
    client.post(f"/landing/cases/{case.id}/delete-documents", data={"confirm": "y"})
    assert db.session.scalar(select(func.count(TaskDocument.id))) == 0


def test_a_refused_user_gets_the_refusal_not_a_reauthentication_prompt(login_as):
    """Freshness is checked after access: a stale outsider still gets 403/404."""
    founder, outsider = UserFactory(), UserFactory()
    case = open_small_case(founder=founder)
    document = landing_services.add_document(tasks_of(case)["passport"], upload(), by=founder)
    db.session.commit()
    client = login_as(outsider)
    make_stale(client)
    assert client.post(f"/landing/documents/{document.id}/remove").status_code == 404
    assert client.get("/kpis/export/rounds.csv").status_code == 403
    assert client.post(f"/admin/users/{founder.id}/grant-staff").status_code == 403
