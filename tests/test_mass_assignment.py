"""Fields a user must not set are ignored when posted to the forms they use.

Every user-facing form is posted with its honest fields *plus* the columns a user might try to set
themselves: states and statuses, decisions, score totals, amounts (``amount_jpy``, ``fee``), owner ids
(``startup_id``, ``founder_id``, ``user_id``, ``author_id``), ``is_staff``, reviewers
(``verified_by_id``, ``reviewed_by_id``), ``operating_on``. The honest part is stored; the rest is not
(forms name their fields, views never copy the request into a model).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from kakehashi.accounts.models import Startup, StartupMember, User
from kakehashi.applications.judging.models import AssignmentState, CallJudge, JudgeAssignment, Score
from kakehashi.applications.models import Application, ApplicationState, CallState
from kakehashi.cohorts.models import AnnualReport, FundingRound, Verification
from kakehashi.extensions import db
from kakehashi.partners import services as partner_services
from kakehashi.partners.models import BookingState, ExchangeBooking
from kakehashi.softlanding.models import TaskComment, TaskState
from kakehashi.softlanding.schedule import tokyo_today
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CriterionFactory,
    StaffFactory,
    StartupFactory,
    UserFactory,
    attach_deck,
    member_of,
)
from tests.partners.factories import PartnerHubFactory, cohort_founder
from tests.softlanding.factories import open_small_case, tasks_of, upload

NEW_PASSWORD = "a sturdy passphrase 2026"
YESTERDAY = "2020-01-01T00:00:00"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def owner_fields(**ids: int) -> dict[str, str]:
    """What someone would add to make a row theirs, someone else's, or staff-only."""
    return {
        "is_staff": "y",
        "active": "y",
        "email_verified_at": YESTERDAY,
        "session_version": "99",
        "id": "4242",
        **{name: str(value) for name, value in ids.items()},
    }


# --- accounts -----------------------------------------------------------------------------------------


def test_registration_ignores_staff_rights_verification_and_session_fields(client):
    response = client.post(
        "/register",
        data={
            "name": "Mallory",
            "email": "mallory@example.org",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "locale": "en",
            **owner_fields(),
        },
    )
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "mallory@example.org")).one()
    assert (user.is_staff, user.email_verified_at, user.session_version) == (False, None, 1)
    assert user.id != 4242


def test_the_profile_form_changes_name_and_language_only(login_as):
    user = UserFactory(email="hana@example.org", name="Hana", locale="en")
    response = login_as(user).post(
        "/account",
        data={"name": "Hana Sato", "locale": "ja", "email": "boss@example.org", "password_hash": "x", **owner_fields()},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.locale) == ("Hana Sato", "ja")
    assert (user.email, user.is_staff, user.session_version, user.id) == ("hana@example.org", False, 1, user.id)
    assert user.password_hash is not None and user.password_hash != "x"


def test_a_new_startups_founder_is_whoever_created_it(login_as):
    someone_else = UserFactory()
    user = UserFactory()
    response = login_as(user).post(
        "/startups/new",
        data={
            "name-ja": "",
            "name-en": "Aurora Robotics",
            "country": "JP",
            "founder_id": str(someone_else.id),
            "user_id": str(someone_else.id),
            "is_overseas": "y",
        },
    )
    assert response.status_code == 302
    startup = db.session.scalars(select(Startup)).one()
    members = db.session.execute(select(StartupMember.user_id, StartupMember.role)).all()
    assert [(m.user_id, m.role.value) for m in members] == [(user.id, "founder")]
    assert startup.is_overseas is False  # derived from the country, never posted


