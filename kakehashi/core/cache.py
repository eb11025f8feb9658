"""Derived values (a rendered ranking, the KPI figures) kept in each worker, invalidated through the database.

- A *namespace* ("judging", "kpis") watches the models its values are derived from (``watch``). Any
  change to a row of those models made through a session (an object added, changed or deleted, or an
  ORM ``insert()``/``update()``/``delete()``) gives the namespace a new random token in
  ``cache_version``, in the same transaction, just before it commits. No service has to remember to
  invalidate: the write itself does.
- ``cached(namespace, key, compute)`` reads the namespace's token (one query) *before* any data is read
  and returns what this worker computed for (namespace, token, key), computing it on a miss. Tokens are
  random and never reused, so a rolled-back change cannot bring an old token back with other data
  behind it; every worker (and every machine) sees the same token, so no worker serves stale data.
- While the current session has changes of its own to the namespace's models that are not committed
  yet, or while the namespace has no token yet (no write recorded: nothing tells this database's data
  from another's), the cache is neither read nor written: the page shows the data as it is.
- Data written without the ORM (bulk loads with Core ``insert()``) must call ``invalidate_all()``.
- Each namespace has its own store and size (``watch(..., max_entries=)``).
- Values that depend on the time put the time they depend on into ``key``.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from kakehashi.extensions import db

T = TypeVar("T")
MAX_ENTRIES = 64  # a rendered 500-row ranking is ~400 KB
PENDING = "kakehashi_cache_pending"


class CacheVersion(db.Model):
    """The current token of each cache namespace (a row per namespace; none yet reads as '')."""

    __tablename__ = "cache_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


_watched: dict[type, set[str]] = {}
# One store per namespace, each with its own size, so that many small entries (a checklist per case)
# cannot push a few costly ones (a ranking per call) out.
_stores: dict[str, OrderedDict[tuple[str, Hashable], Any]] = {}
_limits: dict[str, int] = {}
_lock = threading.Lock()


def watch(namespace: str, *models: type, max_entries: int = MAX_ENTRIES) -> None:
    """Changes to rows of ``models`` invalidate everything cached in ``namespace`` (at most
    ``max_entries`` values per worker)."""
    for model in models:
        _watched.setdefault(model, set()).add(namespace)
    _limits[namespace] = max(max_entries, _limits.get(namespace, 0))
    _stores.setdefault(namespace, OrderedDict())


def _namespaces(cls: type) -> set[str]:
    found: set[str] = set()
    for klass in cls.__mro__:
        found |= _watched.get(klass, set())
    return found


def _pending(session: Session) -> set[str]:
    return session.info.setdefault(PENDING, set())


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context: Any, _instances: Any) -> None:
    changed = [*session.new, *session.deleted]
    changed += [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in changed:
        names = _namespaces(type(obj))
        if names:
            _pending(session).update(names)


@event.listens_for(Session, "do_orm_execute")
def _collect_bulk(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        mapper = state.bind_mapper
        if mapper is not None:
            names = _namespaces(mapper.class_)
            if names:
                _pending(state.session).update(names)


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    session.flush()  # what is still pending is part of this commit
    _new_tokens(session, session.info.pop(PENDING, set()))


def _new_tokens(session: Session, names: set[str]) -> None:
    table = CacheVersion.__table__
    for name in sorted(names):
        token = secrets.token_hex(16)
        result = session.execute(update(table).where(table.c.name == name).values(token=token))
        if result.rowcount == 0:  # type: ignore[attr-defined]
            session.execute(insert(table).values(name=name, token=token))


def invalidate_all() -> None:
    """New tokens for every namespace, in the current transaction: for data written without the ORM
    (bulk loads with Core ``insert()``), which the session's events cannot see."""
    _new_tokens(db.session, set(_stores))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)


def token(namespace: str) -> str:
    return db.session.scalar(select(CacheVersion.token).where(CacheVersion.name == namespace)) or ""


def cached(namespace: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s value for the current data of ``namespace``; computed at most once per token."""
    current = token(namespace)  # first: the data read after it is at least this new
    if not current or namespace in db.session.info.get(PENDING, ()):
        # No write recorded yet (nothing tells this database's data from another's, e.g. a database
        # emptied outside the app), or this transaction's own changes: computed, not shared.
        return compute()
    store = _stores[namespace]
    entry = (current, key)
    with _lock:
        if entry in store:
            store.move_to_end(entry)
            return store[entry]
    value = compute()
    with _lock:
        for stale in [e for e in store if e[0] != current]:
            del store[stale]
        store[entry] = value
        while len(store) > _limits[namespace]:
            store.popitem(last=False)
    return value


def clear() -> None:
    """Forget every cached value in this worker (tests; never needed for correctness)."""
    with _lock:
        for store in _stores.values():
            store.clear()
