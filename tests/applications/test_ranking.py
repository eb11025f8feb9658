"""Staff ranking (raw and normalised), decisions, their release, the export, access and speed."""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from kakehashi.accounts.models import Startup, User
from kakehashi.applications.judging.models import (
    AssignmentState,
    CallJudge,
    JudgeAssignment,
    Recommendation,
    Score,
)
from kakehashi.applications.judging.ranking import (
    Review,
    competition_ranks,
    normalised_reviews,
    rank_applications,
    weighted_mean,
)
from kakehashi.applications.judging.services import recompute_review_scores
from kakehashi.applications.models import Application, ApplicationState, Call, CallState, Criterion
from kakehashi.cohorts.models import Cohort, CohortMember
from kakehashi.core.audit import AuditEvent
from kakehashi.core.db import utcnow
from kakehashi.extensions import db
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CriterionFactory,
    StaffFactory,
    UserFactory,
    member_of,
)

# --- helpers ----------------------------------------------------------------------------------------


def shows(response: Any, text: str) -> bool:
    """The page shows ``text`` as a user would read it (HTML-escaped in the source)."""
    return str(escape(text)) in response.get_data(as_text=True)


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def row_order(response: Any) -> list[int]:
    """Application ids in the order the ranking table lists them."""
    return [int(i) for i in re.findall(r'<tr id="application-(\d+)"', response.get_data(as_text=True))]


def row_html(response: Any, application: Application) -> str:
    page = response.get_data(as_text=True)
    start = page.index(f'<tr id="application-{application.id}"')
    return page[start : page.index("</tr>", start)]


def cells(response: Any, application: Application) -> list[str]:
    """The text of each cell of an application's row, tags removed, whitespace collapsed."""
    found = re.findall(r"<td[^>]*>(.*?)</td>", row_html(response, application), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in found]


def closed_call(**kwargs: Any) -> Call:
    """A call whose deadline passed and that is closed for judging."""
    now = utcnow()
    return CallFactory(
        state=CallState.CLOSED, opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1), **kwargs
    )


def under_review(call: Call, key: str, **kwargs: Any) -> Application:
    return ApplicationFactory(
        call=call,
        state=ApplicationState.UNDER_REVIEW,
        submitted_at=utcnow() - timedelta(days=2),
        startup__name={"ja": f"{key}株式会社", "en": f"{key} Inc."},
        **kwargs,
    )


def review(
    application: Application,
    judge: User,
    values: tuple[int, ...],
    *,
    recommendation: Recommendation = Recommendation.MAYBE,
    comment: str | None = None,
) -> JudgeAssignment:
    """A submitted review: ``values`` in rubric order."""
    criteria = db.session.scalars(
        select(Criterion).where(Criterion.call_id == application.call_id).order_by(Criterion.position, Criterion.id)
    ).all()
    assignment = JudgeAssignment(
        call_id=application.call_id,
        application_id=application.id,
        judge_id=judge.id,
        state=AssignmentState.SUBMITTED,
        recommendation=recommendation,
        comment=comment,
        submitted_at=utcnow(),
    )
    db.session.add(assignment)
    db.session.flush()
    db.session.add_all(
        Score(assignment_id=assignment.id, criterion_id=c.id, value=v) for c, v in zip(criteria, values, strict=True)
    )
    # Written directly, not through the scoring service: store the derived score as the service does.
    assignment.review_score = weighted_mean((v, c.weight) for c, v in zip(criteria, values, strict=True))
    db.session.commit()
    return assignment


def judge_of(call: Call, name: str) -> User:
    judge = UserFactory(name=name)
    db.session.add(CallJudge(call_id=call.id, user_id=judge.id, expertise=[]))
    db.session.commit()
    return judge


# Criteria "Business" (weight 2) and "Team" (weight 1), scale 1–10: criterion scores giving a review score.
SCORES = {1: (1, 1), 2: (1, 4), 4: (5, 2), 5: (4, 7), 7: (7, 7), 8: (9, 6)}


@dataclass
class Example:
    call: Call
    harsh: User
    lenient: User
    apps: dict[str, Application]


def hand_example(**call_kwargs: Any) -> Example:
    """The hand-computed example of ``test_normalisation_removes_harshness_and_changes_the_order``, stored."""
    call = closed_call(**call_kwargs)
    CriterionFactory(
        call=call, position=0, weight=Decimal("2"), scale_min=1, scale_max=10, name={"ja": "事業性", "en": "Business"}
    )
    CriterionFactory(
        call=call, position=1, weight=Decimal("1"), scale_min=1, scale_max=10, name={"ja": "チーム", "en": "Team"}
    )
    harsh = judge_of(call, "Hideo Harsh")
    lenient = judge_of(call, "Lena Lenient")
    apps = {key: under_review(call, key) for key in "PQRSTU"}
    for key, score in (("P", 1), ("Q", 4), ("R", 1), ("S", 4)):
        review(apps[key], harsh, SCORES[score], comment=f"Harsh on {key}")
    for key, score in (("R", 5), ("S", 8), ("T", 5), ("U", 8)):
        review(apps[key], lenient, SCORES[score], recommendation=Recommendation.ACCEPT)
    return Example(call, harsh, lenient, apps)


