"""The judge's side of issue 4: the queue, the blind scoring page, drafts and submission, declaring a
conflict and downloading the deck.

Everything goes through the judge's pages and is checked on what the judge sees, what is stored and
what is audited. Assignments are made the way staff make them, by ``services.auto_assign``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from kakehashi.applications.judging import queries, services
from kakehashi.applications.judging.models import (
    AssignmentState,
    CallJudge,
    Conflict,
    ConflictSource,
    JudgeAssignment,
    Recommendation,
    Score,
)
from kakehashi.applications.models import ApplicationState, CallState
from kakehashi.core.audit import AuditEvent
from kakehashi.extensions import db
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

# services._call_judges / _plan_for still call Result.tuples(), deprecated in SQLAlchemy 2.1; remove
# this mark once they iterate the rows directly (as queries.py now does).
pytestmark = pytest.mark.filterwarnings(r"ignore:The Result\.tuples\(\) method is deprecated")

ALL_BLIND = ["startup_name", "website", "founders", "country"]


# --- building a call under review ---------------------------------------------------------------


@dataclass
class Judging:
    call: Any
    criteria: list[Any]
    applications: list[Any]
    judges: list[Any]
    staff: Any

    def assignment(self, judge: Any, application: Any | None = None) -> JudgeAssignment:
        """The judge's (first) assignment, or their assignment to ``application``."""
        query = select(JudgeAssignment).where(JudgeAssignment.judge_id == judge.id).order_by(JudgeAssignment.id)
        if application is not None:
            query = query.where(JudgeAssignment.application_id == application.id)
        return db.session.scalars(query).first()

    def assignments_of(self, judge: Any) -> list[JudgeAssignment]:
        return list(
            db.session.scalars(
                select(JudgeAssignment)
                .where(JudgeAssignment.judge_id == judge.id, JudgeAssignment.call_id == self.call.id)
                .order_by(JudgeAssignment.id)
            )
        )


def make_judging(
    *,
    applications: int = 2,
    judges: int = 2,
    per_application: int = 2,
    blind_fields: list[str] | None = None,
    staff: Any = None,
    judge_users: list[Any] | None = None,
    **application_fields: Any,
) -> Judging:
    """A closed call with a three-criterion rubric, applications under review, judges and assignments."""
    staff = staff or StaffFactory()
    call = CallFactory(state=CallState.CLOSED, judges_per_application=per_application, blind_fields=blind_fields or [])
    criteria = [
        CriterionFactory(
            call=call,
            position=1,
            name={"ja": "チームの力", "en": "Team strength"},
            guidance={"ja": "創業者の経験を評価してください。", "en": "Judge the founders' track record."},
            weight=Decimal("3"),
            scale_min=1,
            scale_max=5,
        ),
        CriterionFactory(
            call=call,
            position=2,
            name={"ja": "市場の大きさ", "en": "Market size"},
            guidance={"en": "How large is the reachable market?"},
            weight=Decimal("2"),
            scale_min=1,
            scale_max=5,
        ),
        CriterionFactory(
            call=call,
            position=3,
            name={"ja": "地域への貢献", "en": "Local impact"},
            guidance=None,
            weight=Decimal("1"),
            scale_min=0,
            scale_max=10,
        ),
    ]
    apps = [
        ApplicationFactory(call=call, state=ApplicationState.UNDER_REVIEW, **application_fields)
        for _ in range(applications)
    ]
    users = judge_users or [UserFactory(name=f"Judge {chr(ord('A') + i)}kiyama") for i in range(judges)]
    for user in users:
        db.session.add(CallJudge(call_id=call.id, user_id=user.id, expertise=[], invited_by_id=staff.id))
    db.session.flush()
    services.auto_assign(call, by=staff)
    db.session.commit()
    return Judging(call, criteria, apps, users, staff)


# --- helpers ------------------------------------------------------------------------------------


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def shows(response: Any, text: str) -> bool:
    """The page shows ``text`` as a user reads it (HTML-escaped in the source)."""
    return str(escape(text)) in html(response)


def score_url(assignment: Any) -> str:
    return f"/judging/assignments/{assignment.id}"


def review(criteria: list[Any], values: list[Any], *, recommendation: str = "", comment: str = "") -> dict[str, str]:
    data = {f"score_{c.id}": "" if v is None else str(v) for c, v in zip(criteria, values, strict=True)}
    data.update(recommendation=recommendation, comment=comment)
    return data


def save_draft(client: Any, assignment: Any, data: dict[str, str]) -> Any:
    return client.post(score_url(assignment), data={**data, "save": "1"})


