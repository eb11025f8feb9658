"""The access policy: every route says who may use it, in one vocabulary.

A view is decorated with exactly one of

- ``@access.public`` — anyone, signed in or not;
- ``@access.signed_in`` — any active signed-in user (anonymous users are sent to log in);
- ``@access.staff`` — programme staff (others get 403);
- ``@access.rule("can_edit_application")`` — signed in, then the view loads the object and checks
  the named predicate with :func:`require` (403, or 404 where existence itself is private).

``check_policy(app)`` refuses to start an app with a route that has no entry, and the access test
walks the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort
from flask_login import current_user

from kakehashi.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
SIGNED_IN = "signed_in"
STAFF = "staff"
RULE = "rule"

# Endpoints that extensions register (static files) and that are public by nature.
EXTENSION_ENDPOINTS = {"static", "bootstrap.static"}


@dataclass(frozen=True)
class Access:
    kind: str
    predicate: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.predicate}" if self.predicate else self.kind


def _mark(view: Callable[..., Any], access: Access) -> None:
    if hasattr(view, "access_policy"):
        raise RuntimeError(f"{view.__name__} already has an access policy")
    view.access_policy = access  # type: ignore[attr-defined]


def public(view: F) -> F:
    _mark(view, Access(PUBLIC))
    return view


def signed_in(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    _mark(wrapper, Access(SIGNED_IN))
    return wrapper  # type: ignore[return-value]


def staff(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    _mark(wrapper, Access(STAFF))
    return wrapper  # type: ignore[return-value]


def rule(predicate: str) -> Callable[[F], F]:
    """Signed in, then an object-level predicate the view checks with :func:`require`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            return view(*args, **kwargs)

        _mark(wrapper, Access(RULE, predicate))
        return wrapper  # type: ignore[return-value]

    return decorate


def require(allowed: bool, *, hide: bool = False) -> None:
    """Abort with 403, or 404 when ``hide`` (the object's existence is itself private)."""
    if not allowed:
        abort(404 if hide else 403)


def load_or_404(model: type, object_id: int) -> Any:
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def policy_of(app: Flask, endpoint: str) -> Access | None:
    if endpoint in EXTENSION_ENDPOINTS:
        return Access(PUBLIC)
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_policy", None)


def policy_table(app: Flask) -> dict[str, Access | None]:
    return {rule_.endpoint: policy_of(app, rule_.endpoint) for rule_ in app.url_map.iter_rules()}


def check_policy(app: Flask) -> None:
    missing = sorted(endpoint for endpoint, access in policy_table(app).items() if access is None)
    if missing:
        raise RuntimeError("routes without an access policy: " + ", ".join(missing))
