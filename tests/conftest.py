"""Shared fixtures.

- ``app``: one application for the session, on SQLite (a temporary file) or on PostgreSQL when
  ``DATABASE_URL`` is set; storage in a temporary directory; CSRF off except in the CSRF tests.
- Every test runs inside an app context (``db.session`` is the test's own session) and every table
  is emptied after it, so tests see committed data exactly as the app does.
- ``client`` runs each request in a fresh context, like a real server: its own app context, its
  own database session, its own ``g``. Before a request the test's session is committed, which also
  expires what the test holds, so objects read after a request show what the request stored.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import event, text

from kakehashi import create_app
from kakehashi.core.freshness import LOGIN_AT
from kakehashi.extensions import db, limiter, login_manager

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))


def make_test_config(tmp_dir: Any, **overrides: Any) -> dict[str, Any]:
    config = {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite'}",
        "STORAGE_URL": f"file://{tmp_dir / 'files'}",
        "WTF_CSRF_ENABLED": False,
        # Cheap hashing keeps the suite fast; production uses the defaults in config.py.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 256,
        "BASE_URL": "http://kakehashi.test",
    }
    config.update(overrides)
    # None means "not given here": the environment or the defaults decide.
    return {key: value for key, value in config.items() if value is not None}


class IsolatedClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:
        if not has_app_context():  # a redirect being followed: already isolated
            return super().open(*args, **kwargs)
        db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = create_app(make_test_config(tmp_path_factory.mktemp("kakehashi")))
    application.test_client_class = IsolatedClient
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.drop_all()
        db.engine.dispose()


def empty_all_tables() -> None:
    tables = db.metadata.sorted_tables
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def app_context(app: Flask) -> Iterator[None]:
    saved = dict(app.config)
    with app.app_context():
        yield
        db.session.remove()
        empty_all_tables()
        limiter.reset()
    app.config.clear()
    app.config.update(saved)


@pytest.fixture
def another_app(app: Flask, tmp_path: Any) -> Iterator[Callable[..., Flask]]:
    """Build extra app instances (other settings, extra test routes) on the same database.

    Extensions are module-level singletons, so afterwards the rate limiter is bound back to the
    session's app and the extra engines are closed.
    """
    made: list[Flask] = []

    def _make(**overrides: Any) -> Flask:
        overrides.setdefault("DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
        extra = create_app(make_test_config(tmp_path, **overrides))
        extra.test_client_class = IsolatedClient
        made.append(extra)
        return extra

    yield _make
    for extra in made:
        with extra.app_context():
            db.engine.dispose()
    limiter.init_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign_in(client: FlaskClient, user: Any) -> FlaskClient:
    """Sign ``client`` in as ``user`` (as the login form would) and return it."""
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        # A fresh password sign-in in this browser (core.freshness), as login_user leaves it.
        with client.application.test_request_context(environ_base=client.environ_base):
            session["_id"] = login_manager._session_identifier_generator()
        session["_fresh"] = True
        session[LOGIN_AT] = int(time.time())
    return client


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[Any], FlaskClient]:
    """Sign the test client in as ``user`` (as the login form would) and return the client."""
    return lambda user: sign_in(client, user)


@pytest.fixture
def csrf_enabled(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """``with count_queries() as counter: ...`` then ``counter.count``: SQL statements in this thread.

    What a page's own render costs: the whole-page cache is off while counting (a repeat view it serves
    takes one query; tests/core/test_pagecache.py)."""

    @contextmanager
    def _count() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        page_cache = app.config["PAGE_CACHE"]
        app.config["PAGE_CACHE"] = False
        thread = threading.get_ident()

        def _on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if threading.get_ident() == thread and not statement.lstrip().upper().startswith(
                ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
            ):
                counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _on_execute)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", _on_execute)
            app.config["PAGE_CACHE"] = page_cache

    return _count


@pytest.fixture
def outbox() -> Callable[[], list[Any]]:
    """The emails queued so far, oldest first."""
    from sqlalchemy import select

    from kakehashi.core.outbox import OutboundEmail

    def _emails() -> list[Any]:
        db.session.commit()
        return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))

    return _emails


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if is_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs this leg")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def english() -> Iterator[None]:
    """Messages made outside a request in English (without one the default language, Japanese, applies)."""
    with force_locale("en"):
        yield