def submit_review(client: Any, assignment: Any, data: dict[str, str]) -> Any:
    return client.post(score_url(assignment), data={**data, "submit": "1"})


def stored_scores(assignment: Any) -> dict[int, int]:
    rows = db.session.execute(select(Score.criterion_id, Score.value).where(Score.assignment_id == assignment.id))
    return {criterion_id: value for criterion_id, value in rows}


def audit_actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def field_errors(response: Any) -> dict[str, str]:
    """Field id → the error text shown under it."""
    return {
        name: re.sub(r"\s+", " ", text).strip()
        for name, text in re.findall(
            r'<div id="([a-z_0-9]+)-error" class="invalid-feedback d-block">(.*?)</div>', html(response)
        )
    }


def selected(response: Any, name: str) -> str | None:
    """The value of the selected option of select ``name`` (None if none is marked selected)."""
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html(response), re.S)
    assert match, f"no select {name}"
    option = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', match.group(1))
    return None if option is None else (option.group(1) or option.group(2) or "")


def textarea_value(response: Any, name: str) -> str | None:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', html(response), re.S)
    return match.group(1) if match else None


def linked_assignments(response: Any) -> list[int]:
    return sorted(int(n) for n in re.findall(r'href="/judging/assignments/(\d+)"', html(response)))


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_lists_exactly_the_judges_assignments_grouped_by_call_with_progress(client, login_as):
    first = make_judging(applications=3, judges=2, per_application=1)
    judge, other_judge = first.judges
    second = make_judging(applications=2, judges=1, per_application=1, judge_users=[judge])
    done = first.assignment(judge)
    submit_review(login_as(judge), done, review(first.criteria, [4, 4, 7], recommendation="accept"))

    response = client.get("/judging/")

    assert response.status_code == 200
    mine = [a.id for a in first.assignments_of(judge) + second.assignments_of(judge)]
    assert linked_assignments(response) == sorted(mine)
    assert not set(linked_assignments(response)) & {a.id for a in first.assignments_of(other_judge)}
    page = html(response)
    first_total, second_total = len(first.assignments_of(judge)), len(second.assignments_of(judge))
    assert shows(response, f"1 of {first_total} submitted")
    assert shows(response, f"0 of {second_total} submitted")
    # Grouped under each call's title, most recent call first.
    assert shows(response, first.call.title["en"]) and shows(response, second.call.title["en"])
    assert page.index(second.call.title["en"]) < page.index(first.call.title["en"])
    assert shows(response, "Submitted") and shows(response, "To score")


def test_the_queue_names_startups_unless_the_call_hides_them(client, login_as):
    named = make_judging(applications=1, judges=1, per_application=1)
    judge = named.judges[0]
    blind = make_judging(
        applications=1, judges=1, per_application=1, blind_fields=["startup_name"], judge_users=[judge]
    )

    response = login_as(judge).get("/judging/?lang=en")

    assert shows(response, named.applications[0].startup.name["en"])
    assert shows(response, f"Application #{blind.applications[0].id}")
    assert not shows(response, blind.applications[0].startup.name["en"])
    assert not shows(response, blind.applications[0].startup.name["ja"])


def test_the_queue_takes_a_fixed_number_of_queries(client, login_as, count_queries):
    judge = UserFactory()
    make_judging(applications=2, judges=1, per_application=1, judge_users=[judge])
    login_as(judge)
    client.get("/judging/")  # warm up: the locale and session are settled
    with count_queries() as small:
        assert client.get("/judging/").status_code == 200

    make_judging(applications=6, judges=1, per_application=1, judge_users=[judge])
    make_judging(applications=3, judges=1, per_application=1, judge_users=[judge], blind_fields=["startup_name"])
    with count_queries() as large:
        response = client.get("/judging/")

    assert len(linked_assignments(response)) == 11
    assert large.count == small.count


def test_the_queue_takes_as_many_queries_with_nothing_to_judge_as_with_calls_of_every_kind(
    client, login_as, count_queries
):
    judge = UserFactory()
    login_as(judge)
    client.get("/judging/")  # warm up: the locale and session are settled
    with count_queries() as empty:
        assert client.get("/judging/").status_code == 200

    ended = make_judging(applications=2, judges=1, per_application=1, judge_users=[judge])
    ended.call.state = CallState.DECIDED
    db.session.commit()
    with count_queries() as only_ended:
        assert client.get("/judging/").status_code == 200

    make_judging(applications=3, judges=1, per_application=1, judge_users=[judge], blind_fields=["startup_name"])
    with count_queries() as only_blind:
        assert client.get("/judging/").status_code == 200

    make_judging(applications=4, judges=1, per_application=1, judge_users=[judge])
    with count_queries() as mixed:
        response = client.get("/judging/")

    assert len(linked_assignments(response)) == 7
    assert empty.count == only_ended.count == only_blind.count == mixed.count <= 12