# --- (a) the math ---------------------------------------------------------------------------------

H, L, N, Z = 101, 102, 103, 104  # judges: harsh, lenient, newcomer, zero variance
P, Q, R, S, T, U = 1, 2, 3, 4, 5, 6  # applications

HAND_REVIEWS = [
    Review(P, H, 1.0),
    Review(Q, H, 4.0),
    Review(R, H, 1.0),
    Review(S, H, 4.0),
    Review(R, L, 5.0),
    Review(S, L, 8.0),
    Review(T, L, 5.0),
    Review(U, L, 8.0),
]
HAND_ASSIGNED = {P: 1, Q: 1, R: 2, S: 2, T: 1, U: 1}


def test_a_review_score_is_the_weighted_mean_of_its_criteria():
    """Business 5 (weight 2) and Team 2 (weight 1): (5·2 + 2·1) / 3 = 4."""
    assert weighted_mean([(5, 2), (2, 1)]) == 4
    assert weighted_mean([(4, Decimal("2")), (7, Decimal("1"))]) == 5
    with pytest.raises(ValueError):
        weighted_mean([])


def test_normalisation_removes_harshness_and_changes_the_order():
    """A harsh judge H and a lenient judge L, four reviews each, on a 1–10 scale (range 9).

    H scores P, Q, R, S: 1, 4, 1, 4 → mean 2.5, population SD 1.5 → z = −1, +1, −1, +1
    L scores R, S, T, U: 5, 8, 5, 8 → mean 6.5, population SD 1.5 → z = −1, +1, −1, +1

    All eight reviews: μ = (1+4+1+4+5+8+5+8) / 8 = 36 / 8 = 4.5
      deviations −3.5 −0.5 −3.5 −0.5 +0.5 +3.5 +0.5 +3.5 → Σd² = 4·12.25 + 4·0.25 = 50
      σ² = 50 / 8 = 6.25 → σ = 2.5
    A normalised review is μ + σ·z: z = −1 → 4.5 − 2.5 = 2.0; z = +1 → 4.5 + 2.5 = 7.0

        reviews   raw               raw rank   normalised          normalised rank
    P   H1        1.0               6          2.0                 4
    Q   H4        4.0               4          7.0                 1
    R   H1 L5     (1+5)/2 = 3.0     5          (2+2)/2 = 2.0       4
    S   H4 L8     (4+8)/2 = 6.0     2          (7+7)/2 = 7.0       1
    T   L5        5.0               3          2.0                 4
    U   L8        8.0               1          7.0                 1

    Raw, T (5.0) is above Q (4.0); normalised, Q is above T: Q's 4 was the harsh judge's high mark,
    T's 5 the lenient judge's low one. Ties share a rank and the next rank skips (1, 1, 1, 4).
    Spread: R 5 − 1 = 4 and S 8 − 4 = 4, both ≥ 0.4 × 9 = 3.6 → high disagreement; P, Q, T, U have
    one review each, so no spread.
    """
    results = rank_applications(HAND_REVIEWS, HAND_ASSIGNED, scale_range=9)

    assert {a: r.raw for a, r in results.items()} == {P: 1.0, Q: 4.0, R: 3.0, S: 6.0, T: 5.0, U: 8.0}
    assert {a: r.normalised for a, r in results.items()} == pytest.approx({P: 2, Q: 7, R: 2, S: 7, T: 2, U: 7})
    assert {a: r.raw_rank for a, r in results.items()} == {U: 1, S: 2, T: 3, Q: 4, R: 5, P: 6}
    assert {a: r.normalised_rank for a, r in results.items()} == {Q: 1, S: 1, U: 1, P: 4, R: 4, T: 4}
    assert results[T].raw_rank < results[Q].raw_rank
    assert results[Q].normalised_rank < results[T].normalised_rank
    assert {a: r.spread for a, r in results.items()} == {P: None, Q: None, R: 4.0, S: 4.0, T: None, U: None}
    assert [a for a, r in results.items() if r.disagreement] == [R, S]
    assert all(r.fallback_judges == [] for r in results.values())
    assert {a: (r.reviews_done, r.reviews_assigned) for a, r in results.items()} == {
        P: (1, 1),
        Q: (1, 1),
        R: (2, 2),
        S: (2, 2),
        T: (1, 1),
        U: (1, 1),
    }


