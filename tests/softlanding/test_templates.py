"""Checklist templates: the dependency check, staff editing (versions, refusals, audit) and the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from kakehashi.core.audit import AuditEvent
from kakehashi.extensions import db
from kakehashi.softlanding import template_services as services
from kakehashi.softlanding.models import (
    CaseTask,
    ChecklistTemplate,
    LandingCase,
    LandingPath,
    Party,
    StepCategory,
    TaskState,
    TemplateStep,
)
from kakehashi.softlanding.template_services import StepValues, TemplateError, check_dependencies
from tests.factories import StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (outside a request the app speaks Japanese)."""
    with force_locale("en"):
        yield


# --- check_dependencies on plain objects ----------------------------------------------------------


@dataclass
class Node:
    key: str
    depends_on: list[str] = field(default_factory=list)
    deadline_after: str | None = None


def refusal(steps) -> str:
    with pytest.raises(TemplateError) as caught:
        check_dependencies(steps)
    return str(caught.value)


def test_a_valid_dag_passes() -> None:
    check_dependencies(
        [
            Node("entry"),
            Node("housing", ["entry"]),
            Node("resident-registration", ["housing"], deadline_after="housing"),
            Node("bank", ["resident-registration"], deadline_after="entry"),  # a deadline from any earlier step
            Node("culture"),
        ]
    )


def test_a_cycle_is_refused_naming_its_steps_in_order() -> None:
    message = refusal([Node("start"), Node("a", ["b"]), Node("b", ["c"]), Node("c", ["a", "start"])])

    assert message == "Steps “a” → “b” → “c” → “a” form a cycle."


def test_a_two_step_cycle_is_refused() -> None:
    assert refusal([Node("x", ["y"]), Node("y", ["x"])]) == "Steps “x” → “y” → “x” form a cycle."


def test_a_dependency_on_a_missing_step_is_refused() -> None:
    message = refusal([Node("entry"), Node("housing", ["entry", "visa"])])

    assert message == "Step “housing” depends on “visa”, which does not exist."


def test_a_deadline_from_a_missing_step_is_refused() -> None:
    message = refusal([Node("housing"), Node("registration", ["housing"], deadline_after="moving-in")])

    assert message == "Step “registration” has a deadline counted from “moving-in”, which does not exist."


def test_duplicate_keys_are_refused() -> None:
    assert refusal([Node("entry"), Node("entry")]) == "Two steps have the key “entry”: each key must be unique."


def test_a_step_cannot_depend_on_itself_or_count_its_deadline_from_itself() -> None:
    assert refusal([Node("a", ["a"])]) == "Step “a” cannot depend on itself."
    assert refusal([Node("a", deadline_after="a")]) == "Step “a” cannot have a deadline counted from itself."


def test_a_deadline_counted_from_a_later_step_is_refused() -> None:
    message = refusal([Node("a", deadline_after="b"), Node("b", ["a"])])

    assert "“a” has a deadline counted from “b”, but “b” can only start after “a” is finished" in message


def test_the_check_works_on_template_steps_too() -> None:
    steps = [
        TemplateStep(key="a", depends_on=["b"], deadline_after=None),
        TemplateStep(key="b", depends_on=["a"], deadline_after=None),
    ]
    with pytest.raises(TemplateError, match="form a cycle"):
        check_dependencies(steps)


# --- services -------------------------------------------------------------------------------------


def values(key: str, *depends_on: str, **overrides) -> StepValues:
    data = {
        "key": key,
        "category": StepCategory.REGISTRATION,
        "title": {"en": f"Step {key}", "ja": f"手続き {key}"},
        "body": {"en": f"Do **{key}**.", "ja": f"**{key}** をする。"},
        "party": Party.FOUNDER,
        "duration_days": 2,
        "depends_on": depends_on,
        "source_url": "https://www.jetro.go.jp/en/invest/setting_up/guide",
        "reviewed_on": date(2026, 11, 1),
    }
    data.update(overrides)
    return StepValues(**data)


def make_template(staff, *step_values: StepValues, key: str = "small") -> ChecklistTemplate:
    template = services.create_template(
        key=key, name={"en": "Small path", "ja": "小さな手順"}, description=None, path=LandingPath.RESIDENT, by=staff
    )
    for item in step_values:
        services.add_step(template, item, by=staff)
    db.session.commit()
    return template


def steps_of(template) -> dict[str, TemplateStep]:
    db.session.expire_all()
    rows = db.session.scalars(select(TemplateStep).where(TemplateStep.template_id == template.id))
    return {step.key: step for step in rows}


