"""Operations on verticals, calls, rubrics and applications.

Each takes objects and the acting user, changes state through the models' transition methods,
writes the audit row and queues email in the same transaction, and flushes; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from kakehashi.accounts.models import Startup, StartupMember, User
from kakehashi.applications.models import (
    APPLICATION_FIELDS,
    Application,
    ApplicationState,
    Call,
    CallState,
    Criterion,
    Vertical,
)
from kakehashi.core import audit, outbox, storage
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError

if TYPE_CHECKING:
    from werkzeug.datastructures import FileStorage

from kakehashi.extensions import db

DECK_PURPOSE = "pitch_deck"


class CallNotOpen(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This call is not accepting applications: the deadline has passed or it is not open yet."))


class AlreadyApplied(DomainError):
    def __init__(self, existing: Application) -> None:
        self.existing = existing
        super().__init__(
            _l("Your startup has already applied to this call. You can continue with that application below.")
        )


class IncompleteApplication(DomainError):
    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(_l("Please complete every required field and upload your pitch deck before submitting."))


class NotEditable(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This application has been submitted and can no longer be changed."))


class ConcurrentChange(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This application was changed at the same time in another window. Please check it."))


class DecisionsNotReleased(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("A call becomes decided by releasing its decisions from the ranking page."))


class RubricLocked(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("The rubric can no longer change: judging has started."))


# --- verticals and calls (staff) ---------------------------------------------------------------


def save_vertical(
    vertical: Vertical | None, *, by: User, name: dict[str, str], description: dict[str, str] | None, active: bool
) -> Vertical:
    if vertical is None:
        vertical = Vertical(name=name, description=description, active=active)
        db.session.add(vertical)
        db.session.flush()
        audit.record(by, "vertical.created", vertical)
    else:
        vertical.name, vertical.description, vertical.active = name, description, active
        audit.record(by, "vertical.updated", vertical)
    db.session.flush()
    return vertical


CALL_FIELDS = (
    "vertical_id",
    "title",
    "summary",
    "description",
    "eligibility",
    "opens_at",
    "closes_at",
    "seats",
    "target_applications",
    "judges_per_application",
    "deck_max_mb",
    "blind_fields",
)


def save_call(call: Call | None, *, by: User, **values: Any) -> Call:
    unknown = set(values) - set(CALL_FIELDS)
    if unknown:
        raise TypeError(f"unknown call fields: {sorted(unknown)}")
    created = call is None
    if call is None:
        call = Call(state=CallState.DRAFT)
        db.session.add(call)
    for name, value in values.items():
        setattr(call, name, value)
    db.session.flush()
    audit.record(by, "call.created" if created else "call.updated", call)
    return call


def change_call_state(call: Call, new: CallState, *, by: User) -> None:
    """Move a call on. Closing it starts judging: its submitted applications go under review."""
    if new is CallState.DECIDED:
        raise DecisionsNotReleased()
    call.transition_to(new, by=by)
    if new in (CallState.CLOSED, CallState.OPEN):
        before, after = (
            (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)
            if new is CallState.CLOSED
            else (ApplicationState.UNDER_REVIEW, ApplicationState.SUBMITTED)
        )
        for application in db.session.scalars(
            select(Application).where(Application.call_id == call.id, Application.state == before)
        ):
            application.transition_to(after, by=by)
    db.session.flush()


def save_criterion(
    call: Call,
    criterion: Criterion | None,
    *,
    by: User,
    name: dict[str, str],
    guidance: dict[str, str] | None,
    weight: Decimal,
    scale_min: int,
    scale_max: int,
) -> Criterion:
    if not call.rubric_editable:
        raise RubricLocked()
    if criterion is None:
        position = 1 + max((c.position for c in _criteria(call)), default=0)
        criterion = Criterion(call_id=call.id, position=position)
        db.session.add(criterion)
    criterion.name, criterion.guidance = name, guidance
    criterion.weight, criterion.scale_min, criterion.scale_max = weight, scale_min, scale_max
    db.session.flush()
    audit.record(by, "call.rubric_changed", call, {"criterion": criterion.id})
    return criterion


def delete_criterion(call: Call, criterion: Criterion, *, by: User) -> None:
    if not call.rubric_editable:
        raise RubricLocked()
    db.session.delete(criterion)
    audit.record(by, "call.rubric_changed", call, {"deleted_criterion": criterion.id})
    db.session.flush()


def _criteria(call: Call) -> list[Criterion]:
    return list(db.session.scalars(select(Criterion).where(Criterion.call_id == call.id)))


# --- applications (startup members) --------------------------------------------------------------


def existing_application(call: Call, startup: Startup) -> Application | None:
    return db.session.scalar(
        select(Application).where(Application.call_id == call.id, Application.startup_id == startup.id)
    )


def start_application(call: Call, startup: Startup, *, by: User, now: datetime | None = None) -> Application:
    """A draft application of ``startup`` to ``call``; one per startup per call."""
    existing = existing_application(call, startup)
    if existing is not None:
        raise AlreadyApplied(existing)
    if not call.is_open_at(now or utcnow()):
        raise CallNotOpen()
    application = Application(call_id=call.id, startup_id=startup.id, created_by_id=by.id, state=ApplicationState.DRAFT)
    db.session.add(application)
    db.session.flush()
    audit.record(by, "application.started", application)
    return application


def save_draft(application: Application, *, by: User, values: dict[str, Any], deck: FileStorage | None = None) -> None:
    """Save what was typed; a new deck replaces the old one. Raises before changing anything."""
    if not application.is_editable:
        raise NotEditable()
    new_deck = None
    if deck is not None and deck.filename:
        # Checked and stored first: a refused file (too large, not a PDF) leaves the draft as it was.
        new_deck = storage.store_upload(
            deck, purpose=DECK_PURPOSE, by=by, kind="pdf", max_bytes=application.call.deck_max_bytes
        )
    for name in APPLICATION_FIELDS:
        if name in values:
            setattr(application, name, values[name])
    if new_deck is not None:
        old = application.deck
        application.deck = new_deck
        if old is not None:
            storage.remove(old)
        audit.record(by, "application.deck_uploaded", application, {"file": new_deck.id})
    audit.record(by, "application.saved", application)
    _flush_or_conflict()


def submit_application(application: Application, *, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not application.is_editable:
        raise NotEditable()
    if not application.call.is_open_at(now):
        raise CallNotOpen()
    missing = application.missing_for_submission()
    if missing:
        raise IncompleteApplication(missing)
    application.transition_to(ApplicationState.SUBMITTED, by=by)
    application.submitted_at = now
    _flush_or_conflict()
    _notify_members(application, "applications/submitted")


def withdraw_application(application: Application, *, by: User, now: datetime | None = None) -> None:
    application.transition_to(ApplicationState.WITHDRAWN, by=by)
    application.withdrawn_at = now or utcnow()
    _flush_or_conflict()
    _notify_members(application, "applications/withdrawn")


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConcurrentChange() from error


def members_of(startup_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(StartupMember, StartupMember.user_id == User.id)
            .where(StartupMember.startup_id == startup_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _notify_members(application: Application, template: str) -> None:
    for member in members_of(application.startup_id):
        outbox.queue(member, template, application=application, call=application.call, startup=application.startup)


def load_application(application_id: int) -> Application | None:
    return db.session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .options(
            joinedload(Application.call).joinedload(Call.vertical),
            joinedload(Application.startup),
            joinedload(Application.deck),
        )
    )