def test_a_judge_with_fewer_than_three_reviews_is_taken_raw_and_flagged():
    """The hand example plus a newcomer N with two reviews: T 7 and U 2 (fewer than 3: not normalised).

    N's two scores keep μ and σ as they were: μ = (36 + 7 + 2) / 10 = 4.5 and
    Σd² = 50 + 2.5² + 2.5² = 62.5 → σ² = 62.5 / 10 = 6.25, σ = 2.5. So H's and L's reviews still
    normalise to 2.0 / 7.0, and N's are used as they are:
    T: raw (5 + 7) / 2 = 6.0, normalised (2.0 + 7) / 2 = 4.5, flagged for N
    U: raw (8 + 2) / 2 = 5.0, normalised (7.0 + 2) / 2 = 4.5, flagged for N
    """
    reviews = [*HAND_REVIEWS, Review(T, N, 7.0), Review(U, N, 2.0)]
    results = rank_applications(reviews, {**HAND_ASSIGNED, T: 2, U: 2}, scale_range=9)

    assert normalised_reviews(reviews)[(T, N)] == (7.0, True)
    assert normalised_reviews(reviews)[(T, L)] == pytest.approx((2.0, False))
    assert (results[T].raw, results[T].normalised, results[T].fallback_judges) == (6.0, pytest.approx(4.5), [N])
    assert (results[U].raw, results[U].normalised, results[U].fallback_judges) == (5.0, pytest.approx(4.5), [N])
    assert results[Q].normalised == pytest.approx(7.0)
    assert results[Q].fallback_judges == []
    # Q, S 7.0 (rank 1); T, U 4.5 (rank 3); P, R 2.0 (rank 5)
    assert {a: r.normalised_rank for a, r in results.items()} == {Q: 1, S: 1, T: 3, U: 3, P: 5, R: 5}


def test_a_judge_who_gives_everyone_the_same_score_is_taken_raw_and_flagged():
    """Z scores three applications 6, 6, 6: a standard deviation of 0 has no z-scores, so Z's raw 6 stays."""
    reviews = [*HAND_REVIEWS, Review(7, Z, 6.0), Review(8, Z, 6.0), Review(9, Z, 6.0)]
    results = rank_applications(reviews, {**HAND_ASSIGNED, 7: 1, 8: 1, 9: 1}, scale_range=9)

    assert [(results[a].normalised, results[a].fallback_judges) for a in (7, 8, 9)] == [(6.0, [Z])] * 3
    assert results[Q].fallback_judges == []


def test_when_every_review_is_the_same_nothing_can_be_normalised():
    reviews = [Review(a, j, 3.0) for a in (1, 2, 3) for j in (H, L)]
    results = rank_applications(reviews, {1: 2, 2: 2, 3: 2}, scale_range=4)
    assert [(r.normalised, r.fallback_judges, r.normalised_rank) for r in results.values()] == [(3.0, [H, L], 1)] * 3


def test_competition_ranks_share_a_rank_on_ties_and_skip_the_next():
    ranks = competition_ranks({10: 5.0, 11: 7.0, 12: 7.0, 13: 3.0, 14: None, 15: 7.0000000001})
    assert ranks == {11: 1, 12: 1, 15: 1, 10: 4, 13: 5, 14: None}


def test_spread_is_highest_minus_lowest_and_flags_disagreement_from_forty_percent_of_the_range():
    """Scale 1–10 (range 9): the flag starts at a spread of 0.4 × 9 = 3.6."""
    reviews = [
        Review(1, H, 2.0),
        Review(1, L, 5.6),  # 3.6: flagged (5.6 − 2.0 is 3.5999999999999996 in floating point)
        Review(2, H, 2.0),
        Review(2, L, 5.5),  # 3.5: not flagged
        Review(3, H, 3.0),
        Review(3, L, 9.0),
        Review(3, N, 5.0),  # 9 − 3 = 6: flagged
        Review(4, H, 4.0),  # one review: no spread
    ]
    results = rank_applications(reviews, {1: 2, 2: 2, 3: 3, 4: 3}, scale_range=9)
    assert [results[a].spread for a in (1, 2, 3, 4)] == [pytest.approx(3.6), 3.5, 6.0, None]
    assert [results[a].disagreement for a in (1, 2, 3, 4)] == [True, False, True, False]
    assert (results[4].reviews_done, results[4].reviews_assigned) == (1, 3)


def test_an_application_without_reviews_is_unranked():
    results = rank_applications(HAND_REVIEWS, {**HAND_ASSIGNED, 7: 3}, scale_range=9)
    assert (results[7].raw, results[7].normalised, results[7].raw_rank, results[7].normalised_rank) == (
        None,
        None,
        None,
        None,
    )


# --- (b) the ranking page -------------------------------------------------------------------------


def test_the_ranking_page_shows_raw_and_normalised_scores_with_their_ranks(login_as):
    example = hand_example()
    apps = example.apps
    client = login_as(StaffFactory())

    page = client.get(f"/admin/calls/{example.call.id}/ranking")

    assert page.status_code == 200
    # select, startup, reviews, raw, raw rank, normalised, normalised rank, spread, decision, status, action
    assert cells(page, apps["Q"])[1:8] == ["Q Inc.", "1 / 1", "4.00", "4", "7.00", "1", "—"]
    assert cells(page, apps["T"])[1:8] == ["T Inc.", "1 / 1", "5.00", "3", "2.00", "4", "—"]
    assert cells(page, apps["R"])[1:8] == ["R Inc.", "2 / 2", "3.00", "5", "2.00", "4", "4.00 High disagreement"]
    assert cells(page, apps["S"])[1:8] == ["S Inc.", "2 / 2", "6.00", "2", "7.00", "1", "4.00 High disagreement"]
    assert cells(page, apps["U"])[8:10] == ["Pending", "Under review"]
    assert not shows(page, "partly raw")
    assert shows(page, "Seats in the cohort")


