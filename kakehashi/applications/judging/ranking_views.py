"""(routes added by the judging work)"""

from __future__ import annotations

from kakehashi.applications.judging.views import bp  # noqa: F401
