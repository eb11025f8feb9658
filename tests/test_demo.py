"""``flask demo`` loads one account per role and the accelerator programme, twice without harm, and never in
production."""

from __future__ import annotations

import io
from collections import Counter

from sqlalchemy import func, select

from kakehashi.accounts.models import Startup, StartupMember, User
from kakehashi.applications.models import Application, ApplicationState, Call, CallState, Criterion, Vertical
from kakehashi.core.storage import StoredFile, looks_like_pdf
from kakehashi.demo import DEMO_FOUNDER, DEMO_PASSWORD, DEMO_USERS
from kakehashi.demo.judging import JUDGES, LEFT_TO_SCORE
from kakehashi.demo.programme import minimal_pdf
from kakehashi.demo.softlanding import EXTRA_FOUNDERS
from kakehashi.extensions import db


def _count(model):
    return db.session.scalar(select(func.count(model.id)))


def _sign_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, email
    return client


def test_demo_data_loads_idempotently_and_every_login_works(app):
    runner = app.test_cli_runner()
    app.config["ENV"] = "development"
    first = runner.invoke(args=["demo"])
    counts = {model: _count(model) for model in (Vertical, Call, Criterion, Application, Startup, StoredFile)}
    second = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert db.session.scalar(select(func.count(User.id))) == len(DEMO_USERS) + len(JUDGES) - 1 + len(EXTRA_FOUNDERS)
    assert db.session.scalar(select(func.count(StartupMember.id))) == 1
    for email, *_ in [*DEMO_USERS, *EXTRA_FOUNDERS.values()]:
        assert email in first.output
        _sign_in(app, email)
    staff = _sign_in(app, "staff@demo.kakehashi.jp")
    assert staff.get("/admin/users").status_code == 200

    # The programme, loaded once: the second run duplicated nothing.
    assert {model: _count(model) for model in counts} == counts
    assert counts[Vertical] == 2 and counts[Call] == 3 and counts[Application] == 120
    assert "3 calls, 120 applications" in first.output and "3 calls, 120 applications" in second.output

    calls = {call.state: call for call in db.session.scalars(select(Call))}
    assert set(calls) == {CallState.OPEN, CallState.CLOSED, CallState.DECIDED}
    assert calls[CallState.OPEN].is_open
    assert calls[CallState.CLOSED].blind_fields == ["startup_name", "founders"]
    applications = list(db.session.scalars(select(Application)))
    states = {state: Counter(a.state for a in applications if a.call_id == call.id) for state, call in calls.items()}
    assert all(sum(counter.values()) > 0 for counter in states.values())
    decided = states[CallState.DECIDED]
    assert decided[ApplicationState.ACCEPTED] == calls[CallState.DECIDED].seats
    assert decided[ApplicationState.WAITLISTED] and decided[ApplicationState.REJECTED]
    assert states[CallState.CLOSED][ApplicationState.UNDER_REVIEW] and states[CallState.OPEN][ApplicationState.DRAFT]
    for application in applications:
        call = next(c for c in calls.values() if c.id == application.call_id)
        if application.state is not ApplicationState.DRAFT:
            assert application.deck_id is not None
            assert call.opens_at <= application.submitted_at < call.closes_at
        assert (application.decided_at is not None) == application.state.is_decided
    startups = list(db.session.scalars(select(Startup)))
    assert {s.country for s in startups} > {"JP", "US", "SG"}
    assert all(s.is_overseas == (s.country != "JP") and s.name["en"].lower() in s.search_name for s in startups)

    # Decks are real PDFs that staff can download.
    deck = db.session.get(StoredFile, applications[-1].deck_id or applications[0].deck_id)
    with staff.get(f"/files/{deck.id}") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert looks_like_pdf(io.BytesIO(response.get_data()))

    # Visitors see the open call; the demo founder has not applied to it yet and can start an application.
    open_call = calls[CallState.OPEN]
    listing = app.test_client().get("/calls/").get_data(as_text=True)
    assert open_call.title["ja"] in listing and calls[CallState.CLOSED].title["ja"] not in listing
    founder = db.session.scalar(select(User).where(User.email == DEMO_FOUNDER))
    startup_id = db.session.scalar(select(StartupMember.startup_id).where(StartupMember.user_id == founder.id))
    mine = {a.call_id: a.state for a in applications if a.startup_id == startup_id}
    assert mine == {calls[CallState.DECIDED].id: ApplicationState.WAITLISTED}
    client = _sign_in(app, DEMO_FOUNDER)
    response = client.post(f"/calls/{open_call.id}/apply", data={"startup_id": startup_id})
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    started = db.session.scalar(
        select(Application).where(Application.call_id == open_call.id, Application.startup_id == startup_id)
    )
    assert started is not None and started.state is ApplicationState.DRAFT


def test_generated_decks_are_readable_pdfs_with_awkward_text():
    data = minimal_pdf(["Backslash \\ and (parentheses)", "Société — 日本"], title="株式会社ミライ金融")
    assert looks_like_pdf(io.BytesIO(data))


def test_demo_data_is_refused_in_production(app):
    app.config["ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "Refusing" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_demo_judging_shows_harshness_and_the_decided_call_has_its_cohort(app):
    from kakehashi.applications.judging import queries as judging_queries
    from kakehashi.applications.judging.models import AssignmentState, CallJudge, JudgeAssignment
    from kakehashi.cohorts.models import Cohort, CohortMember

    app.config["ENV"] = "development"
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    closed = db.session.scalar(select(Call).where(Call.state == CallState.CLOSED))
    assert _count(CallJudge) == len(JUDGES)
    states = Counter(db.session.scalars(select(JudgeAssignment.state).where(JudgeAssignment.call_id == closed.id)))
    assert states[AssignmentState.ASSIGNED] == LEFT_TO_SCORE
    assert states[AssignmentState.SUBMITTED] > 100
    ranking = judging_queries.ranking(closed)
    by_raw = [a.id for a, r in sorted(ranking, key=lambda ar: (ar[1].raw_rank or 10**6, ar[0].id))]
    by_normalised = [a.id for a, r in sorted(ranking, key=lambda ar: (ar[1].normalised_rank or 10**6, ar[0].id))]
    assert by_raw[:10] != by_normalised[:10]  # harsh and lenient judges really change the order
    decided = db.session.scalar(select(Call).where(Call.state == CallState.DECIDED))
    cohort = db.session.scalar(select(Cohort).where(Cohort.call_id == decided.id))
    members = db.session.scalar(select(func.count(CohortMember.id)).where(CohortMember.cohort_id == cohort.id))
    assert members == decided.seats
    judge = _sign_in(app, "judge@demo.kakehashi.jp")
    assert judge.get("/judging/").status_code == 200