def test_the_ranking_is_sorted_by_normalised_score_by_default_and_by_the_chosen_column(login_as):
    example = hand_example()
    a = example.apps
    unreviewed = under_review(example.call, "V")  # no review: unranked, listed last
    client = login_as(StaffFactory())
    url = f"/admin/calls/{example.call.id}/ranking"

    by_default = row_order(client.get(url))
    assert by_default == row_order(client.get(url + "?sort=normalised"))
    assert by_default == [a["Q"].id, a["S"].id, a["U"].id, a["P"].id, a["R"].id, a["T"].id, unreviewed.id]
    assert row_order(client.get(url + "?sort=raw")) == [
        a["U"].id,
        a["S"].id,
        a["T"].id,
        a["Q"].id,
        a["R"].id,
        a["P"].id,
        unreviewed.id,
    ]
    spread = row_order(client.get(url + "?sort=spread"))
    assert spread[:2] == [a["R"].id, a["S"].id]
    assert set(spread[2:]) == {a[k].id for k in "PQTU"} | {unreviewed.id}
    assert row_order(client.get(url + "?sort=name")) == [a[k].id for k in "PQRSTU"] + [unreviewed.id]
    assert row_order(client.get(url + "?sort=nonsense")) == by_default
    assert cells(client.get(url), unreviewed)[1:8] == ["V Inc.", "0 / 0", "—", "—", "—", "—", "—"]


def test_a_score_that_fell_back_to_raw_is_marked_and_explained(login_as):
    example = hand_example()
    newcomer = judge_of(example.call, "Nao Newcomer")
    review(example.apps["T"], newcomer, SCORES[7])  # one review only: cannot be normalised
    client = login_as(StaffFactory())

    page = client.get(f"/admin/calls/{example.call.id}/ranking")

    assert "partly raw" in cells(page, example.apps["T"])[5]
    assert "partly raw" not in cells(page, example.apps["Q"])[5]
    assert shows(page, "fewer than 3 reviews or identical scores")


def test_a_warning_shows_when_more_are_accepted_than_there_are_seats(login_as):
    example = hand_example(seats=1)
    client = login_as(StaffFactory())
    url = f"/admin/calls/{example.call.id}/ranking"

    client.post(
        f"/admin/calls/{example.call.id}/decisions",
        data={"application_ids": [example.apps["Q"].id], "decision": "accepted"},
    )
    page = client.get(url)
    assert re.search(r'id="accepted">\s*1\s*<', page.text)
    assert not shows(page, "than the call has seats")

    client.post(
        f"/admin/calls/{example.call.id}/decisions",
        data={"application_ids": [example.apps["S"].id], "decision": "accepted"},
    )
    page = client.get(url)
    assert shows(page, "More applications are marked accepted (2) than the call has seats (1).")


@pytest.mark.parametrize(("lang", "name", "state"), [("ja", "Q株式会社", "審査中"), ("en", "Q Inc.", "Under review")])
def test_the_ranking_page_renders_in_both_languages(login_as, lang, name, state):
    example = hand_example()
    client = login_as(StaffFactory())
    page = client.get(f"/admin/calls/{example.call.id}/ranking?lang={lang}")
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text
    assert cells(page, example.apps["Q"])[1] == name
    assert cells(page, example.apps["Q"])[9] == state


def test_an_unknown_call_is_not_found(login_as):
    client = login_as(StaffFactory())
    assert client.get("/admin/calls/999/ranking").status_code == 404
    assert client.get("/admin/calls/999/ranking.csv").status_code == 404


# --- (c) decisions --------------------------------------------------------------------------------


def decision_audits(application: Application) -> list[dict[str, Any]]:
    return [
        event.data
        for event in db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "application.decision",
                AuditEvent.object_type == "application",
                AuditEvent.object_id == application.id,
            )
            .order_by(AuditEvent.id)
        )
    ]


def test_staff_decide_one_application_with_feedback(login_as):
    example = hand_example()
    application = example.apps["Q"]
    staff = StaffFactory()
    client = login_as(staff)

    page = client.get(f"/admin/applications/{application.id}/decision")
    assert page.status_code == 200
    assert shows(page, "Hideo Harsh") and shows(page, "Harsh on Q")  # staff see the reviews
    response = client.post(
        f"/admin/applications/{application.id}/decision",
        data={"decision": "accepted", "feedback": "  A strong team.  "},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/calls/{example.call.id}/ranking#application-{application.id}")
    db.session.refresh(application)
    assert (application.decision, application.feedback, application.state) == (
        ApplicationState.ACCEPTED,
        "A strong team.",
        ApplicationState.UNDER_REVIEW,
    )
    assert decision_audits(application) == [{"decision": "accepted"}]
    audit_actor = db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "application.decision"))
    assert audit_actor == staff.id
    assert cells(client.get(f"/admin/calls/{example.call.id}/ranking"), application)[8] == "Accepted (not released yet)"

    client.post(f"/admin/applications/{application.id}/decision", data={"decision": "undecided", "feedback": ""})
    db.session.refresh(application)
    assert (application.decision, application.feedback) == (None, None)


