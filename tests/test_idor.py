"""IDOR sweep: every route whose URL names an object by id, as every user who is not entitled to it.

For each such route and each method it accepts (GET and POST, a POST with a payload that would make the
action succeed), every signed-in role the access table (``tests/test_access.py``) does not serve gets
exactly its refusal — 404 where the object's existence is private, 403 where the policy says so — and
nothing changes: no row is added or removed (checked after each request), no row in any table differs
at the end of the sweep, no stored file is added or removed. An id that does not exist is a 404 (never a
500) for staff. Feed tokens stand in for ids on the calendar feeds: a wrong or revoked token is a 404.

``OBJECT_ROUTES`` lists the id-bearing routes by the kind of object their id names; a new route with an
``<int:…>`` parameter fails ``test_every_id_bearing_route_is_swept`` until it is listed here (and has
a sample and expectations in ``tests/test_access.py``).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask, current_app, url_for
from sqlalchemy import select

from kakehashi.applications.models import CallState
from kakehashi.core import permissions
from kakehashi.core.storage import backend
from kakehashi.extensions import db
from kakehashi.softlanding import services as landing_services
from tests.factories import PASSWORD, pdf_bytes
from tests.test_access import ROLES, SAMPLES, build_world, expected, table_counts

# The kind of object each id-bearing route names (the first id in its URL when it has two).
OBJECT_ROUTES: dict[str, list[str]] = {
    "user": [
        "accounts.user_detail",
        "accounts.activate",
        "accounts.deactivate",
        "accounts.grant_staff",
        "accounts.revoke_staff",
        "accounts.resend_invitation",
        "accounts.delete_user",
    ],
    "outbound email": ["core.outbox_detail", "core.outbox_retry"],
    "stored file": ["core.download"],
    "startup": [
        "startups.detail",
        "startups.edit",
        "startups.add_member",
        "cohorts.new_round",
        "cohorts.add_valuation",
        "cohorts.annual_report",
    ],
    "vertical": ["applications.edit_vertical"],
    "call": [
        "applications.call_detail",
        "applications.apply",
        "applications.staff_call",
        "applications.edit_call",
        "applications.change_call_state",
        "applications.add_criterion",
        "applications.call_applications",
        "applications.export_applications",
        "judging.judges",
        "judging.auto_assign",
        "judging.record_conflict",
        "judging.assignments",
        "judging.ranking",
        "judging.ranking_export",
        "judging.bulk_decision",
        "judging.release",
    ],
    "criterion": ["applications.edit_criterion", "applications.delete_criterion"],
    "application (and its deck)": [
        "applications.application_detail",
        "applications.edit_application",
        "applications.submit",
        "applications.withdraw",
        "judging.add_assignment",
        "judging.decision",
    ],
    "assignment (its scores and the deck a judge sees)": [
        "judging.score",
        "judging.declare_conflict",
        "judging.deck",
        "judging.remove_assignment",
    ],
    "cohort": [
        "cohorts.cohort",
        "cohorts.edit_cohort",
        "cohorts.add_member",
        "cohorts.send_survey",
        "cohorts.member_status",
    ],
    "funding round": ["cohorts.round_detail", "cohorts.edit_round", "cohorts.review_round"],
    "annual report": ["cohorts.report_detail", "cohorts.review_report"],
    "landing case": [
        "softlanding.case",
        "softlanding.close_case",
        "softlanding.reopen_case",
        "softlanding.delete_documents",
        "softlanding.rotate_feed",
        "softlanding.revoke_feed",
    ],
    "landing task": [
        "softlanding.task",
        "softlanding.start_task",
        "softlanding.submit_task",
        "softlanding.upload_document",
        "softlanding.comment",
        "softlanding.approve",
        "softlanding.request_changes",
        "softlanding.complete",
        "softlanding.not_applicable",
    ],
    "landing document": ["softlanding.document", "softlanding.remove_document"],
    "checklist template": [
        "softlanding.template_detail",
        "softlanding.template_edit",
        "softlanding.template_active",
        "softlanding.template_step_new",
        "softlanding.template_step_edit",
        "softlanding.template_step_delete",
        "softlanding.template_step_move",
    ],
    "partner hub": [
        "partners.hub",
        "partners.edit_hub",
        "partners.book",
        "partners.hub_bookings",
        "partners.add_hub_staff",
        "partners.remove_hub_staff",
        "partners.rotate_feed",
        "partners.revoke_feed",
    ],
    "booking (and its receipt)": [
        "partners.booking",
        "partners.receipt",
        "partners.approve",
        "partners.decline",
        "partners.waive_fee",
        "partners.cancel",
    ],
    "joint event": ["partners.edit_event", "partners.delete_event"],
    "payment": ["payments.checkout", "payments.success", "payments.cancelled", "payments.mark_received"],
}
SWEPT = {endpoint for endpoints in OBJECT_ROUTES.values() for endpoint in endpoints}
SIGNED_IN_ROLES = [role for role in ROLES if role != "anonymous"]
NOWHERE = 10**9  # an id no object has


def id_routes(app: Flask) -> dict[str, set[str]]:
    """endpoint -> the methods (GET, POST) of every route with an ``<int:…>`` parameter."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if "<int:" in rule.rule:
            found.setdefault(rule.endpoint, set()).update(rule.methods & {"GET", "POST"})
    return found