def chain(staff) -> ChecklistTemplate:
    """entry → housing → registration (due 14 days after housing)."""
    return make_template(
        staff,
        values("entry"),
        values("housing", "entry"),
        values("registration", "housing", deadline_days=14, deadline_after="housing"),
    )


def test_every_step_edit_bumps_the_version_and_is_audited() -> None:
    staff = StaffFactory()
    template = chain(staff)
    assert template.version == 4  # created (1) + three steps

    step = steps_of(template)["housing"]
    services.update_step(step, values("housing", "entry", duration_days=5), by=staff)
    services.move_step(steps_of(template)["registration"], -1, by=staff)
    services.add_step(template, values("bank", "registration"), by=staff)
    services.delete_step(steps_of(template)["bank"], by=staff)
    db.session.commit()

    assert db.session.get(ChecklistTemplate, template.id).version == 8
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == [
        "checklist_template.created",
        *["template_step.added"] * 3,
        "template_step.updated",
        "template_step.moved",
        "template_step.added",
        "template_step.deleted",
    ]


def test_an_edit_that_would_create_a_cycle_is_refused_and_nothing_changes() -> None:
    staff = StaffFactory()
    template = chain(staff)

    with pytest.raises(TemplateError) as caught:
        services.update_step(steps_of(template)["entry"], values("entry", "registration"), by=staff)
    db.session.rollback()

    assert str(caught.value) == "Steps “entry” → “registration” → “housing” → “entry” form a cycle."
    assert steps_of(template)["entry"].depends_on == []
    assert db.session.get(ChecklistTemplate, template.id).version == 4


def test_adding_a_step_with_a_dangling_dependency_stores_nothing() -> None:
    staff = StaffFactory()
    template = chain(staff)

    with pytest.raises(TemplateError, match="Step “bank” depends on “passport”, which does not exist."):
        services.add_step(template, values("bank", "passport"), by=staff)
    db.session.rollback()

    assert set(steps_of(template)) == {"entry", "housing", "registration"}
    assert db.session.get(ChecklistTemplate, template.id).version == 4


def test_a_duplicate_key_and_a_second_milestone_are_refused() -> None:
    staff = StaffFactory()
    template = make_template(staff, values("entry"), values("operating", "entry", is_milestone=True))

    with pytest.raises(TemplateError, match="Two steps have the key “entry”"):
        services.add_step(template, values("entry"), by=staff)
    with pytest.raises(TemplateError, match="“operating”, “also-operating” are all marked"):
        services.add_step(template, values("also-operating", "entry", is_milestone=True), by=staff)


def test_renaming_a_step_renames_the_references_to_it() -> None:
    staff = StaffFactory()
    template = chain(staff)

    services.update_step(steps_of(template)["housing"], values("moving-in", "entry"), by=staff)
    db.session.commit()

    registration = steps_of(template)["registration"]
    assert registration.depends_on == ["moving-in"]
    assert registration.deadline_after == "moving-in"


def test_deleting_a_step_others_depend_on_is_refused_naming_them() -> None:
    staff = StaffFactory()
    template = make_template(
        staff, values("entry"), values("housing", "entry"), values("culture", deadline_days=30, deadline_after="entry")
    )

    with pytest.raises(TemplateError) as caught:
        services.delete_step(steps_of(template)["entry"], by=staff)
    db.session.rollback()

    assert str(caught.value) == (
        "Step “entry” cannot be deleted: “housing”, “culture” depend on it. Remove those dependencies first."
    )
    assert "entry" in steps_of(template)


def test_moving_steps_renumbers_positions() -> None:
    staff = StaffFactory()
    template = chain(staff)

    services.move_step(steps_of(template)["registration"], -2, by=staff)
    services.move_step(steps_of(template)["entry"], -1, by=staff)
    services.move_step(steps_of(template)["entry"], -5, by=staff)  # already first: nothing to do
    db.session.commit()

    order = sorted(steps_of(template).values(), key=lambda step: step.position)
    assert [(step.key, step.position) for step in order] == [("entry", 1), ("registration", 2), ("housing", 3)]


def test_invalid_step_values_are_refused() -> None:
    staff = StaffFactory()
    template = chain(staff)

    with pytest.raises(TemplateError, match="is not valid"):
        services.add_step(template, values("Bank Account"), by=staff)
    with pytest.raises(TemplateError, match="both the number of days and the step"):
        services.add_step(template, values("bank", deadline_days=3), by=staff)
    with pytest.raises(TemplateError, match="http:// or https://"):
        services.add_step(template, values("bank", source_url="javascript:alert(1)"), by=staff)


