"""A case's plan: start, due and projected finish of every task, and the critical path. Pure date math.

- A finished task (done or not applicable) finishes on its ``completed_on``: a step marked not
  applicable simply releases its dependants on the day it was marked.
- An unfinished task starts when its last dependency finishes (actual dates where finished, projected
  otherwise), never before the case was opened; it is due ``duration_days`` later. Work not done yet
  cannot finish in the past, so its projected finish is that due date or today, whichever is later:
  a late step pushes its dependants (and the operating date) back day by day.
- Its due date is the deadline rule's date when it has one (``deadline_days`` after the finish of
  ``deadline_after``: the actual completion when that step is done, else its projection), else its
  start plus its typical duration. It is overdue once that date has passed. ``due_is_projected`` says
  whether the date may still move (it rests on a step not finished yet).
- The projected operating date is the milestone's finish; the critical path is the chain of unfinished
  tasks that determines it (the longest path through the remaining durations).

Nothing here reads the database: give it the case and its tasks.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kakehashi.core.db import utcnow
from kakehashi.core.timezones import to_tokyo

if TYPE_CHECKING:
    from kakehashi.softlanding.models import CaseTask, LandingCase


@dataclass(frozen=True)
class TaskPlan:
    key: str
    start: date | None  # earliest start of an unfinished task (None once finished)
    due: date | None  # None once finished
    finish: date  # actual completion when finished, else projected
    overdue: bool
    waiting_for: tuple[str, ...]  # unfinished dependencies
    due_is_projected: bool
    critical: bool


@dataclass(frozen=True)
class CasePlan:
    tasks: dict[str, TaskPlan]
    operating_on: date | None
    critical_path: tuple[str, ...]
    done: int
    total: int
    next_keys: tuple[str, ...]

    @property
    def percent(self) -> int:
        """Progress as a whole percentage (0 for an empty case)."""
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def overdue_keys(self) -> tuple[str, ...]:
        return tuple(key for key, plan in self.tasks.items() if plan.overdue)


def tokyo_today() -> date:
    return to_tokyo(utcnow()).date()


def _is_finished(task: CaseTask) -> bool:
    return task.state.is_finished and task.completed_on is not None


def topological_order(tasks: Sequence[CaseTask]) -> list[CaseTask]:
    """Dependencies first; among tasks that are ready, by position. Unknown keys are ignored.

    A cycle (which template validation refuses) does not break the plan: its tasks come last, by position.
    """
    by_key = {task.key: task for task in tasks}
    rank = {task.key: (task.position, i) for i, task in enumerate(tasks)}
    deps = {task.key: {k for k in (task.depends_on or []) if k in by_key and k != task.key} for task in tasks}
    dependants: dict[str, list[str]] = {key: [] for key in by_key}
    for key, needs in deps.items():
        for need in needs:
            dependants[need].append(key)
    waiting = {key: len(needs) for key, needs in deps.items()}
    ready = [(rank[key], key) for key, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[CaseTask] = []
    while ready:
        _, key = heapq.heappop(ready)
        order.append(by_key[key])
        for dependant in dependants[key]:
            waiting[dependant] -= 1
            if waiting[dependant] == 0:
                heapq.heappush(ready, (rank[dependant], dependant))
    if len(order) < len(by_key):
        placed = {task.key for task in order}
        order.extend(sorted((t for t in tasks if t.key not in placed), key=lambda t: rank[t.key]))
    return order


def plan_case(case: LandingCase, tasks: list[CaseTask], today: date) -> CasePlan:
    order = topological_order(tasks)
    by_key = {task.key: task for task in order}
    rank = {task.key: (task.position, i) for i, task in enumerate(tasks)}
    finish: dict[str, date] = {}
    start: dict[str, date] = {}
    planned: dict[str, date] = {}  # start + duration, not moved by today: the due date without a rule
    # What fixed each unfinished task's start: the dependency whose finish it waits for, if any.
    binding: dict[str, str | None] = {}

    for task in order:
        deps = [k for k in (task.depends_on or []) if k in by_key and k != task.key]
        if _is_finished(task):
            finish[task.key] = task.completed_on  # type: ignore[assignment]
            continue
        dep_finishes = [finish[k] for k in deps if k in finish]  # missing only inside a cycle
        earliest = max([case.opened_on, *dep_finishes])
        start[task.key] = earliest
        planned[task.key] = earliest + timedelta(days=task.duration_days)
        binding[task.key] = min(
            (k for k in deps if k in finish and finish[k] == earliest and not _is_finished(by_key[k])),
            key=lambda k: rank[k],
            default=None,
        )
        # Work not done yet cannot finish in the past: a late task is projected to finish today at the earliest.
        finish[task.key] = max(planned[task.key], today)

    target = _target(order, finish)
    critical_path = _critical_path(target, by_key, binding)
    critical = set(critical_path)

    plans: dict[str, TaskPlan] = {}
    for task in tasks:
        deps = [k for k in (task.depends_on or []) if k in by_key and k != task.key]
        unfinished_deps = tuple(k for k in deps if not _is_finished(by_key[k]))
        if _is_finished(task):
            plans[task.key] = TaskPlan(
                key=task.key,
                start=None,
                due=None,
                finish=finish[task.key],
                overdue=False,
                waiting_for=(),
                due_is_projected=False,
                critical=False,
            )
            continue
        anchor = by_key.get(task.deadline_after) if task.deadline_after else None
        if anchor is not None and task.deadline_days is not None:
            due = finish[anchor.key] + timedelta(days=task.deadline_days)
            projected = not _is_finished(anchor)
        else:
            due = planned[task.key]
            projected = bool(unfinished_deps)
        plans[task.key] = TaskPlan(
            key=task.key,
            start=start[task.key],
            due=due,
            finish=finish[task.key],
            overdue=due < today,
            waiting_for=unfinished_deps,
            due_is_projected=projected,
            critical=task.key in critical,
        )

    next_keys = tuple(
        task.key
        for task in sorted(tasks, key=lambda t: rank[t.key])
        if not _is_finished(task) and not plans[task.key].waiting_for
    )
    return CasePlan(
        tasks=plans,
        operating_on=finish[target.key] if target is not None else None,
        critical_path=critical_path,
        done=sum(1 for task in tasks if _is_finished(task)),
        total=len(tasks),
        next_keys=next_keys,
    )


def _target(order: list[CaseTask], finish: dict[str, date]) -> CaseTask | None:
    """The milestone ("operating in Japan"); without one, the task that finishes last."""
    milestone = next((task for task in order if task.is_milestone), None)
    if milestone is not None:
        return milestone
    if not order:
        return None
    # The last in dependency order among the latest finishers: the end of the chain, not its middle.
    latest = max(finish.values())
    return [task for task in order if finish[task.key] == latest][-1]


def _critical_path(
    target: CaseTask | None, by_key: dict[str, CaseTask], binding: dict[str, str | None]
) -> tuple[str, ...]:
    """From the first remaining task to the target, following the dependency that fixed each start."""
    if target is None or _is_finished(target):
        return ()
    path = [target.key]
    seen = {target.key}
    key = binding.get(target.key)
    while key is not None and key not in seen:
        path.append(key)
        seen.add(key)
        key = binding.get(key)
    return tuple(reversed(path))
