"""The judge's side: the queue across calls, the scoring page, declaring a conflict, the deck."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user

from kakehashi.applications.judging import queries
from kakehashi.applications.judging.views import bp
from kakehashi.core import permissions as access


@bp.get("/judging/")
@access.signed_in
def queue() -> Any:
    return render_template("judging/queue.html", assignments=queries.judge_queue(current_user))
