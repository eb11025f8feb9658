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
    """Judges of any call see the judging menu (read with the user by ``load_user``, else one query)."""
    if not getattr(user, "is_authenticated", False):
        return False
    known = g.get("judges_any_call")
    if known is None or known[0] != user.id:
        found = db.session.scalar(select(CallJudge.id).where(CallJudge.user_id == user.id).limit(1)) is not None
        known = g.judges_any_call = (user.id, found)
    return known[1]


add_nav("judging.queue", _l("Judging"), visible=_is_judge, order=12)

from kakehashi.applications.judging import judge_views, ranking_views, staff_views  # noqa: E402, F401