def test_staff_decide_in_bulk(login_as):
    example = hand_example()
    a = example.apps
    client = login_as(StaffFactory())
    url = f"/admin/calls/{example.call.id}/decisions"

    response = client.post(
        url, data={"application_ids": [a["Q"].id, a["S"].id, a["U"].id], "decision": "rejected"}, follow_redirects=True
    )
    assert shows(response, "3 applications marked “Not selected”.")
    client.post(url, data={"application_ids": [a["P"].id], "decision": "waitlisted"})
    client.post(url, data={"application_ids": [a["U"].id], "decision": "undecided"})

    decisions = {key: db.session.get(Application, a[key].id).decision for key in "PQRSTU"}
    assert decisions == {
        "P": ApplicationState.WAITLISTED,
        "Q": ApplicationState.REJECTED,
        "R": None,
        "S": ApplicationState.REJECTED,
        "T": None,
        "U": None,
    }
    assert count(AuditEvent, AuditEvent.action == "application.decision") == 5
    assert decision_audits(a["U"]) == [{"decision": "rejected"}, {"decision": None}]


def test_a_bulk_decision_needs_a_selection_and_a_known_decision(login_as):
    example = hand_example()
    client = login_as(StaffFactory())
    url = f"/admin/calls/{example.call.id}/decisions"

    nothing = client.post(url, data={"decision": "accepted"}, follow_redirects=True)
    assert shows(nothing, "Select at least one application.")
    bogus = client.post(url, data={"application_ids": [example.apps["Q"].id], "decision": "submitted"})
    assert bogus.status_code == 302
    other_call = under_review(closed_call(), "Elsewhere")
    assert client.post(url, data={"application_ids": [other_call.id], "decision": "accepted"}).status_code == 404
    assert count(Application, Application.decision.is_not(None)) == 0
    assert count(AuditEvent, AuditEvent.action == "application.decision") == 0


def test_a_bulk_decision_with_one_refused_application_changes_nothing(login_as):
    example = hand_example()
    withdrawn = ApplicationFactory(call=example.call, state=ApplicationState.WITHDRAWN)
    client = login_as(StaffFactory())

    response = client.post(
        f"/admin/calls/{example.call.id}/decisions",
        data={"application_ids": [example.apps["Q"].id, withdrawn.id], "decision": "accepted"},
        follow_redirects=True,
    )

    assert shows(response, "Only applications under review in a call that is closed for judging can be decided.")
    assert shows(response, "Nothing was changed.")
    assert count(Application, Application.decision.is_not(None)) == 0
    assert count(AuditEvent, AuditEvent.action == "application.decision") == 0


@pytest.mark.parametrize("call_state", [CallState.OPEN, CallState.DECIDED])
def test_deciding_is_refused_when_judging_is_not_open(login_as, call_state):
    example = hand_example()
    example.call.state = call_state
    db.session.commit()
    application = example.apps["Q"]
    client = login_as(StaffFactory())

    page = client.get(f"/admin/applications/{application.id}/decision")
    assert shows(page, "Only applications under review in a call that is closed for judging can be decided.")
    assert "Save the decision" not in page.text
    one = client.post(
        f"/admin/applications/{application.id}/decision",
        data={"decision": "accepted", "feedback": "x"},
        follow_redirects=True,
    )
    bulk = client.post(
        f"/admin/calls/{example.call.id}/decisions",
        data={"application_ids": [application.id], "decision": "accepted"},
        follow_redirects=True,
    )

    for response in (one, bulk):
        assert shows(response, "Only applications under review in a call that is closed for judging can be decided.")
    db.session.refresh(application)
    assert (application.decision, application.feedback) == (None, None)
    assert count(AuditEvent, AuditEvent.action == "application.decision") == 0


def test_deciding_an_application_that_is_not_under_review_is_refused(login_as):
    call = closed_call()
    submitted = ApplicationFactory(call=call, state=ApplicationState.SUBMITTED)
    client = login_as(StaffFactory())

    response = client.post(
        f"/admin/applications/{submitted.id}/decision", data={"decision": "rejected"}, follow_redirects=True
    )

    assert shows(response, "Only applications under review in a call that is closed for judging can be decided.")
    db.session.refresh(submitted)
    assert submitted.decision is None


# --- (d) release ----------------------------------------------------------------------------------


@dataclass
class Released:
    example: Example
    accepted: Application
    waitlisted: Application
    rejected: Application
    founder_ja: User
    cofounder_en: User
    founder_en: User
    rejected_founder: User


