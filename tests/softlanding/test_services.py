"""Landing-case services: opening, the transition table, unlocking, reviews, documents, comments."""

from datetime import date

import pytest
from sqlalchemy import func, select

from kakehashi.accounts.models import Invitation, InvitedRole, User
from kakehashi.core import storage
from kakehashi.core.audit import AuditEvent
from kakehashi.core.errors import DomainError, InvalidTransition
from kakehashi.core.storage import FileTooLarge, InvalidFileType, StoredFile
from kakehashi.extensions import db
from kakehashi.softlanding import services
from kakehashi.softlanding.models import (
    TASK_TRANSITIONS,
    CaseState,
    CaseTask,
    LandingCase,
    TaskComment,
    TaskDocument,
    TaskState,
)
from kakehashi.softlanding.services import CaseError
from tests.factories import StaffFactory, UserFactory, pdf_bytes
from tests.softlanding.factories import open_small_case, png_bytes, small_template, tasks_of, upload

TODAY = date(2026, 5, 1)


pytestmark = pytest.mark.usefixtures("english")  # the refusals below are matched in English


@pytest.fixture
def staff():
    return StaffFactory(locale="ja", name="山田 花子")


@pytest.fixture
def founder():
    return UserFactory(locale="en", name="Maria Silva")


@pytest.fixture
def case(staff, founder):
    return open_small_case(founder=founder, staff=staff, today=TODAY)


def audit_actions(action_prefix: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.startswith(action_prefix)).order_by(AuditEvent.id)
        )
    )


def stored_count() -> int:
    return db.session.scalar(select(func.count(StoredFile.id)))


# --- opening a case ----------------------------------------------------------------------------------


def test_opening_a_case_for_a_new_founder_invites_them_in_english(staff, outbox):
    template = small_template()
    case = services.open_case(
        template=template,
        founder_email="  Lena@Example.ORG ",
        founder_name="Lena Fischer",
        planned_arrival_on=date(2026, 6, 1),
        concierge=staff,
        company_name="Aurora Robotics GmbH",
        home_country="de",
        by=staff,
        today=TODAY,
    )
    db.session.commit()

    founder = db.session.get(User, case.founder_id)
    assert (founder.email, founder.name, founder.locale, founder.has_password) == (
        "lena@example.org",
        "Lena Fischer",
        "en",
        False,
    )
    invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == founder.id))
    assert invitation.role is InvitedRole.OVERSEAS_FOUNDER
    emails = outbox()
    assert [(e.to_address, e.template, e.locale) for e in emails] == [("lena@example.org", "accounts/invitation", "en")]
    assert template.name["en"] in emails[0].body_text
    assert (case.opened_on, case.home_country, case.state) == (TODAY, "DE", CaseState.OPEN)
    assert len(case.feed_token) >= 40
    assert case.template_version == template.version
    assert audit_actions("landing_case.") == ["landing_case.opened"]


def test_opening_a_case_copies_every_step_and_opens_the_roots(case):
    tasks = tasks_of(case)

    assert {key: t.state for key, t in tasks.items()} == {
        "passport": TaskState.TODO,
        "housing": TaskState.LOCKED,
        "registration": TaskState.LOCKED,
        "consult": TaskState.TODO,
        "bank": TaskState.LOCKED,
        "operating": TaskState.LOCKED,
    }
    passport = tasks["passport"]
    assert passport.required_documents == {"en": "Passport", "ja": "旅券"}
    assert passport.needs_upload and passport.duration_days == 3
    assert tasks["registration"].deadline_after == "housing" and tasks["registration"].deadline_days == 14
    assert tasks["operating"].is_milestone
    assert tasks["bank"].depends_on == ["registration", "consult"]


def test_editing_the_template_later_does_not_change_the_case(case):
    from kakehashi.softlanding.models import TemplateStep

    step = db.session.scalar(
        select(TemplateStep).where(TemplateStep.template_id == case.template_id, TemplateStep.key == "bank")
    )
    step.depends_on.append("passport")
    step.title["en"] = "Changed"
    db.session.commit()

    bank = tasks_of(case)["bank"]
    assert bank.depends_on == ["registration", "consult"]
    assert bank.title["en"] == "Step bank"


