"""Response headers every response carries, error pages, static files and downloads included.

- A Content-Security-Policy that allows no inline script or style, no plugins, no ``<base>`` and
  framing only by our own pages (``X-Frame-Options: SAMEORIGIN`` says the same to old browsers).
- ``nosniff``, a Referrer-Policy that sends no address (which may hold a token) to other sites, and
  HSTS in production.
- ``Cache-Control: no-store`` on everything but static assets. Every page may carry a per-session
  CSRF token, a flashed message or a signed-in user's data, and varies with the language cookie, so
  no page is safe for a shared cache or a browser's disk; static assets stay cacheable (revalidated
  by ETag). A response that already says ``no-store`` (downloads, exports, feeds) keeps its header.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request

# Endpoints that serve files from the package: cacheable, and no session involved.
STATIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})

# Where Stripe Checkout lives: paying posts a form to us and we redirect there, which browsers
# check against ``form-action``.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"

NO_STORE = "no-store"
HSTS = "max-age=31536000; includeSubDomains"


def form_action_sources(config: Any) -> list[str]:
    """``'self'``, plus Stripe Checkout while Stripe is configured (its stand-in's origin in tests)."""
    sources = ["'self'"]
    if config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"):
        base = config.get("STRIPE_API_BASE")
        if base:
            parts = urlsplit(base)
            sources.append(f"{parts.scheme}://{parts.netloc}")
        else:
            sources.append(STRIPE_CHECKOUT_ORIGIN)
    return sources


def content_security_policy(config: Any) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action " + " ".join(form_action_sources(config)),
            "frame-ancestors 'self'",
        ]
    )


def security_headers(config: Any) -> dict[str, str]:
    """The headers set on every response, whatever the view set."""
    headers = {
        "Content-Security-Policy": content_security_policy(config),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if config["ENV"] == "production":
        headers["Strict-Transport-Security"] = HSTS
    return headers


# What the headers depend on: they are built once per distinct setting, not on every response (tests
# change these settings on a live app, so they are read each time).
_HEADER_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "ENV")


@lru_cache(maxsize=16)
def _headers_for(settings: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(security_headers(dict(zip(_HEADER_SETTINGS, settings, strict=True))).items())


def is_static_asset(endpoint: str | None, status: int) -> bool:
    return endpoint in STATIC_ENDPOINTS and status in (200, 206, 304)


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Any) -> Any:
        config = current_app.config
        headers = response.headers
        for name, value in _headers_for(tuple(config.get(key) for key in _HEADER_SETTINGS)):
            headers[name] = value
        cache = response.headers.get("Cache-Control") or ""
        if not is_static_asset(request.endpoint, response.status_code) and NO_STORE not in cache:
            response.headers["Cache-Control"] = NO_STORE
        return response
