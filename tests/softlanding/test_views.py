"""The soft-landing pages through HTTP: the issue's "done when" journey, the checklist and task pages,
the founder's and staff's actions, and the refusals (bad files, missing comments).

Staff work in Japanese (their saved locale), founders in English. Dates are frozen: 1 May 2026, noon in Tokyo.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape
from typing import Any

import pytest
import time_machine
from babel.dates import format_date
from markupsafe import escape
from sqlalchemy import event, func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kakehashi.accounts.models import User
from kakehashi.core.audit import AuditEvent
from kakehashi.core.storage import StoredFile, backend
from kakehashi.core.storage_maintenance import list_objects
from kakehashi.extensions import db
from kakehashi.softlanding import services
from kakehashi.softlanding.models import CaseState, LandingCase, TaskComment, TaskDocument, TaskState
from tests.factories import PASSWORD, StaffFactory, UserFactory, pdf_bytes
from tests.softlanding.factories import open_small_case, png_bytes, small_template, tasks_of

NOW = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo
TODAY = dt.date(2026, 5, 1)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


# --- helpers ----------------------------------------------------------------------------------------


def shows(response: Any, text: str) -> bool:
    """The page shows ``text`` as a user reads it (HTML-escaped in the source)."""
    return str(escape(text)) in response.get_data(as_text=True)


def english(day: dt.date) -> str:
    return format_date(day, "medium", locale="en")


def step_row(page: Any, key: str) -> str:
    """The checklist row of the task ``key`` (its HTML)."""
    match = re.search(rf'<tr id="task-{key}"(.*?)</tr>', page.get_data(as_text=True), re.S)
    assert match, f"no row for {key}"
    return match.group(0)


def text_of(html: str) -> str:
    """The text a reader sees in an HTML fragment (tags dropped, entities decoded, spaces collapsed)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(prefix: str) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like(f"{prefix}%"))))


