"""Deleting an account removes the person's rows and the files only they own; the team's records stay.

A user deletes their own account (fresh login, password, a tick); staff delete one from the admin page
(fresh login, a tick). Gone: the user, their landing cases with documents and stored files, startups of
which they were the only member with applications and decks (rows and stored objects), email to their
address, their IP in the audit trail. Refused, changing nothing: the last active staff member, the only
member of a startup in the programme, a judge with reviews on an undecided call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kakehashi.accounts.models import Startup, StartupMember, User
from kakehashi.applications.judging.models import AssignmentState, CallJudge, JudgeAssignment
from kakehashi.applications.models import Application, CallState
from kakehashi.cohorts.models import FundingRound
from kakehashi.core import audit
from kakehashi.core.audit import AuditEvent
from kakehashi.core.outbox import OutboundEmail
from kakehashi.core.storage import StoredFile, backend
from kakehashi.extensions import db
from kakehashi.softlanding import services as landing_services
from kakehashi.softlanding.models import CaseTask, LandingCase, TaskComment, TaskDocument
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    CallFactory,
    CohortMemberFactory,
    FundingRoundFactory,
    StaffFactory,
    StartupFactory,
    UserFactory,
    attach_deck,
    member_of,
)
from tests.softlanding.factories import open_small_case, tasks_of, upload

CONFIRM = {"password": PASSWORD, "confirm": "y"}


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def applicant_with_everything(email: str = "hana@example.org") -> dict[str, Any]:
    """The only member of a startup with an application and deck and a round, who also has a landing case."""
    staff = StaffFactory()
    application = ApplicationFactory()
    deck = attach_deck(application)
    user = member_of(application.startup, user__email=email, user__name="Hana Sato")
    FundingRoundFactory(startup=application.startup)
    case = open_small_case(founder=user, staff=staff)
    passport = tasks_of(case)["passport"]
    document = landing_services.add_document(passport, upload(), by=user)
    landing_services.add_comment(passport, by=user, body="My passport.")
    audit.record(user, "user.profile_updated", user, {"name": "Hana Sato"})
    db.session.commit()
    return {
        "user": user,
        "staff": staff,
        "startup": application.startup,
        "application": application,
        "deck_key": deck.key,
        "case": case,
        "document_key": document.file.key,
    }


def test_a_user_deletes_their_account_with_the_rows_and_files_only_they_own(client, login_as, outbox):
    world = applicant_with_everything()
    user_id, startup_id = world["user"].id, world["startup"].id
    assert backend().exists(world["deck_key"]) and backend().exists(world["document_key"])
    client = login_as(world["user"])
    client.post("/reauthenticate", data={"password": PASSWORD})  # an audited request from their address
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.ip.is_not(None))) == 1
    page = client.get("/account/delete?lang=en")
    assert "Delete your account" in page.text and "Startup" in page.text

    response = client.post("/account/delete", data=CONFIRM)

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert db.session.get(User, user_id) is None
    assert db.session.get(Startup, startup_id) is None
    for model in (StartupMember, Application, FundingRound, LandingCase, CaseTask, TaskDocument, TaskComment):
        assert count(model) == 0, model
    assert count(StoredFile) == 0
    assert not backend().exists(world["deck_key"])
    assert not backend().exists(world["document_key"])
    assert [e for e in outbox() if e.to_address == "hana@example.org"] == []
    deleted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.deleted")).one()
    assert (deleted.actor_id, deleted.object_type, deleted.object_id) == (None, "user", user_id)
    assert deleted.data == {
        "self": True,
        "startups": 1,
        "applications": 1,
        "decks": 1,
        "landing_cases": 1,
        "documents": 1,
    }
    about_them = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == user_id)).all()
    assert all("Hana" not in repr(e.data) and "hana@" not in repr(e.data) for e in about_them)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.ip.is_not(None))) == 0
    assert client.get("/account").headers["Location"].startswith("/login")  # signed out


def test_a_startup_with_other_members_keeps_its_application_and_deck(login_as):
    application = ApplicationFactory()
    deck = attach_deck(application)
    leaving, staying = member_of(application.startup), member_of(application.startup)
    leaving_id = leaving.id
    login_as(leaving).post("/account/delete", data=CONFIRM)
    assert db.session.get(User, leaving_id) is None
    assert db.session.get(Application, application.id) is not None
    assert backend().exists(deck.key)
    members = db.session.scalars(select(StartupMember.user_id)).all()
    assert members == [staying.id]


def test_another_session_of_the_deleted_user_ends(app, login_as):
    user = UserFactory()
    other_browser = app.test_client()
    with other_browser.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert other_browser.get("/account").status_code == 200
    login_as(user).post("/account/delete", data=CONFIRM)
    assert other_browser.get("/account").headers["Location"].startswith("/login")


def test_a_wrong_password_or_no_tick_deletes_nothing(login_as):
    user = UserFactory()
    client = login_as(user)
    wrong = client.post("/account/delete?lang=en", data={"password": "not it", "confirm": "y"})
    assert wrong.status_code == 200 and "The password is not correct." in wrong.text
    unticked = client.post("/account/delete?lang=en", data={"password": PASSWORD})
    assert unticked.status_code == 200 and "Tick the box to confirm." in unticked.text
    assert db.session.get(User, user.id) is not None


def test_the_last_active_staff_member_cannot_delete_their_account(login_as):
    staff = StaffFactory()
    StaffFactory(active=False)
    client = login_as(staff)
    page = client.get("/account/delete?lang=en")
    assert "This is the last active programme staff account." in page.text
    client.post("/account/delete", data=CONFIRM)
    assert db.session.get(User, staff.id) is not None


def test_the_only_member_of_a_startup_in_a_cohort_is_asked_to_add_a_teammate_first(login_as):
    startup = StartupFactory(name={"en": "Kaze Robotics"})
    CohortMemberFactory(startup=startup)
    user = member_of(startup)
    client = login_as(user)
    page = client.get("/account/delete?lang=en")
    assert "Kaze Robotics takes part in the programme and you are its only member." in page.text
    client.post("/account/delete", data=CONFIRM)
    assert db.session.get(User, user.id) is not None
    member_of(startup)  # a teammate joins: the startup stays with them
    user_id = user.id
    login_as(user).post("/account/delete", data=CONFIRM)
    assert db.session.get(User, user_id) is None
    assert db.session.get(Startup, startup.id) is not None


def test_a_judge_with_reviews_on_an_undecided_call_must_wait(login_as):
    call = CallFactory(state=CallState.CLOSED)
    judge = UserFactory()
    db.session.add(CallJudge(call_id=call.id, user_id=judge.id))
    assignment = JudgeAssignment(
        call_id=call.id,
        application_id=ApplicationFactory(call=call).id,
        judge_id=judge.id,
        state=AssignmentState.SUBMITTED,
    )
    db.session.add(assignment)
    db.session.commit()
    client = login_as(judge)
    assert "You have reviews on a call that has not been decided yet." in client.get("/account/delete?lang=en").text
    client.post("/account/delete", data=CONFIRM)
    assert db.session.get(User, judge.id) is not None
    call.state = CallState.DECIDED
    db.session.commit()
    judge_id = judge.id
    login_as(judge).post("/account/delete", data=CONFIRM)
    assert db.session.get(User, judge_id) is None
    assert count(JudgeAssignment) == 0 and count(CallJudge) == 0


def test_deleting_ones_account_needs_a_fresh_login(login_as):
    from tests.test_fresh_login import make_stale, reauth_target

    user = UserFactory()
    client = login_as(user)
    make_stale(client)
    assert client.get("/account/delete").status_code == 200  # reading the page is fine
    assert reauth_target(client.post("/account/delete", data=CONFIRM)) == "/account/delete"
    assert db.session.get(User, user.id) is not None


# --- staff ----------------------------------------------------------------------------------------------


def test_staff_delete_a_user_from_the_admin_page(login_as):
    world = applicant_with_everything()
    user_id, staff = world["user"].id, world["staff"]
    client = login_as(staff)
    page = client.get(f"/admin/users/{user_id}?lang=en")
    assert "Delete the account" in page.text
    response = client.post(f"/admin/users/{user_id}/delete", data={"confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    assert db.session.get(User, user_id) is None
    assert not backend().exists(world["document_key"]) and not backend().exists(world["deck_key"])
    deleted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.deleted")).one()
    assert (deleted.actor_id, deleted.object_id, deleted.data["self"]) == (staff.id, user_id, False)


def test_staff_deletion_needs_the_tick_and_a_fresh_login(login_as):
    from tests.test_fresh_login import make_stale, reauth_target

    staff, user = StaffFactory(), UserFactory()
    client = login_as(staff)
    client.post(f"/admin/users/{user.id}/delete", data={})
    assert db.session.get(User, user.id) is not None
    make_stale(client)
    assert reauth_target(client.post(f"/admin/users/{user.id}/delete", data={"confirm": "y"})) == (
        f"/admin/users/{user.id}"
    )
    assert db.session.get(User, user.id) is not None


def test_staff_cannot_delete_themselves_from_the_admin_page(login_as):
    staff = StaffFactory()
    StaffFactory()
    login_as(staff).post(f"/admin/users/{staff.id}/delete", data={"confirm": "y"})
    assert db.session.get(User, staff.id) is not None


def test_a_refused_staff_deletion_shows_why_and_keeps_everything(login_as):
    startup = StartupFactory(name={"en": "Kaze Robotics"})
    CohortMemberFactory(startup=startup)
    user = member_of(startup)
    client = login_as(StaffFactory())
    response = client.post(f"/admin/users/{user.id}/delete?lang=en", data={"confirm": "y"}, follow_redirects=True)
    assert "Kaze Robotics takes part in the programme" in response.text
    assert db.session.get(User, user.id) is not None
    assert count(AuditEvent) == db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action != "user.deleted")
    )


def test_emails_to_the_deleted_address_are_removed_but_others_stay(login_as, outbox):
    user, other = UserFactory(email="gone@example.org"), UserFactory(email="stays@example.org")
    from kakehashi.core import outbox as mail

    mail.queue(user, "accounts/verify_email", token="t")
    mail.queue(other, "accounts/verify_email", token="t")
    db.session.commit()
    login_as(user).post("/account/delete", data=CONFIRM)
    assert [e.to_address for e in outbox()] == ["stays@example.org"]
    assert count(OutboundEmail) == 1