def test_calls_whose_judging_ended_are_summarised_and_open_on_their_own(client, login_as):
    current = make_judging(applications=2, judges=1, per_application=1)
    judge = current.judges[0]
    past = make_judging(applications=3, judges=1, per_application=1, judge_users=[judge])
    past.call.state = CallState.DECIDED
    db.session.commit()

    response = login_as(judge).get("/judging/?lang=en")

    assert linked_assignments(response) == sorted(a.id for a in current.assignments_of(judge))
    assert shows(response, "Calls whose judging has ended") and shows(response, past.call.title["en"])
    assert shows(response, f"0 of {len(past.assignments_of(judge))} submitted")
    one = client.get(f"/judging/?call={past.call.id}&lang=en")
    assert linked_assignments(one) == sorted(a.id for a in past.assignments_of(judge))
    assert shows(one, "Judging has ended.")
    # Another judge's call: nothing of it is listed.
    other = make_judging(applications=1, judges=1, per_application=1)
    assert linked_assignments(client.get(f"/judging/?call={other.call.id}")) == []


def test_someone_who_judges_nothing_sees_an_empty_queue(client, login_as):
    make_judging(applications=1, judges=1, per_application=1)

    response = login_as(UserFactory()).get("/judging/")

    assert response.status_code == 200
    assert shows(response, "No applications are assigned to you.")
    assert linked_assignments(response) == []


def test_the_queue_asks_anonymous_visitors_to_sign_in(client):
    assert is_login_redirect(client.get("/judging/"))


# --- scoring ------------------------------------------------------------------------------------


def test_the_scoring_page_shows_the_application_rubric_and_guidance(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1, traction="120 paying customers.")
    assignment = setup.assignment(setup.judges[0])
    attach_deck(setup.applications[0])

    response = login_as(setup.judges[0]).get(score_url(assignment) + "?lang=en")

    assert response.status_code == 200
    for text in (
        "120 paying customers.",
        "Team strength",
        "Judge the founders' track record.",
        "Market size",
        "How large is the reachable market?",
        "Local impact",
        "Score from 0 to 10 · weight 1",
        "Score from 1 to 5 · weight 3",
        "Save draft",
        "Submit review",
        "Download the pitch deck",
    ):
        assert shows(response, text), text
    assert f'href="/judging/assignments/{assignment.id}/deck"' in html(response)
    # The options run over each criterion's own scale, with "not scored yet" for a draft.
    local = setup.criteria[2]
    options = re.search(rf'<select[^>]*name="score_{local.id}"[^>]*>(.*?)</select>', html(response), re.S).group(1)
    assert re.findall(r'value="([^"]*)"', options) == ["", *map(str, range(0, 11))]
    assert [r.value for r in Recommendation] == re.findall(
        r'value="([a-z]+)"',
        re.search(r'<select[^>]*name="recommendation"[^>]*>(.*?)</select>', html(response), re.S).group(1),
    )


