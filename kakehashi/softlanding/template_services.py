"""Checklist templates staff maintain: the dependency check, editing (each edit bumps the version) and
loading the default templates.

Every change is checked on the would-be list of steps *before* anything is stored, so a refused edit
leaves the template exactly as it was. Cases keep their own copy of the steps (``CaseTask``): nothing
here reads or writes a case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kakehashi.core import audit
from kakehashi.core.errors import DomainError
from kakehashi.extensions import db
from kakehashi.softlanding.models import ChecklistTemplate, LandingPath, Party, StepCategory, TemplateStep

KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_MAX = 60
MAX_DAYS = 730


class TemplateError(DomainError):
    """A template or step edit was refused; the message names the steps concerned."""


# --- the dependency check -------------------------------------------------------------------------


def _quote(key: str) -> str:
    return f"“{key}”"


def check_dependencies(steps: Iterable[Any]) -> None:
    """Refuse a list of steps whose dependencies do not form a DAG of existing keys.

    Works on any objects with ``key``, ``depends_on`` (keys) and ``deadline_after`` (a key or None):
    template steps, case tasks, plain dataclasses. Refused: duplicate keys; a dependency or deadline
    rule on a key that does not exist or on the step itself; a cycle (named in order, a → b → a); a
    deadline counted from a step that can only happen after this one.
    """
    steps = list(steps)
    by_key: dict[str, Any] = {}
    for step in steps:
        if step.key in by_key:
            raise TemplateError(_l("Two steps have the key %(key)s: each key must be unique.", key=_quote(step.key)))
        by_key[step.key] = step

    for step in steps:
        for dependency in step.depends_on or ():
            if dependency == step.key:
                raise TemplateError(_l("Step %(step)s cannot depend on itself.", step=_quote(step.key)))
            if dependency not in by_key:
                raise TemplateError(
                    _l(
                        "Step %(step)s depends on %(other)s, which does not exist.",
                        step=_quote(step.key),
                        other=_quote(dependency),
                    )
                )
        anchor = getattr(step, "deadline_after", None)
        if anchor is not None:
            if anchor == step.key:
                raise TemplateError(
                    _l("Step %(step)s cannot have a deadline counted from itself.", step=_quote(step.key))
                )
            if anchor not in by_key:
                raise TemplateError(
                    _l(
                        "Step %(step)s has a deadline counted from %(other)s, which does not exist.",
                        step=_quote(step.key),
                        other=_quote(anchor),
                    )
                )

    cycle = _find_cycle(steps)
    if cycle:
        raise TemplateError(
            _l("Steps %(cycle)s form a cycle.", cycle=" → ".join(_quote(key) for key in [*cycle, cycle[0]]))
        )

    for step in steps:
        anchor = getattr(step, "deadline_after", None)
        if anchor is not None and step.key in _ancestors(anchor, by_key):
            raise TemplateError(
                _l(
                    "Step %(step)s has a deadline counted from %(other)s, but %(other)s can only start "
                    "after %(step)s is finished.",
                    step=_quote(step.key),
                    other=_quote(anchor),
                )
            )


def _find_cycle(steps: Sequence[Any]) -> list[str] | None:
    """The keys of one cycle in dependency order (a depends on b depends on … a), or None."""
    graph = {step.key: list(dict.fromkeys(step.depends_on or ())) for step in steps}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in graph:
        if root in state:
            continue
        path: list[str] = [root]
        state[root] = 1
        pending = [iter(graph[root])]
        while pending:
            child = next(pending[-1], None)
            if child is None:
                state[path.pop()] = 2
                pending.pop()
                continue
            if state.get(child) == 1:
                return path[path.index(child) :]
            if child not in state:
                state[child] = 1
                path.append(child)
                pending.append(iter(graph[child]))
    return None


def _ancestors(key: str, by_key: dict[str, Any]) -> set[str]:
    """Every step ``key`` depends on, directly or not (assumes no cycle)."""
    seen: set[str] = set()
    stack = list(by_key[key].depends_on or ())
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(by_key[current].depends_on or ())
    return seen


def check_steps(steps: Iterable[Any]) -> None:
    """The dependency check, plus: at most one "operating in Japan" milestone."""
    steps = list(steps)
    check_dependencies(steps)
    milestones = [step.key for step in steps if getattr(step, "is_milestone", False)]
    if len(milestones) > 1:
        raise TemplateError(
            _l(
                "Only one step can be the “operating in Japan” milestone; %(steps)s are all marked.",
                steps=", ".join(_quote(key) for key in milestones),
            )
        )


# --- values of a step -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StepValues:
    """Everything staff set on a step (the form's output, or a default template's data)."""

    key: str
    category: StepCategory
    title: dict[str, str]
    body: dict[str, str] | None = None
    party: Party = Party.FOUNDER
    duration_days: int = 1
    deadline_days: int | None = None
    deadline_after: str | None = None
    required_documents: dict[str, str] | None = None
    needs_upload: bool = False
    source_url: str | None = None
    reviewed_on: date | None = None
    depends_on: tuple[str, ...] = field(default_factory=tuple)
    is_milestone: bool = False

    def column_values(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["depends_on"] = list(dict.fromkeys(self.depends_on))
        return values


@dataclass(frozen=True)
class _Shape:
    """What the dependency check needs of a step."""

    key: str
    depends_on: tuple[str, ...]
    deadline_after: str | None
    is_milestone: bool


def _shape(step: Any) -> _Shape:
    return _Shape(step.key, tuple(step.depends_on or ()), step.deadline_after, bool(step.is_milestone))


def validate_step_values(values: StepValues) -> None:
    """Field rules the database cannot say clearly; raises ``TemplateError``."""
    if not KEY_PATTERN.match(values.key or "") or len(values.key) > KEY_MAX:
        raise TemplateError(
            _l(
                "The key %(key)s is not valid: use lower-case letters, digits and hyphens (at most %(max)d).",
                key=_quote(values.key or ""),
                max=KEY_MAX,
            )
        )
    if not any((values.title or {}).get(code, "").strip() for code in ("ja", "en")):
        raise TemplateError(_l("Step %(step)s needs a title.", step=_quote(values.key)))
    if not 0 <= values.duration_days <= MAX_DAYS:
        raise TemplateError(_l("The typical duration must be between 0 and %(max)d days.", max=MAX_DAYS))
    if (values.deadline_days is None) != (values.deadline_after is None):
        raise TemplateError(_l("A deadline needs both the number of days and the step it is counted from, or neither."))
    if values.deadline_days is not None and not 0 <= values.deadline_days <= MAX_DAYS:
        raise TemplateError(_l("The deadline must be between 0 and %(max)d days.", max=MAX_DAYS))
    if values.source_url and urlsplit(values.source_url).scheme not in ("http", "https"):
        raise TemplateError(_l("The source must be a web address starting with http:// or https://."))


# --- reads ----------------------------------------------------------------------------------------


def template_rows() -> list[tuple[ChecklistTemplate, int]]:
    """Every template with its step count, in one query (active first, then by name key)."""
    count = (
        select(func.count(TemplateStep.id))
        .where(TemplateStep.template_id == ChecklistTemplate.id)
        .correlate(ChecklistTemplate)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(ChecklistTemplate, count).order_by(ChecklistTemplate.is_active.desc(), ChecklistTemplate.key)
    )
    return [(template, steps) for template, steps in rows]


def load_template(template_id: int) -> ChecklistTemplate | None:
    """The template with its steps loaded (two queries)."""
    return db.session.scalar(
        select(ChecklistTemplate)
        .options(selectinload(ChecklistTemplate.steps))
        .where(ChecklistTemplate.id == template_id)
    )


def _steps_of(template: ChecklistTemplate) -> list[TemplateStep]:
    return list(
        db.session.scalars(
            select(TemplateStep)
            .where(TemplateStep.template_id == template.id)
            .order_by(TemplateStep.position, TemplateStep.id)
        )
    )


# --- editing templates ----------------------------------------------------------------------------


def _bump(template: ChecklistTemplate) -> None:
    template.version = (template.version or 0) + 1


def create_template(
    *,
    key: str,
    name: dict[str, str],
    description: dict[str, str] | None,
    path: LandingPath,
    by: Any,
) -> ChecklistTemplate:
    key = (key or "").strip()
    if not KEY_PATTERN.match(key) or len(key) > KEY_MAX:
        raise TemplateError(
            _l(
                "The key %(key)s is not valid: use lower-case letters, digits and hyphens (at most %(max)d).",
                key=_quote(key),
                max=KEY_MAX,
            )
        )
    if db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.key == key)) is not None:
        raise TemplateError(_l("A template with the key %(key)s already exists.", key=_quote(key)))
    template = ChecklistTemplate(key=key, name=name, description=description, path=path, version=1, is_active=True)
    db.session.add(template)
    db.session.flush()
    audit.record(by, "checklist_template.created", template, {"key": key, "path": path})
    return template


def update_template(
    template: ChecklistTemplate,
    *,
    name: dict[str, str],
    description: dict[str, str] | None,
    path: LandingPath,
    by: Any,
) -> None:
    template.name, template.description, template.path = name, description, path
    _bump(template)
    db.session.flush()
    audit.record(by, "checklist_template.updated", template, {"version": template.version, "path": path})


def set_template_active(template: ChecklistTemplate, active: bool, *, by: Any) -> None:
    """Offer the template when opening cases, or stop offering it (not a content change: same version)."""
    if template.is_active == active:
        return
    template.is_active = active
    db.session.flush()
    audit.record(by, "checklist_template.activated" if active else "checklist_template.deactivated", template)


# --- editing steps --------------------------------------------------------------------------------


def add_step(template: ChecklistTemplate, values: StepValues, *, by: Any) -> TemplateStep:
    validate_step_values(values)
    current = _steps_of(template)
    check_steps([*(_shape(step) for step in current), _shape(values)])
    position = max((step.position for step in current), default=0) + 1
    step = TemplateStep(template_id=template.id, position=position, **values.column_values())
    db.session.add(step)
    _bump(template)
    db.session.flush()
    audit.record(
        by, "template_step.added", step, {"template": template.id, "key": step.key, "version": template.version}
    )
    return step


def update_step(step: TemplateStep, values: StepValues, *, by: Any) -> None:
    """Change a step; renaming its key renames the references other steps hold to it."""
    validate_step_values(values)
    template = step.template
    current = _steps_of(template)
    old_key = step.key

    def renamed(key: str | None) -> str | None:
        return values.key if key == old_key else key

    would_be = [
        _shape(values)
        if other.id == step.id
        else _Shape(
            other.key,
            tuple(renamed(key) for key in other.depends_on or ()),
            renamed(other.deadline_after),
            bool(other.is_milestone),
        )
        for other in current
    ]
    check_steps(would_be)

    if values.key != old_key:
        for other in current:
            if other.id == step.id:
                continue
            if old_key in (other.depends_on or ()):
                other.depends_on = [renamed(key) for key in other.depends_on]
            if other.deadline_after == old_key:
                other.deadline_after = values.key
    for name, value in values.column_values().items():
        setattr(step, name, value)
    _bump(template)
    db.session.flush()
    audit.record(
        by,
        "template_step.updated",
        step,
        {
            "template": template.id,
            "key": step.key,
            "renamed_from": old_key if old_key != step.key else None,
            "version": template.version,
        },
    )


def delete_step(step: TemplateStep, *, by: Any) -> None:
    """Remove a step no other step depends on (or counts a deadline from)."""
    template = step.template
    current = _steps_of(template)
    dependants = [
        other.key
        for other in current
        if other.id != step.id and (step.key in (other.depends_on or ()) or other.deadline_after == step.key)
    ]
    if dependants:
        raise TemplateError(
            _l(
                "Step %(step)s cannot be deleted: %(others)s depend on it. Remove those dependencies first.",
                step=_quote(step.key),
                others=", ".join(_quote(key) for key in dependants),
            )
        )
    key = step.key
    db.session.delete(step)
    _bump(template)
    db.session.flush()
    audit.record(by, "template_step.deleted", template, {"key": key, "version": template.version})


def move_step(step: TemplateStep, offset: int, *, by: Any) -> None:
    """Move a step up (``offset`` < 0) or down the list; positions are renumbered 1, 2, 3…"""
    template = step.template
    current = _steps_of(template)
    index = next(i for i, other in enumerate(current) if other.id == step.id)
    target = min(max(index + offset, 0), len(current) - 1)
    if target == index:
        return
    current.insert(target, current.pop(index))
    for position, other in enumerate(current, start=1):
        other.position = position
    _bump(template)
    db.session.flush()
    audit.record(
        by, "template_step.moved", step, {"template": template.id, "position": target + 1, "version": template.version}
    )


# --- the default templates ------------------------------------------------------------------------


def load_default_templates(*, by: Any = None, update: bool = False) -> list[ChecklistTemplate]:
    """Create the default templates that do not exist yet (by key); return all of them.

    With ``update=True`` an existing default template gets the current default steps, name and
    description (its own steps are replaced) and a new version. Open cases are untouched either way.
    """
    from kakehashi.softlanding.defaults import DEFAULT_TEMPLATES

    existing = {
        template.key: template
        for template in db.session.scalars(
            select(ChecklistTemplate).where(ChecklistTemplate.key.in_([spec.key for spec in DEFAULT_TEMPLATES]))
        )
    }
    loaded: list[ChecklistTemplate] = []
    for spec in DEFAULT_TEMPLATES:
        for values in spec.steps:
            validate_step_values(values)
        check_steps(spec.steps)
        template = existing.get(spec.key)
        if template is None:
            template = ChecklistTemplate(
                key=spec.key, name=spec.name, description=spec.description, path=spec.path, version=1, is_active=True
            )
            db.session.add(template)
            db.session.flush()
            _store_steps(template, spec.steps)
            audit.record(by, "checklist_template.loaded", template, {"key": spec.key, "steps": len(spec.steps)})
        elif update:
            for step in _steps_of(template):
                db.session.delete(step)
            db.session.flush()  # the old keys go before the new rows arrive (unique per template)
            template.name, template.description, template.path = spec.name, spec.description, spec.path
            _store_steps(template, spec.steps)
            _bump(template)
            audit.record(
                by,
                "checklist_template.reloaded",
                template,
                {"key": spec.key, "steps": len(spec.steps), "version": template.version},
            )
        loaded.append(template)
    db.session.flush()
    return loaded


def _store_steps(template: ChecklistTemplate, steps: Sequence[StepValues]) -> None:
    for position, values in enumerate(steps, start=1):
        db.session.add(TemplateStep(template_id=template.id, position=position, **values.column_values()))
    db.session.flush()