def test_an_existing_founder_is_emailed_in_their_own_language(staff, outbox):
    founder = UserFactory(locale="ja")
    case = open_small_case(founder=founder, staff=staff, today=TODAY)

    emails = outbox()
    assert [(e.to_address, e.template, e.locale) for e in emails] == [(founder.email, "softlanding/case_opened", "ja")]
    assert f"/landing/cases/{case.id}" in emails[0].body_text
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_a_second_open_case_for_the_same_founder_is_refused(case, staff, founder):
    with pytest.raises(CaseError, match="already has an open landing case"):
        open_small_case(founder=founder, staff=staff, today=TODAY)

    db.session.rollback()
    services.close_case(db.session.get(LandingCase, case.id), by=staff)
    db.session.commit()
    second = open_small_case(founder=founder, staff=staff, today=TODAY)
    assert second.state is CaseState.OPEN


def test_only_staff_open_cases(founder):
    with pytest.raises(CaseError):
        open_small_case(staff=founder, founder=UserFactory(), today=TODAY, concierge=None)


# --- the transition table ----------------------------------------------------------------------------


ILLEGAL = [(old, new) for old in TaskState for new in TaskState if new not in TASK_TRANSITIONS[old]]
LEGAL = [(old, new) for old in TaskState for new in TASK_TRANSITIONS[old]]


@pytest.mark.parametrize(("old", "new"), ILLEGAL, ids=[f"{o.value}->{n.value}" for o, n in ILLEGAL])
def test_every_illegal_move_is_refused(case, staff, old, new):
    task = tasks_of(case)["housing"]
    task.state, task.completed_on = old, (TODAY if old.is_finished else None)
    db.session.commit()
    before = db.session.scalar(select(func.count(AuditEvent.id)))

    with pytest.raises(InvalidTransition):
        task.transition_to(new, by=staff, on=TODAY, reason="x")

    assert task.state is old
    assert db.session.scalar(select(func.count(AuditEvent.id))) == before


@pytest.mark.parametrize(("old", "new"), LEGAL, ids=[f"{o.value}->{n.value}" for o, n in LEGAL])
def test_every_legal_move_is_allowed_and_audited(case, staff, old, new):
    task = tasks_of(case)["housing"]
    task.state = old
    db.session.commit()

    task.transition_to(new, by=staff, on=TODAY, reason="x")
    db.session.commit()

    assert task.state is new
    assert (task.completed_on is not None) is new.is_finished
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case_task.state")).all()[-1]
    assert event.data == {"from": old.value, "to": new.value, "case": case.id}


def test_the_table_has_an_illegal_move_from_every_state():
    assert {old for old, _new in ILLEGAL} == set(TaskState)


# --- the founder's work ------------------------------------------------------------------------------


def test_founder_starts_a_task_to_do(case, founder):
    task = tasks_of(case)["passport"]
    services.start_task(task, by=founder)
    db.session.commit()

    assert task.state is TaskState.IN_PROGRESS


def test_a_locked_task_cannot_be_started_or_commented_on_by_the_founder(case, founder):
    housing = tasks_of(case)["housing"]

    with pytest.raises(CaseError, match="waiting for the steps"):
        services.start_task(housing, by=founder)
    with pytest.raises(CaseError):
        services.add_comment(housing, by=founder, body="When can I start?")
    with pytest.raises(CaseError):
        services.add_document(housing, upload(), by=founder)


def test_the_founder_of_another_case_is_refused_everything(case, staff):
    other = UserFactory()
    open_small_case(founder=other, staff=staff, today=TODAY)
    passport = tasks_of(case)["passport"]

    for action in (
        lambda: services.start_task(passport, by=other),
        lambda: services.add_document(passport, upload(), by=other),
        lambda: services.submit_task(passport, by=other),
        lambda: services.add_comment(passport, by=other, body="Hello"),
        lambda: services.rotate_feed_token(case, by=other),
        lambda: services.revoke_feed_token(case, by=other),
    ):
        with pytest.raises(CaseError):
            action()
    assert passport.state is TaskState.TODO
    assert stored_count() == 0