def decided_example(client: Any) -> Released:
    """The hand example, every application decided: Q and S accepted, U waitlisted, the rest rejected."""
    example = hand_example(seats=2)
    a = example.apps
    founder_ja = member_of(a["Q"].startup, user__locale="ja", user__name="山田花子")
    cofounder_en = member_of(a["Q"].startup, user__locale="en", user__name="Ken Cofounder")
    member_of(a["S"].startup, user__locale="en")
    founder_en = member_of(a["U"].startup, user__locale="en", user__name="Una Founder")
    rejected_founder = member_of(a["T"].startup, user__locale="en", user__name="Tom Founder")
    client.post(
        f"/admin/applications/{a['Q'].id}/decision",
        data={"decision": "accepted", "feedback": "審査員一同、チームの実行力を高く評価しました。"},
    )
    client.post(f"/admin/applications/{a['T'].id}/decision", data={"decision": "rejected", "feedback": "Too early."})
    url = f"/admin/calls/{example.call.id}/decisions"
    client.post(url, data={"application_ids": [a["S"].id], "decision": "accepted"})
    client.post(url, data={"application_ids": [a["U"].id], "decision": "waitlisted"})
    client.post(url, data={"application_ids": [a["P"].id, a["R"].id], "decision": "rejected"})
    return Released(example, a["Q"], a["U"], a["T"], founder_ja, cofounder_en, founder_en, rejected_founder)


def test_releasing_tells_every_member_in_their_language_and_forms_the_cohort(login_as, outbox):
    staff = StaffFactory()
    client = login_as(staff)
    world = decided_example(client)
    call = world.example.call
    assert outbox() == []

    response = client.post(f"/admin/calls/{call.id}/release", follow_redirects=True)

    assert shows(response, "The decisions have been released: each applicant is being told by email.")
    emails = {email.to_address: email for email in outbox()}
    assert len(emails) == 5  # one per member: Q has two, S, U and T one each, P and R none
    to_ja = emails[world.founder_ja.email]
    assert (to_ja.locale, to_ja.template) == ("ja", "judging/decision_accepted")
    assert "審査員一同、チームの実行力を高く評価しました。" in to_ja.body_text
    to_cofounder = emails[world.cofounder_en.email]
    assert (to_cofounder.locale, to_cofounder.template) == ("en", "judging/decision_accepted")
    assert "審査員一同" in to_cofounder.body_text
    assert emails[world.founder_en.email].template == "judging/decision_waitlisted"
    to_rejected = emails[world.rejected_founder.email]
    assert to_rejected.template == "judging/decision_rejected"
    assert "Too early." in to_rejected.body_text
    for email in emails.values():
        assert "Hideo Harsh" not in email.body_text and "Lena Lenient" not in email.body_text

    db.session.refresh(call)
    assert call.state is CallState.DECIDED
    states = {key: db.session.get(Application, app.id).state for key, app in world.example.apps.items()}
    assert states == {
        "P": ApplicationState.REJECTED,
        "Q": ApplicationState.ACCEPTED,
        "R": ApplicationState.REJECTED,
        "S": ApplicationState.ACCEPTED,
        "T": ApplicationState.REJECTED,
        "U": ApplicationState.WAITLISTED,
    }
    cohort = db.session.scalar(select(Cohort).where(Cohort.call_id == call.id))
    members = set(db.session.scalars(select(CohortMember.startup_id).where(CohortMember.cohort_id == cohort.id)))
    assert members == {world.example.apps["Q"].startup_id, world.example.apps["S"].startup_id}
    page = client.get(f"/admin/calls/{call.id}/ranking")
    assert shows(page, "2 members.")
    assert "Release the decisions" not in page.text
    assert count(AuditEvent, AuditEvent.action == "judging.decisions_released", AuditEvent.actor_id == staff.id) == 1


def test_releasing_twice_sends_nothing_and_duplicates_nothing(login_as, outbox):
    client = login_as(StaffFactory())
    world = decided_example(client)
    call = world.example.call
    client.post(f"/admin/calls/{call.id}/release")
    emails = len(outbox())

    again = client.post(f"/admin/calls/{call.id}/release", follow_redirects=True)

    assert again.status_code == 200
    assert shows(again, "The decisions had already been released: nothing was sent again.")
    assert len(outbox()) == emails
    assert count(Cohort, Cohort.call_id == call.id) == 1
    assert count(CohortMember) == 2
    assert count(AuditEvent, AuditEvent.action == "judging.decisions_released") == 1


def test_releasing_with_undecided_applications_is_refused(login_as, outbox):
    example = hand_example()
    client = login_as(StaffFactory())
    client.post(
        f"/admin/calls/{example.call.id}/decisions",
        data={"application_ids": [example.apps[k].id for k in "PQRS"], "decision": "rejected"},
    )
    page = client.get(f"/admin/calls/{example.call.id}/ranking")
    assert shows(page, "2 applications under review have no decision yet.")

    response = client.post(f"/admin/calls/{example.call.id}/release", follow_redirects=True)

    assert shows(response, "2 applications under review have no decision yet. Decide them all before releasing.")
    db.session.refresh(example.call)
    assert example.call.state is CallState.CLOSED
    assert outbox() == []
    assert count(Cohort) == 0
    assert db.session.get(Application, example.apps["P"].id).state is ApplicationState.UNDER_REVIEW


def test_releasing_before_judging_is_refused(login_as, outbox):
    call = CallFactory()  # open
    client = login_as(StaffFactory())
    response = client.post(f"/admin/calls/{call.id}/release", follow_redirects=True)
    assert shows(response, "Judging is not open for this call")
    db.session.refresh(call)
    assert call.state is CallState.OPEN
    assert outbox() == []


