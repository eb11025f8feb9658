"""Fresh login for sensitive actions: a password typed in within the last few minutes.

Changing the email address or password, granting staff rights, deleting documents or an account,
and every export need a *fresh* login: Flask-Login's fresh session (``_fresh``: signed in with a
password in this browser, not restored from a remember-me cookie, not flagged by session protection)
**and** a password entered within ``FRESH_LOGIN_MINUTES`` (``KAKEHASHI_FRESH_LOGIN_MINUTES``,
default 15). The time is kept in the signed session cookie (no server state: any app server can
check it), set on every password sign-in and on re-authentication.

Use ``@fresh_login_required`` under the route's access decorator (the access check runs first, so
people who may not use the route still get 403/404), or call :func:`require_fresh_login` inside a view
after its object-level permission check. When the login is stale the action is not performed: the user
is sent to ``accounts.reauthenticate`` with a message; a GET comes back to the same address afterwards,
a POST to the page that had the form (they submit it again).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_fresh, user_logged_in, user_login_confirmed

F = TypeVar("F", bound=Callable[..., Any])

LOGIN_AT = "_login_at"  # session key: Unix time of the last password entry
DEFAULT_MINUTES = 15
CLOCK_SKEW_SECONDS = 60  # app servers' clocks may differ a little; a time further ahead is not trusted
REAUTHENTICATE_ENDPOINT = "accounts.reauthenticate"


def fresh_minutes() -> int:
    return int(current_app.config.get("FRESH_LOGIN_MINUTES", DEFAULT_MINUTES))


def mark_fresh() -> None:
    """The user has just typed their password (sign-in or re-authentication)."""
    session[LOGIN_AT] = int(time.time())


def _on_password_login(_sender: Any, **_extra: Any) -> None:
    # A remember-me cookie restores a session without sending this signal, so it is never fresh;
    # ``login_user(..., fresh=False)`` sends it but leaves ``_fresh`` False.
    if session.get("_fresh"):
        mark_fresh()


user_logged_in.connect(_on_password_login)
user_login_confirmed.connect(_on_password_login)


def is_fresh() -> bool:
    """Signed in with a password in this browser within the last ``FRESH_LOGIN_MINUTES`` minutes."""
    if not login_fresh():
        return False
    at = session.get(LOGIN_AT)
    if not isinstance(at, int | float):
        return False
    age = time.time() - at
    return -CLOCK_SKEW_SECONDS <= age <= fresh_minutes() * 60


def _same_site_path(url: str | None) -> str | None:
    """The path and query of ``url`` if it points at this site (the Referer of a form), else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def reauthentication_url(next_url: str | None) -> str:
    """The re-authentication page; it checks ``next`` with ``accounts.views.safe_next`` before using it."""
    base = url_for(REAUTHENTICATE_ENDPOINT)
    return f"{base}?{urlencode({'next': next_url})}" if next_url else base


def stale_response(back: str | None = None) -> Any:
    """Where a stale request goes: the re-authentication page, then back to the page or its form."""
    flash(_("For your security, please enter your password again to continue."), "warning")
    if request.method in ("GET", "HEAD"):
        target = request.full_path.rstrip("?")
    else:  # never replay a POST: return to the page that had the form
        target = back or _same_site_path(request.referrer) or url_for("core.home")
    return redirect(reauthentication_url(target))


def require_fresh_login(back: str | None = None) -> None:
    """Stop the request (redirect to re-authenticate) unless the login is fresh.

    ``back``: for a POST, the page with the form (default: the Referer, if it is this site).
    """
    if not is_fresh():
        abort(stale_response(back))


def fresh_login_required(view: F) -> F:
    """Decorate a view (below its access decorator) so it runs only for a fresh login."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_fresh_login()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