def test_a_closed_case_cannot_be_worked_on(case, staff, founder):
    services.close_case(case, by=staff)
    db.session.commit()

    with pytest.raises(CaseError, match="closed"):
        services.start_task(tasks_of(case)["passport"], by=founder)


def test_submitting_a_step_that_needs_a_document_without_one_is_refused(case, founder):
    passport = tasks_of(case)["passport"]

    with pytest.raises(CaseError, match="upload at least one document"):
        services.submit_task(passport, by=founder)
    assert passport.state is TaskState.TODO


def test_upload_then_submit_emails_the_concierge_in_japanese(case, founder, staff, outbox):
    passport = tasks_of(case)["passport"]

    document = services.add_document(passport, upload(filename="パスポート.pdf"), by=founder)
    assert passport.state is TaskState.IN_PROGRESS  # uploading starts the step
    services.submit_task(passport, by=founder, note="  Scanned both pages.  ")
    db.session.commit()

    assert passport.state is TaskState.SUBMITTED and passport.submitted_at is not None
    assert document.file.original_filename == "パスポート.pdf"
    assert document.file.purpose == services.DOCUMENT_PURPOSE
    assert storage.backend().exists(document.file.key)
    note = db.session.scalar(select(TaskComment).where(TaskComment.task_id == passport.id))
    assert (note.body, note.decision) == ("Scanned both pages.", "submitted")
    emails = [e for e in outbox() if e.template == "softlanding/task_submitted"]
    assert [(e.to_address, e.locale) for e in emails] == [(staff.email, "ja")]
    assert f"/landing/tasks/{passport.id}" in emails[0].body_text
    assert "Scanned both pages." in emails[0].body_text


def test_without_a_concierge_every_active_staff_member_is_told(founder, outbox):
    staff = StaffFactory()
    other_staff = StaffFactory()
    StaffFactory(active=False)
    case = open_small_case(founder=founder, staff=staff, concierge=None, today=TODAY)
    passport = tasks_of(case)["passport"]
    services.add_document(passport, upload(), by=founder)
    services.submit_task(passport, by=founder)

    emails = [e for e in outbox() if e.template == "softlanding/task_submitted"]
    assert sorted(e.to_address for e in emails) == sorted([staff.email, other_staff.email])


def test_a_png_is_accepted(case, founder):
    document = services.add_document(tasks_of(case)["passport"], upload(png_bytes(), "card.png"), by=founder)

    assert document.file.content_type == "image/png"


def test_an_html_file_renamed_pdf_is_refused_and_nothing_is_stored(case, founder):
    passport = tasks_of(case)["passport"]
    files_before = storage.backend().count()

    with pytest.raises(InvalidFileType):
        services.add_document(passport, upload(b"<html><body>hi</body></html>", "passport.pdf"), by=founder)
    db.session.rollback()

    assert stored_count() == 0
    assert storage.backend().count() == files_before
    assert db.session.scalar(select(func.count(TaskDocument.id))) == 0
    assert passport.state is TaskState.TODO


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(app, case, founder):
    app.config["LANDING_UPLOAD_MAX_BYTES"] = 1024
    passport = tasks_of(case)["passport"]
    files_before = storage.backend().count()

    with pytest.raises(FileTooLarge):
        services.add_document(passport, upload(pdf_bytes(pages=5) + b"\0" * 2048), by=founder)
    db.session.rollback()

    assert stored_count() == 0
    assert storage.backend().count() == files_before