def open_case_by_hand(template: ChecklistTemplate, founder) -> LandingCase:
    """A case with its own copy of the steps, written directly (the copy is the contract)."""
    case = LandingCase(
        founder_id=founder.id,
        template_id=template.id,
        template_version=template.version,
        name=template.name,
        path=template.path,
        planned_arrival_on=date(2026, 12, 1),
        opened_on=date(2026, 11, 15),
    )
    db.session.add(case)
    db.session.flush()
    for step in steps_of(template).values():
        db.session.add(
            CaseTask(
                case_id=case.id,
                key=step.key,
                position=step.position,
                category=step.category,
                title=dict(step.title),
                body=dict(step.body) if step.body else None,
                party=step.party,
                duration_days=step.duration_days,
                deadline_days=step.deadline_days,
                deadline_after=step.deadline_after,
                depends_on=list(step.depends_on),
                state=TaskState.LOCKED if step.depends_on else TaskState.TODO,
            )
        )
    db.session.commit()
    return case


def case_snapshot(case: LandingCase) -> list[tuple]:
    db.session.expire_all()
    tasks = db.session.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.key))
    return [
        (t.key, t.position, t.title, t.depends_on, t.deadline_days, t.deadline_after, t.duration_days, t.state)
        for t in tasks
    ]


def test_editing_a_template_never_changes_an_open_case() -> None:
    staff = StaffFactory()
    template = chain(staff)
    case = open_case_by_hand(template, UserFactory())
    before = case_snapshot(case)

    services.update_step(
        steps_of(template)["registration"],
        values("ward-registration", "housing", title={"en": "New title"}, deadline_days=10, deadline_after="housing"),
        by=staff,
    )
    services.add_step(template, values("bank", "ward-registration"), by=staff)
    services.move_step(steps_of(template)["bank"], -3, by=staff)
    services.delete_step(steps_of(template)["bank"], by=staff)
    services.update_template(
        db.session.get(ChecklistTemplate, template.id),
        name={"en": "Renamed"},
        description=None,
        path=LandingPath.BUSINESS_MANAGER,
        by=staff,
    )
    db.session.commit()

    assert case_snapshot(case) == before
    case = db.session.get(LandingCase, case.id)
    assert (case.template_version, case.name, case.path) == (4, {"en": "Small path", "ja": "小さな手順"}, "resident")


def test_a_template_key_must_be_unique_and_valid() -> None:
    staff = StaffFactory()
    chain(staff)

    with pytest.raises(TemplateError, match="already exists"):
        services.create_template(key="small", name={"en": "x"}, description=None, path=LandingPath.RESIDENT, by=staff)
    with pytest.raises(TemplateError, match="is not valid"):
        services.create_template(key="Not OK", name={"en": "x"}, description=None, path=LandingPath.RESIDENT, by=staff)


# --- pages ----------------------------------------------------------------------------------------

TEMPLATE_URLS = [
    ("get", "/landing/templates/"),
    ("get", "/landing/templates/new"),
    ("get", "/landing/templates/{t}"),
    ("get", "/landing/templates/{t}/edit"),
    ("post", "/landing/templates/{t}/active"),
    ("get", "/landing/templates/{t}/steps/new"),
    ("get", "/landing/templates/{t}/steps/{s}/edit"),
    ("post", "/landing/templates/{t}/steps/{s}/delete"),
    ("post", "/landing/templates/{t}/steps/{s}/move"),
]


def _urls(template) -> list[tuple[str, str]]:
    step = steps_of(template)["entry"]
    return [(method, url.format(t=template.id, s=step.id)) for method, url in TEMPLATE_URLS]


def test_anonymous_visitors_are_sent_to_sign_in(client) -> None:
    template = chain(StaffFactory())
    for method, url in _urls(template):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url


def test_non_staff_get_403_and_nothing_changes(login_as) -> None:
    template = chain(StaffFactory())
    client = login_as(UserFactory())
    for method, url in _urls(template):
        data = {"active": "0", "direction": "down"} if method == "post" else None
        assert getattr(client, method)(url, data=data).status_code == 403, url
    assert db.session.get(ChecklistTemplate, template.id).is_active
    assert db.session.get(ChecklistTemplate, template.id).version == 4