def test_applicants_see_under_review_until_the_release_then_the_outcome_but_never_scores(login_as, client):
    staff = StaffFactory()
    login_as(staff)
    world = decided_example(client)
    q, t = world.example.apps["Q"], world.example.apps["T"]
    secrets = ["Hideo Harsh", "Lena Lenient", "Harsh on", "7.00", "4.00", "Raw score", "Normalised", "Ranking"]

    def page_for(user: User, application: Application) -> Any:
        login_as(user)
        return client.get(f"/applications/{application.id}")

    before_ja = page_for(world.founder_ja, q)
    before_en = page_for(world.rejected_founder, t)
    assert shows(before_ja, "審査中") and not shows(before_ja, "採択")
    assert shows(before_en, "Under review") and not shows(before_en, "Not selected")

    login_as(staff)
    client.post(f"/admin/calls/{world.example.call.id}/release")

    after_ja = page_for(world.founder_ja, q)
    after_en = page_for(world.rejected_founder, t)
    assert shows(after_ja, "採択") and not shows(after_ja, "審査中")
    assert shows(after_en, "Not selected") and not shows(after_en, "Under review")
    # The feedback staff wrote is shown once released, never before.
    assert shows(after_en, "Too early.") and not shows(before_en, "Too early.")
    assert shows(after_ja, "審査員一同、チームの実行力を高く評価しました。")
    assert not shows(before_ja, "審査員一同、チームの実行力を高く評価しました。")
    for page in (before_ja, before_en, after_ja, after_en):
        assert page.status_code == 200
        assert [s for s in secrets if shows(page, s)] == []


# --- export -----------------------------------------------------------------------------------------


def test_the_csv_export_has_a_row_per_review_with_every_criterion_and_is_audited(login_as):
    example = hand_example()
    evil = under_review(example.call, "Evil")
    review(evil, example.lenient, SCORES[7], comment='=HYPERLINK("http://evil.example")')
    staff = StaffFactory()
    client = login_as(staff)

    response = client.get(f"/admin/calls/{example.call.id}/ranking.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header == [
        "Application ID",
        "Startup (Japanese)",
        "Startup (English)",
        "Judge",
        "Judge's email",
        "Business",
        "Team",
        "Review score (weighted mean)",
        "Review score (normalised)",
        "Judge's raw score used (not normalised)",
        "Recommendation",
        "Comment",
        "Raw score",
        "Normalised score",
        "Rank (raw)",
        "Rank (normalised)",
        "Spread",
        "High disagreement",
        "Decision",
        "Status",
    ]
    assert len(body) == 9  # eight reviews of the hand example, one of Evil
    by_key = {(row[2], row[3]): dict(zip(header, row, strict=True)) for row in body}
    q = by_key[("Q Inc.", "Hideo Harsh")]
    assert q["Startup (Japanese)"] == "Q株式会社"
    assert q["Judge's email"] == example.harsh.email
    assert (q["Business"], q["Team"], q["Review score (weighted mean)"]) == ("5", "2", "4.0")
    assert q["Comment"] == "Harsh on Q"
    assert q["Recommendation"] == "Undecided"
    assert q["Judge's raw score used (not normalised)"] == "No"
    assert q["Raw score"] == "4.0"
    assert q["Rank (raw)"] == "5"  # the Evil application (7.0) ranks above Q now
    assert by_key[("Evil Inc.", "Lena Lenient")]["Comment"].startswith("'=HYPERLINK")
    assert by_key[("R Inc.", "Lena Lenient")]["Spread"] == "4.0"
    assert by_key[("R Inc.", "Lena Lenient")]["High disagreement"] == "Yes"
    # Rows follow the normalised ranking.
    ranks = [int(row[header.index("Rank (normalised)")]) for row in body]
    assert ranks == sorted(ranks)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "judging.ranking_exported")).all()
    assert [(e.actor_id, e.object_id, e.data) for e in events] == [
        (staff.id, example.call.id, {"format": "csv", "rows": 9})
    ]


def test_the_xlsx_export_has_the_same_rows_in_the_viewers_language(login_as):
    example = hand_example()
    client = login_as(StaffFactory())

    response = client.get(f"/admin/calls/{example.call.id}/ranking.xlsx?lang=ja")

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert len(rows) == 9
    assert "事業性" in rows[0] and "チーム" in rows[0]
    normalised = {(row[2], row[3]): row for row in rows[1:]}
    assert normalised[("Q Inc.", "Hideo Harsh")][5:9] == (5, 2, 4.0, 7.0)
    assert count(AuditEvent, AuditEvent.action == "judging.ranking_exported") == 1


# --- (e) access -------------------------------------------------------------------------------------


