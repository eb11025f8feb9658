"""Staff manage a call's judges: invitations, conflicts of interest, automatic and manual assignment.

Pages are read in English (``?lang=en``). Judges and applications are made directly in the database;
everything staff do goes through the pages, as a browser would.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from kakehashi.accounts.models import Invitation, InvitedRole, User
from kakehashi.applications.judging import services
from kakehashi.applications.judging.models import (
    AssignmentState,
    CallJudge,
    Conflict,
    ConflictSource,
    JudgeAssignment,
)
from kakehashi.applications.models import ApplicationState, Call, CallState
from kakehashi.core.audit import AuditEvent
from kakehashi.core.db import utcnow
from kakehashi.extensions import db
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    StaffFactory,
    StartupFactory,
    UserFactory,
    VerticalFactory,
    member_of,
)

# --- helpers -------------------------------------------------------------------------------------


def closed_call(**kwargs: Any) -> Call:
    """A call closed for judging (its deadline passed yesterday)."""
    kwargs.setdefault("closes_at", utcnow() - timedelta(days=1))
    kwargs.setdefault("opens_at", utcnow() - timedelta(days=30))
    return CallFactory(state=CallState.CLOSED, **kwargs)


def judge_of(call: Call, name: str | None = None, *, expertise: list[str] | None = None, **kwargs: Any) -> User:
    user = UserFactory(name=name, **kwargs) if name else UserFactory(**kwargs)
    db.session.add(CallJudge(call_id=call.id, user_id=user.id, expertise=expertise or []))
    db.session.commit()
    return user


def under_review(call: Call, name_en: str | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("state", ApplicationState.UNDER_REVIEW)
    kwargs.setdefault("submitted_at", utcnow() - timedelta(days=3))
    if name_en:
        kwargs["startup"] = StartupFactory(name={"ja": f"{name_en}株式会社", "en": name_en})
    return ApplicationFactory(call=call, **kwargs)


def assign(application: Any, judge: User, state: AssignmentState = AssignmentState.ASSIGNED) -> JudgeAssignment:
    assignment = JudgeAssignment(
        call_id=application.call_id, application_id=application.id, judge_id=judge.id, state=state
    )
    db.session.add(assignment)
    db.session.commit()
    return assignment


def staff_user(login_as: Any) -> User:
    staff = StaffFactory(locale="en")
    login_as(staff)
    return staff


def judges_on(application: Any, *states: AssignmentState) -> set[int]:
    query = select(JudgeAssignment.judge_id).where(JudgeAssignment.application_id == application.id)
    if states:
        query = query.where(JudgeAssignment.state.in_(states))
    return set(db.session.scalars(query))


def live_judges(application: Any) -> set[int]:
    return judges_on(application, AssignmentState.ASSIGNED, AssignmentState.SUBMITTED)


def loads(call: Call) -> Counter[int]:
    rows = db.session.scalars(
        select(JudgeAssignment.judge_id).where(
            JudgeAssignment.call_id == call.id, JudgeAssignment.state != AssignmentState.CONFLICTED
        )
    )
    return Counter(rows)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def alerts(html: str) -> list[str]:
    return [unescape(m).strip() for m in re.findall(r'<div class="alert alert-\w+" role="\w+">(.*?)</div>', html, re.S)]


def invite_data(**overrides: str) -> dict[str, str]:
    data = {"name": "Kenji Watanabe", "email": "kenji@fund.example", "expertise": "FinTech, payments", "locale": "ja"}
    data.update(overrides)
    return data


# --- inviting judges -----------------------------------------------------------------------------


def test_staff_invite_someone_new_who_gets_an_invitation_in_the_language_chosen(client, login_as, outbox):
    staff = staff_user(login_as)
    call = closed_call()
    response = client.post(
        f"/admin/calls/{call.id}/judges?lang=en",
        data=invite_data(expertise="FinTech, payments、ＡＩ，fintech"),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Kenji Watanabe is now a judge of this call." in alerts(response.text)
    user = db.session.scalars(select(User).where(User.email == "kenji@fund.example")).one()
    judge = db.session.scalars(select(CallJudge)).one()
    assert (judge.call_id, judge.user_id, judge.expertise, judge.invited_by_id) == (
        call.id,
        user.id,
        ["FinTech", "payments", "AI"],
        staff.id,
    )
    assert (user.name, user.locale, user.has_password, user.is_staff) == ("Kenji Watanabe", "ja", False, False)
    assert db.session.scalars(select(Invitation.role).where(Invitation.user_id == user.id)).one() is InvitedRole.JUDGE
    emails = outbox()
    # One email: the invitation, in Japanese, naming the call.
    assert [(e.to_address, e.template, e.locale) for e in emails] == [
        ("kenji@fund.example", "accounts/invitation", "ja"),
    ]
    with force_locale("ja"):
        assert emails[0].subject == gettext("You are invited to Kakehashi as %(role)s", role=InvitedRole.JUDGE.label)
    assert call.title["ja"] in emails[0].body_text
    [event] = events("judging.judge_added")
    assert (event.actor_id, event.object_type, event.object_id, event.data) == (
        staff.id,
        "call",
        call.id,
        {"judge": user.id, "expertise": ["FinTech", "payments", "AI"]},
    )
    page = client.get(f"/admin/calls/{call.id}/judges?lang=en").text
    assert "Kenji Watanabe" in page and "Invitation pending" in page and ">payments</span>" in page


def test_an_existing_account_is_added_and_told_in_its_own_language(client, login_as, outbox):
    staff_user(login_as)
    call = closed_call()
    existing = UserFactory(email="mika@example.org", name="Mika Sato", locale="en")
    response = client.post(
        f"/admin/calls/{call.id}/judges?lang=en",
        data=invite_data(name="Someone Else", email=" Mika@Example.org ", locale="ja"),
        follow_redirects=True,
    )
    assert "Mika Sato is now a judge of this call." in alerts(response.text)
    assert db.session.scalars(select(CallJudge.user_id)).all() == [existing.id]
    assert count(Invitation) == 0
    [email] = outbox()
    assert (email.to_address, email.template, email.locale) == ("mika@example.org", "judging/added_to_call", "en")
    assert call.title["en"] in email.subject
    db.session.refresh(existing)
    assert existing.name == "Mika Sato"  # the form's name is for new people only
    assert len(events("judging.judge_added")) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "Enter a name."),
        ({"email": ""}, "Enter an email address."),
        ({"email": "not-an-address"}, "Enter a valid email address, like name@example.com."),
        ({"expertise": "x" * 1001}, "Field cannot be longer than 1000 characters."),
    ],
)
def test_bad_input_is_shown_again_with_the_problem_and_nothing_is_stored(client, login_as, outbox, overrides, message):
    staff_user(login_as)
    call = closed_call()
    users_before = count(User)
    response = client.post(f"/admin/calls/{call.id}/judges?lang=en", data=invite_data(**overrides))
    assert response.status_code == 200
    assert message in unescape(response.text)
    assert "Please correct the highlighted fields." in response.text
    if "name" not in overrides:
        assert 'value="Kenji Watanabe"' in response.text  # what was typed is kept
    assert (count(CallJudge), count(User), outbox(), events("judging.judge_added")) == (0, users_before, [], [])


def test_a_judge_cannot_be_added_twice_to_a_call(client, login_as, outbox):
    staff_user(login_as)
    call = closed_call()
    client.post(f"/admin/calls/{call.id}/judges?lang=en", data=invite_data())
    emails_before = len(outbox())
    response = client.post(f"/admin/calls/{call.id}/judges?lang=en", data=invite_data(email="KENJI@fund.example"))
    assert response.status_code == 200
    assert "This person is already a judge of this call." in response.text
    assert (count(CallJudge), len(outbox()), len(events("judging.judge_added"))) == (1, emails_before, 1)
    # The same person may judge another call.
    other = closed_call()
    client.post(f"/admin/calls/{other.id}/judges?lang=en", data=invite_data())
    assert count(CallJudge) == 2 and count(User) == 2  # staff + Kenji, once


def test_expertise_tags_are_cleaned_up():
    assert services.parse_expertise("FinTech, payments、ＡＩ，fintech ,  , Deep   Tech") == [
        "FinTech",
        "payments",
        "AI",
        "Deep Tech",
    ]
    assert services.parse_expertise("") == []
    assert len(services.parse_expertise(",".join(f"t{i}" for i in range(40)))) == 20


# --- conflicts of interest ------------------------------------------------------------------------


def test_a_conflict_recorded_before_assignment_keeps_the_judge_off_that_startup(client, login_as):
    staff = staff_user(login_as)
    call = closed_call(judges_per_application=2)
    fund_partner, judge_b, judge_c = (judge_of(call, n) for n in ("Aoi Fund", "Ben Judge", "Chie Judge"))
    application = under_review(call, "Kaze Robotics")
    form = client.get(f"/admin/calls/{call.id}/judges?lang=en").text
    assert f'<option value="{application.id}">Kaze Robotics</option>' in form
    response = client.post(
        f"/admin/calls/{call.id}/conflicts?lang=en",
        data={"judge_id": fund_partner.id, "application_id": application.id, "reason": " Her fund invested in it. "},
        follow_redirects=True,
    )
    assert any(a.startswith("The conflict of interest has been recorded.") for a in alerts(response.text))
    conflict = db.session.scalars(select(Conflict)).one()
    assert (conflict.judge_id, conflict.startup_id, conflict.reason, conflict.source, conflict.recorded_by_id) == (
        fund_partner.id,
        application.startup_id,
        "Her fund invested in it.",
        ConflictSource.STAFF,
        staff.id,
    )
    [event] = events("judging.conflict_recorded")
    assert (event.actor_id, event.object_id, event.data) == (
        staff.id,
        conflict.id,
        {"judge": fund_partner.id, "startup": application.startup_id, "source": "staff"},
    )
    page = client.get(f"/admin/calls/{call.id}/judges?lang=en").text
    conflicts = page.split('id="conflicts"', 1)[1]
    assert "Aoi Fund" in conflicts and "Kaze Robotics" in conflicts and "Her fund invested in it." in conflicts

    client.post(f"/admin/calls/{call.id}/assign?lang=en")
    assert judges_on(application) == {judge_b.id, judge_c.id}


def test_a_conflict_recorded_after_assignment_ends_it_and_a_replacement_is_assigned(client, login_as):
    staff_user(login_as)
    call = closed_call(judges_per_application=2)
    a, b, c = (judge_of(call, n) for n in ("Aoi", "Ben", "Chie"))
    application = under_review(call, "Kaze Robotics")
    first = assign(application, a)
    assign(application, b)
    client.post(
        f"/admin/calls/{call.id}/conflicts?lang=en",
        data={"judge_id": a.id, "application_id": application.id, "reason": "Same employer"},
    )
    db.session.refresh(first)
    assert (first.state, first.conflict_reason) == (AssignmentState.CONFLICTED, "Same employer")
    assert live_judges(application) == {b.id, c.id}
    assert [e.data for e in events("judging.assigned")] == [{"application": application.id, "judge": c.id}]
    assert [e.data for e in events("assignment.state")] == [{"from": "assigned", "to": "conflicted"}]
    page = client.get(f"/admin/calls/{call.id}/assignments?lang=en").text
    row = page.split(f'id="application-{application.id}"', 1)[1]
    assert "Conflict declared" in row and "Reason: Same employer" in row


def test_a_submitted_review_stays_when_a_conflict_is_recorded_later(client, login_as):
    staff_user(login_as)
    call = closed_call(judges_per_application=1)
    a, _b = judge_of(call, "Aoi"), judge_of(call, "Ben")
    application = under_review(call)
    done = assign(application, a, AssignmentState.SUBMITTED)
    client.post(
        f"/admin/calls/{call.id}/conflicts",
        data={"judge_id": a.id, "application_id": application.id, "reason": "Found out later"},
    )
    db.session.refresh(done)
    assert done.state is AssignmentState.SUBMITTED
    assert live_judges(application) == {a.id}
    assert count(Conflict) == 1


def test_a_conflict_form_with_a_missing_reason_or_someone_else_is_refused(client, login_as):
    staff_user(login_as)
    call = closed_call()
    judge = judge_of(call, "Aoi")
    outsider = UserFactory()
    application = under_review(call)
    draft = ApplicationFactory(call=call)
    for data, message in [
        ({"judge_id": judge.id, "application_id": application.id, "reason": "  "}, "Say why this judge should not"),
        ({"judge_id": outsider.id, "application_id": application.id, "reason": "x"}, "Choose a judge of this call."),
        ({"judge_id": judge.id, "application_id": draft.id, "reason": "x"}, "Choose one of the applications being"),
        ({"judge_id": "abc", "reason": "x"}, "Choose a judge of this call."),
    ]:
        response = client.post(f"/admin/calls/{call.id}/conflicts?lang=en", data=data)
        assert response.status_code == 200
        assert message in unescape(response.text)
    assert (count(Conflict), events("judging.conflict_recorded")) == (0, [])


def test_a_conflict_with_a_decided_application_assigns_no_replacement():
    staff = StaffFactory()
    call = closed_call(judges_per_application=1)
    a, _b = judge_of(call, "Aoi"), judge_of(call, "Ben")
    application = under_review(call, state=ApplicationState.ACCEPTED)
    leftover = assign(application, a)
    services.record_conflict(a, application, reason="Late news", by=staff)
    db.session.commit()
    assert leftover.state is AssignmentState.CONFLICTED
    assert judges_on(application) == {a.id}


# --- automatic assignment -------------------------------------------------------------------------


def test_auto_assign_gives_every_application_its_judges_balanced_and_twice_changes_nothing(client, login_as):
    staff = staff_user(login_as)
    call = closed_call(judges_per_application=3)
    judges = [judge_of(call) for _ in range(4)]
    applications = [under_review(call) for _ in range(9)]
    applications.append(under_review(call, state=ApplicationState.SUBMITTED))
    ApplicationFactory(call=call)  # a draft is not judged
    under_review(call, state=ApplicationState.WITHDRAWN)
    response = client.post(f"/admin/calls/{call.id}/assign?lang=en", follow_redirects=True)
    assert alerts(response.text) == ["30 assignments created."]
    for application in applications:
        assert len(judges_on(application)) == 3
    per_judge = loads(call)
    assert set(per_judge) == {j.id for j in judges}
    assert max(per_judge.values()) - min(per_judge.values()) <= 1
    assigned = events("judging.assigned")
    assert len(assigned) == 30 and {e.actor_id for e in assigned} == {staff.id}
    assert [e.data for e in events("judging.auto_assigned")] == [{"created": 30, "short": 0}]

    response = client.post(f"/admin/calls/{call.id}/assign?lang=en", follow_redirects=True)
    assert alerts(response.text) == ["0 assignments created."]
    assert (count(JudgeAssignment), len(events("judging.assigned"))) == (30, 30)


def test_auto_assign_prefers_a_judge_whose_expertise_matches_the_vertical(client, login_as):
    staff_user(login_as)
    call = closed_call(judges_per_application=1, vertical=VerticalFactory(name={"ja": "フィンテック", "en": "FinTech"}))
    judge_of(call, "Generalist", expertise=["health"])
    expert = judge_of(call, "Expert", expertise=["fin-tech"])
    application = under_review(call)
    client.post(f"/admin/calls/{call.id}/assign")
    assert judges_on(application) == {expert.id}


def test_an_assignment_to_a_withdrawn_application_is_no_work_when_balancing():
    staff = StaffFactory()
    call = closed_call(judges_per_application=1)
    first, _second = judge_of(call, "First"), judge_of(call, "Second")
    assign(under_review(call, state=ApplicationState.WITHDRAWN), first)
    application = under_review(call)
    services.auto_assign(call, by=staff)
    db.session.commit()
    assert judges_on(application) == {first.id}  # equal loads: the lower id; the withdrawn one does not count


def test_applications_short_of_judges_are_listed(client, login_as):
    staff_user(login_as)
    call = closed_call(judges_per_application=3)
    a, _b = judge_of(call, "Aoi"), judge_of(call, "Ben")
    kaze = under_review(call, "Kaze Robotics")
    mori = under_review(call, "Mori Foods")
    client.post(
        f"/admin/calls/{call.id}/conflicts", data={"judge_id": a.id, "application_id": mori.id, "reason": "Advisor"}
    )
    page = client.get(f"/admin/calls/{call.id}/judges?lang=en").text
    short = page.split('id="short"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r">([^<]+)</a>: (\d) judges? missing", short) == [("Kaze Robotics", "1"), ("Mori Foods", "2")]
    response = client.post(f"/admin/calls/{call.id}/assign?lang=en", follow_redirects=True)
    assert alerts(response.text) == ["3 assignments created.", "2 applications cannot get enough judges."]
    assert services.short_of_judges(call) == {kaze.id: 1, mori.id: 2}
    assert [e.data for e in events("judging.auto_assigned")] == [{"created": 3, "short": 2}]


def test_with_no_judges_every_application_is_short_by_what_it_lacks():
    call = closed_call(judges_per_application=2)
    kaze, mori = under_review(call), under_review(call)
    gone = UserFactory(active=False)
    db.session.add(CallJudge(call_id=call.id, user_id=gone.id))
    db.session.commit()
    assign(mori, gone)
    assert services.short_of_judges(call) == {kaze.id: 2, mori.id: 1}


@pytest.mark.postgres_only
def test_two_staff_assigning_automatically_at_once_create_each_assignment_once(app):
    """The second planner waits for the first (row lock on the call) and then finds nothing to do.
    Without the lock it plans the same pairs and fails on the unique constraint."""
    staff = StaffFactory()
    call = closed_call(judges_per_application=2)
    for _ in range(3):
        judge_of(call)
    for _ in range(4):
        under_review(call)
    call_id, staff_id = call.id, staff.id
    first_planned = threading.Event()
    created: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            if name == "second":
                first_planned.wait(timeout=10)
            with app.app_context():
                plan = services.auto_assign(db.session.get(Call, call_id), by=db.session.get(User, staff_id))
                created[name] = len(plan.new)
                if name == "first":
                    first_planned.set()
                    time.sleep(0.5)  # the second one is now waiting
                db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            first_planned.set()
            errors.append(error)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert created == {"first": 8, "second": 0}
    assert count(JudgeAssignment) == 8


# --- manual assignment ----------------------------------------------------------------------------


def test_staff_add_a_judge_by_hand_and_refusals_say_why(client, login_as):
    staff = staff_user(login_as)
    call = closed_call(judges_per_application=1)
    a, b, c = (judge_of(call, n) for n in ("Aoi", "Ben", "Chie"))
    application = under_review(call, "Kaze Robotics")
    assign(application, a)
    db.session.add(Conflict(judge_id=c.id, startup_id=application.startup_id, reason="Investor", source="staff"))
    db.session.commit()
    url = f"/admin/applications/{application.id}/assignments?lang=en"

    page = client.get(f"/admin/calls/{call.id}/assignments?lang=en").text
    select_html = page.split(f'id="judge-{application.id}"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="(\d+)"( disabled)?>', select_html) == [(str(b.id), ""), (str(c.id), " disabled")]

    response = client.post(url, data={"judge_id": b.id}, follow_redirects=True)
    assert alerts(response.text) == ["Ben has been assigned to this application."]
    manual = db.session.scalars(select(JudgeAssignment).where(JudgeAssignment.judge_id == b.id)).one()
    assert (manual.application_id, manual.manual, manual.state) == (application.id, True, AssignmentState.ASSIGNED)
    [event] = events("judging.assigned")
    assert (event.actor_id, event.object_id, event.data) == (
        staff.id,
        manual.id,
        {"application": application.id, "judge": b.id, "manual": True},
    )

    refusals = [
        ({"judge_id": b.id}, "This judge is already assigned to this application."),
        ({"judge_id": c.id}, "This judge has a conflict of interest with this startup."),
        ({"judge_id": UserFactory().id}, "Choose a judge of this call."),
        ({}, "Choose a judge of this call."),
    ]
    for data, message in refusals:
        response = client.post(url, data=data, follow_redirects=True)
        assert alerts(response.text) == [message]
    assert (count(JudgeAssignment), len(events("judging.assigned"))) == (2, 1)


def test_a_judge_cannot_be_added_to_an_application_that_is_not_being_judged():
    staff = StaffFactory()
    call = closed_call()
    judge = judge_of(call)
    draft = ApplicationFactory(call=call)
    with pytest.raises(services.NotBeingJudged):
        services.add_assignment(draft, judge, by=staff)
    elsewhere = under_review(closed_call())
    with pytest.raises(services.NotAJudgeOfCall):
        services.add_assignment(elsewhere, judge, by=staff)


def test_staff_remove_an_unsubmitted_assignment_but_not_a_submitted_review(client, login_as):
    staff = staff_user(login_as)
    call = closed_call()
    a, b = judge_of(call, "Aoi"), judge_of(call, "Ben")
    application = under_review(call)
    open_one = assign(application, a)
    done = assign(application, b, AssignmentState.SUBMITTED)
    open_id, done_id = open_one.id, done.id

    page = client.get(f"/admin/calls/{call.id}/assignments?lang=en").text
    assert f"/admin/assignments/{open_id}/delete" in page
    assert f"/admin/assignments/{done_id}/delete" not in page

    response = client.post(f"/admin/assignments/{open_id}/delete?page=2")
    assert response.headers["Location"] == f"/admin/calls/{call.id}/assignments?page=2#application-{application.id}"
    assert "The assignment has been removed." in alerts(client.get(response.headers["Location"]).text)
    assert judges_on(application) == {b.id}
    [event] = events("judging.unassigned")
    assert (event.actor_id, event.object_type, event.object_id, event.data) == (
        staff.id,
        "judge_assignment",
        open_id,
        {"application": application.id, "judge": a.id},
    )

    response = client.post(f"/admin/assignments/{done_id}/delete?lang=en", follow_redirects=True)
    assert alerts(response.text) == ["This judge has already submitted a review; it cannot be removed."]
    assert judges_on(application) == {b.id}
    assert len(events("judging.unassigned")) == 1


def test_the_assignments_page_shows_each_judge_and_where_they_stand(client, login_as):
    staff_user(login_as)
    call = closed_call(judges_per_application=3)
    a, b, c = (judge_of(call, n) for n in ("Aoi Ando", "Ben Baba", "Chie Chiba"))
    kaze = under_review(call, "Kaze Robotics")
    assign(kaze, a)
    assign(kaze, b, AssignmentState.SUBMITTED)
    conflicted = assign(kaze, c, AssignmentState.CONFLICTED)
    conflicted.conflict_reason = "Former employee"
    db.session.commit()
    under_review(call, "Mori Foods")
    page = client.get(f"/admin/calls/{call.id}/assignments?lang=en").text
    kaze_row = page.split(f'id="application-{kaze.id}"', 1)[1].split("</tr>", 1)[0]
    states = re.findall(r"<li class=\"mb-1\">([^<]+?)\s*<span class=\"badge [^\"]+\">([^<]+)</span>", kaze_row)
    assert states == [("Aoi Ando", "To score"), ("Ben Baba", "Submitted"), ("Chie Chiba", "Conflict declared")]
    assert "Reason: Former employee" in kaze_row
    assert "2 of 3 judges" in kaze_row
    assert "Every judge of the call is on it." in kaze_row
    assert "Mori Foods" in page and "0 of 3 judges" in page


# --- access and speed -----------------------------------------------------------------------------


@pytest.fixture
def judging_world() -> dict[str, Any]:
    call = closed_call(judges_per_application=1)
    judge = judge_of(call, "Aoi")
    other_judge = judge_of(call, "Ben")
    application = under_review(call)
    assignment = assign(application, judge)
    return {
        "call": call,
        "judge": judge,
        "other_judge": other_judge,
        "applicant": member_of(application.startup),
        "application": application,
        "assignment": assignment,
    }


def _routes(w: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    call, application, assignment = w["call"].id, w["application"].id, w["assignment"].id
    return [
        ("GET", f"/admin/calls/{call}/judges", {}),
        ("POST", f"/admin/calls/{call}/judges", invite_data()),
        (
            "POST",
            f"/admin/calls/{call}/conflicts",
            {"judge_id": w["judge"].id, "application_id": application, "reason": "x"},
        ),
        ("POST", f"/admin/calls/{call}/assign", {}),
        ("GET", f"/admin/calls/{call}/assignments", {}),
        ("POST", f"/admin/applications/{application}/assignments", {"judge_id": w["other_judge"].id}),
        ("POST", f"/admin/assignments/{assignment}/delete", {}),
    ]


@pytest.mark.parametrize("role", ["judge", "applicant"])
def test_judges_and_applicants_get_403_on_every_staff_judging_route(client, login_as, judging_world, role):
    login_as(judging_world[role])
    before = (count(CallJudge), count(Conflict), count(JudgeAssignment), count(AuditEvent), count(User))
    for method, url, data in _routes(judging_world):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, f"{method} {url}"
    assert (count(CallJudge), count(Conflict), count(JudgeAssignment), count(AuditEvent), count(User)) == before


def test_anonymous_visitors_are_sent_to_log_in(client, judging_world):
    for method, url, data in _routes(judging_world):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


def test_staff_are_served_on_every_route(client, login_as, judging_world):
    staff_user(login_as)
    for method, url, data in _routes(judging_world):
        response = client.open(url, method=method, data=data)
        assert response.status_code in (200, 302), f"{method} {url}"


def test_unknown_objects_are_404(client, login_as):
    staff_user(login_as)
    for method, url in [
        ("GET", "/admin/calls/999/judges"),
        ("GET", "/admin/calls/999/assignments"),
        ("POST", "/admin/calls/999/conflicts"),
        ("POST", "/admin/calls/999/assign"),
        ("POST", "/admin/applications/999/assignments"),
        ("POST", "/admin/assignments/999/delete"),
    ]:
        assert client.open(url, method=method).status_code == 404, url


def _call_with(applications: int, judges: int) -> Call:
    staff = StaffFactory()
    call = closed_call(judges_per_application=3)
    for index in range(judges):
        judge_of(call, expertise=["fintech"] if index % 2 else [])
    startups = StartupFactory.create_batch(applications)
    for startup in startups:
        under_review(call, startup=startup)
    services.auto_assign(call, by=staff)
    first = db.session.scalars(select(JudgeAssignment).order_by(JudgeAssignment.id)).first()
    services.record_conflict(first.judge, first.application, reason="Advisor", by=staff)
    db.session.commit()
    return call


def _queries_for(client: Any, count_queries: Any, url: str) -> int:
    client.get(url)  # warm-up: first-request caches
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_the_assignments_page_uses_the_same_number_of_queries_for_5_or_50_applications(client, login_as, count_queries):
    staff_user(login_as)
    small, large = _call_with(5, 4), _call_with(50, 8)
    small_count = _queries_for(client, count_queries, f"/admin/calls/{small.id}/assignments")
    large_count = _queries_for(client, count_queries, f"/admin/calls/{large.id}/assignments")
    assert small_count == large_count
    assert small_count <= 12
    page = client.get(f"/admin/calls/{large.id}/assignments?lang=en").text
    assert page.count('<tr id="application-') == 50


def test_the_judges_page_uses_the_same_number_of_queries_whatever_the_size(client, login_as, count_queries):
    staff_user(login_as)
    small, large = _call_with(5, 3), _call_with(50, 8)
    small_count = _queries_for(client, count_queries, f"/admin/calls/{small.id}/judges")
    large_count = _queries_for(client, count_queries, f"/admin/calls/{large.id}/judges")
    assert small_count == large_count
    assert small_count <= 14


def test_the_judging_menu_shows_for_judges_of_any_call_once_they_are_one(client, login_as):
    # Whether the user judges any call is read with the user when the session is loaded.
    user = UserFactory()
    call = CallFactory()
    login_as(user)
    judging_link = 'href="/judging/"'
    assert judging_link not in client.get("/?lang=en").get_data(as_text=True)
    db.session.add(CallJudge(call=call, user=user))
    db.session.commit()
    assert judging_link in client.get("/?lang=en").get_data(as_text=True)
    assert judging_link in client.get("/calls/").get_data(as_text=True)