def payload() -> dict[str, Any]:
    """Every field an action could want, filled in as if the form were honest (and files to upload)."""
    return {
        "confirm": "y",
        "password": PASSWORD,
        "note": "n",
        "comment": "c",
        "changes": "Please fix.",
        "reason": "r",
        "body": "b",
        "decision": "accepted",
        "feedback": "f",
        "recommendation": "accept",
        "state": "approved",
        "status": "verified",
        "submit": "1",
        "send": "1",
        "starts_on": "2026-07-01",
        "ends_on": "2026-07-02",
        "desks": "1",
        "name": "Mallory",
        "email": "mallory@example.org",
        "locale": "en",
        "fiscal_year": "2024",
        "revenue_jpy": "1",
        "document": (io.BytesIO(pdf_bytes()), "evil.pdf"),
        "deck": (io.BytesIO(pdf_bytes()), "evil.pdf"),
    }


def database_rows() -> dict[str, list[str]]:
    """Every row of every table (the sweep's world is small): a denial must leave all of them as they were."""
    db.session.commit()  # a new transaction: see what the last request committed
    return {
        table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
        for table in db.metadata.sorted_tables
    }


def _url(endpoint: str, world: Any, **override: Any) -> str:
    with current_app.test_request_context():
        return url_for(endpoint, **{**SAMPLES[endpoint](world), **override})


def test_every_id_bearing_route_is_swept(app):
    routes = set(id_routes(app))
    assert routes - SWEPT == set(), "list these routes in OBJECT_ROUTES (and in tests/test_access.py)"
    assert SWEPT - routes == set(), "these entries of OBJECT_ROUTES name no route with an id"


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_users_not_entitled_to_an_object_are_refused_and_nothing_changes(app, client, login_as, role):
    world = build_world()
    login_as(getattr(world, role))
    urls = {endpoint: _url(endpoint, world) for endpoint in SWEPT}
    before, counts, files = database_rows(), table_counts(), backend().count()
    failures = []
    for endpoint in sorted(SWEPT):
        want = expected(app, endpoint, role)
        if not isinstance(want, int):
            continue  # entitled (or public): the walker and the module tests cover what they may do
        for method in sorted(id_routes(app)[endpoint]):
            response = client.open(urls[endpoint], method=method, data=payload() if method == "POST" else None)
            response.close()
            if response.status_code != want:
                failures.append(f"{method} {urls[endpoint]} as {role}: wanted {want}, got {response.status_code}")
            counted = table_counts()
            if counted != counts:
                changed = sorted(name for name in counts if counts[name] != counted[name])
                failures.append(f"{method} {urls[endpoint]} as {role}: refused, but added or removed {changed}")
                counts = counted
    assert failures == []
    after = database_rows()  # every row, every column: nothing was updated either
    assert [name for name in before if before[name] != after[name]] == []
    assert backend().count() == files


