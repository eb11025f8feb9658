"""Session and remember-me cookies in production: flags, ``__Host-`` names and lifetimes.

Signing in sets a browser-session cookie ``__Host-session`` (Secure, HttpOnly, SameSite=Lax, Path=/,
no Domain) that the app stops accepting 12 hours after it was last written (sign-in, a flashed message,
a language switch: Flask re-signs the cookie whenever the session changes). "Keep me signed in" adds
``__Host-remember_token`` with the same flags, which the browser keeps for 14 days (never more than 30).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import time_machine

from kakehashi.config import MAX_REMEMBER_DURATION, ConfigError, defaults, finalise, from_environment
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, UserFactory

SESSION = "__Host-session"
REMEMBER = "__Host-remember_token"
START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)


def set_cookies(response: Any) -> dict[str, dict[str, str | bool]]:
    """The response's ``Set-Cookie`` headers: name -> {"value": …, attribute (lower case): value or True}."""
    cookies: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        cookie: dict[str, str | bool] = {"value": value}
        for attribute in attributes:
            key, sep, val = attribute.partition("=")
            cookie[key.lower()] = val if sep else True
        cookies[name] = cookie
    return cookies


def assert_locked_down(cookie: dict[str, str | bool]) -> None:
    """Secure, HttpOnly, SameSite=Lax, for the whole site and this host only (what ``__Host-`` requires)."""
    assert cookie.get("secure") is True
    assert cookie.get("httponly") is True
    assert cookie.get("samesite") == "Lax"
    assert cookie.get("path") == "/"
    assert "domain" not in cookie


@pytest.fixture
def production(another_app):
    return another_app(ENV="production", TESTING=False)


def sign_in(client: Any, user: Any, *, remember: bool) -> Any:
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response


def signed_in(client: Any) -> bool:
    return client.get("/account").status_code == 200


# --- the cookies a sign-in sets ---------------------------------------------------------------------


def test_signing_in_sets_a_secure_host_only_browser_session_cookie_and_no_remember_cookie(production):
    user = UserFactory()
    cookies = set_cookies(sign_in(production.test_client(), user, remember=False))

    assert SESSION in cookies
    assert_locked_down(cookies[SESSION])
    assert "expires" not in cookies[SESSION] and "max-age" not in cookies[SESSION]  # ends with the browser
    assert REMEMBER not in cookies


def test_keep_me_signed_in_sets_a_locked_down_remember_cookie_for_14_days(production):
    user = UserFactory()
    now = datetime.now(UTC)
    cookies = set_cookies(sign_in(production.test_client(), user, remember=True))

    assert_locked_down(cookies[SESSION])
    remember = cookies[REMEMBER]
    assert_locked_down(remember)
    lifetime = parsedate_to_datetime(str(remember["expires"])) - now
    assert timedelta(days=14) - timedelta(minutes=1) < lifetime <= timedelta(days=14) + timedelta(minutes=1)
    assert lifetime <= MAX_REMEMBER_DURATION
    if "max-age" in remember:
        assert int(str(remember["max-age"])) <= MAX_REMEMBER_DURATION.total_seconds()


def test_signing_out_deletes_the_remember_cookie(production):
    client = production.test_client()
    sign_in(client, UserFactory(), remember=True)

    cookies = set_cookies(client.post("/logout"))

    assert parsedate_to_datetime(str(cookies[REMEMBER]["expires"])).timestamp() == 0
    assert client.get_cookie(REMEMBER) is None
    assert not signed_in(client)


# --- how long a sign-in lasts -------------------------------------------------------------------------


def test_a_sign_in_without_remember_me_ends_12_hours_after_the_session_last_changed(production):
    client = production.test_client()
    with time_machine.travel(START, tick=False):
        sign_in(client, UserFactory(), remember=False)
        assert signed_in(client)  # the page's form puts a CSRF token in the session: its last change
    with time_machine.travel(START + timedelta(hours=11, minutes=59), tick=False):
        assert signed_in(client)
    with time_machine.travel(START + timedelta(hours=12, minutes=1), tick=False):
        assert not signed_in(client)


def test_a_remembered_sign_in_outlives_the_session_cookie(production):
    client = production.test_client()
    with time_machine.travel(START, tick=False):
        sign_in(client, UserFactory(), remember=True)
    with time_machine.travel(START + timedelta(days=3), tick=False):
        assert signed_in(client)


def test_the_remember_cookie_alone_signs_a_returning_browser_in(production):
    remember = set_cookies(sign_in(production.test_client(), UserFactory(), remember=True))[REMEMBER]
    returning = production.test_client()  # the browser was closed: the session cookie is gone
    returning.set_cookie(REMEMBER, str(remember["value"]))

    page = returning.get("/account")

    assert page.status_code == 200
    assert_locked_down(set_cookies(page)[SESSION])  # a new browser session, as locked down


# --- configuration --------------------------------------------------------------------------------------


def production_config(tmp_path: Any, **overrides: Any) -> dict[str, Any]:
    config = defaults(str(tmp_path))
    config.update(ENV="production", SECRET_KEY=TEST_SECRET, **overrides)
    return finalise(config)


def test_production_forces_secure_httponly_cookies_even_when_configured_otherwise(tmp_path):
    config = production_config(
        tmp_path, SESSION_COOKIE_SECURE=False, SESSION_COOKIE_HTTPONLY=False, REMEMBER_COOKIE_SECURE=False
    )
    assert config["SESSION_COOKIE_SECURE"] is config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert (config["SESSION_COOKIE_NAME"], config["REMEMBER_COOKIE_NAME"]) == (SESSION, REMEMBER)
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)


@pytest.mark.parametrize("days", [31, 365])
def test_production_refuses_a_remember_me_longer_than_30_days(tmp_path, days):
    with pytest.raises(ConfigError, match="REMEMBER_COOKIE_DURATION"):
        production_config(tmp_path, REMEMBER_COOKIE_DURATION=timedelta(days=days))


def test_the_remember_me_duration_may_be_set_in_seconds_from_the_environment(tmp_path):
    overrides = from_environment({"KAKEHASHI_REMEMBER_COOKIE_DURATION": "86400"})
    assert production_config(tmp_path, **overrides)["REMEMBER_COOKIE_DURATION"] == timedelta(days=1)
    with pytest.raises(ConfigError, match="REMEMBER_COOKIE_DURATION"):
        production_config(tmp_path, **from_environment({"KAKEHASHI_REMEMBER_COOKIE_DURATION": str(31 * 86400)}))


@pytest.mark.parametrize("name", ["SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE"])
def test_production_refuses_cookies_sent_with_cross_site_requests(tmp_path, name):
    with pytest.raises(ConfigError, match=name):
        production_config(tmp_path, **{name: "None"})


def test_a_cookie_for_a_parent_domain_cannot_use_the_host_prefix(tmp_path):
    config = production_config(tmp_path, SESSION_COOKIE_DOMAIN="example.org", REMEMBER_COOKIE_DOMAIN="example.org")
    assert "SESSION_COOKIE_NAME" not in config  # Flask's default, "session"
    assert "REMEMBER_COOKIE_NAME" not in config  # Flask-Login's default, "remember_token"


def test_development_keeps_plain_cookie_names_so_plain_http_works(another_app):
    app = another_app(ENV="development", TESTING=False)
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_DURATION"] <= MAX_REMEMBER_DURATION