def test_staff_see_the_list_with_version_step_count_and_status(login_as) -> None:
    staff = StaffFactory()
    template = chain(staff)
    other = make_template(staff, key="empty")
    services.set_template_active(other, False, by=staff)
    db.session.commit()

    page = login_as(staff).get("/landing/templates/?lang=en")

    assert page.status_code == 200
    row = page.text.split('data-key="small"', 1)[1].split("</tr>", 1)[0]
    assert "Small path" in row and "Already resident in Japan" in row
    assert '<td class="text-end">4</td>' in row and '<td class="text-end">3</td>' in row
    assert "Offered" in row
    assert "Not offered" in page.text.split('data-key="empty"', 1)[1].split("</tr>", 1)[0]
    assert template.id


def test_the_list_page_uses_a_fixed_number_of_queries(login_as, count_queries) -> None:
    staff = StaffFactory()
    chain(staff)
    client = login_as(staff)
    client.get("/landing/templates/")
    with count_queries() as one:
        client.get("/landing/templates/")
    for n in range(3):
        make_template(staff, values("a"), values("b", "a"), key=f"more-{n}")
    with count_queries() as four:
        client.get("/landing/templates/")
    assert four.count == one.count


def test_the_template_page_lists_steps_with_rules_sources_and_dependencies(login_as) -> None:
    staff = StaffFactory()
    template = chain(staff)

    page = login_as(staff).get(f"/landing/templates/{template.id}?lang=en")

    assert page.status_code == 200
    text = page.text
    assert text.index('data-key="entry"') < text.index('data-key="housing"') < text.index('data-key="registration"')
    registration = text.split('data-key="registration"', 1)[1]
    assert "Within 14 days of the completion of “Step housing”" in registration
    assert '<span class="badge text-bg-light border" title="Step housing">housing</span>' in registration
    assert 'href="https://www.jetro.go.jp/en/invest/setting_up/guide"' in registration
    assert "last reviewed" in registration
    assert "<strong>registration</strong>" in registration  # the body, rendered as Markdown
    assert "Version 4" in text


def test_staff_create_a_template_and_add_a_step_through_the_forms(login_as) -> None:
    staff = StaffFactory()
    client = login_as(staff)

    response = client.post(
        "/landing/templates/new",
        data={"key": "osaka", "name-en": "Osaka path", "name-ja": "大阪の手順", "path": "business_manager"},
    )
    template = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.key == "osaka"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/landing/templates/{template.id}")

    for key, extra in (
        ("entry", {}),
        ("housing", {"depends_on": ["entry"]}),
        ("registration", {"depends_on": ["housing"], "deadline_days": "14", "deadline_after": "housing"}),
    ):
        response = client.post(
            f"/landing/templates/{template.id}/steps/new",
            data={
                "key": key,
                "category": "registration",
                "party": "founder",
                "title-en": f"Do {key}",
                "title-ja": f"{key}をする",
                "body-en": "Line one\r\n\r\nLine two",
                "required_documents-en": "Passport\r\nResidence card",
                "duration_days": "3",
                "source_url": "https://www.isa.go.jp/en/",
                "reviewed_on": "2026-11-01",
                "needs_upload": "y",
                **extra,
            },
        )
        assert response.status_code == 302, response.text

    stored = steps_of(template)
    assert stored["registration"].depends_on == ["housing"]
    assert (stored["registration"].deadline_days, stored["registration"].deadline_after) == (14, "housing")
    assert stored["entry"].required_documents == {"en": "Passport\nResidence card"}
    assert stored["entry"].needs_upload is True
    assert stored["entry"].reviewed_on == date(2026, 11, 1)
    assert [s.position for s in sorted(stored.values(), key=lambda s: s.position)] == [1, 2, 3]
    assert db.session.get(ChecklistTemplate, template.id).version == 4


def step_form(step: TemplateStep, **changes) -> dict:
    data = {
        "key": step.key,
        "category": step.category.value,
        "party": step.party.value,
        "title-en": step.title.get("en", ""),
        "title-ja": step.title.get("ja", ""),
        "duration_days": str(step.duration_days),
        "depends_on": list(step.depends_on),
        "deadline_days": "" if step.deadline_days is None else str(step.deadline_days),
        "deadline_after": step.deadline_after or "",
    }
    data.update(changes)
    return data


def test_a_cycle_made_in_the_form_is_refused_with_the_steps_named_and_nothing_stored(login_as) -> None:
    staff = StaffFactory()
    template = chain(staff)
    entry = steps_of(template)["entry"]

    page = login_as(staff).post(
        f"/landing/templates/{template.id}/steps/{entry.id}/edit?lang=en",
        data=step_form(entry, depends_on=["registration"]),
    )

    assert page.status_code == 200
    assert "Steps “entry” → “registration” → “housing” → “entry” form a cycle." in page.text
    assert steps_of(template)["entry"].depends_on == []
    assert db.session.get(ChecklistTemplate, template.id).version == 4


