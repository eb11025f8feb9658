"""Security headers on every response: every route (anonymous and staff), error pages, static files,
downloads (streamed and redirected to S3), iCalendar feeds, CSV/XLSX exports and Stripe's webhook.

What every response carries (see ``kakehashi/core/security.py``):
- a CSP with ``script-src 'self'`` only (no inline script), ``object-src 'none'``, ``base-uri 'none'``
  and ``frame-ancestors 'self'``, with ``X-Frame-Options: SAMEORIGIN`` to match;
- ``X-Content-Type-Options: nosniff`` and a Referrer-Policy that keeps addresses on our site;
- HSTS in production only;
- ``Cache-Control`` with ``no-store`` on everything but static assets, which stay cacheable.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
import stripe
from flask import Flask, abort, url_for
from werkzeug.routing import BuildError

from kakehashi.core import permissions, security, storage
from kakehashi.core.storage import S3Backend, StoredFile
from kakehashi.extensions import db
from tests.factories import StaffFactory, UserFactory
from tests.payments.factories import booking_with_payment
from tests.payments.stripe_standin import StripeStandIn
from tests.test_access import SAMPLES, build_world, routes

STATIC_PATHS = [
    "/static/css/kakehashi.css",
    "/bootstrap/static/css/bootstrap.min.css",
    "/bootstrap/static/js/bootstrap.min.js",
]
REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
ONE_YEAR = 365 * 24 * 3600


def csp_directives(response: Any) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def header_problems(response: Any, *, production: bool = False, static: bool = False) -> list[str]:
    """What is wrong with ``response``'s security headers, in words; empty when all is well."""
    problems = []
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        return ["no Content-Security-Policy"]
    csp = csp_directives(response)
    expected = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'self'"],
    }
    for directive, sources in expected.items():
        if csp.get(directive) != sources:
            problems.append(f"CSP {directive} is {csp.get(directive)}, not {sources}")
    unsafe = [source for sources in csp.values() for source in sources if source.startswith("'unsafe-")]
    if unsafe:
        problems.append(f"CSP allows {unsafe}")
    if "'self'" not in csp.get("form-action", []):
        problems.append("CSP form-action does not allow our own forms")
    if headers.get("X-Frame-Options") != "SAMEORIGIN":
        problems.append(f"X-Frame-Options is {headers.get('X-Frame-Options')!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options is {headers.get('X-Content-Type-Options')!r}")
    if headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')!r}")
    hsts = headers.get("Strict-Transport-Security")
    if production and not (hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= ONE_YEAR):
        problems.append(f"Strict-Transport-Security is {hsts!r} in production")
    if not production and hsts is not None:
        problems.append("Strict-Transport-Security outside production")
    cache = headers.get("Cache-Control") or ""
    if static and "no-store" in cache:
        problems.append(f"a static asset is not cacheable: Cache-Control {cache!r}")
    if not static and "no-store" not in cache.replace(" ", "").split(","):
        problems.append(f"Cache-Control is {cache!r}, not no-store")
    return problems


def assert_secure(response: Any, **kwargs: Any) -> None:
    assert header_problems(response, **kwargs) == []


def buildable_urls(app: Flask, world: Any) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) for every route; routes without a sample are test_access's failure."""
    found = []
    with app.test_request_context():
        for endpoint, method, _rule in routes(app):
            try:
                url = url_for(endpoint, **SAMPLES.get(endpoint, lambda w: {})(world))
            except BuildError:
                continue  # test_walker_covers_every_route reports the missing sample
            found.append((endpoint, method, url))
    return found


# --- every route ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "staff"])
def test_every_route_answers_with_the_security_headers(app, client, login_as, role):
    world = build_world()
    user = world.staff if role == "staff" else None
    if user is not None:
        login_as(user)
    urls = buildable_urls(app, world)  # all built first: the walk may delete what a later URL names
    assert len(urls) > 100
    failures, statuses = [], set()
    for endpoint, method, url in urls:
        response = client.open(url, method=method)
        response.close()
        statuses.add(response.status_code)
        failures += [f"{method} {url} ({response.status_code}) as {role}: {p}" for p in header_problems(response)]
        if user is not None and endpoint == "accounts.logout":
            login_as(user)  # signed out by the walk; sign back in for the rest
    assert failures == []
    assert {200, 302} <= statuses  # pages and redirects both walked, not only refusals


# --- error pages ------------------------------------------------------------------------------------


@pytest.fixture
def failing_app(another_app):
    app = another_app()

    @app.get("/boom")
    @permissions.public
    def boom():
        raise RuntimeError("boom")

    @app.get("/gone")
    @permissions.public
    def gone():
        abort(410)

    return app


def test_error_pages_carry_the_headers(app, client, login_as, failing_app, csrf_enabled):
    member = UserFactory()
    seen = {}
    seen[404] = client.get("/no/such/page")
    seen["404 json"] = client.get("/no/such/page", headers={"Accept": "application/json"})
    seen[405] = client.get("/logout")
    seen[400] = client.post("/login", data={"email": "x@example.org", "password": "x"})  # no CSRF token
    app.config["MAX_CONTENT_LENGTH"] = 64
    seen[413] = client.post("/register", data={"name": "x" * 200})
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    seen[403] = login_as(member).get("/admin/users")
    other = failing_app.test_client()
    seen[500] = other.get("/boom")
    seen[410] = other.get("/gone")
    for code, response in seen.items():
        assert response.status_code == int(str(code).split()[0]), code
        assert header_problems(response) == [], code


