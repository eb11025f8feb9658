"""Journey 3: programme staff rank a judged call, decide, release the decisions and see the cohort; a
founder of the accepted startup (in Japanese) reports a funding round, staff verify it, and it shows on
the KPI dashboard."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from kakehashi.applications.judging import services as judging
from kakehashi.applications.judging.models import CallJudge, JudgeAssignment, Recommendation
from kakehashi.applications.models import Application, ApplicationState, CallState
from kakehashi.cohorts.models import Cohort, CohortMember, FundingRound, Verification
from kakehashi.cohorts.services import tokyo_today
from kakehashi.core.outbox import OutboundEmail
from kakehashi.extensions import db
from tests.browser.support import check_page, expect, fresh, sign_in, snapshot, translated
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CriterionFactory,
    StaffFactory,
    StartupFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.browser

# Startup → (judge 1's scores, judge 2's scores) on (team, market): a clear ranking.
SCORES = {"Hoshi Robotics": ((5, 5), (5, 4)), "Kaze Mobility": ((3, 4), (4, 3)), "Tsuki Foods": ((2, 1), (1, 2))}


def judged_call(staff):
    """A closed call whose three applications both judges have reviewed."""
    call = CallFactory(
        state=CallState.CLOSED,
        title={"ja": "モビリティ・アクセラレーター2026", "en": "Mobility Accelerator 2026"},
        judges_per_application=2,
    )
    criteria = [
        CriterionFactory(call=call, position=1, name={"ja": "チーム", "en": "Team"}, weight=Decimal(2)),
        CriterionFactory(call=call, position=2, name={"ja": "市場", "en": "Market"}, weight=Decimal(1)),
    ]
    applications = {
        name: ApplicationFactory(
            call=call,
            state=ApplicationState.UNDER_REVIEW,
            startup=StartupFactory(name={"en": name, "ja": f"{name}（日本）"}),
        )
        for name in SCORES
    }
    judges = [UserFactory(name="Judge Arai"), UserFactory(name="Judge Baba")]
    for judge in judges:
        db.session.add(CallJudge(call_id=call.id, user_id=judge.id, expertise=[], invited_by_id=staff.id))
    db.session.flush()
    judging.auto_assign(call, by=staff)
    for name, per_judge in SCORES.items():
        for judge, values in zip(judges, per_judge, strict=True):
            assignment = db.session.scalars(
                select(JudgeAssignment).where(
                    JudgeAssignment.application_id == applications[name].id, JudgeAssignment.judge_id == judge.id
                )
            ).one()
            judging.save_review(
                assignment,
                by=judge,
                scores={c.id: v for c, v in zip(criteria, values, strict=True)},
                comment=None,
                recommendation=Recommendation.ACCEPT,
                submit=True,
            )
    db.session.commit()
    return call, applications


def test_staff_decide_release_form_the_cohort_and_count_a_verified_round_on_the_kpis(site):
    staff = StaffFactory(name="Staff Ueda", locale="en")
    call, applications = judged_call(staff)
    winner = applications["Hoshi Robotics"]
    founder = member_of(winner.startup, user=UserFactory(name="Hoshi Ken", locale="ja"))

    office = site.person("en-US")
    sign_in(office, staff)

    # The ranking: Hoshi first, Tsuki last.
    office.goto(f"/admin/calls/{call.id}")
    office.get_by_role("link", name="Ranking").click()
    rows = office.locator("#ranking tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Hoshi Robotics")
    expect(rows.nth(2)).to_contain_text("Tsuki Foods")
    check_page(site, office, "ranking")

    # Decide: Hoshi accepted (with feedback), Kaze waitlisted and Tsuki not selected in bulk.
    office.get_by_role("link", name="Decide Hoshi Robotics").click()
    check_page(site, office, "decision")
    office.get_by_label("Decision", exact=True).select_option("accepted")
    office.get_by_label("Feedback to the applicant (optional)").fill("A strong team; welcome aboard.")
    office.get_by_role("button", name="Save the decision").click()
    expect(office.get_by_text("The decision for Hoshi Robotics has been saved.")).to_be_visible()
    office.get_by_role("checkbox", name="Kaze Mobility").check()
    office.get_by_role("button", name="Waitlisted").click()
    expect(office.get_by_text("1 application marked “Waitlisted”.")).to_be_visible()
    office.get_by_role("checkbox", name="Tsuki Foods").check()
    office.get_by_role("button", name="Not selected").click()
    expect(office.get_by_text("1 application marked “Not selected”.")).to_be_visible()

    # Release: every applicant is told, and the cohort is formed from the accepted startup.
    office.get_by_role("button", name="Release the decisions").click()
    expect(
        office.get_by_text("The decisions have been released: each applicant is being told by email.")
    ).to_be_visible()
    expect(office.locator("#cohort")).to_contain_text("1 member")
    snapshot(site, office, "ranking-released")
    office.locator("nav.navbar").get_by_role("link", name="Cohorts").click()
    office.get_by_role("link", name="Mobility Accelerator 2026").click()
    expect(office.locator("#members tbody tr")).to_have_count(1)
    expect(office.locator("#members")).to_contain_text("Hoshi Robotics")
    check_page(site, office, "cohort")

    # The founder, in Japanese, reports the seed round from the startup's page.
    today = tokyo_today()
    founder_page = site.person("ja-JP")
    sign_in(founder_page, founder)
    founder_page.locator("nav.navbar").get_by_role("link", name="Hoshi Ken").click()
    founder_page.get_by_role("link", name="Hoshi Robotics（日本）").click()
    founder_page.get_by_role("link", name=translated("Report a funding round")).click()
    check_page(site, founder_page, "round-form")
    founder_page.get_by_label(translated("Announced on")).fill(today.isoformat())
    founder_page.get_by_label(translated("Stage")).select_option("seed")
    founder_page.get_by_label(translated("Currency")).fill("JPY")
    founder_page.get_by_label(translated("Amount raised")).fill("150000000")
    founder_page.get_by_label(translated("Investors")).fill("Sakura Ventures")
    founder_page.get_by_role("button", name=translated("Report the round")).click()
    expect(
        founder_page.get_by_text(
            translated("The round has been reported. It counts once programme staff have verified it.")
        )
    ).to_be_visible()

    # Staff verify it from the queue.
    office.goto("/")
    office.locator("nav.navbar").get_by_role("button", name="Administration").click()
    office.get_by_role("link", name="Rounds to verify").click()
    expect(office.locator("#rounds tbody tr")).to_have_count(1)
    office.locator("#rounds").get_by_role("link", name="Review").click()
    check_page(site, office, "round")
    office.get_by_label("Decision").select_option("verify")
    office.get_by_role("button", name="Record the decision").click()
    expect(office.get_by_text("The round has been verified")).to_be_visible()

    # … and it counts on the KPI dashboard.
    office.goto("/kpis/")
    funding = office.locator("#kpi-funding")
    expect(funding.locator("[data-kpi=actual]")).to_contain_text("150,000,000")
    expect(funding).to_contain_text("1 verified round.")
    check_page(site, office, "kpis")

    fresh()
    states = {name: db.session.get(Application, a.id).state for name, a in applications.items()}
    assert states == {
        "Hoshi Robotics": ApplicationState.ACCEPTED,
        "Kaze Mobility": ApplicationState.WAITLISTED,
        "Tsuki Foods": ApplicationState.REJECTED,
    }
    cohort = db.session.scalars(select(Cohort).where(Cohort.call_id == call.id)).one()
    assert [
        m.startup_id for m in db.session.scalars(select(CohortMember).where(CohortMember.cohort_id == cohort.id))
    ] == [winner.startup_id]
    told = db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == founder.email)).all()
    assert [(e.template, e.locale) for e in told][:1] == [("judging/decision_accepted", "ja")]
    funding_round = db.session.scalars(select(FundingRound)).one()
    assert (
        funding_round.status,
        funding_round.amount_jpy,
        funding_round.reviewed_by_id,
        funding_round.reported_by_id,
    ) == (
        Verification.VERIFIED,
        150_000_000,
        staff.id,
        founder.id,
    )
