"""The audit trail: who did what to which object, from where, and when."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kakehashi.core.db import UTCDateTime, utcnow
from kakehashi.extensions import db

if TYPE_CHECKING:
    from kakehashi.accounts.models import User


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()


def object_type_of(obj: Any) -> str:
    return getattr(obj, "__tablename__", type(obj).__name__.lower())


def record(actor: User | None, action: str, obj: Any = None, data: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit row to the current transaction (it commits, or vanishes, with the change)."""
    actor_id = getattr(actor, "id", None) if actor is not None and getattr(actor, "is_authenticated", True) else None
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type_of(obj) if obj is not None else None,
        object_id=getattr(obj, "id", None) if obj is not None else None,
        data={k: _jsonable(v) for k, v in (data or {}).items()},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return str(getattr(value, "value", value))