def staff_routes(example: Example) -> list[tuple[str, str, dict[str, Any]]]:
    call, application = example.call, example.apps["Q"]
    return [
        ("GET", f"/admin/calls/{call.id}/ranking", {}),
        ("GET", f"/admin/calls/{call.id}/ranking?sort=raw", {}),
        ("GET", f"/admin/calls/{call.id}/ranking.csv", {}),
        ("GET", f"/admin/calls/{call.id}/ranking.xlsx", {}),
        ("GET", f"/admin/applications/{application.id}/decision", {}),
        ("POST", f"/admin/applications/{application.id}/decision", {"decision": "accepted", "feedback": "x"}),
        ("POST", f"/admin/calls/{call.id}/decisions", {"application_ids": [application.id], "decision": "accepted"}),
        ("POST", f"/admin/calls/{call.id}/release", {}),
    ]


@pytest.mark.parametrize("role", ["judge", "applicant"])
def test_judges_and_applicants_are_refused_every_staff_route(login_as, outbox, role):
    example = hand_example()
    user = example.harsh if role == "judge" else member_of(example.apps["Q"].startup)
    client = login_as(user)
    audits = count(AuditEvent)

    statuses = {
        (method, url): client.open(url, method=method, data=data).status_code
        for method, url, data in staff_routes(example)
    }

    assert set(statuses.values()) == {403}, statuses
    assert count(AuditEvent) == audits
    assert count(Application, Application.decision.is_not(None)) == 0
    assert outbox() == []


def test_signed_out_visitors_are_sent_to_sign_in(client):
    example = hand_example()
    for method, url, data in staff_routes(example):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


# --- (f) speed ----------------------------------------------------------------------------------------

CRITERIA = 6
JUDGES = 3


def bulk_call(applications: int) -> Call:
    """A closed call with ``applications`` under review, each scored by 3 judges on 6 criteria (bulk inserts)."""
    call = closed_call(seats=20)
    criteria = [
        CriterionFactory(call=call, position=i, weight=Decimal(i % 3 + 1), scale_min=1, scale_max=5)
        for i in range(CRITERIA)
    ]
    judges = [judge_of(call, f"Judge {j}") for j in range(JUDGES)]
    now = utcnow()
    startups_before = db.session.scalar(select(func.count(Startup.id)))
    db.session.execute(
        insert(Startup),
        [
            {
                "name": {"ja": f"会社{i}", "en": f"Company {i}"},
                "search_name": f"会社{i} company {i}",
                "country": "JP",
                "is_overseas": False,
            }
            for i in range(applications)
        ],
    )
    startup_ids = db.session.scalars(select(Startup.id).order_by(Startup.id).offset(startups_before)).all()
    db.session.execute(
        insert(Application),
        [
            {"call_id": call.id, "startup_id": s, "state": ApplicationState.UNDER_REVIEW, "submitted_at": now}
            for s in startup_ids
        ],
    )
    application_ids = db.session.scalars(
        select(Application.id).where(Application.call_id == call.id).order_by(Application.id)
    ).all()
    db.session.execute(
        insert(JudgeAssignment),
        [
            {
                "call_id": call.id,
                "application_id": a,
                "judge_id": judge.id,
                "state": AssignmentState.SUBMITTED,
                "recommendation": Recommendation.MAYBE,
                "submitted_at": now,
            }
            for a in application_ids
            for judge in judges
        ],
    )
    assignments = db.session.execute(
        select(JudgeAssignment.id, JudgeAssignment.application_id, JudgeAssignment.judge_id).where(
            JudgeAssignment.call_id == call.id
        )
    ).all()
    db.session.execute(
        insert(Score),
        [
            {"assignment_id": assignment_id, "criterion_id": c.id, "value": 1 + (a * 7 + j * 3 + k) % 5}
            for assignment_id, a, j in assignments
            for k, c in enumerate(criteria)
        ],
    )
    recompute_review_scores(call)  # the scores were written in bulk, not through the scoring service
    db.session.commit()
    return call


def queries_for(client: Any, count_queries: Any, url: str) -> tuple[int, int, float]:
    started = time.perf_counter()
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, len(response.data), time.perf_counter() - started


def test_the_ranking_page_and_export_take_the_same_number_of_queries_for_20_and_2000_applications(
    login_as, count_queries
):
    client = login_as(StaffFactory())
    small, large = bulk_call(20), bulk_call(2000)
    assert count(Score) == (20 + 2000) * JUDGES * CRITERIA

    for suffix in ("/ranking", "/ranking?sort=name", "/ranking.csv"):
        small_queries, _size, _seconds = queries_for(client, count_queries, f"/admin/calls/{small.id}{suffix}")
        large_queries, _size, seconds = queries_for(client, count_queries, f"/admin/calls/{large.id}{suffix}")
        assert small_queries == large_queries, suffix
        assert small_queries <= 12, suffix
        assert seconds < 10, (suffix, seconds)  # a loose guard; about 1–2 s on a developer machine
    # The spreadsheet is built from the same table as the CSV (openpyxl is slow at 6,000 rows, so small only).
    xlsx_queries, _size, _seconds = queries_for(client, count_queries, f"/admin/calls/{small.id}/ranking.xlsx")
    assert xlsx_queries == large_queries
    assert len(row_order(client.get(f"/admin/calls/{large.id}/ranking"))) == 2000
