"""Whole pages kept in each worker for repeat views, until anything in the database changes.

A page decorated with ``@page`` (outside its access decorator) is rendered once for a given

- data: the ``pages`` cache namespace watches every model, so any write through the ORM (or a bulk
  loader's ``cache.invalidate_all()``) gives it a new token, in the same transaction (``core.cache``);
- visitor: the session's contents (the signed-in user, their language, their sign-in time), the
  Accept-Language, User-Agent and client address headers (what Flask-Login's session protection and the
  language choice read), the host, scheme and script root;
- address: the path and query string;
- minute: pages say "closes in 3 days" and hide what a deadline ended (deadlines are set to the minute);

and served from memory while all of these stay the same. Whatever a render read — the user's row, their
roles and rights, the objects on the page — is in the database, so the same key means the same page and
the same access decision: an entry exists only because a request of this very session passed the view's
access check against this very data. A revoked right, a changed name or a deleted object is a write, and
the next request renders (and checks) afresh.

Never kept: responses other than 200 HTML without headers of their own; pages whose render changed the
session (a new language, a flash consumed) or the database; requests with flashed messages waiting; a
visitor with only a remember-me cookie (Flask-Login signs them in during the request). The CSRF token is
not part of the stored page: a placeholder is rendered in its place and each response gets the
session's own signed token.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, make_response, request, session
from flask_login.config import COOKIE_NAME
from flask_wtf.csrf import generate_csrf

from kakehashi.core import cache
from kakehashi.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

NAMESPACE = "pages"
MAX_ENTRIES = 512
MAX_BYTES = 32 * 1024 * 1024  # per worker, in all; a 500-row ranking is ~420 KB, most pages 5–60 KB
_CSRF_FIELD = "csrf_token"  # Flask-WTF keeps the request's signed token in ``g.csrf_token``
_PLACEHOLDER = f"kakehashi-csrf-{secrets.token_hex(16)}"  # unguessable: no user text can forge it
_PLACEHOLDER_BYTES = _PLACEHOLDER.encode()
_HEADERS = {"Content-Type", "Content-Length", "Vary"}
MAX_SIGNED = 4096
_signed: dict[tuple[Any, str], str] = {}  # (signing key, session's CSRF secret) -> signed token

cache.watch(NAMESPACE, db.Model, max_entries=MAX_ENTRIES, max_bytes=MAX_BYTES)


def _key() -> Hashable | None:
    """What the page may depend on besides the database, or None when it must not be kept."""
    if not current_app.config["PAGE_CACHE"] or request.method != "GET" or "_flashes" in session:
        return None
    if "_user_id" not in session and current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
        return None  # Flask-Login signs this visitor in from the cookie during the request
    headers = request.headers
    visitor = tuple(sorted((name, repr(value)) for name, value in session.items() if name != _CSRF_FIELD))
    return (
        request.scheme,
        request.host,
        request.script_root,
        request.full_path,
        visitor,
        headers.get("Accept-Language", ""),
        headers.get("User-Agent", ""),
        request.remote_addr,
        int(time.time() // 60),
    )


def _csrf_token() -> str:
    """The session's signed CSRF token. Without a time limit (the default) a token never expires, so the
    signature of a session's secret is worked out once per worker rather than on every view."""
    secret = session.get(_CSRF_FIELD)
    config = current_app.config
    if not isinstance(secret, str) or config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return str(generate_csrf())
    memo = (config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, secret)
    signed = _signed.get(memo)
    if signed is None:
        if len(_signed) >= MAX_SIGNED:
            _signed.clear()
        signed = _signed[memo] = str(generate_csrf())
    setattr(g, _CSRF_FIELD, signed)  # what generate_csrf leaves for the rest of the request
    return signed


def _with_token(body: bytes) -> bytes:
    if _PLACEHOLDER_BYTES not in body:
        return body  # no form: the session gets no CSRF secret it does not need
    return body.replace(_PLACEHOLDER_BYTES, _csrf_token().encode())


def page(view: F) -> F:
    """Serve repeat views of this page from memory while nothing it depends on changed (see above)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = _key()
        if key is None:
            return view(*args, **kwargs)
        token, body = cache.lookup(NAMESPACE, key)
        if body is not cache.MISSING:
            return _with_token(body)
        setattr(g, _CSRF_FIELD, _PLACEHOLDER)  # what csrf_token() renders; each response gets its own
        try:
            response = make_response(view(*args, **kwargs))
        finally:
            g.pop(_CSRF_FIELD, None)
        if response.direct_passthrough or response.is_streamed:
            return response
        body = response.get_data()
        if (
            response.status_code == 200
            and response.mimetype == "text/html"
            and not session.modified
            and not (db.session.new or db.session.dirty or db.session.deleted)
            and set(response.headers.keys()) <= _HEADERS
        ):
            cache.store(NAMESPACE, token, key, body)
        response.set_data(_with_token(body))
        return response

    return wrapper  # type: ignore[return-value]
