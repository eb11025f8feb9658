"""Derived values (a rendered ranking, the KPI figures) kept in each worker, invalidated through the database.

- A *namespace* ("judging", "kpis") watches the models its values are derived from (``watch``). Any
  change to a row of those models made through a session (an object added, changed or deleted, or an
  ORM ``insert()``/``update()``/``delete()``) gives the namespace a new random token in
  ``cache_version``, in the same transaction, just before it commits. No service has to remember to
  invalidate: the write itself does.
- ``cached(namespace, key, compute)`` reads the namespace's token *before* any data is read
  and returns what this worker computed for (namespace, token, key), computing it on a miss. Tokens are
  random and never reused, so a rolled-back change cannot bring an old token back with other data
  behind it; every worker (and every machine) sees the same token, so no worker serves stale data. All
  tokens are read in one small query, once per transaction.
- While the current session has changes of its own to the namespace's models that are not committed
  yet, or while the namespace has no token yet (no write recorded: nothing tells this database's data
  from another's), the cache is neither read nor written: the page shows the data as it is.
- Data written without the ORM (bulk loads with Core ``insert()``) must call ``invalidate_all()``.
- Each namespace has its own store and size (``watch(..., max_entries=, max_bytes=)``).
- Values that depend on the time put the time they depend on into ``key``.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import String, event, insert, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from kakehashi.extensions import db

T = TypeVar("T")
MAX_ENTRIES = 64  # a rendered 500-row ranking is ~400 KB
PENDING = "kakehashi_cache_pending"
TOKENS = "kakehashi_cache_tokens"
MISSING: Any = object()
_TOKENS_SQL = "SELECT name, token FROM cache_version"


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
_budgets: dict[str, int] = {}  # bytes, for namespaces that keep bytes
_sizes: dict[str, int] = {}
_lock = threading.Lock()


def watch(namespace: str, *models: type, max_entries: int = MAX_ENTRIES, max_bytes: int | None = None) -> None:
    """Changes to rows of ``models`` (or of their subclasses) invalidate everything cached in
    ``namespace``: at most ``max_entries`` values per worker and, with ``max_bytes``, values of at most
    that many bytes in all (its values are then ``bytes``)."""
    for model in models:
        _watched.setdefault(model, set()).add(namespace)
    _limits[namespace] = max(max_entries, _limits.get(namespace, 0))
    if max_bytes is not None:
        _budgets[namespace] = max_bytes
    _stores.setdefault(namespace, OrderedDict())
    _sizes.setdefault(namespace, 0)


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


@event.listens_for(Session, "after_transaction_end")
def _forget_tokens(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the next transaction may see newer tokens
        session.info.pop(TOKENS, None)


def _tokens() -> dict[str, str]:
    """Every namespace's token, read once per transaction (one small query), before the data it guards."""
    session = db.session()
    tokens = session.info.get(TOKENS)
    if tokens is None:
        tokens = session.info[TOKENS] = _read_tokens(session)
    return tokens


def _read_tokens(session: Session) -> dict[str, str]:
    engine = session.get_bind()
    if session.in_transaction() or engine.dialect.name == "sqlite":
        return dict(session.connection().exec_driver_sql(_TOKENS_SQL).all())  # type: ignore[arg-type]
    # PostgreSQL, before the session's first statement (a page served from memory reads nothing else):
    # one round trip in autocommit instead of BEGIN, the query and, when the request ends, ROLLBACK.
    # Still read before any data, so what the session reads next is at least this new.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return dict(connection.exec_driver_sql(_TOKENS_SQL).all())  # type: ignore[arg-type]


def token(namespace: str) -> str:
    return _tokens().get(namespace, "")


def lookup(namespace: str, key: Hashable) -> tuple[str, Any]:
    """(token, value) where value is ``MISSING`` unless this worker holds one for the current data; the
    token is ``""`` when nothing may be shared now (see ``cached``), and then ``store`` keeps nothing."""
    session = db.session()
    if session.autoflush:
        session.flush()  # this transaction's unflushed changes count as its own (see ``_collect``)
    current = token(namespace)  # first: the data read after it is at least this new
    if not current or namespace in session.info.get(PENDING, ()):
        return "", MISSING
    with _lock:
        entries = _stores[namespace]
        entry = (current, key)
        if entry in entries:
            entries.move_to_end(entry)
            return current, entries[entry]
    return current, MISSING


def store(namespace: str, current: str, key: Hashable, value: Any) -> None:
    """Keep ``value`` for (``current`` token, ``key``), as read by ``lookup`` before the data was."""
    if not current or namespace in db.session.info.get(PENDING, ()):
        return  # nothing to share, or this transaction changed the data since
    budget = _budgets.get(namespace)
    if budget is not None and len(value) > budget:
        return
    with _lock:
        entries = _stores[namespace]
        for stale in [e for e in entries if e[0] != current]:
            _drop(namespace, stale)
        _drop(namespace, (current, key))
        entries[(current, key)] = value
        if budget is not None:
            _sizes[namespace] += len(value)
        while len(entries) > _limits[namespace] or (budget is not None and _sizes[namespace] > budget):
            _drop(namespace, next(iter(entries)))


def _drop(namespace: str, entry: tuple[str, Hashable]) -> None:
    value = _stores[namespace].pop(entry, MISSING)
    if value is not MISSING and namespace in _budgets:
        _sizes[namespace] -= len(value)


def cached(namespace: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s value for the current data of ``namespace``; computed at most once per token.

    Not shared while the namespace has no token (no write recorded yet: nothing tells this database's
    data from another's, e.g. a database emptied outside the app) or while this transaction has changes
    of its own to the namespace's models."""
    current, value = lookup(namespace, key)
    if value is MISSING:
        value = compute()
        store(namespace, current, key, value)
    return value  # type: ignore[no-any-return]
