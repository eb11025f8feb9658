"""Who may do what with calls and applications. Used by views and templates alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kakehashi.accounts.permissions import is_member, is_staff
from kakehashi.applications.models import Application, Call, CallState
from kakehashi.core import storage
from kakehashi.extensions import db


def can_view_call(user: Any, call: Call) -> bool:
    """Drafts are private to staff; every other call is public."""
    return call.state is not CallState.DRAFT or is_staff(user)


def can_view_application(user: Any, application: Application) -> bool:
    return is_staff(user) or is_member(user, application.startup_id)


def can_edit_application(user: Any, application: Application) -> bool:
    """Only the startup's members, and only while it is a draft (staff read, they do not write)."""
    return is_member(user, application.startup_id) and application.is_editable


def can_withdraw_application(user: Any, application: Application) -> bool:
    return is_member(user, application.startup_id) and application.can_withdraw


def can_download_deck(user: Any, stored: storage.StoredFile) -> bool:
    startup_id = db.session.scalar(select(Application.startup_id).where(Application.deck_id == stored.id))
    return startup_id is not None and is_member(user, startup_id)


storage.register_download_rule("pitch_deck", can_download_deck)
