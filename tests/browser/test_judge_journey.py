"""Journey 2: a judge (working in Japanese) declares a conflict of interest on one application and
scores another against the call's rubric."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from kakehashi.applications.judging import services as judging
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
from kakehashi.extensions import db
from tests.browser.support import check_page, expect, fresh, sign_in, translated
from tests.factories import ApplicationFactory, CallFactory, CriterionFactory, StaffFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.browser


def test_a_judge_declares_a_conflict_on_one_application_and_scores_another(site):
    staff = StaffFactory()
    call = CallFactory(
        state=CallState.CLOSED, title={"ja": "ライフサイエンス・プログラム", "en": "Life Science Programme"}
    )
    team = CriterionFactory(
        call=call,
        position=1,
        name={"ja": "チームの力", "en": "Team strength"},
        guidance={"ja": "創業者の経験を評価してください。", "en": "Judge the founders' track record."},
        weight=Decimal("3"),
    )
    market = CriterionFactory(
        call=call, position=2, name={"ja": "市場の大きさ", "en": "Market size"}, weight=Decimal(2)
    )
    conflicted = ApplicationFactory(
        call=call,
        state=ApplicationState.UNDER_REVIEW,
        startup=StartupFactory(name={"ja": "アオバ製薬", "en": "Aoba Pharma"}),
    )
    scored = ApplicationFactory(
        call=call,
        state=ApplicationState.UNDER_REVIEW,
        startup=StartupFactory(name={"ja": "ミドリ診断", "en": "Midori Diagnostics"}),
    )
    judge = UserFactory(name="Sato Keiko", locale="ja")
    db.session.add(CallJudge(call_id=call.id, user_id=judge.id, expertise=[], invited_by_id=staff.id))
    for application in (conflicted, scored):
        judging.add_assignment(application, judge, by=staff)
    db.session.commit()

    page = site.person("ja-JP")
    sign_in(page, judge)
    page.locator("nav.navbar").get_by_role("link", name=translated("Judging")).click()
    expect(page.get_by_role("heading", level=2)).to_have_text("ライフサイエンス・プログラム")
    check_page(site, page, "judging-queue")

    # A conflict: the judge's fund has invested in Aoba Pharma.
    page.get_by_role("row").filter(has_text="アオバ製薬").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("アオバ製薬")
    check_page(site, page, "score-page")
    page.get_by_label(translated("Reason")).fill("私のファンドがこの会社に出資しています。")
    page.get_by_role("button", name=translated("Declare a conflict")).click()
    expect(
        page.get_by_text(translated("Thank you for telling us. The application has been taken off your list."))
    ).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="アオバ製薬")).to_have_count(0)

    # A review of Midori Diagnostics, scored on the rubric and submitted.
    page.get_by_role("row").filter(has_text="ミドリ診断").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ミドリ診断")
    page.get_by_label("チームの力").select_option("4")
    page.get_by_label("市場の大きさ").select_option("5")
    page.get_by_label(translated("Recommendation")).select_option("accept")
    page.get_by_label(translated("Comment")).fill("経験豊富なチームで、市場も大きい。")
    page.get_by_role("button", name=translated("Submit review")).click()
    expect(page.get_by_text(translated("Your review has been submitted. Thank you."))).to_be_visible()
    expect(page.locator(".judging-progress")).to_have_text(
        translated("%(done)d of %(total)d submitted", done=1, total=1)
    )
    check_page(site, page, "judging-queue-done")

    fresh()
    mine = {a.application_id: a for a in db.session.scalars(select(JudgeAssignment))}
    assert mine[conflicted.id].state is AssignmentState.CONFLICTED
    assert mine[scored.id].state is AssignmentState.SUBMITTED
    assert mine[scored.id].recommendation is Recommendation.ACCEPT
    conflict = db.session.scalars(select(Conflict)).one()
    assert (conflict.judge_id, conflict.startup_id, conflict.source) == (
        judge.id,
        conflicted.startup_id,
        ConflictSource.JUDGE,
    )
    scores = dict(
        db.session.execute(
            select(Score.criterion_id, Score.value).where(Score.assignment_id == mine[scored.id].id)
        ).all()
    )
    assert scores == {team.id: 4, market.id: 5}