def test_a_judge_with_a_declared_conflict_cannot_reach_that_assignment(app, client, login_as):
    world = build_world()
    login_as(world.conflicted_judge)
    before = database_rows()
    assignment_id = world.conflicted_assignment.id
    for endpoint in ("judging.score", "judging.deck", "judging.declare_conflict"):
        url = _url(endpoint, world, assignment_id=assignment_id)
        for method in sorted(id_routes(app)[endpoint]):
            response = client.open(url, method=method, data=payload() if method == "POST" else None)
            assert response.status_code == 404, (method, url)
    assert database_rows() == before


@pytest.mark.parametrize("role", ["applicant", "staff"])
def test_an_id_that_does_not_exist_is_a_404_or_the_policys_403(app, client, login_as, role):
    world = build_world()
    login_as(getattr(world, role))
    before = database_rows()
    failures = []
    for endpoint, methods in sorted(id_routes(app).items()):
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        ids = {
            name: NOWHERE
            for name, converter in rule._converters.items()
            if type(converter).__name__ == "IntegerConverter"
        }
        url = _url(endpoint, world, **ids)
        policy = permissions.policy_of(app, endpoint)
        want = 403 if policy.kind == permissions.STAFF and role != "staff" else 404
        if policy.kind == permissions.PUBLIC:
            want = 404
        for method in sorted(methods):
            response = client.open(url, method=method, data=payload() if method == "POST" else None)
            response.close()
            if response.status_code != want:
                failures.append(f"{method} {url} as {role}: wanted {want}, got {response.status_code}")
    assert failures == []
    assert database_rows() == before


def test_feed_tokens_that_are_wrong_or_revoked_find_nothing(client):
    world = build_world()
    case_token, hub_token = world.landing_case.feed_token, world.hub.feed_token
    assert client.get(f"/landing/feeds/{case_token}.ics").status_code == 200
    assert client.get(f"/partners/feeds/{hub_token}.ics").status_code == 200
    for url in (
        f"/landing/feeds/{case_token[:-1]}.ics",
        f"/landing/feeds/{hub_token}.ics",  # a hub's token is not a case's
        f"/partners/feeds/{case_token}.ics",
        f"/partners/feeds/{hub_token.upper()}.ics",
        "/landing/feeds/.ics",
    ):
        assert client.get(url).status_code == 404, url
    for url in ("/partners/feeds/%00.ics", f"/landing/feeds/{case_token}%00.ics"):
        assert client.get(url).status_code in (400, 404), url  # a NUL is refused before any lookup
    landing_services.revoke_feed_token(world.landing_case, by=world.overseas_founder)
    db.session.commit()
    assert client.get(f"/landing/feeds/{case_token}.ics").status_code == 404


@pytest.mark.parametrize("role", ["other_founder", "hub_staff_other_hub", "applicant"])
def test_only_the_owner_or_staff_can_change_a_feed_address(client, login_as, role):
    world = build_world()
    case_token, hub_token = world.landing_case.feed_token, world.hub.feed_token
    login_as(getattr(world, role))
    for url in (
        f"/landing/cases/{world.landing_case.id}/feed/rotate",
        f"/landing/cases/{world.landing_case.id}/feed/revoke",
        f"/partners/hubs/{world.hub.id}/feed/rotate",
        f"/partners/hubs/{world.hub.id}/feed/revoke",
    ):
        assert client.post(url).status_code in (403, 404), url
    db.session.expire_all()
    assert (world.landing_case.feed_token, world.hub.feed_token) == (case_token, hub_token)


def test_a_draft_call_does_not_exist_for_anyone_but_staff(client, login_as):
    world = build_world()
    world.call.state = CallState.DRAFT
    db.session.commit()
    for role in ("applicant", "judge", "hub_staff_other_hub"):
        login_as(getattr(world, role))
        assert client.get(f"/calls/{world.call.id}").status_code == 404, role
        assert client.post(f"/calls/{world.call.id}/apply", data=payload()).status_code == 404, role
    login_as(world.staff)
    assert client.get(f"/calls/{world.call.id}").status_code == 200
