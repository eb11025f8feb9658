"""Retention: ``flask softlanding purge-documents`` deletes the documents of cases closed longer ago than
``LANDING_DOCUMENT_RETENTION_DAYS`` (default 365) — rows and stored objects — audits each case without
personal data, and is safe to run again (cron)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from kakehashi.core.audit import AuditEvent
from kakehashi.core.db import utcnow
from kakehashi.core.storage import StoredFile, backend
from kakehashi.extensions import db
from kakehashi.softlanding import services
from kakehashi.softlanding.cli import softlanding_cli
from kakehashi.softlanding.models import CaseTask, LandingCase, TaskComment, TaskDocument
from tests.factories import StaffFactory, UserFactory
from tests.softlanding.factories import open_small_case, tasks_of, upload


def case_with_documents(staff, *, closed_days_ago: int | None, documents: int = 2) -> tuple[LandingCase, list[str]]:
    founder = UserFactory(locale="en")
    case = open_small_case(founder=founder, staff=staff)
    passport = tasks_of(case)["passport"]
    keys = [services.add_document(passport, upload(), by=founder).file.key for _ in range(documents)]
    services.add_comment(passport, by=founder, body="Sent.")
    if closed_days_ago is not None:
        services.close_case(case, by=staff)
        case.closed_at = utcnow() - timedelta(days=closed_days_ago)
    db.session.commit()
    return case, keys


def documents_of(case: LandingCase) -> int:
    return db.session.scalar(
        select(func.count(TaskDocument.id))
        .join(CaseTask, CaseTask.id == TaskDocument.task_id)
        .where(CaseTask.case_id == case.id)
    )


def purge_audits() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "landing_case.documents_purged").order_by(AuditEvent.id)
        )
    )


def test_documents_of_cases_closed_over_a_year_ago_are_deleted_with_their_files(app):
    staff = StaffFactory()
    old, old_keys = case_with_documents(staff, closed_days_ago=400)
    recent, recent_keys = case_with_documents(staff, closed_days_ago=100)
    still_open, open_keys = case_with_documents(staff, closed_days_ago=None)

    result = app.test_cli_runner().invoke(softlanding_cli, ["purge-documents"])

    assert result.exit_code == 0, result.output
    assert "Deleted 2 document(s) of 1 case(s) closed more than 365 day(s) ago." in result.output
    assert (documents_of(old), documents_of(recent), documents_of(still_open)) == (0, 2, 2)
    assert [backend().exists(key) for key in old_keys] == [False, False]
    assert all(backend().exists(key) for key in recent_keys + open_keys)
    assert db.session.scalar(select(func.count(StoredFile.id))) == 4
    # The case itself, its tasks and its thread stay (the programme's record); only the documents go.
    assert db.session.get(LandingCase, old.id) is not None
    assert db.session.scalar(select(func.count(TaskComment.id))) == 3
    [event] = purge_audits()
    assert (event.actor_id, event.object_type, event.object_id, event.data) == (
        None,
        "landing_case",
        old.id,
        {"count": 2, "retention_days": 365},
    )


def test_running_it_again_deletes_and_audits_nothing_more(app):
    staff = StaffFactory()
    case_with_documents(staff, closed_days_ago=400)
    runner = app.test_cli_runner()
    runner.invoke(softlanding_cli, ["purge-documents"])
    audits = db.session.scalar(select(func.count(AuditEvent.id)))
    again = runner.invoke(softlanding_cli, ["purge-documents"])
    assert again.exit_code == 0
    assert "Deleted 0 document(s) of 0 case(s)" in again.output
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audits


def test_the_retention_period_comes_from_the_setting_or_the_option(app):
    staff = StaffFactory()
    case, _keys = case_with_documents(staff, closed_days_ago=100)
    runner = app.test_cli_runner()
    runner.invoke(softlanding_cli, ["purge-documents"])
    assert documents_of(case) == 2
    app.config["LANDING_DOCUMENT_RETENTION_DAYS"] = 90
    result = runner.invoke(softlanding_cli, ["purge-documents"])
    assert "closed more than 90 day(s) ago" in result.output
    assert documents_of(case) == 0
    other, _keys = case_with_documents(staff, closed_days_ago=10)
    runner.invoke(softlanding_cli, ["purge-documents", "--days", "7"])
    assert documents_of(other) == 0


def test_a_negative_period_is_refused(app):
    result = app.test_cli_runner().invoke(softlanding_cli, ["purge-documents", "--days", "-1"])
    assert result.exit_code != 0
    assert "-1" in result.output


def test_a_case_closed_exactly_at_the_limit_is_kept_until_it_passes():
    staff = StaffFactory()
    case, _keys = case_with_documents(staff, closed_days_ago=30)
    now = case.closed_at + timedelta(days=30)
    assert services.purge_expired_documents(now=now, days=30) == (0, 0)
    assert services.purge_expired_documents(now=now + timedelta(seconds=1), days=30) == (1, 2)
    db.session.commit()
    assert documents_of(case) == 0


def test_a_reopened_case_is_not_purged():
    staff = StaffFactory()
    case, _keys = case_with_documents(staff, closed_days_ago=400)
    services.reopen_case(case, by=staff)
    db.session.commit()
    assert services.purge_expired_documents() == (0, 0)
    assert documents_of(case) == 2
