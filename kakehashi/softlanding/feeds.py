"""The founder's private calendar feed: one all-day event per unfinished step with a due date.

Calendar apps fetch the feed without signing in, so the text is in the founder's language (English by
default), not the requester's. Each event's UID is stable per task, so a moved due date updates the
event instead of adding another.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event

from kakehashi.core.db import utcnow
from kakehashi.core.i18n import pick

if TYPE_CHECKING:
    from kakehashi.softlanding.models import CaseTask, LandingCase
    from kakehashi.softlanding.schedule import CasePlan

PRODID = "-//Kakehashi//Soft landing//EN"
REFRESH = "PT6H"


def task_uid(task: CaseTask) -> str:
    return f"task-{task.id}@kakehashi"


def _text(value: dict[str, str] | None, locale: str) -> str:
    return pick(value, locale) if value else ""


def case_calendar(case: LandingCase, tasks: list[CaseTask], plan: CasePlan) -> bytes:
    """``text/calendar`` body (call within a request: links are absolute URLs)."""
    locale = getattr(case.founder, "locale", None) or "en"
    stamp = utcnow()
    with force_locale(locale):
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("Landing checklist: %(name)s", name=_text(case.name, locale)))
        calendar.add("x-published-ttl", REFRESH)
        for task in tasks:
            task_plan = plan.tasks.get(task.key)
            if task_plan is None or task.state.is_finished or task_plan.due is None:
                continue
            link = url_for("softlanding.task", task_id=task.id, _external=True)
            if task_plan.overdue:
                status = _("Overdue.")
            elif task_plan.due_is_projected:
                status = _("Projected date: it moves as the steps before it are done.")
            else:
                status = _("Due date.")
            event = Event()
            event.add("uid", task_uid(task))
            event.add("dtstamp", stamp)
            event.add("dtstart", task_plan.due)
            event.add("dtend", task_plan.due + timedelta(days=1))  # all day: the end is exclusive
            event.add("summary", _text(task.title, locale))
            event.add("description", f"{status}\n{task.state.label}\n\n{link}")
            event.add("url", link)
            event.add("transp", "TRANSPARENT")  # a due date, not a busy day
            calendar.add_component(event)
        return calendar.to_ical()
