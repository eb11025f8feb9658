"""Factories for soft-landing templates, cases and tasks, and small helpers shared by the module's tests.

- ``step(key, …)`` / ``task(key, …)`` build unsaved objects (for the pure schedule tests).
- ``TemplateFactory(steps=[…])`` saves a template with the given ``TemplateStep``s.
- ``small_template()``: passport → housing → registration (due 14 days after housing) → bank →
  operating (milestone), with a staff-side "consult" step in parallel; ``open_small_case()`` opens a
  case from it through the service.
"""

from __future__ import annotations

import io
from datetime import date

import factory
from werkzeug.datastructures import FileStorage

from kakehashi.softlanding.models import (
    CaseState,
    CaseTask,
    ChecklistTemplate,
    LandingCase,
    LandingPath,
    Party,
    StepCategory,
    TaskState,
    TemplateStep,
)
from tests.factories import BaseFactory, StaffFactory, UserFactory, pdf_bytes


def _fields(key: str, position: int, **kwargs) -> dict:
    fields = {
        "key": key,
        "position": position,
        "category": StepCategory.REGISTRATION,
        "title": {"en": f"Step {key}", "ja": f"手続き {key}"},
        "body": {"en": f"How to do **{key}**.", "ja": f"**{key}** の手順。"},
        "required_documents": None,
        "party": Party.FOUNDER,
        "duration_days": 1,
        "deadline_days": None,
        "deadline_after": None,
        "needs_upload": False,
        "source_url": None,
        "reviewed_on": None,
        "depends_on": [],
        "is_milestone": False,
    }
    fields.update(kwargs)
    return fields


def step(key: str, position: int = 0, **kwargs) -> TemplateStep:
    return TemplateStep(**_fields(key, position, **kwargs))


def task(key: str, position: int = 0, *, state: TaskState = TaskState.TODO, **kwargs) -> CaseTask:
    """An unsaved task (for the schedule): finished states need ``completed_on``."""
    return CaseTask(state=state, **_fields(key, position, **kwargs))


def case_opened(on: date) -> LandingCase:
    return LandingCase(opened_on=on, planned_arrival_on=on, state=CaseState.OPEN)


class TemplateFactory(BaseFactory):
    class Meta:
        model = ChecklistTemplate

    key = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: {"en": f"Landing checklist {n}", "ja": f"ランディング手順 {n}"})
    description = None
    path = LandingPath.STARTUP_VISA
    version = 1
    is_active = True


def small_template(**overrides) -> ChecklistTemplate:
    steps = [
        step("passport", 0, needs_upload=True, duration_days=3, required_documents={"en": "Passport", "ja": "旅券"}),
        step("housing", 1, depends_on=["passport"], duration_days=10, category=StepCategory.HOUSING),
        step(
            "registration",
            2,
            depends_on=["housing"],
            duration_days=1,
            deadline_days=14,
            deadline_after="housing",
        ),
        step("consult", 3, party=Party.STAFF, duration_days=2, category=StepCategory.CULTURE),
        step("bank", 4, depends_on=["registration", "consult"], duration_days=5, category=StepCategory.BANKING),
        step("operating", 5, depends_on=["bank"], duration_days=0, is_milestone=True),
    ]
    return TemplateFactory(steps=steps, **overrides)


def open_small_case(*, founder=None, staff=None, today: date = date(2026, 5, 1), **kwargs) -> LandingCase:
    from kakehashi.extensions import db
    from kakehashi.softlanding import services

    template = kwargs.pop("template", None) or small_template()
    staff = staff or StaffFactory(locale="ja")
    founder = founder or UserFactory(locale="en")
    case = services.open_case(
        template=template,
        founder_email=founder.email,
        founder_name=founder.name,
        planned_arrival_on=kwargs.pop("planned_arrival_on", today),
        concierge=kwargs.pop("concierge", staff),
        company_name=kwargs.pop("company_name", "Aurora Robotics"),
        home_country=kwargs.pop("home_country", "DE"),
        by=staff,
        today=today,
        **kwargs,
    )
    db.session.commit()
    return case


def tasks_of(case: LandingCase) -> dict[str, CaseTask]:
    from sqlalchemy import select

    from kakehashi.extensions import db

    return {t.key: t for t in db.session.scalars(select(CaseTask).where(CaseTask.case_id == case.id))}


def upload(data: bytes | None = None, filename: str = "passport.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(pdf_bytes() if data is None else data), filename=filename)


def png_bytes(size: tuple[int, int] = (4, 4)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()
