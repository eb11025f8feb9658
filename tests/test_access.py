"""The access walker: every route in ``app.url_map`` × every role, each answered exactly as expected.

- Roles: anonymous, an applicant and a member of another startup, a judge and a judge with a declared
  conflict, an overseas founder and the founder of another case, the staff of another partner hub,
  programme staff (``World`` builds one object of each kind and a user per role).
- Expected outcomes follow from the route's policy (public, signed in, staff); rule routes list who is
  served and who gets 403 in ``RULE_EXPECTATIONS``, everyone else gets 404.
- A denied request changes no row in any table.

Adding a route without an entry in ``SAMPLES`` (how to build its URL) fails ``test_walker_covers_every_route``,
a rule route without expectations fails ``test_every_rule_route_has_its_expectations``; adding one without
an access policy stops the app from starting at all. ``tests/test_idor.py`` sweeps the id-bearing routes
with both methods and a full payload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, literal, select, union_all

from kakehashi.applications.judging.models import CallJudge, JudgeAssignment
from kakehashi.cohorts.models import Verification
from kakehashi.core import outbox, permissions
from kakehashi.extensions import db
from kakehashi.partners.models import BookingState, HubMember
from kakehashi.payments import services as payment_services
from kakehashi.softlanding import services as landing_services
from kakehashi.softlanding.models import TemplateStep
from tests.factories import (
    AnnualReportFactory,
    ApplicationFactory,
    CallFactory,
    CohortMemberFactory,
    CriterionFactory,
    FundingRoundFactory,
    StaffFactory,
    UserFactory,
    attach_deck,
    member_of,
)
from tests.partners.factories import BookingFactory as PartnerBookingFactory
from tests.partners.factories import PartnerEventFactory, PartnerHubFactory
from tests.softlanding.factories import open_small_case, tasks_of, upload

# Endpoints served by extensions or with no arguments need no sample.
SKIP = {"static", "bootstrap.static"}


@dataclass
class World:
    """One object of each kind a URL can name, and a user per role.

    - ``applicant`` belongs to the startup that owns ``application`` (in a cohort, with a funding round,
      an annual report, bookings and a payment); ``other_applicant`` to another startup with an
      application of its own to the same call.
    - ``judge`` is assigned to ``application`` (``assignment``); ``conflicted_judge`` is a judge of the
      same call who declared a conflict on it (``conflicted_assignment``).
    - ``overseas_founder`` is the founder of ``landing_case``; ``other_founder`` of ``other_case``.
    - ``other`` is on the staff of ``hub`` (where the bookings are); ``hub_staff_other_hub`` on the staff
      of ``other_hub``.
    """

    applicant: Any
    other_applicant: Any
    judge: Any
    conflicted_judge: Any
    overseas_founder: Any
    other_founder: Any
    hub_staff_other_hub: Any
    staff: Any
    other: Any
    email: Any
    stored_file: Any
    vertical: Any
    call: Any
    criterion: Any
    application: Any
    other_application: Any
    assignment: Any
    conflicted_assignment: Any
    cohort_member: Any
    funding_round: Any
    report: Any
    landing_case: Any
    landing_task: Any
    landing_document: Any
    other_case: Any
    template: Any
    template_step: Any
    hub: Any
    hub_member: Any
    other_hub: Any
    booking: Any  # requested by ``applicant`` for their startup
    payment: Any  # on another booking of ``applicant``'s startup, approved
    event: Any
    other_event: Any


def build_world() -> World:
    import io

    from kakehashi.applications.judging import services as judging_services
    from kakehashi.core.storage import StoredFile, backend

    staff = StaffFactory()
    other = UserFactory()
    call = CallFactory()
    criterion = CriterionFactory(call=call)
    application = ApplicationFactory(call=call)
    attach_deck(application)
    applicant = member_of(application.startup)
    other_application = ApplicationFactory(call=call)
    other_applicant = member_of(other_application.startup)
    judge, conflicted_judge = UserFactory(), UserFactory()
    db.session.add_all(
        [CallJudge(call_id=call.id, user_id=judge.id), CallJudge(call_id=call.id, user_id=conflicted_judge.id)]
    )
    assignment = JudgeAssignment(call_id=call.id, application_id=application.id, judge_id=judge.id)
    conflicted_assignment = JudgeAssignment(
        call_id=call.id, application_id=application.id, judge_id=conflicted_judge.id
    )
    db.session.add_all([assignment, conflicted_assignment])
    db.session.flush()
    judging_services.declare_conflict(conflicted_assignment, reason="I advise them.", by=conflicted_judge)
    cohort_member = CohortMemberFactory(startup=application.startup)
    funding_round = FundingRoundFactory(startup=application.startup, status=Verification.REJECTED)
    report = AnnualReportFactory(startup=application.startup, fiscal_year=2024)
    email = outbox.OutboundEmail(
        to_address=other.email, to_name=other.name, locale="en", template="t", subject="s", body_text="b"
    )
    stored = StoredFile(
        key="test/x",
        purpose="unregistered",
        original_filename="x.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    backend().save(stored.key, io.BytesIO(b"%PDF-1.4"), content_type="application/pdf", filename="x.pdf")
    db.session.add_all([email, stored])
    db.session.commit()
    overseas_founder, other_founder = UserFactory(locale="en"), UserFactory(locale="en")
    landing_case = open_small_case(founder=overseas_founder, staff=staff)
    landing_task = tasks_of(landing_case)["passport"]
    landing_document = landing_services.add_document(landing_task, upload(), by=overseas_founder)
    other_case = open_small_case(founder=other_founder, staff=staff)
    landing_services.add_document(tasks_of(other_case)["passport"], upload(), by=other_founder)
    template = landing_case.template
    hub, other_hub = PartnerHubFactory(), PartnerHubFactory()
    hub_member = HubMember(hub_id=hub.id, user_id=other.id)
    hub_staff_other_hub = UserFactory()
    booking = PartnerBookingFactory(hub=hub, startup=application.startup, requested_by=applicant)
    paid_booking = PartnerBookingFactory(
        hub=hub, startup=application.startup, requested_by=applicant, state=BookingState.APPROVED
    )
    db.session.add_all([hub_member, HubMember(hub_id=other_hub.id, user_id=hub_staff_other_hub.id)])
    db.session.flush()
    payment = payment_services.open_payment(paid_booking, by=staff)
    event, other_event = PartnerEventFactory(), PartnerEventFactory()
    db.session.commit()
    return World(
        applicant=applicant,
        other_applicant=other_applicant,
        judge=judge,
        conflicted_judge=conflicted_judge,
        overseas_founder=overseas_founder,
        other_founder=other_founder,
        hub_staff_other_hub=hub_staff_other_hub,
        staff=staff,
        other=other,
        email=email,
        stored_file=stored,
        vertical=call.vertical,
        call=call,
        criterion=criterion,
        application=application,
        other_application=other_application,
        assignment=assignment,
        conflicted_assignment=conflicted_assignment,
        cohort_member=cohort_member,
        funding_round=funding_round,
        report=report,
        landing_case=landing_case,
        landing_task=landing_task,
        landing_document=landing_document,
        other_case=other_case,
        template=template,
        template_step=db.session.scalars(select(TemplateStep).where(TemplateStep.template_id == template.id)).first(),
        hub=hub,
        hub_member=hub_member,
        other_hub=other_hub,
        booking=booking,
        payment=payment,
        event=event,
        other_event=other_event,
    )


# endpoint -> URL arguments, given the world
SAMPLES: dict[str, Callable[[World], dict[str, Any]]] = {
    "accounts.verify_email": lambda w: {"token": "not-a-token"},
    "accounts.reset_password": lambda w: {"token": "not-a-token"},
    "accounts.accept_invitation": lambda w: {"token": "not-a-token"},
    "accounts.user_detail": lambda w: {"user_id": w.other.id},
    "accounts.activate": lambda w: {"user_id": w.other.id},
    "accounts.deactivate": lambda w: {"user_id": w.other.id},
    "accounts.grant_staff": lambda w: {"user_id": w.other.id},
    "accounts.revoke_staff": lambda w: {"user_id": w.other.id},
    "accounts.resend_invitation": lambda w: {"user_id": w.other.id},
    "accounts.delete_user": lambda w: {"user_id": w.other.id},
    "core.outbox_detail": lambda w: {"email_id": w.email.id},
    "core.outbox_retry": lambda w: {"email_id": w.email.id},
    "core.download": lambda w: {"file_id": w.stored_file.id},
    "startups.detail": lambda w: {"startup_id": w.application.startup_id},
    "startups.edit": lambda w: {"startup_id": w.application.startup_id},
    "startups.add_member": lambda w: {"startup_id": w.application.startup_id},
    "applications.call_detail": lambda w: {"call_id": w.call.id},
    "applications.apply": lambda w: {"call_id": w.call.id},
    "applications.application_detail": lambda w: {"application_id": w.application.id},
    "applications.edit_application": lambda w: {"application_id": w.application.id},
    "applications.submit": lambda w: {"application_id": w.application.id},
    "applications.withdraw": lambda w: {"application_id": w.application.id},
    "applications.edit_vertical": lambda w: {"vertical_id": w.vertical.id},
    "applications.staff_call": lambda w: {"call_id": w.call.id},
    "applications.edit_call": lambda w: {"call_id": w.call.id},
    "applications.change_call_state": lambda w: {"call_id": w.call.id, "state": "closed"},
    "applications.add_criterion": lambda w: {"call_id": w.call.id},
    "applications.edit_criterion": lambda w: {"call_id": w.call.id, "criterion_id": w.criterion.id},
    "applications.delete_criterion": lambda w: {"call_id": w.call.id, "criterion_id": w.criterion.id},
    "applications.call_applications": lambda w: {"call_id": w.call.id},
    "applications.export_applications": lambda w: {"call_id": w.call.id, "fmt": "csv"},
    "judging.score": lambda w: {"assignment_id": w.assignment.id},
    "judging.declare_conflict": lambda w: {"assignment_id": w.assignment.id},
    "judging.deck": lambda w: {"assignment_id": w.assignment.id},
    "judging.judges": lambda w: {"call_id": w.call.id},
    "judging.auto_assign": lambda w: {"call_id": w.call.id},
    "judging.record_conflict": lambda w: {"call_id": w.call.id},
    "judging.assignments": lambda w: {"call_id": w.call.id},
    "judging.add_assignment": lambda w: {"application_id": w.application.id},
    "judging.remove_assignment": lambda w: {"assignment_id": w.assignment.id},
    "judging.ranking": lambda w: {"call_id": w.call.id},
    "judging.ranking_export": lambda w: {"call_id": w.call.id, "fmt": "csv"},
    "judging.decision": lambda w: {"application_id": w.application.id},
    "judging.bulk_decision": lambda w: {"call_id": w.call.id},
    "judging.release": lambda w: {"call_id": w.call.id},
    "cohorts.cohort": lambda w: {"cohort_id": w.cohort_member.cohort_id},
    "cohorts.edit_cohort": lambda w: {"cohort_id": w.cohort_member.cohort_id},
    "cohorts.add_member": lambda w: {"cohort_id": w.cohort_member.cohort_id},
    "cohorts.send_survey": lambda w: {"cohort_id": w.cohort_member.cohort_id},
    "cohorts.member_status": lambda w: {"cohort_id": w.cohort_member.cohort_id, "member_id": w.cohort_member.id},
    "cohorts.new_round": lambda w: {"startup_id": w.application.startup_id},
    "cohorts.add_valuation": lambda w: {"startup_id": w.application.startup_id},
    "cohorts.round_detail": lambda w: {"round_id": w.funding_round.id},
    "cohorts.edit_round": lambda w: {"round_id": w.funding_round.id},
    "cohorts.review_round": lambda w: {"round_id": w.funding_round.id},
    "cohorts.annual_report": lambda w: {"startup_id": w.application.startup_id, "fiscal_year": 2024},
    "cohorts.report_detail": lambda w: {"report_id": w.report.id},
    "cohorts.review_report": lambda w: {"report_id": w.report.id},
    "cohorts.kpi_detail": lambda w: {"indicator": "funding"},
    "cohorts.kpi_export": lambda w: {"what": "rounds", "fmt": "csv"},
    **{
        f"softlanding.{endpoint}": lambda w: {"case_id": w.landing_case.id}
        for endpoint in ("case", "close_case", "reopen_case", "delete_documents", "rotate_feed", "revoke_feed")
    },
    **{
        f"softlanding.{endpoint}": lambda w: {"task_id": w.landing_task.id}
        for endpoint in (
            "task",
            "start_task",
            "submit_task",
            "upload_document",
            "comment",
            "approve",
            "request_changes",
            "complete",
            "not_applicable",
        )
    },
    "softlanding.document": lambda w: {"document_id": w.landing_document.id},
    "softlanding.remove_document": lambda w: {"document_id": w.landing_document.id},
    "softlanding.feed": lambda w: {"token": w.landing_case.feed_token},
    **{
        f"softlanding.{endpoint}": lambda w: {"template_id": w.template.id}
        for endpoint in ("template_detail", "template_edit", "template_active", "template_step_new")
    },
    **{
        f"softlanding.{endpoint}": lambda w: {"template_id": w.template.id, "step_id": w.template_step.id}
        for endpoint in ("template_step_edit", "template_step_delete", "template_step_move")
    },
    **{
        f"partners.{endpoint}": lambda w: {"hub_id": w.hub.id}
        for endpoint in ("hub", "edit_hub", "book", "hub_bookings", "add_hub_staff", "rotate_feed", "revoke_feed")
    },
    "partners.remove_hub_staff": lambda w: {"hub_id": w.hub.id, "member_id": w.hub_member.id},
    "partners.feed": lambda w: {"token": w.hub.feed_token},
    **{
        f"partners.{endpoint}": lambda w: {"booking_id": w.booking.id}
        for endpoint in ("booking", "receipt", "approve", "decline", "waive_fee", "cancel")
    },
    "partners.edit_event": lambda w: {"event_id": w.event.id},
    "partners.delete_event": lambda w: {"event_id": w.other_event.id},
    **{
        f"payments.{endpoint}": lambda w: {"payment_id": w.payment.id}
        for endpoint in ("checkout", "success", "cancelled", "mark_received")
    },
}

ALLOWED = "allowed"  # served: a page, a redirect after an action, or a form re-shown with its errors
ANSWERED = "answered"  # a public route: any answer below 400 (a bad token may redirect to sign in)
LOGIN = "login"  # redirected to the sign-in page

ROLES = [
    "anonymous",
    "applicant",
    "other_applicant",
    "judge",
    "conflicted_judge",
    "overseas_founder",
    "other_founder",
    "hub_staff_other_hub",
    "staff",
]

# Rule-protected routes: who is served, and who is refused with 403. Every other signed-in role gets
# 404 (the object's existence is private to them) and anonymous visitors are sent to sign in.
STARTUP_SIDE = {"applicant": ALLOWED, "staff": ALLOWED}  # the startup's members; staff read
MEMBERS_WRITE = {"applicant": ALLOWED, "staff": 403}  # staff read applications and startups, never write them
JUDGE_ONLY = {"judge": ALLOWED}  # a review is its judge's alone: not staff's, not a conflicted judge's
CASE_SIDE = {"overseas_founder": ALLOWED, "staff": ALLOWED}  # the case's founder and staff
CASE_REVIEW = {"overseas_founder": 403, "staff": ALLOWED}  # staff review; the founder is refused
BOOKING_SIDE = {"applicant": ALLOWED, "staff": ALLOWED}  # the requesting startup and staff (and the hub's staff)
RULE_EXPECTATIONS: dict[str, dict[str, int | str]] = {
    # An unregistered purpose: only staff may download it.
    "core.download": {"staff": ALLOWED},
    "applications.application_detail": STARTUP_SIDE,
    "applications.edit_application": MEMBERS_WRITE,
    "applications.submit": MEMBERS_WRITE,
    "applications.withdraw": MEMBERS_WRITE,
    "startups.detail": STARTUP_SIDE,
    "startups.edit": MEMBERS_WRITE,
    "startups.add_member": MEMBERS_WRITE,
    "cohorts.new_round": STARTUP_SIDE,
    "cohorts.annual_report": STARTUP_SIDE,
    "cohorts.round_detail": STARTUP_SIDE,
    "cohorts.edit_round": STARTUP_SIDE,
    "cohorts.report_detail": STARTUP_SIDE,
    "judging.score": JUDGE_ONLY,
    "judging.declare_conflict": JUDGE_ONLY,
    "judging.deck": JUDGE_ONLY,
    **{
        f"softlanding.{endpoint}": CASE_SIDE
        for endpoint in (
            "case",
            "task",
            "document",
            "start_task",
            "submit_task",
            "upload_document",
            "remove_document",
            "comment",
            "rotate_feed",
            "revoke_feed",
        )
    },
    **{
        f"softlanding.{endpoint}": CASE_REVIEW
        for endpoint in (
            "approve",
            "request_changes",
            "complete",
            "not_applicable",
            "close_case",
            "reopen_case",
            "delete_documents",
        )
    },
    # A partner hub abroad: the cohort's startups (who book desks there) and staff.
    "partners.hub": {"applicant": ALLOWED, "staff": ALLOWED},
    "partners.book": {"applicant": ALLOWED, "staff": ALLOWED},
    # A hub's queue: its own staff and ward staff; a cohort member who may see the hub is refused.
    "partners.hub_bookings": {"applicant": 403, "staff": ALLOWED},
    "partners.booking": BOOKING_SIDE,
    "partners.receipt": BOOKING_SIDE,
    "partners.cancel": BOOKING_SIDE,
    # The requester sees the booking, but the hub's staff (or ward staff) decide it.
    "partners.approve": {"applicant": 403, "staff": ALLOWED},
    "partners.decline": {"applicant": 403, "staff": ALLOWED},
    "payments.success": BOOKING_SIDE,
    "payments.cancelled": BOOKING_SIDE,
    # Paying is the requester's business; staff mark bank transfers received instead.
    "payments.checkout": {"applicant": ALLOWED, "staff": 403},
}

# Public routes that do not answer every caller with a page:
PUBLIC_EXPECTATIONS = {
    # Stripe's webhook does not exist while Stripe is not configured (its own tests cover it configured).
    "payments.stripe_webhook": 404,
}
# The only route exempt from CSRF: Stripe signs its webhook instead.
CSRF_EXEMPT = {"payments.stripe_webhook"}


def expected(app: Flask, endpoint: str, role: str) -> int | str:
    """The exact outcome of ``endpoint`` for ``role``: a status code, ``ALLOWED`` or ``LOGIN``."""
    policy = permissions.policy_of(app, endpoint)
    if endpoint in PUBLIC_EXPECTATIONS:
        return PUBLIC_EXPECTATIONS[endpoint]
    if policy.kind == permissions.PUBLIC:
        return ANSWERED
    if role == "anonymous":
        return LOGIN
    if policy.kind == permissions.SIGNED_IN:
        return ALLOWED
    if policy.kind == permissions.STAFF:
        return ALLOWED if role == "staff" else 403
    return RULE_EXPECTATIONS[endpoint].get(role, 404)


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route, GET preferred."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


def test_every_route_has_an_access_policy(app):
    table = permissions.policy_table(app)
    assert [endpoint for endpoint, policy in table.items() if policy is None] == []


def test_walker_covers_every_route(app):
    needing_args = {endpoint for endpoint, _m, rule in routes(app) if "<" in rule}
    assert needing_args - set(SAMPLES) == set(), "add a URL sample for these endpoints to SAMPLES"


def _url(app: Flask, endpoint: str, world: World) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(endpoint, **SAMPLES.get(endpoint, lambda w: {})(world))


def table_counts() -> dict[str, int]:
    """The number of rows in every table, in one query."""
    db.session.commit()  # a new transaction: see what the last request committed
    counts = [select(literal(t.name), func.count()).select_from(t) for t in db.metadata.sorted_tables]
    return dict(db.session.execute(union_all(*counts)).all())


def _redirect_to(response: Any, path: str) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith(path)


def _is_login_redirect(response: Any) -> bool:
    return _redirect_to(response, "/login")


def _allowed(response: Any) -> bool:
    """Served: a page, a redirect after an action, or a form re-shown with its errors."""
    return (
        response.status_code < 500
        and response.status_code not in (401, 403, 404, 405)
        and not _is_login_redirect(response)
        and not _redirect_to(response, "/reauthenticate")
    )


def outcome_matches(response: Any, want: int | str) -> bool:
    if want == ALLOWED:
        return _allowed(response)
    if want == ANSWERED:
        return response.status_code < 400
    if want == LOGIN:
        return _is_login_redirect(response)
    return response.status_code == want


def test_every_rule_route_has_its_expectations(app):
    rule_routes = {e for e, _m, _r in routes(app) if permissions.policy_of(app, e).kind == permissions.RULE}
    assert rule_routes - set(RULE_EXPECTATIONS) == set(), "say who may use these routes in RULE_EXPECTATIONS"
    assert set(RULE_EXPECTATIONS) - rule_routes == set(), "these entries name routes that are not rule routes"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_exactly_as_expected(app, client, login_as, role):
    world = build_world()
    user = None if role == "anonymous" else getattr(world, role)
    if user is not None:
        login_as(user)
    failures = []
    # Every URL is built first: the walk itself may delete what a later URL names.
    urls = {endpoint: _url(app, endpoint, world) for endpoint, _method, _rule in routes(app)}
    for endpoint, method, _rule in routes(app):
        policy = permissions.policy_of(app, endpoint)
        url = urls[endpoint]
        want = expected(app, endpoint, role)
        before = table_counts()
        response = client.open(url, method=method)
        response.close()
        status = response.status_code
        if not outcome_matches(response, want):
            where = response.headers.get("Location", "")
            failures.append(f"{method} {url} [{policy}] as {role}: wanted {want}, got {status} {where}")
        denied = status in (401, 403, 404, 405) or _is_login_redirect(response)
        if denied and policy.kind != permissions.PUBLIC:
            after = table_counts()
            changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
            if changed:
                failures.append(f"{method} {url}: denied ({status}) but changed rows {changed}")
        if role != "anonymous" and endpoint == "accounts.logout":
            login_as(user)  # the walker signed itself out; sign back in for the remaining routes
    assert failures == []


def test_every_post_route_rejects_a_missing_csrf_token(app, client, login_as, csrf_enabled):
    world = build_world()
    login_as(world.staff)
    failures = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in SKIP | CSRF_EXEMPT:
            continue
        url = _url(app, rule.endpoint, world)
        response = client.post(url, data={})
        if response.status_code != 400:
            failures.append(f"POST {url}: {response.status_code}")
    assert failures == []


def test_a_post_with_a_valid_csrf_token_is_accepted(app, client, login_as, csrf_enabled):
    world = build_world()
    login_as(world.staff)
    page = client.get(f"/admin/users/{world.other.id}")
    token = page.text.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(f"/admin/users/{world.other.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(world.other)
    assert world.other.active is False