def test_documents_cannot_change_while_awaiting_review(case, founder):
    passport = tasks_of(case)["passport"]
    document = services.add_document(passport, upload(), by=founder)
    services.submit_task(passport, by=founder)
    db.session.commit()

    with pytest.raises(CaseError, match="awaiting review"):
        services.add_document(passport, upload(), by=founder)
    with pytest.raises(CaseError, match="awaiting review"):
        services.remove_document(document, by=founder)


def test_removing_a_document_deletes_its_row_and_its_stored_file(case, founder):
    passport = tasks_of(case)["passport"]
    document = services.add_document(passport, upload(), by=founder)
    db.session.commit()
    key = document.file.key

    services.remove_document(document, by=founder)
    db.session.commit()

    assert stored_count() == 0
    assert not storage.backend().exists(key)
    assert audit_actions("task_document.") == ["task_document.uploaded", "task_document.removed"]


# --- staff decisions ---------------------------------------------------------------------------------


def submitted_passport(case, founder):
    passport = tasks_of(case)["passport"]
    services.add_document(passport, upload(), by=founder)
    services.submit_task(passport, by=founder)
    db.session.commit()
    return passport


def test_approving_unlocks_the_next_step_and_tells_the_founder_its_due_date(case, founder, staff, outbox):
    passport = submitted_passport(case, founder)

    unlocked = services.approve_task(passport, by=staff, comment="確認しました。", today=date(2026, 5, 3))
    db.session.commit()

    assert passport.state is TaskState.DONE and passport.completed_on == date(2026, 5, 3)
    assert [t.key for t in unlocked] == ["housing"]
    assert tasks_of(case)["housing"].state is TaskState.TODO
    email = next(e for e in outbox() if e.template == "softlanding/task_approved")
    assert (email.to_address, email.locale) == (founder.email, "en")
    assert "Step housing" in email.body_text
    assert "確認しました。" in email.body_text
    unlock_events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case_task.state", AuditEvent.object_id == unlocked[0].id)
    ).all()
    assert [e.data["to"] for e in unlock_events] == ["todo"]


def test_a_step_waits_until_all_its_dependencies_are_finished(case, staff):
    tasks = tasks_of(case)
    for key in ("passport", "housing", "registration"):
        tasks[key].state = TaskState.SUBMITTED if key == "passport" else TaskState.TODO
    db.session.commit()

    assert services.complete_task(tasks["registration"], by=staff, today=TODAY) == []
    assert tasks["bank"].state is TaskState.LOCKED
    assert [t.key for t in services.complete_task(tasks["consult"], by=staff, today=TODAY)] == ["bank"]
    assert tasks["bank"].state is TaskState.TODO


def test_not_applicable_releases_its_dependants(case, staff):
    tasks = tasks_of(case)
    services.complete_task(tasks["consult"], by=staff, today=TODAY)
    for key in ("housing", "registration"):
        tasks[key].state = TaskState.TODO

    unlocked = services.mark_not_applicable(tasks["registration"], by=staff, reason="Already registered.", today=TODAY)
    db.session.commit()

    assert [t.key for t in unlocked] == ["bank"]
    assert tasks["registration"].state is TaskState.NOT_APPLICABLE
    assert tasks["registration"].not_applicable_reason == "Already registered."
    assert tasks["registration"].completed_on == TODAY


def test_not_applicable_needs_a_reason(case, staff):
    with pytest.raises(CaseError, match="reason"):
        services.mark_not_applicable(tasks_of(case)["consult"], by=staff, reason="   ")


def test_the_milestone_cannot_be_marked_not_applicable(case, staff):
    with pytest.raises(CaseError, match="operating in Japan"):
        services.mark_not_applicable(tasks_of(case)["operating"], by=staff, reason="No")


def test_finishing_the_milestone_sets_the_operating_date(case, staff):
    operating = tasks_of(case)["operating"]
    operating.state = TaskState.TODO
    db.session.commit()

    services.complete_task(operating, by=staff, today=date(2026, 7, 20))
    db.session.commit()

    assert db.session.get(LandingCase, case.id).operating_on == date(2026, 7, 20)
    assert "landing_case.operating" in audit_actions("landing_case.")


