"""The ranking page is cached (``core.cache``, namespace "judging"): every change to what it shows must
show on the next load, whichever page or service made it."""

from __future__ import annotations

from kakehashi.applications.judging import services
from kakehashi.applications.judging.models import JudgeAssignment, Recommendation
from kakehashi.applications.models import ApplicationState
from kakehashi.extensions import db
from tests.applications.test_ranking import SCORES, cells, hand_example
from tests.factories import StaffFactory


def ranking(client, example):
    page = client.get(f"/admin/calls/{example.call.id}/ranking")
    assert page.status_code == 200
    return page


def test_a_changed_review_shows_on_the_cached_ranking(login_as):
    example = hand_example()
    client = login_as(StaffFactory())
    assert cells(ranking(client, example), example.apps["T"])[1:4] == ["T Inc.", "1 / 1", "5.00"]
    assert cells(ranking(client, example), example.apps["T"])[1:4] == ["T Inc.", "1 / 1", "5.00"]  # cached

    assignment = db.session.query(JudgeAssignment).filter_by(application_id=example.apps["T"].id).one()
    criteria = services.criteria_of(example.call)
    business, team = SCORES[8]
    services.save_review(
        assignment,
        by=example.lenient,
        scores={criteria[0].id: business, criteria[1].id: team},
        comment=None,
        recommendation=Recommendation.ACCEPT,
        submit=True,
    )
    db.session.commit()

    assert cells(ranking(client, example), example.apps["T"])[1:4] == ["T Inc.", "1 / 1", "8.00"]


def test_a_decision_and_a_renamed_startup_show_on_the_cached_ranking(login_as):
    example = hand_example()
    client = login_as(StaffFactory())
    u = example.apps["U"]
    assert cells(ranking(client, example), u)[8] == "Pending"

    response = client.post(f"/admin/applications/{u.id}/decision", data={"decision": "accepted", "feedback": ""})
    assert response.status_code == 302
    assert cells(ranking(client, example), u)[8] == "Accepted (not released yet)"

    db.session.refresh(u)
    u.startup.name = {"ja": "新しい名前", "en": "Renamed Inc."}
    db.session.commit()
    assert cells(ranking(client, example), u)[1] == "Renamed Inc."


def test_a_withdrawn_assignment_changes_the_cached_counts(login_as):
    example = hand_example()
    client = login_as(StaffFactory())
    p = example.apps["P"]
    assert cells(ranking(client, example), p)[1:3] == ["P Inc.", "1 / 1"]

    db.session.refresh(p)
    p.state = ApplicationState.WITHDRAWN  # a row the ranking no longer lists, changed outside any service
    db.session.commit()

    assert f'id="application-{p.id}"' not in ranking(client, example).get_data(as_text=True)


def test_the_cached_table_is_spliced_into_the_page_once_as_utf8(login_as):
    example = hand_example()
    client = login_as(StaffFactory())
    u = example.apps["U"]
    db.session.refresh(u)
    u.startup.name = {"ja": "新しい名前", "en": "新しい名前 Inc."}  # non-ASCII in the cached bytes
    db.session.commit()
    for _ in range(2):  # computed, then cached
        page = ranking(client, example)
        assert page.content_type == "text/html; charset=utf-8"
        html = page.get_data(as_text=True)
        assert html.count('id="ranking"') == 1
        assert "kakehashi:ranking-table" not in html
        assert (
            html.index('id="bulk-decisions"')
            < html.index('id="ranking"')
            < html.index("</form>", html.index('id="ranking"'))
        )
        assert cells(page, u)[1] == "新しい名前 Inc."
