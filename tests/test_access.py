"""The access walker: every route in ``app.url_map`` × every role, checked against the route's policy.

Adding a route without an entry in ``SAMPLES`` (how to build its URL) fails ``test_walker_covers_every_route``;
adding one without an access policy stops the app from starting at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from kakehashi.applications.judging.models import CallJudge, JudgeAssignment
from kakehashi.cohorts.models import Verification
from kakehashi.core import outbox, permissions
from kakehashi.core.audit import AuditEvent
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

    ``applicant`` belongs to the startup that owns ``application``; ``other_applicant`` belongs to
    another startup (with an application of its own to the same call).
    """

    applicant: Any
    other_applicant: Any
    judge: Any
    staff: Any
    other: Any
    email: Any
    stored_file: Any
    vertical: Any
    call: Any
    criterion: Any
    application: Any
    assignment: Any
    cohort_member: Any
    funding_round: Any
    report: Any
    landing_case: Any  # its founder is ``applicant``
    landing_task: Any
    landing_document: Any
    template: Any
    template_step: Any
    hub: Any  # ``other`` is on its staff
    hub_member: Any
    booking: Any  # requested by ``applicant`` for their startup
    payment: Any  # on another booking of ``applicant``'s startup, approved
    event: Any
    other_event: Any


def build_world() -> World:
    import io

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
    judge = UserFactory()
    db.session.add(CallJudge(call_id=call.id, user_id=judge.id))
    assignment = JudgeAssignment(call_id=call.id, application_id=application.id, judge_id=judge.id)
    db.session.add(assignment)
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
    landing_case = open_small_case(founder=applicant, staff=staff)
    landing_task = tasks_of(landing_case)["passport"]
    landing_document = landing_services.add_document(landing_task, upload(), by=applicant)
    template = landing_case.template
    hub = PartnerHubFactory()
    hub_member = HubMember(hub_id=hub.id, user_id=other.id)
    booking = PartnerBookingFactory(hub=hub, startup=application.startup, requested_by=applicant)
    paid_booking = PartnerBookingFactory(
        hub=hub, startup=application.startup, requested_by=applicant, state=BookingState.APPROVED
    )
    db.session.add(hub_member)
    db.session.flush()
    payment = payment_services.open_payment(paid_booking, by=staff)
    event, other_event = PartnerEventFactory(), PartnerEventFactory()
    db.session.commit()
    return World(
        applicant=applicant,
        other_applicant=other_applicant,
        judge=judge,
        staff=staff,
        other=other,
        email=email,
        stored_file=stored,
        vertical=call.vertical,
        call=call,
        criterion=criterion,
        application=application,
        assignment=assignment,
        cohort_member=cohort_member,
        funding_round=funding_round,
        report=report,
        landing_case=landing_case,
        landing_task=landing_task,
        landing_document=landing_document,
        template=template,
        template_step=db.session.scalars(select(TemplateStep).where(TemplateStep.template_id == template.id)).first(),
        hub=hub,
        hub_member=hub_member,
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

# Rule-protected routes. By default the owner and staff are served, and a member of another startup
# or a judge (who is not assigned through that URL) gets 404: the object's existence is private.
# Exceptions, per endpoint and role:
JUDGE_ONLY = {"applicant": 404, "other_applicant": 404, "judge": "allowed", "staff": 404}
RULE_EXPECTATIONS: dict[str, dict[str, int | str]] = {
    # An unregistered purpose: only staff may download it.
    "core.download": {"applicant": 404},
    # A judge's review is theirs alone: not the applicant's, not another startup's, not even staff's.
    "judging.score": JUDGE_ONLY,
    "judging.declare_conflict": JUDGE_ONLY,
    "judging.deck": JUDGE_ONLY,
    # Staff read applications and startups; they do not write them.
    "applications.edit_application": {"staff": 403},
    "applications.submit": {"staff": 403},
    "applications.withdraw": {"staff": 403},
    "startups.edit": {"staff": 403},
    "startups.add_member": {"staff": 403},
    # Reviewing a landing case is staff's work: the case's own founder is refused, others never see it.
    **{
        f"softlanding.{endpoint}": {"applicant": 403}
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
    # A booking's requester sees it but the hub's staff decide it.
    "partners.hub_bookings": {"applicant": 403},
    "partners.approve": {"applicant": 403},
    "partners.decline": {"applicant": 403},
    # Paying is the requester's business; staff mark bank transfers received instead.
    "payments.checkout": {"staff": 403},
}

# Public routes that do not answer every caller with a page:
PUBLIC_EXPECTATIONS = {
    # Stripe's webhook does not exist while Stripe is not configured (its own tests cover it configured).
    "payments.stripe_webhook": 404,
}
# The only route exempt from CSRF: Stripe signs its webhook instead.
CSRF_EXEMPT = {"payments.stripe_webhook"}


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


def _audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def _is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def _allowed(response: Any) -> bool:
    """Served: a page, a redirect after an action, or a form re-shown with its errors."""
    return (
        response.status_code < 500 and response.status_code not in (401, 403, 404) and not _is_login_redirect(response)
    )


ROLES = ["anonymous", "applicant", "other_applicant", "judge", "staff"]


def _expected_for_rule(endpoint: str, role: str) -> int | str:
    default = {"applicant": "allowed", "other_applicant": 404, "judge": 404, "staff": "allowed"}[role]
    return RULE_EXPECTATIONS.get(endpoint, {}).get(role, default)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_its_policy_says(app, client, login_as, role):
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
        before = _audit_count()
        response = client.open(url, method=method)
        response.close()
        status = response.status_code
        if endpoint in PUBLIC_EXPECTATIONS:
            ok = status == PUBLIC_EXPECTATIONS[endpoint]
        elif policy.kind == permissions.PUBLIC:
            ok = status < 400
        elif role == "anonymous":
            ok = _is_login_redirect(response)
        elif policy.kind == permissions.SIGNED_IN:
            ok = _allowed(response)
        elif policy.kind == permissions.STAFF:
            ok = status == 403 if role != "staff" else _allowed(response)
        else:
            expected = _expected_for_rule(endpoint, role)
            ok = _allowed(response) if expected == "allowed" else status == expected
        denied = status in (401, 403, 404) or _is_login_redirect(response)
        if denied and policy.kind != permissions.PUBLIC and _audit_count() != before:
            failures.append(f"{method} {url}: denied ({status}) but wrote an audit row")
        if not ok:
            failures.append(f"{method} {url} [{policy}] as {role}: {status} {response.headers.get('Location', '')}")
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