def test_only_staff_review(case, founder):
    passport = submitted_passport(case, founder)

    for action in (
        lambda: services.approve_task(passport, by=founder),
        lambda: services.request_changes(passport, by=founder, comment="x"),
        lambda: services.complete_task(passport, by=founder),
        lambda: services.mark_not_applicable(passport, by=founder, reason="x"),
        lambda: services.close_case(case, by=founder),
        lambda: services.delete_case_documents(case, by=founder),
    ):
        with pytest.raises(CaseError, match="Only programme staff"):
            action()
    assert passport.state is TaskState.SUBMITTED


def test_only_a_submitted_step_can_be_approved_or_sent_back(case, staff):
    consult = tasks_of(case)["consult"]

    with pytest.raises(CaseError, match="awaiting review"):
        services.approve_task(consult, by=staff)
    with pytest.raises(CaseError, match="awaiting review"):
        services.request_changes(consult, by=staff, comment="Please fix.")


def test_requesting_changes_needs_a_comment_and_emails_the_founder_in_english(case, founder, staff, outbox):
    passport = submitted_passport(case, founder)

    with pytest.raises(CaseError):
        services.request_changes(passport, by=staff, comment="  ")
    services.request_changes(passport, by=staff, comment="写真のページが不鮮明です。")
    db.session.commit()

    assert passport.state is TaskState.NEEDS_CHANGES
    email = next(e for e in outbox() if e.template == "softlanding/changes_requested")
    assert (email.to_address, email.locale) == (founder.email, "en")
    assert "写真のページが不鮮明です。" in email.body_text
    comment = db.session.scalar(select(TaskComment).where(TaskComment.decision == "needs_changes"))
    assert comment.author_id == staff.id


def test_after_changes_the_founder_submits_again(case, founder, staff):
    passport = submitted_passport(case, founder)
    services.request_changes(passport, by=staff, comment="Blurry.")

    services.submit_task(passport, by=founder)
    db.session.commit()

    assert passport.state is TaskState.SUBMITTED
    moves = [
        e.data["to"]
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_id == passport.id, AuditEvent.action == "case_task.state")
            .order_by(AuditEvent.id)
        )
    ]
    assert moves == ["in_progress", "submitted", "needs_changes", "in_progress", "submitted"]


# --- comments ----------------------------------------------------------------------------------------


def test_a_founder_comment_is_stripped_and_emailed_to_the_concierge(case, founder, staff, outbox):
    before = len(outbox())
    comment = services.add_comment(tasks_of(case)["passport"], by=founder, body="  Is a copy enough?  \n")
    db.session.commit()

    assert comment.body == "Is a copy enough?"
    assert [(e.to_address, e.template, e.locale) for e in outbox()[before:]] == [
        (staff.email, "softlanding/new_comment", "ja")
    ]


def test_a_staff_comment_is_emailed_to_the_founder(case, founder, staff, outbox):
    before = len(outbox())
    services.add_comment(tasks_of(case)["housing"], by=staff, body="マンスリーマンションの一覧を送ります。")

    assert [(e.to_address, e.template, e.locale) for e in outbox()[before:]] == [
        (founder.email, "softlanding/new_comment", "en")
    ]


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 5001])
def test_empty_or_overlong_comments_are_refused(case, founder, body):
    with pytest.raises(CaseError):
        services.add_comment(tasks_of(case)["passport"], by=founder, body=body)
    assert db.session.scalar(select(func.count(TaskComment.id))) == 0


def test_a_comment_of_5000_characters_is_accepted(case, founder):
    assert len(services.add_comment(tasks_of(case)["passport"], by=founder, body="x" * 5000).body) == 5000


# --- the case: close, reopen, documents, feed --------------------------------------------------------


def test_documents_of_an_open_case_cannot_be_deleted(case, staff):
    with pytest.raises(CaseError, match="once the case is closed"):
        services.delete_case_documents(case, by=staff)