def test_a_draft_saves_partial_scores_and_shows_them_again(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    assignment = setup.assignment(setup.judges[0])
    team, market, local = setup.criteria
    login_as(setup.judges[0])

    response = save_draft(client, assignment, review(setup.criteria, [4, None, None], comment="Strong team."))

    assert response.status_code == 302 and response.headers["Location"] == score_url(assignment)
    db.session.refresh(assignment)
    assert stored_scores(assignment) == {team.id: 4}
    assert (assignment.state, assignment.comment, assignment.recommendation) == (
        AssignmentState.ASSIGNED,
        "Strong team.",
        None,
    )
    assert [e.object_id for e in audit_actions("judging.review_saved")] == [assignment.id]
    assert audit_actions("judging.review_submitted") == []

    page = client.get(score_url(assignment))
    assert shows(page, "Your draft has been saved.")
    assert (selected(page, f"score_{team.id}"), selected(page, f"score_{market.id}")) == ("4", "")
    assert textarea_value(page, "comment") == "Strong team."

    # Clearing a score in a later draft removes it.
    save_draft(client, assignment, review(setup.criteria, [None, 2, 9]))
    assert stored_scores(assignment) == {market.id: 2, local.id: 9}


def test_submitting_needs_every_criterion_and_a_recommendation_and_keeps_what_was_typed(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    assignment = setup.assignment(setup.judges[0])
    team, market, local = setup.criteria
    login_as(setup.judges[0])

    response = submit_review(client, assignment, review(setup.criteria, [5, None, 8], comment="Promising."))

    assert response.status_code == 200
    assert shows(
        response, "Your draft has been saved. Score every criterion and give a recommendation before submitting."
    )
    assert field_errors(response) == {
        f"score_{market.id}": "Required to submit.",
        "recommendation": "Required to submit.",
    }
    assert (selected(response, f"score_{team.id}"), selected(response, f"score_{local.id}")) == ("5", "8")
    assert textarea_value(response, "comment") == "Promising."
    db.session.refresh(assignment)
    assert assignment.state is AssignmentState.ASSIGNED and assignment.submitted_at is None
    assert stored_scores(assignment) == {team.id: 5, local.id: 8}
    assert assignment.comment == "Promising."
    assert audit_actions("judging.review_submitted") == []

    # All scores but no recommendation: still a draft.
    response = submit_review(client, assignment, review(setup.criteria, [5, 3, 8]))
    assert field_errors(response) == {"recommendation": "Required to submit."}
    db.session.refresh(assignment)
    assert assignment.state is AssignmentState.ASSIGNED


def test_a_submitted_review_is_stored_and_its_weighted_mean_is_the_rankings(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    judge = setup.judges[0]
    assignment = setup.assignment(judge)
    team, market, local = setup.criteria
    login_as(judge)

    response = submit_review(
        client,
        assignment,
        review(setup.criteria, [4, 1, 5], recommendation="maybe", comment="Good team, small market."),
    )

    assert response.status_code == 302 and response.headers["Location"] == "/judging/"
    assert shows(client.get("/judging/"), "Your review has been submitted.")
    db.session.refresh(assignment)
    assert assignment.state is AssignmentState.SUBMITTED and assignment.submitted_at is not None
    assert (assignment.recommendation, assignment.comment) == (Recommendation.MAYBE, "Good team, small market.")
    assert stored_scores(assignment) == {team.id: 4, market.id: 1, local.id: 5}
    # Weights 3, 2, 1: (3×4 + 2×1 + 1×5) / 6 = 19/6.
    [result] = queries.review_scores(setup.call)
    assert (result.application_id, result.judge_id) == (setup.applications[0].id, judge.id)
    assert result.score == pytest.approx(19 / 6)


def test_submitting_stores_the_review_score_and_updating_the_review_changes_it(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    assignment = setup.assignment(setup.judges[0])
    login_as(setup.judges[0])

    save_draft(client, assignment, review(setup.criteria, [4, 1, None], recommendation="maybe"))
    db.session.refresh(assignment)
    assert assignment.review_score is None  # a draft is not a review yet

    submit_review(client, assignment, review(setup.criteria, [4, 1, 5], recommendation="maybe"))
    db.session.refresh(assignment)
    assert assignment.review_score == pytest.approx(19 / 6)  # weights 3, 2, 1

    submit_review(client, assignment, review(setup.criteria, [2, 2, 2], recommendation="maybe"))
    db.session.refresh(assignment)
    assert assignment.review_score == pytest.approx(2.0)


def test_recomputing_review_scores_matches_what_scoring_stored(client, login_as):
    setup = make_judging(applications=2, judges=1, per_application=1)
    judge = setup.judges[0]
    login_as(judge)
    for assignment, values in zip(
        db.session.scalars(select(JudgeAssignment).order_by(JudgeAssignment.id)).all(),
        ([4, 1, 5], [5, 5, 1]),
        strict=True,
    ):
        submit_review(client, assignment, review(setup.criteria, values, recommendation="accept"))
    stored = dict(db.session.execute(select(JudgeAssignment.id, JudgeAssignment.review_score)).all())

    services.recompute_review_scores(setup.call)

    again = dict(db.session.execute(select(JudgeAssignment.id, JudgeAssignment.review_score)).all())
    assert again == pytest.approx(stored) and sorted(stored.values()) == pytest.approx([19 / 6, 26 / 6])


def test_every_submission_is_audited(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    assignment = setup.assignment(setup.judges[0])
    login_as(setup.judges[0])

    submit_review(client, assignment, review(setup.criteria, [3, 3, 3], recommendation="accept"))
    submit_review(client, assignment, review(setup.criteria, [4, 3, 3], recommendation="accept"))

    events = audit_actions("judging.review_submitted")
    assert [(e.actor_id, e.object_type, e.object_id) for e in events] == [
        (setup.judges[0].id, "judge_assignment", assignment.id)
    ] * 2
    assert events[-1].data["scores"][str(setup.criteria[0].id)] == 4
    assert stored_scores(assignment)[setup.criteria[0].id] == 4


def test_a_submitted_review_can_be_updated_but_not_emptied(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    assignment = setup.assignment(setup.judges[0])
    team, market, local = setup.criteria
    login_as(setup.judges[0])
    submit_review(client, assignment, review(setup.criteria, [3, 3, 3], recommendation="accept"))

    page = client.get(score_url(assignment))
    assert shows(page, "Update review") and not shows(page, "Save draft")

    # Even a "save draft" sent by hand cannot leave a submitted review incomplete.
    response = save_draft(client, assignment, review(setup.criteria, [None, 3, 3], recommendation="accept"))

    assert response.status_code == 200
    assert field_errors(response) == {f"score_{team.id}": "Required to submit."}
    assert not shows(response, "Your draft has been saved.")
    db.session.refresh(assignment)
    assert assignment.state is AssignmentState.SUBMITTED
    assert stored_scores(assignment) == {team.id: 3, market.id: 3, local.id: 3}


@pytest.mark.parametrize("button", ["save", "submit"])
@pytest.mark.parametrize("value", ["6", "0", "-1", "999999"])
def test_a_score_outside_the_scale_is_refused_and_nothing_is_saved(client, login_as, button, value):
    setup = make_judging(applications=1, judges=1, per_application=1)
    assignment = setup.assignment(setup.judges[0])
    team, market, local = setup.criteria
    login_as(setup.judges[0])
    save_draft(client, assignment, review(setup.criteria, [2, None, None], comment="First thoughts."))
    audits = count(AuditEvent)

    data = review(setup.criteria, [4, 3, 7], recommendation="accept", comment="Changed my mind.")
    data[f"score_{market.id}"] = value  # the market scale is 1–5
    response = client.post(score_url(assignment), data={**data, button: "1"})

    assert response.status_code == 200
    assert shows(response, "Scores must be between 1 and 5.")
    db.session.refresh(assignment)
    assert stored_scores(assignment) == {team.id: 2}
    assert (assignment.state, assignment.comment) == (AssignmentState.ASSIGNED, "First thoughts.")
    assert count(AuditEvent) == audits


def test_a_score_that_is_not_a_number_is_refused(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    assignment = setup.assignment(setup.judges[0])
    login_as(setup.judges[0])
    data = review(setup.criteria, [4, 3, 7], recommendation="accept")
    data[f"score_{setup.criteria[0].id}"] = "five"

    response = submit_review(client, assignment, data)

    assert response.status_code == 200
    assert shows(response, "Please correct the highlighted fields.")
    assert f"score_{setup.criteria[0].id}" in field_errors(response)
    assert stored_scores(assignment) == {}


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (CallState.OPEN, "Scoring starts when the call closes for applications."),
        (CallState.DECIDED, "Judging has ended for this call. Your review can no longer be changed."),
    ],
)
def test_scoring_is_read_only_outside_judging_and_a_post_changes_nothing(client, login_as, state, message):
    setup = make_judging(applications=1, judges=1, per_application=1)
    assignment = setup.assignment(setup.judges[0])
    team = setup.criteria[0]
    login_as(setup.judges[0])
    save_draft(client, assignment, review(setup.criteria, [2, None, None], comment="Draft."))
    setup.call.state = state
    db.session.commit()
    audits = count(AuditEvent)

    page = client.get(score_url(assignment))

    assert page.status_code == 200
    assert shows(page, message)
    assert "<select" not in html(page) and not shows(page, "Submit review") and not shows(page, "Save draft")
    assert shows(page, "2 (scale 1 to 5)") and shows(page, "Draft.")

    for button in ("save", "submit"):
        response = client.post(
            score_url(assignment), data={**review(setup.criteria, [5, 5, 5], recommendation="accept"), button: "1"}
        )
        assert response.status_code == 200
        assert shows(response, "Judging is not open for this call")
        assert shows(response, "2 (scale 1 to 5)") and not shows(response, "5 (scale 1 to 5)")
    db.session.refresh(assignment)
    assert (assignment.state, assignment.comment, stored_scores(assignment)) == (
        AssignmentState.ASSIGNED,
        "Draft.",
        {team.id: 2},
    )
    assert count(AuditEvent) == audits


# --- blind review and what judges see ---------------------------------------------------------------


def identity_of(application: Any) -> dict[str, str]:
    startup = application.startup
    return {
        "startup_name": startup.name["en"],
        "startup_name_ja": startup.name["ja"],
        "website": startup.website,
        "founders": application.founders,
        "country": "Singapore",
    }


def test_fields_the_call_hides_are_not_on_the_judges_pages(client, login_as):
    startup = StartupFactory(
        name={"ja": "秘密ロボティクス", "en": "Secret Robotics"},
        country="SG",
        website="https://secret-robotics.example",
    )
    setup = make_judging(applications=0, judges=1, per_application=1, blind_fields=ALL_BLIND)
    application = ApplicationFactory(
        call=setup.call, startup=startup, state=ApplicationState.UNDER_REVIEW, founders="Mei Tan (CEO), Raj Kumar (CTO)"
    )
    attach_deck(application, filename="Secret Robotics deck.pdf")
    services.auto_assign(setup.call, by=setup.staff)
    db.session.commit()
    assignment = setup.assignment(setup.judges[0])
    login_as(setup.judges[0])

    for url in (score_url(assignment) + "?lang=en", score_url(assignment) + "?lang=ja", "/judging/"):
        page = html(client.get(url))
        for field, value in identity_of(application).items():
            assert value not in page, (url, field)
        assert "Secret" not in page and "秘密" not in page and "Mei Tan" not in page
    page = client.get(score_url(assignment) + "?lang=en")
    assert shows(page, f"Application #{application.id}")
    assert shows(page, "We make payments simple.")  # the answers the call does not hide are there
    assert not shows(page, "Founders") and not shows(page, "Website") and not shows(page, "Country")


def test_a_call_that_hides_nothing_shows_the_startup_to_judges(client, login_as):
    startup = StartupFactory(
        name={"ja": "秘密ロボティクス", "en": "Secret Robotics"},
        country="SG",
        website="https://secret-robotics.example",
    )
    setup = make_judging(applications=0, judges=1, per_application=1)
    application = ApplicationFactory(
        call=setup.call, startup=startup, state=ApplicationState.UNDER_REVIEW, founders="Mei Tan (CEO), Raj Kumar (CTO)"
    )
    services.auto_assign(setup.call, by=setup.staff)
    db.session.commit()
    login_as(setup.judges[0])

    page = client.get(score_url(setup.assignment(setup.judges[0])) + "?lang=en")

    for field, value in identity_of(application).items():
        if field != "startup_name_ja":  # the English page names the startup in English
            assert shows(page, value), field
    assert not shows(page, f"Application #{application.id}")


def test_each_blind_field_is_hidden_on_its_own(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1, blind_fields=["founders"])
    application = setup.applications[0]
    login_as(setup.judges[0])

    page = client.get(score_url(setup.assignment(setup.judges[0])) + "?lang=en")

    assert not shows(page, application.founders)
    assert shows(page, application.startup.name["en"]) and shows(page, application.startup.website)


def test_answers_are_escaped_not_run(client, login_as):
    setup = make_judging(
        applications=1,
        judges=1,
        per_application=1,
        company_summary='<script>alert("x")</script><b>bold</b>',
        problem="Line one\nLine <i>two</i>",
    )
    login_as(setup.judges[0])

    page = client.get(score_url(setup.assignment(setup.judges[0])))

    assert "<script>alert" not in html(page) and "<b>bold</b>" not in html(page) and "<i>two</i>" not in html(page)
    assert shows(page, '<script>alert("x")</script><b>bold</b>')
    assert shows(page, "Line one\nLine <i>two</i>")


def test_a_judge_never_sees_another_judges_review(client, login_as):
    setup = make_judging(applications=1, judges=2, per_application=2)
    me, colleague = setup.judges
    theirs = setup.assignment(colleague)
    login_as(colleague)
    submit_review(
        client,
        theirs,
        review(setup.criteria, [1, 2, 10], recommendation="reject", comment="Unconvincing unit economics."),
    )

    login_as(me)
    mine = setup.assignment(me)
    pages = [
        client.get(score_url(mine)),
        client.get("/judging/"),
        save_draft(client, mine, review(setup.criteria, [3, None, None])),
        submit_review(client, mine, review(setup.criteria, [3, None, None])),
    ]

    for page in pages:
        text = html(page)
        assert colleague.name not in text and colleague.email not in text
        assert "Unconvincing unit economics." not in text
        assert f"/judging/assignments/{theirs.id}" not in text
    # Their review is still theirs alone: I cannot open it either.
    assert client.get(score_url(theirs)).status_code == 404


# --- who may open a judge's pages -------------------------------------------------------------------


def _outsider(role: str, setup: Judging) -> Any:
    if role == "other_judge":  # a judge of the same call and application, with their own assignment
        return setup.judges[1]
    if role == "staff":
        return setup.staff
    if role == "applicant":
        return member_of(setup.applications[0].startup)
    if role == "unrelated":
        return UserFactory()
    return None


ROUTES = {
    "score_get": ("GET", "", {}),
    "score_post": ("POST", "", {"submit": "1"}),
    "conflict": ("POST", "/conflict", {"reason": "I know them."}),
    "deck": ("GET", "/deck", {}),
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("role", ["other_judge", "staff", "applicant", "unrelated", "anonymous"])
def test_only_the_assigned_judge_may_open_scoring_conflict_and_deck(client, login_as, role, route):
    setup = make_judging(applications=1, judges=2, per_application=2)
    attach_deck(setup.applications[0])
    target = setup.assignment(setup.judges[0])
    user = _outsider(role, setup)
    if user is not None:
        login_as(user)
    method, suffix, data = ROUTES[route]
    if route == "score_post":
        data = {**review(setup.criteria, [5, 5, 5], recommendation="accept"), **data}
    before = (count(AuditEvent), count(Score), count(Conflict), count(JudgeAssignment))

    response = client.open(score_url(target) + suffix, method=method, data=data)

    if user is None:
        assert is_login_redirect(response)
    else:
        assert response.status_code == 404
    db.session.refresh(target)
    assert target.state is AssignmentState.ASSIGNED
    assert (count(AuditEvent), count(Score), count(Conflict), count(JudgeAssignment)) == before


def test_an_assignment_that_does_not_exist_is_not_found(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    login_as(setup.judges[0])
    assert client.get("/judging/assignments/999999").status_code == 404
    assert client.get("/judging/assignments/999999/deck").status_code == 404
    assert client.post("/judging/assignments/999999/conflict", data={"reason": "x"}).status_code == 404


# --- conflicts ------------------------------------------------------------------------------------


def test_declaring_a_conflict_hands_the_application_to_another_judge(client, login_as):
    setup = make_judging(applications=1, judges=3, per_application=2)
    application = setup.applications[0]
    assigned = {a.judge_id for a in db.session.scalars(select(JudgeAssignment))}
    [spare] = [j for j in setup.judges if j.id not in assigned]
    judge = next(j for j in setup.judges if j.id in assigned)
    assignment = setup.assignment(judge)
    attach_deck(application)
    login_as(judge)

    response = client.post(score_url(assignment) + "/conflict", data={"reason": "  My fund invested in them.  "})

    assert response.status_code == 302 and response.headers["Location"] == "/judging/"
    queue = client.get("/judging/")
    assert shows(queue, "The application has been taken off your list.")
    assert assignment.id not in linked_assignments(queue)
    db.session.refresh(assignment)
    assert (assignment.state, assignment.conflict_reason) == (AssignmentState.CONFLICTED, "My fund invested in them.")
    [conflict] = db.session.scalars(select(Conflict)).all()
    assert (conflict.judge_id, conflict.startup_id, conflict.reason, conflict.source, conflict.recorded_by_id) == (
        judge.id,
        application.startup_id,
        "My fund invested in them.",
        ConflictSource.JUDGE,
        judge.id,
    )
    [recorded] = audit_actions("judging.conflict_recorded")
    assert (recorded.actor_id, recorded.object_id) == (judge.id, conflict.id)
    assert [e.data for e in audit_actions("assignment.state") if e.object_id == assignment.id] == [
        {"from": "assigned", "to": "conflicted"}
    ]
    replacement = setup.assignment(spare, application)
    assert replacement is not None and replacement.state is AssignmentState.ASSIGNED
    assert services.short_of_judges(setup.call) == {}

    # The conflicted judge can no longer open the application, its deck, or declare again.
    assert client.get(score_url(assignment)).status_code == 404
    assert client.get(score_url(assignment) + "/deck").status_code == 404
    assert client.post(score_url(assignment) + "/conflict", data={"reason": "again"}).status_code == 404


def test_a_conflict_without_a_spare_judge_leaves_the_application_short(client, login_as):
    setup = make_judging(applications=1, judges=2, per_application=2)
    judge = setup.judges[0]
    assignment = setup.assignment(judge)
    login_as(judge)

    client.post(score_url(assignment) + "/conflict", data={"reason": "Same employer."})

    db.session.refresh(assignment)
    assert assignment.state is AssignmentState.CONFLICTED
    assert count(JudgeAssignment) == 2
    assert services.short_of_judges(setup.call) == {setup.applications[0].id: 1}


def test_a_conflict_needs_a_reason(client, login_as):
    setup = make_judging(applications=1, judges=2, per_application=2)
    assignment = setup.assignment(setup.judges[0])
    login_as(setup.judges[0])
    audits = count(AuditEvent)

    response = client.post(score_url(assignment) + "/conflict", data={"reason": "   "})

    assert response.status_code == 200
    assert field_errors(response) == {"reason": "Say why you cannot judge this application."}
    db.session.refresh(assignment)
    assert assignment.state is AssignmentState.ASSIGNED
    assert (count(Conflict), count(AuditEvent)) == (0, audits)


def test_a_reviewed_application_cannot_be_declared_a_conflict(client, login_as):
    setup = make_judging(applications=1, judges=2, per_application=2)
    assignment = setup.assignment(setup.judges[0])
    login_as(setup.judges[0])
    submit_review(client, assignment, review(setup.criteria, [3, 3, 3], recommendation="accept"))
    assert not shows(client.get(score_url(assignment)), "Declare a conflict")
    audits = count(AuditEvent)

    response = client.post(score_url(assignment) + "/conflict", data={"reason": "Remembered late."})

    assert response.status_code == 302
    db.session.refresh(assignment)
    assert assignment.state is AssignmentState.SUBMITTED
    assert (count(Conflict), count(AuditEvent)) == (0, audits)


def test_no_conflict_can_be_declared_once_decisions_are_out(client, login_as):
    setup = make_judging(applications=1, judges=2, per_application=2)
    assignment = setup.assignment(setup.judges[0])
    setup.call.state = CallState.DECIDED
    db.session.commit()
    login_as(setup.judges[0])
    assert not shows(client.get(score_url(assignment)), "Declare a conflict")

    client.post(score_url(assignment) + "/conflict", data={"reason": "Late."})

    db.session.refresh(assignment)
    assert assignment.state is AssignmentState.ASSIGNED
    assert (count(Conflict), count(JudgeAssignment)) == (0, 2)


# --- the deck -------------------------------------------------------------------------------------


def download_name(response: Any) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    match = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    return unquote(match.group(1)) if match else re.search(r'filename="?([^";]+)', disposition).group(1)


def test_the_judge_downloads_the_deck_and_the_download_is_audited(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    stored = attach_deck(setup.applications[0], filename="ピッチ資料.pdf")
    assignment = setup.assignment(setup.judges[0])
    login_as(setup.judges[0])

    with client.get(score_url(assignment) + "/deck") as response:
        assert response.status_code == 200
        assert response.data.startswith(b"%PDF-")
        assert download_name(response) == "ピッチ資料.pdf"
    [event] = audit_actions("file.downloaded")
    assert (event.actor_id, event.object_type, event.object_id, event.data) == (
        setup.judges[0].id,
        "stored_file",
        stored.id,
        {"purpose": "pitch_deck", "assignment": assignment.id},
    )


def test_under_blind_review_the_deck_is_downloaded_under_a_neutral_name(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1, blind_fields=["startup_name"])
    application = setup.applications[0]
    attach_deck(application, filename="Startup 1 Inc. pitch.pdf")
    login_as(setup.judges[0])

    with client.get(score_url(setup.assignment(setup.judges[0])) + "/deck") as response:
        assert response.status_code == 200
        assert download_name(response) == f"application-{application.id}-deck.pdf"
        assert "Startup" not in response.headers["Content-Disposition"]


def test_an_application_without_a_deck_has_nothing_to_download(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    login_as(setup.judges[0])
    assignment = setup.assignment(setup.judges[0])

    assert client.get(score_url(assignment) + "/deck").status_code == 404
    assert audit_actions("file.downloaded") == []


# --- languages ----------------------------------------------------------------------------------


def test_the_judges_pages_render_in_both_languages(client, login_as):
    setup = make_judging(applications=1, judges=1, per_application=1)
    assignment = setup.assignment(setup.judges[0])
    login_as(setup.judges[0])

    english = client.get(score_url(assignment) + "?lang=en")
    assert '<html lang="en">' in html(english)
    for text in (
        "Your review",
        "Rubric",
        "Save draft",
        "Submit review",
        "Recommendation",
        "Team strength",
        "Judge the founders' track record.",
        "Declare a conflict of interest",
    ):
        assert shows(english, text), text
    assert shows(client.get("/judging/?lang=en"), "0 of 1 submitted")

    japanese = client.get(score_url(assignment) + "?lang=ja")
    assert '<html lang="ja">' in html(japanese)
    assert shows(japanese, "チームの力") and shows(japanese, "創業者の経験を評価してください。")
    assert not shows(japanese, "Team strength")
    # A criterion written in one language only falls back to it.
    assert shows(japanese, "How large is the reachable market?")
    queue = client.get("/judging/?lang=ja")
    assert queue.status_code == 200 and '<html lang="ja">' in html(queue)
    assert shows(queue, setup.call.title["ja"])
