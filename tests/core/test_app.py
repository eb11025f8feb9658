"""Configuration safety, error pages, health, security headers, and the package import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import abort
from sqlalchemy import func, select

from kakehashi import create_app
from kakehashi.accounts.models import User
from kakehashi.config import DEV_SECRET_KEY, ConfigError
from kakehashi.core import permissions
from kakehashi.extensions import db
from tests.conftest import make_test_config
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [None, "", "short-secret", DEV_SECRET_KEY],
    ids=["missing", "empty", "short", "development default"],
)
def test_production_refuses_a_weak_secret_key(tmp_path, monkeypatch, secret):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("KAKEHASHI_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(make_test_config(tmp_path, ENV="production", TESTING=False, SECRET_KEY=secret))


def test_production_refuses_debug(tmp_path):
    with pytest.raises(ConfigError, match="Debug"):
        create_app(make_test_config(tmp_path, ENV="production", TESTING=False, DEBUG=True))


def test_production_with_a_strong_key_starts_with_secure_cookies(another_app):
    app = another_app(ENV="production", TESTING=False)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_environment_variables_override_defaults(tmp_path, monkeypatch, another_app):
    monkeypatch.setenv("KAKEHASHI_PER_PAGE", "7")
    monkeypatch.setenv("KAKEHASHI_MAIL_FROM", "Ward <startups@ward.example>")
    monkeypatch.setenv("STORAGE_URL", f"file://{tmp_path}/elsewhere")
    app = another_app(STORAGE_URL=None)
    assert app.config["PER_PAGE"] == 7
    assert app.config["MAIL_FROM"] == "Ward <startups@ward.example>"
    assert app.config["STORAGE_URL"] == f"file://{tmp_path}/elsewhere"


def test_postgres_urls_from_hosting_platforms_use_psycopg():
    from kakehashi.config import normalise_database_url

    assert normalise_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_the_session_cookie_is_httponly_and_samesite(client):
    client.get("/?lang=en")
    cookie = client.get_cookie("session")
    assert cookie.http_only is True
    assert cookie.same_site == "Lax"


def test_the_package_imports_beside_the_standard_library_uuid():
    result = subprocess.run(
        [sys.executable, "-c", "import kakehashi, uuid, platform; print(uuid.uuid4().version, platform.system())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("4 ")


# --- error pages --------------------------------------------------------------------------------


def test_not_found_page_is_translated(client):
    english = client.get("/no/such/page?lang=en")
    assert english.status_code == 404
    assert "Page not found" in english.text
    japanese = client.get("/no/such/page?lang=ja")
    assert japanese.status_code == 404
    assert "ページが見つかりません" in japanese.text


def test_forbidden_page_for_a_signed_in_non_staff_user(client, login_as):
    login_as(UserFactory())
    response = client.get("/admin/users?lang=en")
    assert response.status_code == 403
    assert "Access denied" in response.text


def test_json_clients_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"] == "ページが見つかりません" or response.json["error"] == "Page not found"


@pytest.fixture
def failing_app(another_app):
    """A second app with routes that fail, to see what users get."""
    app = another_app()

    @app.get("/boom")
    @permissions.public
    def boom():
        db.session.add(User(email="half-saved@example.org", name="Half", session_version=1))
        db.session.flush()
        raise RuntimeError("secret internal detail")

    @app.get("/teapot-400")
    @permissions.public
    def bad():
        abort(400)

    return app


def test_an_unexpected_error_shows_a_translated_page_and_saves_nothing(failing_app):
    client = failing_app.test_client()
    response = client.get("/boom?lang=en")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert db.session.scalar(select(func.count(User.id))) == 0
    japanese = client.get("/boom?lang=ja")
    assert "問題が発生しました" in japanese.text


def test_bad_request_page(failing_app):
    response = failing_app.test_client().get("/teapot-400?lang=en")
    assert response.status_code == 400
    assert "Bad request" in response.text


# --- health ----------------------------------------------------------------------------------


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(another_app):
    app = another_app(DATABASE_URL="postgresql+psycopg://nobody:x@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


# --- security headers ---------------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_pages_contain_no_inline_script(client, login_as):
    import re

    from tests.factories import StaffFactory

    def check(browser, paths):
        for path in paths:
            response = browser.get(path)
            assert response.status_code == 200, path
            scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
            assert scripts, path  # Bootstrap's bundle at least
            assert all("src=" in attrs and not body.strip() for attrs, body in scripts), path
            assert not re.search(r"\son[a-z]+\s*=", response.text), path  # no inline event handlers

    check(client, ["/", "/login", "/register", "/password/forgot", "/calls/"])
    check(login_as(StaffFactory()), ["/", "/kpis/", "/partners/", "/landing/cases/", "/admin/users", "/cohorts/"])


def test_bootstrap_is_served_by_the_app_not_a_cdn(client):
    html = client.get("/").text
    assert "cdn" not in html.lower()
    for path in [
        "/bootstrap/static/css/bootstrap.min.css",
        "/bootstrap/static/js/bootstrap.min.js",
        "/bootstrap/static/umd/popper.min.js",
        "/static/css/kakehashi.css",
    ]:
        with client.get(path) as response:
            assert response.status_code == 200, path


def test_fixed_addresses_follow_the_mount_point(client):
    # base.html's static and nav addresses are remembered per mount point, never shared between them.
    for _round in range(2):
        plain = client.get("/calls/").get_data(as_text=True)
        mounted = client.get("/calls/", base_url="http://localhost/kk").get_data(as_text=True)
        assert 'href="/static/css/kakehashi.css"' in plain and 'href="/calls/"' in plain
        assert 'href="/kk/static/css/kakehashi.css"' in mounted and 'href="/kk/calls/"' in mounted