def test_deleting_a_closed_case_documents_removes_rows_and_stored_files(case, founder, staff):
    tasks = tasks_of(case)
    services.add_document(tasks["passport"], upload(), by=founder)
    services.add_document(tasks["passport"], upload(png_bytes(), "photo.png"), by=founder)
    services.add_document(tasks["consult"], upload(), by=staff)
    db.session.commit()
    keys = list(db.session.scalars(select(StoredFile.key)))
    services.close_case(case, by=staff)

    assert services.delete_case_documents(case, by=staff) == 3
    db.session.commit()

    assert db.session.scalar(select(func.count(TaskDocument.id))) == 0
    assert stored_count() == 0
    assert not any(storage.backend().exists(key) for key in keys)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "landing_case.documents_deleted"))
    assert (event.object_id, event.data) == (case.id, {"count": 3})


def test_every_document_access_is_audited(case, founder, staff):
    document = services.add_document(tasks_of(case)["passport"], upload(), by=founder)
    services.record_document_access(document, by=staff, action="view")
    services.record_document_access(document, by=founder, action="download")
    db.session.commit()

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "task_document").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("task_document.uploaded", founder.id),
        ("task_document.view", staff.id),
        ("task_document.download", founder.id),
    ]
    assert events[-1].data["case"] == case.id


def test_only_the_case_founder_and_staff_may_download_its_documents(case, founder, staff):
    document = services.add_document(tasks_of(case)["passport"], upload(), by=founder)
    db.session.commit()

    assert storage.can_download(founder, document.file)
    assert storage.can_download(staff, document.file)
    assert not storage.can_download(UserFactory(), document.file)


def test_reopening_is_refused_while_the_founder_has_another_open_case(case, founder, staff):
    services.close_case(case, by=staff)
    db.session.commit()
    open_small_case(founder=founder, staff=staff, today=TODAY)

    with pytest.raises(CaseError, match="another open landing case"):
        services.reopen_case(case, by=staff)


def test_closing_and_reopening(case, staff):
    services.close_case(case, by=staff)
    assert case.state is CaseState.CLOSED and case.closed_at is not None
    with pytest.raises(CaseError):
        services.close_case(case, by=staff)
    services.reopen_case(case, by=staff)
    assert case.state is CaseState.OPEN and case.closed_at is None
    assert audit_actions("landing_case.") == ["landing_case.opened", "landing_case.closed", "landing_case.reopened"]


def test_the_feed_token_can_be_rotated_and_revoked_by_the_founder(case, founder):
    old = case.feed_token

    new = services.rotate_feed_token(case, by=founder)
    assert new != old and case.feed_token == new
    services.revoke_feed_token(case, by=founder)
    assert case.feed_token is None


def test_refusals_are_domain_errors():
    assert issubclass(CaseError, DomainError)
    assert services.DOCUMENT_KINDS == ("pdf", "jpeg", "png")


def test_tasks_are_saved_with_their_case(case):
    assert db.session.scalar(select(func.count(CaseTask.id)).where(CaseTask.case_id == case.id)) == 6


# --- the load-templates command ----------------------------------------------------------------------


def test_load_templates_command_loads_the_defaults_once(app):
    from kakehashi.softlanding.cli import softlanding_cli
    from kakehashi.softlanding.models import ChecklistTemplate

    runner = app.test_cli_runner()
    first = runner.invoke(softlanding_cli, ["load-templates"])
    second = runner.invoke(softlanding_cli, ["load-templates"])
    updated = runner.invoke(softlanding_cli, ["load-templates", "--update"])

    assert first.exit_code == second.exit_code == updated.exit_code == 0, first.output
    assert "tokyo-startup-visa: Tokyo Startup Visa (version 1)" in first.output
    assert "tokyo-startup-visa: Tokyo Startup Visa (version 1)" in second.output
    assert "tokyo-startup-visa: Tokyo Startup Visa (version 2)" in updated.output
    db.session.remove()
    templates = db.session.scalars(select(ChecklistTemplate)).all()
    assert len(templates) == len({t.key for t in templates}) >= 2