def test_an_invalid_step_form_re_renders_with_errors_and_stores_nothing(login_as) -> None:
    staff = StaffFactory()
    template = chain(staff)
    housing = steps_of(template)["housing"]
    client = login_as(staff)

    page = client.post(
        f"/landing/templates/{template.id}/steps/{housing.id}/edit?lang=en",
        data=step_form(housing, **{"title-en": "", "title-ja": "", "deadline_days": "7", "source_url": "ftp://x"}),
    )

    assert page.status_code == 200
    assert "Please correct the highlighted fields." in page.text
    assert "Enter this in Japanese, English or both." in page.text
    assert "Give both the number of days and the step the deadline is counted from." in page.text
    assert "Enter a web address starting with http:// or https://." in page.text
    assert steps_of(template)["housing"].title == {"en": "Step housing", "ja": "手続き housing"}

    page = client.post(f"/landing/templates/{template.id}/steps/new?lang=en", data={"key": "Bad Key"})
    assert page.status_code == 200
    assert "Use lower-case letters, digits and hyphens only" in page.text
    assert len(steps_of(template)) == 3


def test_the_edit_form_shows_the_other_steps_as_dependency_choices(login_as) -> None:
    staff = StaffFactory()
    template = chain(staff)
    registration = steps_of(template)["registration"]

    page = login_as(staff).get(f"/landing/templates/{template.id}/steps/{registration.id}/edit?lang=en")

    assert page.status_code == 200
    assert (
        '<input checked class="form-check-input" id="depends_on-1" name="depends_on" type="checkbox" value="housing">'
        in (page.text)
    )
    assert 'name="depends_on" type="checkbox" value="entry">' in page.text
    assert 'name="depends_on" type="checkbox" value="registration"' not in page.text  # not itself
    assert '<option selected value="housing">' in page.text


def test_deleting_a_step_others_depend_on_shows_why_in_the_page(login_as) -> None:
    staff = StaffFactory()
    template = chain(staff)
    entry = steps_of(template)["entry"]
    client = login_as(staff)

    response = client.post(f"/landing/templates/{template.id}/steps/{entry.id}/delete?lang=en")
    page = client.get(response.headers["Location"] + "?lang=en")

    assert "Step “entry” cannot be deleted: “housing” depend on it." in page.text
    assert "entry" in steps_of(template)

    registration = steps_of(template)["registration"]
    client.post(f"/landing/templates/{template.id}/steps/{registration.id}/delete")
    assert set(steps_of(template)) == {"entry", "housing"}


def test_staff_deactivate_and_reactivate_a_template(login_as) -> None:
    staff = StaffFactory()
    template = chain(staff)
    client = login_as(staff)

    client.post(f"/landing/templates/{template.id}/active", data={"active": "0"})
    assert db.session.get(ChecklistTemplate, template.id).is_active is False
    client.post(f"/landing/templates/{template.id}/active", data={"active": "1"})
    assert db.session.get(ChecklistTemplate, template.id).is_active is True
    assert client.post(f"/landing/templates/{template.id}/active", data={"active": "maybe"}).status_code == 400


def test_staff_move_a_step_and_edit_the_template(login_as) -> None:
    staff = StaffFactory()
    template = chain(staff)
    registration = steps_of(template)["registration"]
    client = login_as(staff)

    client.post(f"/landing/templates/{template.id}/steps/{registration.id}/move", data={"direction": "up"})
    response = client.post(
        f"/landing/templates/{template.id}/edit",
        data={"name-en": "Renamed", "name-ja": "改名", "path": "startup_visa", "key": "ignored"},
    )

    assert response.status_code == 302
    stored = db.session.get(ChecklistTemplate, template.id)
    assert (stored.key, stored.name, stored.path, stored.version) == (
        "small",
        {"en": "Renamed", "ja": "改名"},
        LandingPath.STARTUP_VISA,
        6,
    )
    assert [s.key for s in sorted(steps_of(template).values(), key=lambda s: s.position)] == [
        "entry",
        "registration",
        "housing",
    ]


def test_unknown_templates_and_steps_of_other_templates_are_404(login_as) -> None:
    staff = StaffFactory()
    template = chain(staff)
    other = make_template(staff, values("solo"), key="other")
    solo = steps_of(other)["solo"]
    client = login_as(staff)

    assert client.get("/landing/templates/999999").status_code == 404
    assert client.get(f"/landing/templates/{template.id}/steps/{solo.id}/edit").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(TemplateStep)) == 4
