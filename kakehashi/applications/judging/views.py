"""The judging blueprint: the judge's side, staff's judges/assignments pages, and the ranking."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kakehashi.applications.judging.models import CallJudge
from kakehashi.core.templating import add_nav
from kakehashi.extensions import db

bp = Blueprint("judging", __name__, template_folder="templates")


def _is_judge(user: Any) -> bool:
    """Judges of any call see the judging menu (one query per request)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if "_is_judge" not in g:
        g._is_judge = db.session.scalar(select(CallJudge.id).where(CallJudge.user_id == user.id).limit(1)) is not None
    return g._is_judge


add_nav("judging.queue", _l("Judging"), visible=_is_judge, order=12)

from kakehashi.applications.judging import judge_views, ranking_views, staff_views  # noqa: E402, F401
