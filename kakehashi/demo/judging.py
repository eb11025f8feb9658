"""Demo judging: five judges of different harshness on the closed call, and the decided call's cohort.

The closed Life Science call gets five judges (the demo judge among them) with expertise tags, a
complete automatic assignment and submitted scores. Each judge has a bias — from harsh to lenient —
on top of each application's underlying quality, so the normalised ranking visibly differs from the
raw one. A few of the demo judge's reviews are left to do, so a visitor signed in as the judge has
something to score. The decided FinTech call gets its cohort.
"""

from __future__ import annotations

import random

from sqlalchemy import select

from kakehashi.accounts import services as accounts
from kakehashi.accounts.models import User
from kakehashi.applications.judging import decisions
from kakehashi.applications.judging import services as judging
from kakehashi.applications.judging.models import AssignmentState, CallJudge, JudgeAssignment, Recommendation, Score
from kakehashi.applications.models import Application, ApplicationState, Call, CallState
from kakehashi.core.db import utcnow
from kakehashi.demo.data import DEMO_SEED
from kakehashi.extensions import db

DEMO_JUDGE = "judge@demo.kakehashi.jp"
LEFT_TO_SCORE = 3  # reviews of the demo judge left open for a visitor

# (email, name, locale, expertise, bias added to every score: harsh < 0 < lenient)
JUDGES = [
    (DEMO_JUDGE, None, "ja", ["Life Science", "ヘルスケア"], 0.0),
    ("judge.kimura@demo.kakehashi.jp", "木村 誠 (Judge)", "ja", ["Life Science", "創薬"], -1.1),
    ("judge.ito@demo.kakehashi.jp", "伊藤 由美 (Judge)", "ja", ["医療機器"], 0.9),
    ("judge.chen@demo.kakehashi.jp", "Wei Chen (Judge)", "en", ["Life Science", "digital health"], -0.5),
    ("judge.martin@demo.kakehashi.jp", "Claire Martin (Judge)", "en", ["venture capital"], 0.5),
]


def load_judging(password: str) -> bool:
    """Judges, assignments and scores for the closed call; the decided call's cohort. Once."""
    closed = db.session.scalar(select(Call).where(Call.state == CallState.CLOSED).order_by(Call.id))
    decided = db.session.scalar(select(Call).where(Call.state == CallState.DECIDED).order_by(Call.id))
    if closed is None or db.session.scalar(select(CallJudge.id).where(CallJudge.call_id == closed.id)):
        return False
    staff = db.session.scalar(select(User).where(User.is_staff.is_(True)).order_by(User.id))
    rng = random.Random(DEMO_SEED + 4)
    bias = {}
    for email, name, locale, expertise, harshness in JUDGES:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = User(email=email, name=name, locale=locale, session_version=1, email_verified_at=utcnow())
            accounts.set_password(user, password)
            db.session.add(user)
            db.session.flush()
        db.session.add(CallJudge(call_id=closed.id, user_id=user.id, expertise=expertise, invited_by_id=staff.id))
        bias[user.id] = harshness
    db.session.flush()

    # The call closed before judging existed in the demo: its submitted applications go under review.
    for application in db.session.scalars(
        select(Application).where(Application.call_id == closed.id, Application.state == ApplicationState.SUBMITTED)
    ):
        application.transition_to(ApplicationState.UNDER_REVIEW, by=staff)
    db.session.flush()
    judging.auto_assign(closed, by=staff)

    criteria = judging.criteria_of(closed)
    quality = {}
    demo_judge = accounts.find_user_by_email(DEMO_JUDGE)
    assignments = db.session.scalars(
        select(JudgeAssignment).where(JudgeAssignment.call_id == closed.id).order_by(JudgeAssignment.id)
    ).all()
    left_open = {a.id for a in assignments if a.judge_id == demo_judge.id}
    left_open = set(sorted(left_open)[:LEFT_TO_SCORE])
    now = utcnow()
    for assignment in assignments:
        if assignment.id in left_open:
            continue
        base = quality.setdefault(assignment.application_id, rng.uniform(1.6, 4.6))
        values = [
            min(5, max(1, round(base + bias[assignment.judge_id] + rng.gauss(0, 0.45)))) for _criterion in criteria
        ]
        for criterion, value in zip(criteria, values, strict=True):
            db.session.add(Score(assignment_id=assignment.id, criterion_id=criterion.id, value=value))
        mean = sum(values) / len(values)
        assignment.recommendation = (
            Recommendation.ACCEPT if mean >= 3.8 else Recommendation.MAYBE if mean >= 2.8 else Recommendation.REJECT
        )
        assignment.transition_to(AssignmentState.SUBMITTED, by=db.session.get(User, assignment.judge_id))
        assignment.submitted_at = now
    judging.recompute_review_scores(closed)
    if decided is not None:
        decisions.form_cohort(decided, by=staff)
    db.session.commit()
    return True