def test_editing_a_startup_ignores_its_id_and_derived_fields(login_as):
    startup, other = StartupFactory(country="JP"), StartupFactory(name={"en": "Other Inc."})
    user = member_of(startup)
    response = login_as(user).post(
        f"/startups/{startup.id}/edit",
        data={
            "name-ja": "",
            "name-en": "Renamed Inc.",
            "country": "JP",
            "website": "https://renamed.example",
            "is_overseas": "y",
            "search_name": "other inc.",
            **owner_fields(startup_id=other.id, user_id=UserFactory().id),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (startup.name["en"], startup.is_overseas, startup.search_name) == ("Renamed Inc.", False, "renamed inc.")
    assert other.name == {"en": "Other Inc."}
    assert count(StartupMember) == 1


# --- applications and judging ------------------------------------------------------------------------


def test_editing_an_application_ignores_state_decision_owner_and_deck(login_as):
    application = ApplicationFactory()
    user = member_of(application.startup)
    other_application = ApplicationFactory()
    other_deck = attach_deck(other_application)
    other_call = CallFactory()
    response = login_as(user).post(
        f"/applications/{application.id}/edit",
        data={
            "company_summary": "We changed the summary.",
            "state": "accepted",
            "decision": "accepted",
            "feedback": "Great!",
            "startup_id": str(other_application.startup_id),
            "call_id": str(other_call.id),
            "deck_id": str(other_deck.id),
            "submitted_at": YESTERDAY,
            "decided_at": YESTERDAY,
            "created_by_id": str(UserFactory().id),
            "funding_raised_jpy": "50000000",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Application, application.id)
    assert stored.company_summary == "We changed the summary."
    assert (stored.state, stored.decision, stored.feedback) == (ApplicationState.DRAFT, None, None)
    assert (stored.startup_id, stored.call_id, stored.deck_id) == (application.startup_id, application.call_id, None)
    assert (stored.submitted_at, stored.decided_at) == (None, None)


def test_applying_for_a_startup_one_does_not_belong_to_is_refused(login_as):
    call = CallFactory()
    user = member_of(StartupFactory())
    stranger_startup = StartupFactory()
    response = login_as(user).post(f"/calls/{call.id}/apply", data={"startup_id": str(stranger_startup.id)})
    assert response.status_code in (200, 302, 400)
    assert db.session.scalar(select(Application.id).where(Application.startup_id == stranger_startup.id)) is None


def test_a_judges_review_stores_the_scores_and_nothing_else(login_as):
    call = CallFactory(state=CallState.CLOSED)
    criterion = CriterionFactory(call=call, scale_min=1, scale_max=5)
    application = ApplicationFactory(call=call, state=ApplicationState.SUBMITTED)
    judge, other_judge = UserFactory(), UserFactory()
    db.session.add_all(
        [CallJudge(call_id=call.id, user_id=judge.id), CallJudge(call_id=call.id, user_id=other_judge.id)]
    )
    assignment = JudgeAssignment(call_id=call.id, application_id=application.id, judge_id=judge.id)
    db.session.add(assignment)
    db.session.commit()
    response = login_as(judge).post(
        f"/judging/assignments/{assignment.id}",
        data={
            f"score_{criterion.id}": "3",
            "comment": "Solid.",
            "recommendation": "maybe",
            "state": "submitted",
            "judge_id": str(other_judge.id),
            "application_id": str(ApplicationFactory(call=call).id),
            "total": "100",
            "weighted_score": "100",
            "value": "99",
            "submitted_at": YESTERDAY,
        },
    )
    assert response.status_code == 302  # a draft saved
    db.session.expire_all()
    stored = db.session.get(JudgeAssignment, assignment.id)
    assert (stored.state, stored.judge_id, stored.application_id, stored.submitted_at) == (
        AssignmentState.ASSIGNED,
        judge.id,
        application.id,
        None,
    )
    assert [(s.criterion_id, s.value) for s in db.session.scalars(select(Score))] == [(criterion.id, 3)]


# --- cohort trackers ---------------------------------------------------------------------------------

ROUND = {
    "announced_on": "2026-03-31",
    "stage": "seed",
    "currency": "USD",
    "amount": "1000000",
    "fx_rate_to_jpy": "150.25",
    "investors": "Example Ventures",
}
REVIEW_FIELDS = {
    "status": "verified",
    "verified_at": YESTERDAY,
    "reviewed_at": YESTERDAY,
    "review_note": "fine",
}


def test_reporting_a_round_ignores_status_verifier_yen_amount_and_owner(login_as):
    startup, other = StartupFactory(), StartupFactory()
    user, staff = member_of(startup), StaffFactory()
    response = login_as(user).post(
        f"/startups/{startup.id}/rounds/new",
        data={
            **ROUND,
            **REVIEW_FIELDS,
            "verified_by_id": str(staff.id),
            "reviewed_by_id": str(staff.id),
            "amount_jpy": "99999999999",
            "startup_id": str(other.id),
            "reported_by_id": str(staff.id),
        },
    )
    assert response.status_code == 302
    funding_round = db.session.scalars(select(FundingRound)).one()
    assert (funding_round.status, funding_round.startup_id, funding_round.reported_by_id) == (
        Verification.REPORTED,
        startup.id,
        user.id,
    )
    assert funding_round.amount_jpy == 150_250_000  # computed from the amount and the rate
    assert (funding_round.reviewed_by_id, funding_round.reviewed_at) == (None, None)


def test_correcting_a_rejected_round_reports_it_again_and_never_verifies_it(login_as):
    startup = StartupFactory()
    user, staff = member_of(startup), StaffFactory()
    login_as(user).post(f"/startups/{startup.id}/rounds/new", data=ROUND)
    funding_round = db.session.scalars(select(FundingRound)).one()
    funding_round.transition_to(Verification.REJECTED, by=staff)
    db.session.commit()
    response = login_as(user).post(
        f"/rounds/{funding_round.id}/edit",
        data={**ROUND, "amount": "2000000", **REVIEW_FIELDS, "verified_by_id": str(staff.id), "amount_jpy": "1"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    funding_round = db.session.scalars(select(FundingRound)).one()
    assert (funding_round.status, funding_round.reviewed_by_id, funding_round.amount_jpy) == (
        Verification.REPORTED,
        None,
        300_500_000,
    )


def test_an_annual_report_ignores_status_reviewer_owner_and_year(login_as):
    startup, other = StartupFactory(), StartupFactory()
    user, staff = member_of(startup), StaffFactory()
    response = login_as(user).post(
        f"/startups/{startup.id}/reports/2025",
        data={
            "revenue_jpy": "1000",
            "overseas_revenue_jpy": "100",
            "employees": "3",
            **REVIEW_FIELDS,
            "reviewed_by_id": str(staff.id),
            "startup_id": str(other.id),
            "fiscal_year": "2019",
            "reported_by_id": str(staff.id),
        },
    )
    assert response.status_code == 302
    report = db.session.scalars(select(AnnualReport)).one()
    assert (report.startup_id, report.fiscal_year, report.status, report.reviewed_by_id, report.reported_by_id) == (
        startup.id,
        2025,
        Verification.REPORTED,
        None,
        user.id,
    )
    assert (report.revenue_jpy, report.overseas_revenue_jpy, report.employees) == (1000, 100, 3)


# --- partner hubs --------------------------------------------------------------------------------------


def _booking_form(startup_id: int, hub) -> dict[str, str]:
    starts = tokyo_today() + timedelta(days=30)
    ends = starts + timedelta(days=2)
    fee = partner_services.booking_fee(hub, starts, ends, 1)
    return {
        "startup_id": str(startup_id),
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
        "desks": "1",
        "send": "1",
        "fee_shown": str(fee),
    }


def test_a_booking_request_ignores_fee_state_waiver_and_requester(login_as):
    user, startup = cohort_founder()
    hub = PartnerHubFactory(agreement_starts_on=None, agreement_ends_on=None)
    other_hub, someone = PartnerHubFactory(), UserFactory()
    form = _booking_form(startup.id, hub)
    response = login_as(user).post(
        f"/partners/hubs/{hub.id}/book",
        data={
            **form,
            "fee": "0",
            "amount_jpy": "0",
            "currency": "JPY",
            "state": "confirmed",
            "fee_waived": "y",
            "hub_id": str(other_hub.id),
            "requested_by_id": str(someone.id),
            "decided_by_id": str(someone.id),
        },
    )
    assert response.status_code == 302
    booking = db.session.scalars(select(ExchangeBooking)).one()
    assert (booking.state, booking.fee_waived, booking.hub_id, booking.requested_by_id, booking.decided_by_id) == (
        BookingState.REQUESTED,
        False,
        hub.id,
        user.id,
        None,
    )
    assert (booking.fee, booking.currency) == (Decimal("75.00"), "EUR")  # 3 days × €25.00


def test_booking_for_a_startup_one_does_not_belong_to_stores_nothing(login_as):
    user, _startup = cohort_founder()
    _other_user, other_startup = cohort_founder()
    hub = PartnerHubFactory(agreement_starts_on=None, agreement_ends_on=None)
    response = login_as(user).post(f"/partners/hubs/{hub.id}/book", data=_booking_form(other_startup.id, hub))
    assert response.status_code == 200  # the form again, with its error
    assert count(ExchangeBooking) == 0


# --- soft landing -------------------------------------------------------------------------------------


def test_submitting_a_task_ignores_state_dates_and_the_cases_milestone(login_as):
    founder = UserFactory(locale="en")
    case = open_small_case(founder=founder)
    passport = tasks_of(case)["passport"]
    login_as(founder).post(f"/landing/tasks/{passport.id}/documents", data={"document": upload()})
    response = login_as(founder).post(
        f"/landing/tasks/{passport.id}/submit",
        data={
            "note": "Here it is.",
            "state": "done",
            "completed_on": "2026-01-01",
            "operating_on": "2026-01-01",
            "case_id": str(open_small_case().id),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    task = tasks_of(case)["passport"]
    assert (task.state, task.completed_on, task.case_id) == (TaskState.SUBMITTED, None, case.id)
    assert case.operating_on is None


def test_a_comment_is_the_authors_on_the_task_in_the_url(login_as):
    founder, staff = UserFactory(locale="en"), StaffFactory()
    case = open_small_case(founder=founder, staff=staff)
    passport = tasks_of(case)["passport"]
    other_task = tasks_of(open_small_case())["passport"]
    response = login_as(founder).post(
        f"/landing/tasks/{passport.id}/comments",
        data={"body": "A question.", "author_id": str(staff.id), "decision": "done", "task_id": str(other_task.id)},
    )
    assert response.status_code == 302
    comment = db.session.scalars(select(TaskComment)).one()
    assert (comment.author_id, comment.decision, comment.task_id, comment.body) == (
        founder.id,
        None,
        passport.id,
        "A question.",
    )
