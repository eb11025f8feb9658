"""The declarative base, column types shared by every model, and small mixins."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every database.

    Naive datetimes are refused: a time without a zone is a bug waiting for a daylight-saving edge.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class LocalizedText(TypeDecorator[dict]):
    """Staff-authored text in several languages, stored as JSON ``{"ja": ..., "en": ...}``.

    Empty translations are dropped on the way in so "missing" has one spelling.
    """

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: dict[str, str] | None, dialect: Any) -> dict[str, str] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise TypeError("localised text must be a mapping of language code to text")
        cleaned = {str(k): str(v).strip() for k, v in value.items() if v is not None and str(v).strip()}
        return cleaned

    def process_result_value(self, value: dict[str, str] | None, dialect: Any) -> dict[str, str] | None:
        return dict(value) if value is not None else None


class Base(DeclarativeBase):
    # ``Mapped[datetime]`` is always an aware UTC column; ``Mapped[dict[str, str]]`` is localised text.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, str]: LocalizedText()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


def configure_engine_events(engine: Engine) -> None:
    """SQLite: enforce foreign keys and let SQLAlchemy, not pysqlite, manage transactions."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A request that changes things takes the write lock up front. With a deferred BEGIN, two
        # requests that both read and then write would deadlock on the upgrade and one would fail
        # with "database is locked" at once; with IMMEDIATE the second waits (busy_timeout) instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _changes_state() else "BEGIN")


def _changes_state() -> bool:
    from flask import has_request_context, request

    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


def str_enum(enum_cls: type[enum.Enum], length: int = 32) -> Enum:
    """A Python enum stored as its string values (a VARCHAR, the same on SQLite and PostgreSQL)."""
    return Enum(enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])
