"""Configuration: defaults, overridden by the environment, checked before the app starts.

Every setting can be given as ``KAKEHASHI_<NAME>``; the handful of settings that deployment tools
conventionally name without a prefix (``DATABASE_URL``, ``SECRET_KEY``, ``STORAGE_URL``, ``MAIL_URL``,
``REDIS_URL``, ``STRIPE_*``) are read under those names too.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "dev-only-not-secret-kakehashi"  # noqa: S105 - refused in production below
MIN_SECRET_KEY_LENGTH = 32
# "Keep me signed in" lasts at most this long; production refuses a longer REMEMBER_COOKIE_DURATION.
MAX_REMEMBER_DURATION = timedelta(days=30)
# Cookie names with the ``__Host-`` prefix: browsers accept them only when Secure, for Path=/ and with
# no Domain, so a subdomain or a plain-HTTP page can neither set nor overwrite them.
HOST_SESSION_COOKIE = "__Host-session"
HOST_REMEMBER_COOKIE = "__Host-remember_token"

UNPREFIXED = (
    "DATABASE_URL",
    "SECRET_KEY",
    "STORAGE_URL",
    "MAIL_URL",
    "MAIL_FROM",
    "REDIS_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
)


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def defaults(instance_path: str) -> dict[str, Any]:
    instance = Path(instance_path)
    return {
        "ENV": "production",
        "DEBUG": False,
        "TESTING": False,
        "SECRET_KEY": None,
        "DATABASE_URL": f"sqlite:///{instance / 'kakehashi.sqlite'}",
        "STORAGE_URL": f"file://{instance / 'files'}",
        "S3_ENDPOINT_URL": None,
        "S3_REGION": "ap-northeast-1",
        "PRESIGNED_URL_SECONDS": 120,
        "MAIL_URL": None,
        "MAIL_FROM": "Kakehashi <no-reply@kakehashi.localhost>",
        "MAIL_SEND_ON_COMMIT": True,
        "REDIS_URL": None,
        "STRIPE_SECRET_KEY": None,
        "STRIPE_WEBHOOK_SECRET": None,
        # Stripe's real API unless set (tests point it at a local stand-in); both keys above enable Stripe.
        "STRIPE_API_BASE": None,
        "STRIPE_MAX_NETWORK_RETRIES": 2,
        # ClamAV: ``tcp://host:port`` or clamd's unix socket; unset means uploads are not scanned.
        "CLAMAV": None,
        "CLAMAV_TIMEOUT": 30,
        # Sensitive actions (email/password change, granting staff, deleting documents, exports) need a
        # password entered within this many minutes.
        "FRESH_LOGIN_MINUTES": 15,
        # ``flask softlanding purge-documents`` deletes a closed case's documents this many days after it closed.
        "LANDING_DOCUMENT_RETENTION_DAYS": 365,
        "BASE_URL": "http://127.0.0.1:5000",
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are trusted (0: none).
        "TRUSTED_PROXIES": 0,
        # Uploads: the request ceiling; each purpose sets its own lower limit.
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
        "LANGUAGES": ["ja", "en"],
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "PER_PAGE": 50,
        # Whole pages kept per worker for repeat views until the database changes (core/pagecache.py).
        "PAGE_CACHE": True,
        "TOKEN_MAX_AGE_SECONDS": {"reset": 2 * 3600, "verify": 7 * 24 * 3600, "invite": 14 * 24 * 3600},
        "AUTH_RATE_LIMIT": "10 per minute;50 per hour",
        "RATELIMIT_ENABLED": True,
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        # Cookies: production forces Secure and HttpOnly and the ``__Host-`` names (see ``finalise``).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        # Sessions are browser-session cookies (not permanent); Flask still refuses one signed longer ago
        # than this. It is re-signed only when the session changes, so an idle sign-in without "keep me
        # signed in" ends after 12 hours.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": False,
        # Flask-Login's default is a year. Not refreshed on each request: the browser drops it this long
        # after sign-in (the cookie carries no date; a copied one stops working when the password changes).
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "WTF_CSRF_TIME_LIMIT": None,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    }


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    found: dict[str, Any] = {}
    for name in UNPREFIXED:
        if environ.get(name):
            found[name] = environ[name]
    prefix = "KAKEHASHI_"
    for key, value in environ.items():
        if key.startswith(prefix) and value != "":
            found[key[len(prefix) :]] = _parse(value)
    return found


def _parse(value: str) -> Any:
    lowered = value.lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    if value.isdigit():
        return int(value)
    return value


def finalise(config: dict[str, Any]) -> dict[str, Any]:
    """Derive dependent settings and refuse unsafe production configurations."""
    env = config.get("ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"KAKEHASHI_ENV must be production, development or testing, not {env!r}")
    if env == "production":
        key = config.get("SECRET_KEY")
        if not key or key == DEV_SECRET_KEY or len(str(key)) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                "SECRET_KEY is missing, too short (fewer than "
                f"{MIN_SECRET_KEY_LENGTH} characters) or the development default; "
                "set KAKEHASHI_SECRET_KEY to a long random value, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        if config.get("DEBUG"):
            raise ConfigError("Debug mode must not be enabled in production (KAKEHASHI_DEBUG).")
        _secure_cookies(config)
        config["PREFERRED_URL_SCHEME"] = "https"
    elif not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = DEV_SECRET_KEY
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["DATABASE_URL"])
    config["RATELIMIT_STORAGE_URI"] = config.get("REDIS_URL") or "memory://"
    config["RATELIMIT_HEADERS_ENABLED"] = True
    return config


def _duration(value: Any) -> timedelta:
    """A duration given as a ``timedelta`` or as seconds (the environment's form)."""
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def _secure_cookies(config: dict[str, Any]) -> None:
    """Production cookies: Secure, HttpOnly, SameSite Lax or Strict, ``__Host-`` names, short remember-me."""
    for prefix in ("SESSION_COOKIE", "REMEMBER_COOKIE"):
        config[f"{prefix}_SECURE"] = True
        config[f"{prefix}_HTTPONLY"] = True
        samesite = config.setdefault(f"{prefix}_SAMESITE", "Lax")
        if samesite not in {"Lax", "Strict"}:
            raise ConfigError(f"{prefix}_SAMESITE must be Lax or Strict in production, not {samesite!r}.")
    config["REMEMBER_COOKIE_DURATION"] = remember = _duration(config.get("REMEMBER_COOKIE_DURATION") or 0)
    if not timedelta(0) < remember <= MAX_REMEMBER_DURATION:
        raise ConfigError(
            f"REMEMBER_COOKIE_DURATION must be positive and at most {MAX_REMEMBER_DURATION.days} days in production."
        )
    # ``__Host-`` works only for a cookie on the whole site (Path=/) without a Domain attribute.
    whole_site = config.get("APPLICATION_ROOT", "/") == "/"
    if whole_site and not config.get("SESSION_COOKIE_DOMAIN") and config.get("SESSION_COOKIE_PATH") in (None, "/"):
        config.setdefault("SESSION_COOKIE_NAME", HOST_SESSION_COOKIE)
    if not config.get("REMEMBER_COOKIE_DOMAIN") and config.get("REMEMBER_COOKIE_PATH", "/") == "/":
        config.setdefault("REMEMBER_COOKIE_NAME", HOST_REMEMBER_COOKIE)


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://``/``postgresql://`` forms hosting platforms give; use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