def test_the_too_many_requests_page_carries_the_headers(client):
    for _attempt in range(100):  # well past the sign-in limit, whatever it is set to
        response = client.post("/login", data={"email": "x@example.org", "password": "wrong"})
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert_secure(response)


def test_a_redirect_carries_the_headers(client):
    response = client.get("/admin/users")  # anonymous: sent to sign in
    assert response.status_code == 302
    assert_secure(response)


# --- static files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", STATIC_PATHS)
def test_static_files_carry_the_headers_and_stay_cacheable(client, login_as, path):
    with client.get(path) as response:
        assert response.status_code == 200
        assert_secure(response, static=True)
        etag = response.headers["ETag"]
    with client.get(path, headers={"If-None-Match": etag}) as revalidated:
        assert revalidated.status_code == 304
        assert_secure(revalidated, static=True)
    login_as(UserFactory())
    with client.get(path) as signed_in:
        assert signed_in.status_code == 200
        assert_secure(signed_in, static=True)


def test_a_missing_static_file_is_a_404_page_with_the_headers(client):
    response = client.get("/static/no-such-file.css")
    assert response.status_code == 404
    assert_secure(response)


def test_public_pages_are_not_stored_either(client):
    # They carry the visitor's CSRF token and flashed messages and follow the language cookie.
    for path in ["/", "/login", "/register", "/calls/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


# --- downloads, feeds, exports ------------------------------------------------------------------------


def stored_pdf() -> StoredFile:
    stored = StoredFile(
        key="headers/x",
        purpose="unregistered",
        original_filename="x.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )
    db.session.add(stored)
    db.session.commit()
    return stored


def test_a_local_download_carries_the_headers(login_as):
    stored = stored_pdf()
    storage.backend().save(stored.key, io.BytesIO(b"%PDF-1.4"), content_type="application/pdf", filename="x.pdf")
    with login_as(StaffFactory()).get(f"/files/{stored.id}") as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert_secure(response)


def test_the_redirect_to_an_s3_presigned_url_carries_the_headers(app, login_as, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # Presigning is local arithmetic: no S3 server is needed to see the redirect.
    s3 = S3Backend("bucket", "prefix", endpoint_url="http://127.0.0.1:9", region="ap-northeast-1", presign_seconds=60)
    monkeypatch.setitem(app.extensions, "kakehashi.storage", s3)
    stored = stored_pdf()
    response = login_as(StaffFactory()).get(f"/files/{stored.id}")
    assert response.status_code == 302
    assert "X-Amz-Signature=" in response.headers["Location"]
    assert_secure(response)


def test_icalendar_feeds_carry_the_headers(app, client):
    world = build_world()
    with app.test_request_context():
        urls = [
            url_for("partners.feed", token=world.hub.feed_token),
            url_for("softlanding.feed", token=world.landing_case.feed_token),
        ]
    for url in urls:
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.mimetype == "text/calendar", url
            assert_secure(response)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_carry_the_headers(app, login_as, fmt):
    world = build_world()
    client = login_as(world.staff)
    with app.test_request_context():
        urls = [
            url_for("applications.export_applications", call_id=world.call.id, fmt=fmt),
            url_for("judging.ranking_export", call_id=world.call.id, fmt=fmt),
            url_for("cohorts.kpi_export", what="rounds", fmt=fmt),
        ]
    for url in urls:
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.headers["Content-Disposition"].startswith("attachment"), url
            assert_secure(response)


# --- Stripe -----------------------------------------------------------------------------------------


WEBHOOK_SECRET = "whsec_headers_test"


@pytest.fixture
def stripe_standin(app):
    standin = StripeStandIn().start()
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_headers",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=standin.url,
        STRIPE_MAX_NETWORK_RETRIES=0,
    )
    yield standin
    standin.stop()


def test_the_stripe_webhook_answers_carry_the_headers(client, stripe_standin):
    refused = client.post("/payments/stripe/webhook", data="{}", content_type="application/json")
    assert refused.status_code == 400
    assert_secure(refused)
    body = json.dumps({"id": "evt_headers", "type": "customer.created", "data": {"object": {}}})
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET, timestamp=int(time.time()))
    accepted = client.post(
        "/payments/stripe/webhook", data=body, headers={"Stripe-Signature": header}, content_type="application/json"
    )
    assert accepted.status_code == 200
    assert_secure(accepted)


def test_the_pay_form_may_send_the_browser_on_to_stripe_checkout(login_as, stripe_standin):
    # Browsers hold the redirect after a form post to ``form-action`` too.
    _booking, member, payment = booking_with_payment()
    response = login_as(member).post(f"/payments/{payment.id}/checkout")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_standin.url + "/")
    assert csp_directives(response)["form-action"] == ["'self'", stripe_standin.url]
    assert_secure(response)


def test_form_action_allows_stripe_checkout_only_while_stripe_is_configured():
    assert security.form_action_sources({}) == ["'self'"]
    assert security.form_action_sources({"STRIPE_SECRET_KEY": "sk", "STRIPE_WEBHOOK_SECRET": "wh"}) == [
        "'self'",
        "https://checkout.stripe.com",
    ]


# --- production ---------------------------------------------------------------------------------------


def test_production_adds_hsts_to_pages_errors_and_static_files(another_app):
    client = another_app(ENV="production", TESTING=False).test_client()
    assert_secure(client.get("/"), production=True)
    assert_secure(client.get("/no/such/page"), production=True)
    assert_secure(client.get("/login"), production=True)
    with client.get("/static/css/kakehashi.css") as response:
        assert_secure(response, production=True, static=True)
