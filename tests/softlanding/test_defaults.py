"""The default checklist templates: complete in English and Japanese, sourced, acyclic, loaded idempotently."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from kakehashi.core.audit import AuditEvent
from kakehashi.core.markdown import render_markdown
from kakehashi.extensions import db
from kakehashi.softlanding.defaults import DEFAULT_TEMPLATES, REVIEWED_ON
from kakehashi.softlanding.models import ChecklistTemplate, LandingPath, Party, TemplateStep
from kakehashi.softlanding.template_services import KEY_PATTERN, check_steps, load_default_templates
from tests.factories import StaffFactory


def stored_steps(template: ChecklistTemplate) -> list[TemplateStep]:
    return list(
        db.session.scalars(
            select(TemplateStep).where(TemplateStep.template_id == template.id).order_by(TemplateStep.position)
        )
    )


@pytest.fixture
def loaded() -> dict[str, tuple[ChecklistTemplate, list[TemplateStep]]]:
    templates = load_default_templates()
    db.session.commit()
    return {template.key: (template, stored_steps(template)) for template in templates}


def test_the_three_default_templates_load_one_per_path(loaded) -> None:
    assert {key: template.path for key, (template, _) in loaded.items()} == {
        "tokyo-startup-visa": LandingPath.STARTUP_VISA,
        "business-manager": LandingPath.BUSINESS_MANAGER,
        "already-resident": LandingPath.RESIDENT,
    }
    for template, steps in loaded.values():
        assert template.version == 1 and template.is_active
        assert template.name["en"] and template.name["ja"]
        assert template.description["en"] and template.description["ja"]
        assert [step.position for step in steps] == list(range(1, len(steps) + 1))
        assert len(steps) >= 15


def test_the_stored_steps_are_acyclic_and_every_rule_points_at_an_existing_step(loaded) -> None:
    for _, steps in loaded.values():
        check_steps(steps)  # raises on a cycle, a dangling dependency or deadline, two milestones
        keys = {step.key for step in steps}
        for step in steps:
            assert KEY_PATTERN.match(step.key), step.key
            assert set(step.depends_on) <= keys
            if step.deadline_after is not None:
                assert step.deadline_after in step.depends_on, step.key  # due after a step it waits for
                assert step.deadline_days is not None


def test_steps_are_listed_after_the_steps_they_depend_on(loaded) -> None:
    for key, (_, steps) in loaded.items():
        seen: set[str] = set()
        for step in steps:
            assert set(step.depends_on) <= seen, (key, step.key)
            seen.add(step.key)


def test_every_step_is_complete_in_english_and_japanese(loaded) -> None:
    for _, steps in loaded.values():
        for step in steps:
            for language in ("en", "ja"):
                assert step.title.get(language, "").strip(), (step.key, language)
                body = step.body.get(language, "").strip()
                assert body, (step.key, language)
                assert "**" not in render_markdown(body), (step.key, language)  # emphasis closes properly
            if step.required_documents:
                en, ja = (step.required_documents[language].splitlines() for language in ("en", "ja"))
                assert len(en) == len(ja) >= 1, step.key
                assert all(line.strip() for line in en + ja), step.key


def test_japanese_texts_are_written_in_japanese(loaded) -> None:
    for _, steps in loaded.values():
        for step in steps:
            for text in (step.title["ja"], step.body["ja"]):
                assert any("\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in text), step.key
            assert "\n" not in step.body["ja"].replace("\n\n", ""), step.key  # no stray line breaks in a paragraph


def test_every_step_cites_a_source_and_a_review_date(loaded) -> None:
    for _, steps in loaded.values():
        for step in steps:
            url = urlsplit(step.source_url or "")
            assert url.scheme in ("http", "https") and url.netloc, step.key
            assert step.reviewed_on == REVIEWED_ON == date(2026, 11, 1)


def test_each_template_has_exactly_one_operating_milestone_behind_the_company_bank_office_and_staff(loaded) -> None:
    expected = {
        "tokyo-startup-visa": {"registration", "corporate-bank", "office", "first-hire", "change-of-status"},
        "business-manager": {"registration", "corporate-bank", "office", "first-hire", "entry"},
        "already-resident": {"registration", "corporate-bank", "office", "first-hire", "change-of-status"},
    }
    for key, (_, steps) in loaded.items():
        milestones = [step for step in steps if step.is_milestone]
        assert len(milestones) == 1, key
        assert milestones[0].title["en"] == "Operating in Japan"
        assert set(milestones[0].depends_on) == expected[key]


def test_the_legal_deadlines_count_from_the_right_steps(loaded) -> None:
    for key, (_, steps) in loaded.items():
        rules = {step.key: (step.deadline_days, step.deadline_after) for step in steps if step.deadline_after}
        tax = {
            "tax-office": (60, "registration"),
            "blue-form": (89, "registration"),
            "payroll-office": (30, "registration"),
            "metropolitan-tax": (15, "registration"),
            "social-insurance": (5, "registration"),
        }
        if key == "already-resident":
            assert rules == tax
        else:
            assert rules == {"resident-registration": (14, "housing"), **tax}


def test_the_paths_differ_where_the_rules_differ(loaded) -> None:
    steps = {key: {step.key: step for step in found} for key, (_, found) in loaded.items()}

    visa_path = steps["tokyo-startup-visa"]
    assert visa_path["coe"].depends_on == ["startup-visa-confirmation"]
    assert visa_path["capital"].depends_on == ["articles", "personal-bank"]
    assert "business-manager-requirements" not in visa_path

    direct = steps["business-manager"]
    assert "startup-visa-confirmation" not in direct and "change-of-status" not in direct
    assert set(direct["coe"].depends_on) == {"registration", "office", "first-hire", "plan-check"}
    assert "¥30M" in direct["capital"].body["en"] and "3,000万円" in direct["capital"].body["ja"]
    assert "JLPT N2" in direct["business-manager-requirements"].body["en"]

    resident = steps["already-resident"]
    assert not {"coe", "visa", "entry", "housing", "resident-registration"} & set(resident)
    assert resident["business-culture"].depends_on == []


def test_professionals_and_staff_are_named_where_they_do_the_work(loaded) -> None:
    _, steps = loaded["tokyo-startup-visa"]
    by_key = {step.key: step for step in steps}
    assert by_key["registration"].party is Party.PROFESSIONAL and "司法書士" in by_key["registration"].body["en"]
    assert by_key["coe"].party is Party.PROFESSIONAL and "行政書士" in by_key["coe"].body["en"]
    assert by_key["business-culture"].party is Party.STAFF
    assert by_key["operating"].party is Party.STAFF
    assert "check with staff" in by_key["social-insurance"].body["en"].lower()
    assert "check the current rule with staff" in by_key["personal-bank"].body["en"]


def test_loading_twice_creates_nothing_new(loaded) -> None:
    counts = (
        db.session.scalar(select(func.count()).select_from(ChecklistTemplate)),
        db.session.scalar(select(func.count()).select_from(TemplateStep)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )

    again = load_default_templates()
    db.session.commit()

    assert [template.key for template in again] == list(loaded)
    assert counts == (
        db.session.scalar(select(func.count()).select_from(ChecklistTemplate)),
        db.session.scalar(select(func.count()).select_from(TemplateStep)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )
    assert counts[0] == 3 and counts[2] == 3  # one "loaded" audit row per template
    assert {template.version for template in again} == {1}


def test_loading_with_update_replaces_the_steps_and_bumps_the_version(loaded) -> None:
    template, steps = loaded["tokyo-startup-visa"]
    edited = steps[0]
    edited.title = {"en": "Changed by staff"}
    db.session.delete(steps[-1])
    db.session.commit()

    staff = StaffFactory()
    load_default_templates(by=staff, update=True)
    db.session.commit()

    db.session.expire_all()
    template = db.session.get(ChecklistTemplate, template.id)
    assert template.version == 2
    restored = stored_steps(template)
    assert [step.key for step in restored] == [spec.key for spec in DEFAULT_TEMPLATES[0].steps]
    assert restored[0].title["en"] == "Get the Startup Visa confirmation from Tokyo"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "checklist_template.reloaded").limit(1))
    assert event.actor_id == staff.id
    assert {t.version for t in db.session.scalars(select(ChecklistTemplate))} == {2}


def test_staff_can_read_each_default_template_in_both_languages(loaded, login_as) -> None:
    client = login_as(StaffFactory())
    for template, steps in loaded.values():
        english = client.get(f"/landing/templates/{template.id}?lang=en")
        japanese = client.get(f"/landing/templates/{template.id}?lang=ja")
        assert english.status_code == japanese.status_code == 200
        assert english.text.count('<li class="card mb-3') == len(steps)
        assert "Operating in Japan" in english.text and "日本での事業開始" in japanese.text
        assert "Missing in" not in english.text
