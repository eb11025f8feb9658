"""Who judges what: a pure, deterministic assignment of judges to applications.

Rules, in order of importance:

1. never a conflicted judge, never the same judge twice on one application;
2. each application gets ``per_application`` judges, or as many eligible judges as exist;
3. loads are balanced: the busiest and the least busy judge differ by at most one assignment
   whenever the conflicts allow it;
4. among equally loaded judges, those whose expertise matches the application's vertical first;
5. the same input always gives the same output (ties are broken by id).

Step 1–2 and 4 come from a greedy pass that always picks the least-loaded eligible judge. Greedy
alone can miss rule 3 when conflicts constrain it, so a second pass moves assignments along
augmenting paths — judge A hands an application to judge B, who hands another to C, … — from a
judge whose load is at least two above another's until no such path exists. A load vector with no
such path is balanced as far as the conflicts allow (the classic condition for balanced integral
flows), which the property tests check against brute force.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Judge:
    id: int
    expertise: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Item:
    """An application to judge: its id, its startup (for conflicts) and its vertical's names."""

    id: int
    startup_id: int
    vertical_names: frozenset[str] = frozenset()


@dataclass
class Plan:
    """The result: new (application, judge) pairs, and the applications left short of judges."""

    new: list[tuple[int, int]] = field(default_factory=list)
    short: dict[int, int] = field(default_factory=dict)  # application id -> judges missing


def normalise_tag(tag: str) -> str:
    return "".join(ch for ch in tag.casefold() if ch.isalnum())


def matches(judge: Judge, item: Item) -> bool:
    return bool({normalise_tag(t) for t in judge.expertise} & {normalise_tag(n) for n in item.vertical_names})


def plan_assignments(
    items: Iterable[Item],
    judges: Iterable[Judge],
    per_application: int,
    *,
    conflicts: Iterable[tuple[int, int]] = (),
    existing: Mapping[int, Iterable[int]] | None = None,
    excluded: Mapping[int, Iterable[int]] | None = None,
) -> Plan:
    """Plan new assignments.

    ``existing``: application id → judges already assigned (they count towards the application's
    judges and the judges' loads, and are never moved). ``excluded``: application id → judges who
    must not judge it (e.g. they declared a conflict on it).
    """
    items = sorted(items, key=lambda i: i.id)
    judges = sorted(judges, key=lambda j: j.id)
    blocked = set(conflicts)  # (judge id, startup id)
    existing = {app: set(js) for app, js in (existing or {}).items()}
    excluded = {app: set(js) for app, js in (excluded or {}).items()}
    load = {j.id: 0 for j in judges}
    for assigned in existing.values():
        for judge_id in assigned:
            if judge_id in load:
                load[judge_id] += 1

    def eligible(item: Item) -> list[Judge]:
        taken = existing.get(item.id, set()) | excluded.get(item.id, set())
        return [j for j in judges if j.id not in taken and (j.id, item.startup_id) not in blocked]

    options = {item.id: eligible(item) for item in items}
    plan = Plan()
    new: dict[int, set[int]] = {item.id: set() for item in items}
    # The most constrained applications choose first.
    for item in sorted(items, key=lambda i: (len(options[i.id]), i.id)):
        wanted = per_application - len(existing.get(item.id, set()))
        choices = options[item.id]
        for _ in range(max(wanted, 0)):
            free = [j for j in choices if j.id not in new[item.id]]
            if not free:
                break
            judge = min(free, key=lambda j: (load[j.id], not matches(j, item), j.id))
            new[item.id].add(judge.id)
            load[judge.id] += 1
        missing = wanted - len(new[item.id])
        if missing > 0:
            plan.short[item.id] = missing

    _rebalance(new, options, load)
    plan.new = sorted((app, judge) for app, judges_ in new.items() for judge in judges_)
    return plan


def _rebalance(new: dict[int, set[int]], options: dict[int, list[Judge]], load: dict[int, int]) -> None:
    """Move new assignments along augmenting paths until no judge is 2+ above another reachable one."""
    can_take = {app: {j.id for j in judges} for app, judges in options.items()}
    held_by: dict[int, set[int]] = {j: set() for j in load}
    for app, judges in new.items():
        for judge in judges:
            held_by[judge].add(app)

    while True:
        path = _find_path(new, can_take, held_by, load)
        if path is None:
            return
        # path: [judge0, app0, judge1, app1, ..., judgeN]; judge_i hands app_i to judge_{i+1}
        for i in range(0, len(path) - 1, 2):
            giver, app, taker = path[i], path[i + 1], path[i + 2]
            new[app].remove(giver)
            new[app].add(taker)
            held_by[giver].remove(app)
            held_by[taker].add(app)
        load[path[0]] -= 1
        load[path[-1]] += 1


def _find_path(
    new: dict[int, set[int]], can_take: dict[int, set[int]], held_by: dict[int, set[int]], load: dict[int, int]
) -> list[int] | None:
    """A shortest path from the busiest judges to a judge with load ≤ start − 2 (BFS, deterministic)."""
    if not load:
        return None
    for start in sorted(load, key=lambda j: (-load[j], j)):
        target_below = load[start] - 2
        if target_below < min(load.values()):
            return None  # nobody is two below even the busiest: balanced
        parent: dict[int, tuple[int, int] | None] = {start: None}
        queue = deque([start])
        while queue:
            judge = queue.popleft()
            for app in sorted(held_by[judge]):
                for other in sorted(can_take[app]):
                    if other in parent or other in new[app]:
                        continue
                    parent[other] = (judge, app)
                    if load[other] <= target_below:
                        path = [other]
                        node = other
                        while parent[node] is not None:
                            prev, via = parent[node]
                            path[:0] = [prev, via]
                            node = prev
                        return path
                    queue.append(other)
    return None