def upload(client: Any, task: Any, data: bytes, filename: str = "passport.pdf") -> Any:
    # Encoded in memory: the test client would spool a big body to a file it never closes.
    boundary, body = encode_multipart({"document": FileStorage(io.BytesIO(data), filename)})
    return client.post(
        f"/landing/tasks/{task.id}/documents", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def founder_case(**kwargs: Any) -> tuple[Any, Any, LandingCase]:
    staff = kwargs.pop("staff", None) or StaffFactory(locale="ja", name="Sato Kenji")
    founder = kwargs.pop("founder", None) or UserFactory(locale="en", name="Aiko Tan")
    case = open_small_case(founder=founder, staff=staff, today=TODAY, **kwargs)
    return staff, founder, case


# --- the journey ----------------------------------------------------------------------------------


def test_an_invited_founder_completes_a_task_staff_approve_in_japanese_and_the_next_task_unlocks(
    app, client, login_as, outbox
):
    staff = StaffFactory(locale="ja", name="佐藤 健二")
    template = small_template(name={"en": "Tokyo Startup Visa", "ja": "東京スタートアップビザ"})
    staff_client = login_as(staff)

    # Staff open a case for someone without an account.
    form = staff_client.get("/landing/cases/new")
    assert form.status_code == 200
    assert '<html lang="ja">' in form.text
    assert shows(form, "東京スタートアップビザ")
    response = staff_client.post(
        "/landing/cases/new",
        data={
            "template_id": str(template.id),
            "founder_email": "Aiko.Tan@example.com",
            "founder_name": "Aiko Tan",
            "planned_arrival_on": "2026-06-01",
            "concierge_id": str(staff.id),
            "company_name": "Aurora Robotics",
            "home_country": "SG",
        },
    )
    case = db.session.scalars(select(LandingCase)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/landing/cases/{case.id}"
    founder = case.founder
    assert (founder.email, founder.name, founder.locale, founder.has_password) == (
        "aiko.tan@example.com",
        "Aiko Tan",
        "en",
        False,
    )
    assert (case.company_name, case.home_country, case.planned_arrival_on, case.concierge_id) == (
        "Aurora Robotics",
        "SG",
        dt.date(2026, 6, 1),
        staff.id,
    )

    # The invitation, in English, with the link to choose a password.
    [invitation] = outbox()
    assert (invitation.to_address, invitation.locale, invitation.template) == (
        "aiko.tan@example.com",
        "en",
        "accounts/invitation",
    )
    assert "invited" in invitation.subject
    link = re.search(r"http://kakehashi\.test(/\S+)", invitation.body_text).group(1)

    # The founder accepts it in their own browser and lands on their checklist, in English.
    founder_client = app.test_client()
    accepted = founder_client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    assert accepted.status_code == 302
    landing = founder_client.get("/landing/")
    assert landing.headers["Location"] == f"/landing/cases/{case.id}"
    checklist = founder_client.get(landing.headers["Location"])
    assert '<html lang="en">' in checklist.text
    assert shows(checklist, "Step passport")
    assert "To do" in text_of(step_row(checklist, "passport"))
    assert "Waiting for: Step passport" in text_of(step_row(checklist, "housing"))
    assert "0 of 6 steps done" in checklist.text

    # They upload a PDF to the step that needs one and submit it.
    passport = tasks_of(case)["passport"]
    page = founder_client.get(f"/landing/tasks/{passport.id}")
    assert shows(page, "Passport")  # the documents it needs
    assert "<strong>passport</strong>" in page.text  # the body, as Markdown
    uploaded = founder_client.post(
        f"/landing/tasks/{passport.id}/documents",
        data={"document": (io.BytesIO(pdf_bytes()), "passport-scan.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    submitted = founder_client.post(f"/landing/tasks/{passport.id}/submit", data={"note": "Scan of pages 1-2."})
    assert submitted.status_code == 302
    assert tasks_of(case)["passport"].state is TaskState.SUBMITTED
    [to_concierge] = [e for e in outbox() if e.template == "softlanding/task_submitted"]
    assert (to_concierge.to_address, to_concierge.locale) == (staff.email, "ja")

    # Staff see it in their queue, in Japanese, and approve it.
    queue = staff_client.get("/landing/queue")
    assert '<html lang="ja">' in queue.text
    awaiting = queue.text.split('id="awaiting-review"', 1)[1].split("</table>", 1)[0]
    assert "手続き passport" in awaiting
    assert "Aurora Robotics" in awaiting
    review = staff_client.get(f"/landing/tasks/{passport.id}")
    assert "passport-scan.pdf" in review.text
    assert "Scan of pages 1-2." in review.text
    approved = staff_client.post(f"/landing/tasks/{passport.id}/approve", data={"comment": "確認しました。"})
    assert approved.status_code == 302
    assert approved.headers["Location"] == f"/landing/cases/{case.id}"

    # The dependent task is open now, with its computed due date: 10 days from today.
    tasks = tasks_of(case)
    assert (tasks["passport"].state, tasks["passport"].completed_on) == (TaskState.DONE, TODAY)
    assert tasks["housing"].state is TaskState.TODO
    checklist = founder_client.get(f"/landing/cases/{case.id}")
    housing = text_of(step_row(checklist, "housing"))
    assert "To do" in housing
    assert f"Due {english(TODAY + dt.timedelta(days=10))}" in housing
    assert "projected" not in housing
    # Registration: 14 days after housing is done, a date that still moves.
    registration = text_of(step_row(checklist, "registration"))
    assert f"Due {english(TODAY + dt.timedelta(days=24))}" in registration
    assert "(projected)" in registration
    assert "Waiting for: Step housing" in registration
    assert "1 of 6 steps done" in checklist.text
    next_steps = checklist.text.split('id="next-steps"', 1)[1].split("</ul>", 1)[0]
    assert "Step housing" in next_steps
    [approval] = [e for e in outbox() if e.template == "softlanding/task_approved"]
    assert (approval.to_address, approval.locale) == ("aiko.tan@example.com", "en")


# --- the checklist page ---------------------------------------------------------------------------


def test_the_checklist_shows_progress_the_projected_operating_date_and_the_critical_path(login_as):
    _staff, founder, case = founder_case()
    page = login_as(founder).get(f"/landing/cases/{case.id}")
    assert page.status_code == 200
    # passport 3 + housing 10 + registration 1 + bank 5 + operating 0 = 19 days from today.
    assert shows(page, f"Projected date the company can operate in Japan: {english(TODAY + dt.timedelta(days=19))}.")
    assert '<progress class="flex-grow-1" id="progress" value="0" max="6"' in page.text
    for key in ("passport", "housing", "registration", "bank", "operating"):
        assert "Critical path" in step_row(page, key), key
    assert "Critical path" not in step_row(page, "consult")
    assert "Programme staff" in step_row(page, "consult")  # who does it
    # Grouped by category, in the order the steps come.
    headings = re.findall(r'<h3 class="h6 mt-3">([^<]+)</h3>', page.text)
    assert headings == ["Ward registration", "Housing", "Business culture", "Banking"]
    # The calendar address, absolute.
    assert f'value="http://kakehashi.test/landing/feeds/{case.feed_token}.ics"' in page.text
    # Founders do not see staff-only details or buttons.
    assert 'id="case-details"' not in page.text
    assert "/close" not in page.text


def finish(case: LandingCase, *keys: str, by: Any) -> None:
    """Staff mark steps done today (through the service)."""
    for key in keys:
        services.complete_task(tasks_of(case)[key], by=by, today=TODAY)
    db.session.commit()


def test_an_overdue_task_is_marked_in_words_not_only_in_colour(login_as):
    staff, founder, case = founder_case()
    finish(case, "passport", "housing", by=staff)  # registration: due 14 days after housing
    with time_machine.travel(NOW + dt.timedelta(days=20), tick=False):
        page = login_as(founder).get(f"/landing/cases/{case.id}")
    row = step_row(page, "registration")
    assert 'class="table-danger"' in row
    assert f"Overdue: due {english(TODAY + dt.timedelta(days=14))}" in text_of(row)
    assert "Overdue" not in text_of(step_row(page, "bank"))
    assert "Overdue" in text_of(page.text.split('id="next-steps"', 1)[1].split("</ul>", 1)[0])


def test_staff_see_the_case_details_and_actions(login_as):
    staff, founder, case = founder_case()
    page = login_as(staff).get(f"/landing/cases/{case.id}?lang=en")
    details = text_of(page.text.split('id="case-details"', 1)[1].split("</dl>", 1)[0])
    assert f"Aiko Tan <{founder.email}>" in details
    assert "Sato Kenji" in details  # concierge
    assert "Aurora Robotics" in details
    assert "Germany" in details
    assert f"version {case.template_version}" in details
    assert english(TODAY) in details
    assert f"/landing/cases/{case.id}/close" in page.text
    assert 'id="personal-data"' not in page.text  # only once closed


# --- the task page ------------------------------------------------------------------------------------


def test_the_task_page_says_the_deadline_rule_in_words_and_what_it_waits_for(login_as):
    _staff, founder, case = founder_case()
    registration = tasks_of(case)["registration"]
    page = login_as(founder).get(f"/landing/tasks/{registration.id}")
    assert page.status_code == 200
    assert shows(page, "Due 14 days after “Step housing”")
    assert "Waiting for: Step housing" in page.text
    assert "Takes about 1 day" in page.text
    assert 'id="upload"' not in page.text  # locked: nothing to do yet
    assert 'id="actions"' not in page.text


def test_the_task_page_shows_the_source_and_last_reviewed_date(login_as):
    staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    passport.source_url = "https://www.moj.go.jp/isa/"
    passport.reviewed_on = dt.date(2026, 4, 1)
    db.session.commit()
    page = login_as(founder).get(f"/landing/tasks/{passport.id}")
    assert 'href="https://www.moj.go.jp/isa/"' in page.text
    assert f"Last reviewed by programme staff: {english(dt.date(2026, 4, 1))}" in page.text


def test_the_founder_sees_start_and_submit_staff_see_the_review_buttons(login_as, client):
    staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    page = login_as(founder).get(f"/landing/tasks/{passport.id}")
    assert f"/landing/tasks/{passport.id}/start" in page.text
    assert 'id="submit"' in page.text
    assert 'id="approve"' not in page.text and 'id="not-applicable"' not in page.text
    staff_page = login_as(staff).get(f"/landing/tasks/{passport.id}?lang=en")
    assert 'id="not-applicable"' in staff_page.text
    assert 'id="approve"' not in staff_page.text  # not submitted yet
    consult = tasks_of(case)["consult"]
    assert f"/landing/tasks/{consult.id}/complete" in login_as(staff).get(f"/landing/tasks/{consult.id}").text


def test_the_comment_thread_shows_authors_and_tokyo_times(login_as, outbox):
    staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    founder_client = login_as(founder)
    response = founder_client.post(f"/landing/tasks/{passport.id}/comments", data={"body": "Which pages?"})
    assert response.status_code == 302
    page = founder_client.get(f"/landing/tasks/{passport.id}")
    thread = text_of(page.text.split('id="comments"', 1)[1])
    assert "Aiko Tan" in thread
    assert "Which pages?" in thread
    assert "May 1, 2026, 12:00:00" in thread  # 03:00 UTC shown in Tokyo
    assert [e.to_address for e in outbox() if e.template == "softlanding/new_comment"] == [staff.email]


def test_an_empty_comment_is_refused(login_as):
    _staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    page = login_as(founder).post(f"/landing/tasks/{passport.id}/comments", data={"body": "  "})
    assert page.status_code == 200
    assert "Write a message first." in page.text
    assert count(TaskComment) == 0


# --- documents ------------------------------------------------------------------------------------


def test_a_wrong_file_type_is_refused_with_a_clear_message_and_nothing_stored(login_as):
    _staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    before = backend().count()
    page = upload(login_as(founder), passport, b"<html>not a passport</html>", "passport.pdf")
    assert page.status_code == 200
    assert shows(page, "This file is not a readable PDF / JPEG / PNG file.")
    assert 'aria-invalid="true"' in page.text
    assert (count(TaskDocument), count(StoredFile), backend().count()) == (0, 0, before)
    assert tasks_of(case)["passport"].state is TaskState.TODO


def test_a_file_over_the_limit_gets_413_with_the_limit_and_nothing_stored(app, login_as):
    app.config["LANDING_UPLOAD_MAX_BYTES"] = 1024 * 1024
    _staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    before = backend().count()
    big = pdf_bytes() + b"%" + b"0" * (1024 * 1024)
    page = upload(login_as(founder), passport, big)
    assert page.status_code == 413
    assert "The file is larger than the limit of 1 MB." in page.text
    assert (count(TaskDocument), count(StoredFile), backend().count()) == (0, 0, before)


def test_a_png_is_accepted_downloaded_and_every_download_audited(login_as):
    staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    founder_client = login_as(founder)
    assert upload(founder_client, passport, png_bytes(), "residence-card.png").status_code == 302
    document = db.session.scalars(select(TaskDocument)).one()
    assert document.file.content_type == "image/png"
    page = founder_client.get(f"/landing/tasks/{passport.id}")
    assert f'href="/landing/documents/{document.id}"' in page.text
    with founder_client.get(f"/landing/documents/{document.id}") as download:
        assert download.status_code == 200
        assert download.data == png_bytes()
        assert download.headers["Content-Disposition"].startswith("attachment;")
    with login_as(staff).get(f"/landing/documents/{document.id}") as download:
        assert download.status_code == 200
    assert audit_actions("task_document.download") == ["task_document.download"] * 2


def test_the_founder_removes_a_document_before_submitting(login_as):
    _staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    founder_client = login_as(founder)
    upload(founder_client, passport, pdf_bytes())
    document = db.session.scalars(select(TaskDocument)).one()
    response = founder_client.post(f"/landing/documents/{document.id}/remove")
    assert response.status_code == 302
    assert (count(TaskDocument), count(StoredFile)) == (0, 0)


def test_submitting_without_the_required_document_is_refused(login_as):
    _staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    founder_client = login_as(founder)
    response = founder_client.post(f"/landing/tasks/{passport.id}/submit", data={"note": ""})
    assert response.status_code == 302
    page = founder_client.get(response.headers["Location"])
    assert "Please upload at least one document before submitting this step." in page.text
    assert tasks_of(case)["passport"].state is TaskState.TODO


# --- staff decisions ----------------------------------------------------------------------------------


def _submitted(login_as: Any) -> tuple[Any, Any, Any, Any]:
    staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    founder_client = login_as(founder)
    upload(founder_client, passport, pdf_bytes())
    founder_client.post(f"/landing/tasks/{passport.id}/submit", data={})
    return staff, founder, case, passport


def test_request_changes_without_a_comment_is_refused(login_as, outbox):
    staff, _founder, case, passport = _submitted(login_as)
    sent = len(outbox())
    page = login_as(staff).post(f"/landing/tasks/{passport.id}/request-changes?lang=en", data={"changes": " "})
    assert page.status_code == 200
    assert "Say what needs to change: the founder reads it." in page.text
    assert tasks_of(case)["passport"].state is TaskState.SUBMITTED
    assert (count(TaskComment), len(outbox())) == (0, sent)


def test_request_changes_sends_the_task_back_and_the_founder_resubmits(login_as, outbox):
    staff, founder, case, passport = _submitted(login_as)
    response = login_as(staff).post(
        f"/landing/tasks/{passport.id}/request-changes", data={"changes": "The scan is blurred."}
    )
    assert response.status_code == 302
    assert tasks_of(case)["passport"].state is TaskState.NEEDS_CHANGES
    page = login_as(founder).get(f"/landing/tasks/{passport.id}")
    assert "Changes requested" in page.text
    assert "The scan is blurred." in page.text
    assert 'id="submit"' in page.text
    [email] = [e for e in outbox() if e.template == "softlanding/changes_requested"]
    assert (email.to_address, email.locale) == (founder.email, "en")
    login_as(founder).post(f"/landing/tasks/{passport.id}/submit", data={"note": "Sharper now."})
    assert tasks_of(case)["passport"].state is TaskState.SUBMITTED


def test_staff_complete_a_staff_step_and_mark_another_not_applicable(login_as):
    staff, _founder, case = founder_case()
    tasks = tasks_of(case)
    staff_client = login_as(staff)
    assert staff_client.post(f"/landing/tasks/{tasks['consult'].id}/complete").status_code == 302
    refused = staff_client.post(f"/landing/tasks/{tasks['housing'].id}/not-applicable?lang=en", data={"reason": ""})
    assert "Give the reason this step does not apply." in refused.text
    response = staff_client.post(
        f"/landing/tasks/{tasks['housing'].id}/not-applicable", data={"reason": "Lives with family."}
    )
    assert response.status_code == 302
    tasks = tasks_of(case)
    assert tasks["consult"].state is TaskState.DONE
    assert (tasks["housing"].state, tasks["housing"].not_applicable_reason) == (
        TaskState.NOT_APPLICABLE,
        "Lives with family.",
    )
    assert tasks["registration"].state is TaskState.TODO


def test_a_refused_action_changes_nothing_and_says_why(login_as):
    staff, _founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    response = login_as(staff).post(f"/landing/tasks/{passport.id}/approve?lang=en", data={})
    assert response.status_code == 302
    page = login_as(staff).get(response.headers["Location"])
    assert "Only a step awaiting review can be approved." in page.text
    assert tasks_of(case)["passport"].state is TaskState.TODO


# --- the case: close, delete documents, reopen ----------------------------------------------------------


def test_staff_close_a_case_then_delete_its_documents_after_confirming(login_as):
    staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    upload(login_as(founder), passport, pdf_bytes())
    staff_client = login_as(staff)
    assert staff_client.post(f"/landing/cases/{case.id}/close").status_code == 302
    assert db.session.get(LandingCase, case.id).state is CaseState.CLOSED
    page = staff_client.get(f"/landing/cases/{case.id}?lang=en")
    assert 'id="personal-data"' in page.text
    unconfirmed = staff_client.post(f"/landing/cases/{case.id}/delete-documents", data={})
    assert "Tick the box to confirm the deletion." in staff_client.get(unconfirmed.headers["Location"]).text
    assert count(TaskDocument) == 1
    before = backend().count()
    response = staff_client.post(f"/landing/cases/{case.id}/delete-documents", data={"confirm": "y"})
    assert "1 document has been deleted, with its stored file." in staff_client.get(response.headers["Location"]).text
    assert (count(TaskDocument), count(StoredFile), backend().count()) == (0, 0, before - 1)
    assert staff_client.post(f"/landing/cases/{case.id}/reopen").status_code == 302
    assert db.session.get(LandingCase, case.id).state is CaseState.OPEN


def test_a_closed_case_offers_no_buttons_to_the_founder(login_as):
    staff, founder, case = founder_case()
    login_as(staff).post(f"/landing/cases/{case.id}/close")
    passport = tasks_of(case)["passport"]
    page = login_as(founder).get(f"/landing/tasks/{passport.id}")
    assert 'id="upload"' not in page.text and 'id="submit"' not in page.text and 'id="comment-form"' not in page.text
    response = upload(login_as(founder), passport, pdf_bytes())
    assert response.status_code == 302
    assert count(TaskDocument) == 0


# --- the calendar feed -----------------------------------------------------------------------------------


def test_the_feed_serves_the_due_dates_privately_until_revoked(login_as, client):
    _staff, founder, case = founder_case()
    token = case.feed_token
    feed = client.get(f"/landing/feeds/{token}.ics")
    assert feed.status_code == 200
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert feed.headers["Cache-Control"] == "private, no-store"
    assert b"BEGIN:VCALENDAR" in feed.data
    assert b"SUMMARY:Step passport" in feed.data
    assert client.get("/landing/feeds/not-a-token.ics").status_code == 404

    founder_client = login_as(founder)
    assert founder_client.post(f"/landing/cases/{case.id}/feed/rotate").status_code == 302
    new_token = db.session.get(LandingCase, case.id).feed_token
    assert new_token != token
    assert client.get(f"/landing/feeds/{token}.ics").status_code == 404
    assert founder_client.post(f"/landing/cases/{case.id}/feed/revoke").status_code == 302
    assert client.get(f"/landing/feeds/{new_token}.ics").status_code == 404
    page = founder_client.get(f"/landing/cases/{case.id}")
    assert "The calendar address is switched off." in page.text


# --- opening a case --------------------------------------------------------------------------------------


def test_opening_a_case_for_an_existing_account_emails_them_instead_of_inviting(login_as, outbox):
    staff = StaffFactory(locale="ja")
    founder = UserFactory(email="lena@example.org", locale="en")
    template = small_template()
    response = login_as(staff).post(
        "/landing/cases/new",
        data={
            "template_id": str(template.id),
            "founder_email": "lena@example.org",
            "founder_name": "Lena",
            "planned_arrival_on": "2026-06-01",
            "concierge_id": "",
            "home_country": "",
        },
    )
    assert response.status_code == 302
    case = db.session.scalars(select(LandingCase)).one()
    assert (case.founder_id, case.concierge_id, case.home_country, case.company_name) == (founder.id, None, None, None)
    assert [(e.to_address, e.template) for e in outbox()] == [("lena@example.org", "softlanding/case_opened")]
    assert count(User) == 2


def test_the_new_case_form_refuses_bad_input_and_keeps_what_was_typed(login_as):
    staff = StaffFactory(locale="en")
    template = small_template()
    page = login_as(staff).post(
        "/landing/cases/new",
        data={"template_id": str(template.id), "founder_email": "not-an-email", "founder_name": "Ann"},
    )
    assert page.status_code == 200
    assert "Enter a valid email address, like name@example.com." in page.text
    assert "Enter the planned arrival date." in page.text
    assert 'value="Ann"' in page.text
    assert count(LandingCase) == 0


def test_a_second_open_case_for_the_same_founder_is_refused_with_a_message(login_as):
    staff, founder, case = founder_case()
    template = small_template()
    page = login_as(staff).post(
        "/landing/cases/new?lang=en",
        data={
            "template_id": str(template.id),
            "founder_email": founder.email,
            "founder_name": founder.name,
            "planned_arrival_on": "2026-06-01",
        },
    )
    assert page.status_code == 200
    assert shows(page, "Aiko Tan already has an open landing case. Close it before opening another.")
    assert count(LandingCase) == 1


def test_the_index_sends_founders_to_their_case_and_staff_to_the_queue(login_as):
    staff, founder, case = founder_case()
    assert login_as(founder).get("/landing/").headers["Location"] == f"/landing/cases/{case.id}"
    assert login_as(staff).get("/landing/").headers["Location"] == "/landing/queue"
    page = login_as(UserFactory()).get("/landing/")
    assert page.status_code == 200
    assert "You have no landing case." in page.text


def test_an_upload_racing_another_change_to_the_step_is_refused_politely_and_keeps_nothing(app, login_as):
    # Two tabs (or two teammates) change the same step at once: the other request commits between our
    # read and our write. Simulated at the database edge: just before our UPDATE of the step, its version
    # moves on, as the other request's commit would have moved it.
    _staff, founder, case = founder_case()
    passport = tasks_of(case)["passport"]
    founder_client = login_as(founder)
    task_id = passport.id
    stored_before = {item.key for batch in list_objects(backend()) for item in batch}

    def other_request_commits_first(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE CASE_TASK"):
            cursor.execute(f"UPDATE case_task SET version = version + 1 WHERE id = {task_id:d}")  # noqa: S608 - an int

    engine = db.engine
    event.listen(engine, "before_cursor_execute", other_request_commits_first)
    try:
        response = upload(founder_client, passport, pdf_bytes())
    finally:
        event.remove(engine, "before_cursor_execute", other_request_commits_first)

    assert response.status_code == 409
    assert shows(response, "Someone else changed this at the same moment, so nothing you sent was saved.")
    assert (count(TaskDocument), count(StoredFile)) == (0, 0)
    stored_after = {item.key for batch in list_objects(backend()) for item in batch}
    assert stored_after == stored_before  # the bytes it stored were deleted with the rollback
