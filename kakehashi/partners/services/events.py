"""Joint events with partner hubs (they feed the KPI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kakehashi.accounts.models import User
from kakehashi.core import audit
from kakehashi.extensions import db
from kakehashi.partners.models import (
    EventKind,
    PartnerEvent,
    PartnerHub,
)
from kakehashi.partners.services.common import InvalidEvent, tokyo_today

# --- joint events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventValues:
    kind: EventKind
    title: dict[str, str] | None
    held_on: date
    hub_ids: list[int]
    participants: int | None
    report: dict[str, str] | None


def save_event(event: PartnerEvent | None, values: EventValues, *, by: User, today: date | None = None) -> PartnerEvent:
    """Record a joint event that has taken place with one or more partner hubs abroad."""
    errors: dict[str, Any] = {}
    if not values.title:
        errors["title"] = _l("Enter the event's title.")
    if values.held_on is None:
        errors["held_on"] = _l("Enter the day the event was held.")
    elif values.held_on > (today or tokyo_today()):
        errors["held_on"] = _l("Record an event once it has taken place.")
    hubs = list(
        db.session.scalars(
            select(PartnerHub).where(PartnerHub.id.in_(values.hub_ids or []), PartnerHub.is_home.is_(False))
        )
    )
    if not hubs or len(hubs) != len(set(values.hub_ids)):
        errors["hub_ids"] = _l("Choose the partner hubs abroad that took part.")
    if values.participants is not None and not 0 <= values.participants <= 1_000_000:
        errors["participants"] = _l("Enter the number of participants (zero or more).")
    if errors:
        raise InvalidEvent(errors)
    created = event is None
    if event is None:
        event = PartnerEvent(created_by_id=by.id)
        db.session.add(event)
    event.kind, event.title, event.held_on = values.kind, values.title, values.held_on
    event.participants, event.report = values.participants, values.report
    event.hubs = hubs
    db.session.flush()
    audit.record(
        by,
        "partner_event.created" if created else "partner_event.updated",
        event,
        {"held_on": values.held_on, "hubs": sorted(h.id for h in hubs)},
    )
    return event


def delete_event(event: PartnerEvent, *, by: User) -> None:
    audit.record(by, "partner_event.deleted", event, {"held_on": event.held_on, "title": event.title})
    db.session.delete(event)
    db.session.flush()
