"""Membership facts and who may see and change a startup's profile."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from kakehashi.accounts.models import Startup, StartupMember
from kakehashi.extensions import db


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


def startup_ids_of(user: Any) -> frozenset[int]:
    """The startups the user belongs to (one query per request)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cache = g.setdefault("_startup_ids", {})
    if user.id not in cache:
        cache[user.id] = frozenset(
            db.session.scalars(select(StartupMember.startup_id).where(StartupMember.user_id == user.id))
        )
    return cache[user.id]


def is_member(user: Any, startup_id: int) -> bool:
    return startup_id in startup_ids_of(user)


def can_view_startup(user: Any, startup: Startup) -> bool:
    return is_staff(user) or is_member(user, startup.id)


def can_manage_startup(user: Any, startup: Startup) -> bool:
    """Members keep their own profile and team up to date."""
    return is_member(user, startup.id)
