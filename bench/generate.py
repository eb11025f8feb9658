"""The benchmark's dataset, written with bulk inserts (SQLAlchemy Core ``insert()`` + executemany).

Issue 9's scale: 20 calls with 10,000 applications (the ranking call has 500), 60 judges, 30,000
assignments with 6 scores each, 600 cohort startups with 3,000 funding rounds, 2,000 valuation marks and
2,400 annual reports, 300 landing cases with the tasks of a default checklist, 10 hubs with 5,000 bookings.

Rows are valid (CHECK constraints, the state rules the services keep: a decision only on decided
applications, a task done only after the tasks it depends on, …). Ids are given explicitly on an empty
database, so nothing needs RETURNING; PostgreSQL's sequences are moved past them at the end. No ORM
events run (``@validates``, audit rows): derived columns (``search_name``, ``amount_jpy``, fees, a
submitted review's ``review_score``) are computed here the way the models and services compute them.
Only the accounts the benchmark signs in with get an argon2 hash (one hash, shared). Deterministic for a given seed.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import func, insert, select, text

from kakehashi.accounts.models import MemberRole, Startup, StartupMember, User
from kakehashi.applications.judging.models import AssignmentState, CallJudge, JudgeAssignment, Recommendation, Score
from kakehashi.applications.judging.ranking import weighted_mean
from kakehashi.applications.models import Application, ApplicationState, Call, CallState, Criterion, Vertical
from kakehashi.cohorts.models import (
    AnnualReport,
    Cohort,
    CohortMember,
    FundingRound,
    MemberStatus,
    RoundStage,
    ValuationBasis,
    ValuationMark,
    Verification,
    to_jpy,
)
from kakehashi.core import cache
from kakehashi.core.timezones import TOKYO
from kakehashi.extensions import db
from kakehashi.partners.models import BookingState, Direction, ExchangeBooking, HubMember, PartnerHub
from kakehashi.softlanding.models import CaseState, CaseTask, LandingCase, TaskState, TemplateStep
from kakehashi.softlanding.schedule import topological_order
from kakehashi.softlanding.services import STEP_FIELDS
from kakehashi.softlanding.template_services import load_default_templates

PASSWORD = "bench-password-not-secret-2026"  # noqa: S105 - a throwaway database's accounts
EMAIL_DOMAIN = "bench.example.com"  # reserved (RFC 2606); ".test" fails email validation

N_CALLS = 20
N_APPLICATIONS = 10_000
RANKING_CALL_SIZE = 500
N_STARTUPS = 4_000
N_JUDGES = 60
JUDGES_PER_CALL = 20
N_ASSIGNMENTS = 30_000
N_CRITERIA = 6
N_COHORT_STARTUPS = 600
N_ROUNDS = 3_000
N_MARKS = 2_000
N_REPORTS = 2_400
N_CASES = 300
N_HUBS = 10
N_BOOKINGS = 5_000

# Call i's state: the oldest are archived, then decided (cohorts formed), then judging, then open.
ARCHIVED, DECIDED, CLOSED, OPEN = range(0, 14), range(14, 16), range(16, 18), range(18, 20)
RANKING_CALL_INDEX = 17
OPEN_CALL_SIZE = 250
READY_STATES = (TaskState.TODO, TaskState.TODO, TaskState.IN_PROGRESS, TaskState.SUBMITTED)


@dataclass
class BenchData:
    """What the run needs to know about the generated rows: who signs in, which pages to load."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    insert_seconds: dict[str, float] = field(default_factory=dict)  # per table
    accounts: dict[str, str] = field(default_factory=dict)  # role -> email (password: PASSWORD)
    list_call_id: int = 0  # the call with the most applications (the staff list)
    ranking_call_id: int = 0  # the 500-application call in judging
    small_call_id: int = 0  # a small call: the same pages must take as many queries
    judge_id: int = 0
    light_judge_email: str = ""  # a judge with few assignments
    case_id: int = 0  # the signed-in founder's case
    upload_task_id: int = 0  # a task of that case the founder can upload to
    other_case_founder_email: str = ""
    other_case_id: int = 0
    hub_id: int = 0  # the signed-in hub staff's hub
    quiet_hub_id: int = 0
    quiet_hub_staff_email: str = ""


def _t(en: str, ja: str) -> dict[str, str]:
    return {"en": en, "ja": ja}


def _at(day: date, hour: int = 10) -> datetime:
    """A Tokyo wall-clock time on ``day``, as aware UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO).astimezone(UTC)


def _fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


class _Writer:
    """Bulk inserts per table, counted."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def add(self, model: Any, rows: list[dict[str, Any]], chunk: int = 20_000) -> None:
        table = model.__table__ if hasattr(model, "__table__") else model
        started = time.perf_counter()
        for start in range(0, len(rows), chunk):
            db.session.execute(insert(table), rows[start : start + chunk])
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        self.seconds[table.name] = self.seconds.get(table.name, 0.0) + time.perf_counter() - started


def _sizes(rng: random.Random) -> list[int]:
    """Applications per call: the two open calls 250 each, the ranking call 500, the others around 500."""
    sizes = [0] * N_CALLS
    for i in OPEN:
        sizes[i] = OPEN_CALL_SIZE
    sizes[RANKING_CALL_INDEX] = RANKING_CALL_SIZE
    others = [i for i in range(N_CALLS) if sizes[i] == 0]
    left = N_APPLICATIONS - sum(sizes)
    spread = [rng.randint(-200, 200) for _ in others]
    shift = (left - sum(500 + d for d in spread)) // len(others)
    for i, d in zip(others, spread, strict=True):
        sizes[i] = 500 + d + shift
    sizes[others[-1]] += N_APPLICATIONS - sum(sizes)
    return sizes


LOREM = (
    "We build software that lets small manufacturers in the ward sell abroad: orders, customs papers and "
    "payments in one place, in Japanese and English, with support from our Tokyo and Singapore teams."
)


def generate(app: Flask, *, seed: int = 42) -> BenchData:
    """Fill the (empty, migrated) database of ``app``. Returns what the benchmark run needs."""
    started = time.perf_counter()
    rng = random.Random(seed)
    out = _Writer()
    data = BenchData()
    with app.app_context():
        today = datetime.now(TOKYO).date()
        now = datetime.now(UTC)
        password_hash = PasswordHasher(
            time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_COST"]
        ).hash(PASSWORD)

        # --- people ------------------------------------------------------------------------------
        users: list[dict[str, Any]] = []

        def user(email: str, name: str, *, staff: bool = False, login: bool = False, locale: str = "ja") -> int:
            uid = len(users) + 1
            users.append(
                {
                    "id": uid,
                    "email": email,
                    "name": name,
                    "password_hash": password_hash if login else None,
                    "locale": locale,
                    "is_staff": staff,
                    "active": True,
                    "email_verified_at": now,
                    "session_version": 1,
                }
            )
            return uid

        staff_id = user(f"staff@{EMAIL_DOMAIN}", "Bench Staff", staff=True, login=True)
        data.accounts["staff"] = f"staff@{EMAIL_DOMAIN}"
        judge_ids = [
            user(f"judge{j}@{EMAIL_DOMAIN}", f"Judge {j}", login=j in (0, N_JUDGES - 1)) for j in range(N_JUDGES)
        ]
        data.accounts["judge"] = f"judge0@{EMAIL_DOMAIN}"
        data.judge_id = judge_ids[0]
        data.light_judge_email = f"judge{N_JUDGES - 1}@{EMAIL_DOMAIN}"
        founder_ids = [
            user(f"founder{s}@{EMAIL_DOMAIN}", f"Founder {s}", login=s == 0, locale="en" if s % 5 == 0 else "ja")
            for s in range(N_STARTUPS)
        ]
        data.accounts["applicant"] = f"founder0@{EMAIL_DOMAIN}"

        startups, members = [], []
        for s in range(N_STARTUPS):
            overseas = s % 5 == 0
            name = _t(f"Startup {s} Inc.", f"スタートアップ{s}株式会社")
            startups.append(
                {
                    "id": s + 1,
                    "name": name,
                    "country": rng.choice(["SG", "US", "DE", "IN", "FR", "KR"]) if overseas else "JP",
                    "website": f"https://startup{s}.example.com",
                    "founded_on": today - timedelta(days=rng.randint(200, 4000)),
                    "is_overseas": overseas,
                    "search_name": " ".join(name.values()).lower()[:500],
                }
            )
            members.append(
                {
                    "id": s + 1,
                    "startup_id": s + 1,
                    "user_id": founder_ids[s],
                    "role": MemberRole.FOUNDER,
                    "joined_at": now,
                }
            )

        # --- calls, rubric, applications ----------------------------------------------------------
        verticals = [
            {"id": v + 1, "name": _t(name, ja), "description": None, "active": True}
            for v, (name, ja) in enumerate(
                [
                    ("FinTech", "フィンテック"),
                    ("Life science", "ライフサイエンス"),
                    ("Entertainment tech", "エンタメテック"),
                ]
            )
        ]
        sizes = _sizes(rng)
        calls, criteria, call_windows = [], [], []
        for i in range(N_CALLS):
            if i in OPEN:
                opens = today - timedelta(days=20 - 10 * (i - OPEN.start))
                closes = today + timedelta(days=25 + 10 * (i - OPEN.start))
                state = CallState.OPEN
            elif i in CLOSED:
                closes = today - timedelta(days=30 - 20 * (i - CLOSED.start))
                opens = closes - timedelta(days=45)
                state = CallState.CLOSED
            else:
                closes = today - timedelta(days=120 + 100 * (DECIDED.stop - 1 - i))
                opens = closes - timedelta(days=45)
                state = CallState.DECIDED if i in DECIDED else CallState.ARCHIVED
            call_windows.append((opens, closes))
            calls.append(
                {
                    "id": i + 1,
                    "vertical_id": i % len(verticals) + 1,
                    "title": _t(f"Accelerator call {i + 1}", f"アクセラレーター募集 第{i + 1}期"),
                    "summary": _t("Grow abroad from the ward.", "区から世界へ。"),
                    "description": _t(LOREM, LOREM),
                    "eligibility": None,
                    "opens_at": _at(opens),
                    "closes_at": _at(closes, 17),
                    "seats": 40,
                    "target_applications": 400,
                    "judges_per_application": 3,
                    "deck_max_mb": 20,
                    "blind_fields": ["startup_name", "website"] if i % 3 == 0 else [],
                    "state": state,
                }
            )
            for c in range(N_CRITERIA):
                criteria.append(
                    {
                        "id": i * N_CRITERIA + c + 1,
                        "call_id": i + 1,
                        "position": c,
                        "name": _t(f"Criterion {c + 1}", f"評価項目{c + 1}"),
                        "guidance": None,
                        "weight": Decimal(1 + c % 3),
                        "scale_min": 1,
                        "scale_max": 5,
                    }
                )

        applications: list[dict[str, Any]] = []
        by_call: list[list[dict[str, Any]]] = []
        for i in range(N_CALLS):
            opens, closes = call_windows[i]
            rows = []
            for startup_index in rng.sample(range(N_STARTUPS), sizes[i]):
                roll = rng.random()
                if i in OPEN:
                    state = ApplicationState.DRAFT if roll < 0.4 else ApplicationState.SUBMITTED
                elif i == RANKING_CALL_INDEX:
                    state = ApplicationState.UNDER_REVIEW
                elif roll < 0.05:
                    state = ApplicationState.DRAFT
                elif roll < 0.08:
                    state = ApplicationState.WITHDRAWN
                elif i in CLOSED:
                    state = ApplicationState.UNDER_REVIEW
                else:
                    state = ApplicationState.REJECTED  # accepted / waitlisted chosen below
                created = _at(opens + timedelta(days=rng.randint(0, max((min(closes, today) - opens).days - 1, 0))))
                submitted = state not in (ApplicationState.DRAFT,)
                row = {
                    "id": len(applications) + 1,
                    "call_id": i + 1,
                    "startup_id": startup_index + 1,
                    "created_by_id": founder_ids[startup_index],
                    "state": state,
                    "version": 1,
                    "company_summary": LOREM,
                    "founders": f"Founder {startup_index} (CEO)",
                    "team_size": rng.randint(1, 40),
                    "problem": LOREM,
                    "solution": LOREM,
                    "market": LOREM,
                    "traction": LOREM,
                    "funding_raised_jpy": rng.randint(0, 500) * 1_000_000,
                    "valuation_jpy": rng.randint(1, 5000) * 1_000_000,
                    "revenue_jpy": rng.randint(0, 300) * 1_000_000,
                    "overseas_revenue_share": Decimal(rng.randint(0, 10000)) / 100,
                    "why_programme": LOREM,
                    "deck_id": None,
                    "decision": None,
                    "feedback": None,
                    "submitted_at": created + timedelta(hours=rng.randint(1, 48)) if submitted else None,
                    "withdrawn_at": created + timedelta(days=2) if state is ApplicationState.WITHDRAWN else None,
                    "decided_at": None,
                    "created_at": created,
                    "updated_at": created,
                }
                rows.append(row)
                applications.append(row)
            by_call.append(rows)

        # Cohorts: each decided call accepts ~37 startups no earlier call accepted (600 in all).
        cohorts, cohort_members, cohort_startups = [], [], []
        accepted_startups: set[int] = set()
        decided_calls = [i for i in range(N_CALLS) if i in ARCHIVED or i in DECIDED]
        for n, i in enumerate(decided_calls):
            quota = N_COHORT_STARTUPS // len(decided_calls) + (1 if n < N_COHORT_STARTUPS % len(decided_calls) else 0)
            closes = call_windows[i][1]
            starts = closes + timedelta(days=40)
            ends = starts + timedelta(days=180)
            cohort_id = len(cohorts) + 1
            cohorts.append(
                {
                    "id": cohort_id,
                    "call_id": i + 1,
                    "name": _t(f"Cohort {cohort_id}", f"第{cohort_id}期生"),
                    "starts_on": starts,
                    "ends_on": ends,
                }
            )
            decided_at = _at(closes + timedelta(days=30))
            taken = 0
            for row in by_call[i]:
                if row["state"] is not ApplicationState.REJECTED:
                    continue
                if taken < quota and row["startup_id"] not in accepted_startups:
                    row["state"] = row["decision"] = ApplicationState.ACCEPTED
                    accepted_startups.add(row["startup_id"])
                    taken += 1
                    cohort_members.append(
                        {
                            "id": len(cohort_members) + 1,
                            "cohort_id": cohort_id,
                            "startup_id": row["startup_id"],
                            "application_id": row["id"],
                            "status": MemberStatus.GRADUATED if ends < today else MemberStatus.ACTIVE,
                            "joined_at": _at(starts),
                        }
                    )
                    cohort_startups.append((row["startup_id"], starts))
                elif rng.random() < 0.06:
                    row["state"] = row["decision"] = ApplicationState.WAITLISTED
                else:
                    row["decision"] = ApplicationState.REJECTED
                row["decided_at"] = decided_at
                row["feedback"] = "Thank you for applying."
            calls[i]["seats"] = taken
            assert taken == quota, "not enough distinct startups for the cohort"

        # --- judging ---------------------------------------------------------------------------------
        call_judges, assignments, scores = [], [], []
        judged = [i for i in range(N_CALLS) if i not in OPEN]
        eligible = {
            i: [r for r in by_call[i] if r["state"] not in (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)]
            for i in judged
        }
        extra = N_ASSIGNMENTS - 3 * sum(len(rows) for rows in eligible.values())
        assert 0 <= extra <= sum(len(rows) for rows in eligible.values()), extra
        for i in judged:
            panel = rng.sample(judge_ids, JUDGES_PER_CALL)
            if i in CLOSED and judge_ids[0] not in panel:
                panel[0] = judge_ids[0]
            # The light judge sits on one call only (not blind, like most of judge 0's): same page, less data.
            light, light_call = judge_ids[-1], 1
            if i == light_call and light not in panel:
                panel[-1] = light
            elif i != light_call and light in panel:
                panel[panel.index(light)] = next(j for j in judge_ids[1:-1] if j not in panel)
            for judge in panel:
                call_judges.append(
                    {
                        "id": len(call_judges) + 1,
                        "call_id": i + 1,
                        "user_id": judge,
                        "expertise": [],
                        "invited_by_id": staff_id,
                        "created_at": _at(call_windows[i][0]),
                    }
                )
            closes = call_windows[i][1]
            bias = {judge: rng.uniform(-0.8, 0.8) for judge in panel}
            four = min(extra, len(eligible[i])) if i != RANKING_CALL_INDEX else 0
            extra -= four
            calls[i]["judges_per_application"] = 4 if four == len(eligible[i]) else 3
            for n, row in enumerate(eligible[i]):
                quality = rng.uniform(1.5, 4.5)
                count = 4 if n < four else 3
                for t in range(count):
                    judge = panel[(n * count + t) % JUDGES_PER_CALL]
                    assignment_id = len(assignments) + 1
                    assignments.append(
                        {
                            "id": assignment_id,
                            "call_id": i + 1,
                            "application_id": row["id"],
                            "judge_id": judge,
                            "state": AssignmentState.SUBMITTED,
                            "manual": t == 3,
                            "recommendation": rng.choice(list(Recommendation)),
                            "comment": "Strong team; the market size needs evidence.",
                            "conflict_reason": None,
                            "created_at": _at(closes + timedelta(days=1)),
                            "submitted_at": _at(closes + timedelta(days=rng.randint(2, 9))),
                            "version": 2,
                        }
                    )
                    for c in range(N_CRITERIA):
                        value = round(quality + bias[judge] + rng.gauss(0, 0.7))
                        scores.append(
                            {
                                "id": len(scores) + 1,
                                "assignment_id": assignment_id,
                                "criterion_id": i * N_CRITERIA + c + 1,
                                "value": min(max(value, 1), 5),
                            }
                        )
                    # The derived review score, as the scoring service stores it (criterion weights 1 + c % 3).
                    own = scores[-N_CRITERIA:]
                    assignments[-1]["review_score"] = weighted_mean(
                        (row["value"], Decimal(1 + c % 3)) for c, row in enumerate(own)
                    )
        assert extra == 0 and len(assignments) == N_ASSIGNMENTS, (extra, len(assignments))

        # --- cohort trackers -------------------------------------------------------------------------
        rounds, marks, reports = [], [], []
        stages = list(RoundStage)
        fx = {"JPY": Decimal(1), "USD": Decimal("151.250000"), "EUR": Decimal("163.400000")}
        per_startup = N_ROUNDS // N_COHORT_STARTUPS
        for startup_id, cohort_start in cohort_startups:
            first = cohort_start - timedelta(days=700)
            span = max((today - first).days, per_startup * 30)
            days = sorted(rng.sample(range(span), per_startup))
            for k, offset in enumerate(days):
                currency = "JPY" if rng.random() < 0.8 else rng.choice(["USD", "EUR"])
                unit = 1 if currency == "JPY" else 150
                amount = Decimal(rng.randint(10, 2000) * 1_000_000 // unit)
                pre = amount * rng.randint(3, 8)
                roll = rng.random()
                status = (
                    Verification.VERIFIED
                    if roll < 0.8
                    else Verification.REPORTED
                    if roll < 0.95
                    else Verification.REJECTED
                )
                announced = min(first + timedelta(days=offset), today)
                rounds.append(
                    {
                        "id": len(rounds) + 1,
                        "startup_id": startup_id,
                        "announced_on": announced,
                        "stage": stages[min(k, len(stages) - 1)],
                        "currency": currency,
                        "amount": amount,
                        "fx_rate_to_jpy": fx[currency],
                        "amount_jpy": to_jpy(amount, fx[currency]),
                        "pre_money": pre,
                        "post_money": pre + amount,
                        "investors": "Ward Ventures, Bridge Capital",
                        "source_url": "https://news.example.com/round",
                        "status": status,
                        "reported_by_id": founder_ids[startup_id - 1],
                        "reviewed_by_id": staff_id if status is not Verification.REPORTED else None,
                        "reviewed_at": _at(announced + timedelta(days=7))
                        if status is not Verification.REPORTED
                        else None,
                        "review_note": None,
                    }
                )
        assert len(rounds) == N_ROUNDS
        verified = [r for r in rounds if r["status"] is Verification.VERIFIED]
        from_rounds = rng.sample(verified, min(len(verified), N_MARKS * 3 // 4))
        for r in from_rounds:
            marks.append(
                {
                    "id": len(marks) + 1,
                    "startup_id": r["startup_id"],
                    "as_of": r["announced_on"],
                    "valuation_jpy": to_jpy(r["post_money"], r["fx_rate_to_jpy"]),
                    "basis": ValuationBasis.ROUND_POST_MONEY,
                    "funding_round_id": r["id"],
                    "note": None,
                    "recorded_by_id": staff_id,
                }
            )
        while len(marks) < N_MARKS:
            startup_id, cohort_start = rng.choice(cohort_startups)
            marks.append(
                {
                    "id": len(marks) + 1,
                    "startup_id": startup_id,
                    "as_of": min(cohort_start + timedelta(days=rng.randint(0, 1500)), today),
                    "valuation_jpy": rng.randint(100, 20000) * 1_000_000,
                    "basis": ValuationBasis.STAFF_ESTIMATE,
                    "funding_round_id": None,
                    "note": "Estimate from comparable companies.",
                    "recorded_by_id": staff_id,
                }
            )
        years = N_REPORTS // N_COHORT_STARTUPS
        current_fy = _fiscal_year(today)
        for startup_id, _start in cohort_startups:
            for fy in range(current_fy - years, current_fy):
                revenue = 0 if rng.random() < 0.05 else rng.randint(1, 3000) * 1_000_000
                roll = rng.random()
                status = (
                    Verification.VERIFIED
                    if roll < 0.85
                    else Verification.REPORTED
                    if roll < 0.95
                    else Verification.REJECTED
                )
                reports.append(
                    {
                        "id": len(reports) + 1,
                        "startup_id": startup_id,
                        "fiscal_year": fy,
                        "revenue_jpy": revenue,
                        "overseas_revenue_jpy": revenue * rng.randint(0, 60) // 100,
                        "employees": rng.randint(1, 200),
                        "status": status,
                        "reported_by_id": founder_ids[startup_id - 1],
                        "reviewed_by_id": staff_id if status is not Verification.REPORTED else None,
                        "reviewed_at": now if status is not Verification.REPORTED else None,
                        "review_note": None,
                    }
                )

        # --- soft landing: the default templates (ORM, a few rows), then 300 cases by bulk ---------------
        out.add(User, users)  # the concierge must exist before the templates' audit rows name nobody
        users_written = len(users)
        templates = load_default_templates(by=None)
        db.session.flush()
        steps_of = {
            t.id: list(
                db.session.scalars(
                    select(TemplateStep).where(TemplateStep.template_id == t.id).order_by(TemplateStep.position)
                )
            )
            for t in templates
        }
        cases, tasks = [], []
        for n in range(N_CASES):
            template = templates[n % len(templates)]
            steps = steps_of[template.id]
            order = topological_order(steps)
            founder = user(f"landing{n}@{EMAIL_DOMAIN}", f"Landing Founder {n}", login=n in (0, 1), locale="en")
            opened = today - timedelta(days=rng.randint(5, 700))
            closed = n % 5 == 4
            progress = len(order) if closed else (len(order) // 2 if n < 2 else rng.randint(0, len(order) - 1))
            done_on: dict[str, date] = {}
            day = opened
            for step in order[:progress]:
                day = min(day + timedelta(days=max(step.duration_days // 2, 1)), today)
                done_on[step.key] = day
            milestone = next((s for s in steps if s.is_milestone), None)
            operating = done_on.get(milestone.key) if milestone is not None else None
            case_id = n + 1
            cases.append(
                {
                    "id": case_id,
                    "founder_id": founder,
                    "startup_id": (n * 7) % N_STARTUPS + 1 if n % 3 == 0 else None,
                    "concierge_id": staff_id,
                    "template_id": template.id,
                    "template_version": template.version,
                    "name": dict(template.name),
                    "path": template.path,
                    "company_name": f"Landing Company {n}",
                    "home_country": rng.choice(["SG", "US", "DE", "IN", "FR"]),
                    "planned_arrival_on": opened + timedelta(days=60),
                    "opened_on": opened,
                    "state": CaseState.CLOSED if closed else CaseState.OPEN,
                    "operating_on": operating,
                    "closed_at": _at(day) if closed else None,
                    "feed_token": secrets.token_urlsafe(32),
                }
            )
            keys = {s.key for s in steps}
            for step in steps:
                fields = {name: getattr(step, name) for name in STEP_FIELDS}
                fields["depends_on"] = list(step.depends_on or [])
                deps = [k for k in fields["depends_on"] if k in keys]
                if step.key in done_on:
                    state, completed = TaskState.DONE, done_on[step.key]
                elif all(k in done_on for k in deps):
                    # The signed-in founder's case (n == 0) has its open steps to do: the upload goes there.
                    state = TaskState.TODO if n == 0 else rng.choice(READY_STATES)
                    completed = None
                else:
                    state, completed = TaskState.LOCKED, None
                tasks.append(
                    {
                        "id": len(tasks) + 1,
                        "case_id": case_id,
                        **fields,
                        "state": state,
                        "completed_on": completed,
                        "not_applicable_reason": None,
                        "submitted_at": _at(today) if state is TaskState.SUBMITTED else None,
                        "state_changed_at": _at(completed or opened),
                        "reminded_on": None,
                        "version": 1,
                    }
                )
        first_case_tasks = [t for t in tasks if t["case_id"] == 1]
        data.case_id = 1
        data.upload_task_id = next(t["id"] for t in first_case_tasks if t["state"] is TaskState.TODO)
        data.accounts["founder"] = f"landing0@{EMAIL_DOMAIN}"
        data.other_case_id = 2
        data.other_case_founder_email = f"landing1@{EMAIL_DOMAIN}"

        # --- partner hubs and bookings ------------------------------------------------------------------
        hub_specs = [
            ("JP", "Asia/Tokyo", "JPY", Decimal(3000), "Ward Startup Hub", "区スタートアップ拠点", "Tokyo", "東京"),
            (
                "SG",
                "Asia/Singapore",
                "SGD",
                Decimal(40),
                "Singapore Hub",
                "シンガポール拠点",
                "Singapore",
                "シンガポール",
            ),
            ("DE", "Europe/Berlin", "EUR", Decimal(30), "Berlin Hub", "ベルリン拠点", "Berlin", "ベルリン"),
            ("US", "America/Los_Angeles", "USD", Decimal(45), "LA Hub", "LA拠点", "Los Angeles", "ロサンゼルス"),
            ("FR", "Europe/Paris", "EUR", Decimal(28), "Paris Hub", "パリ拠点", "Paris", "パリ"),
            (
                "IN",
                "Asia/Kolkata",
                "INR",
                Decimal(900),
                "Bengaluru Hub",
                "ベンガルール拠点",
                "Bengaluru",
                "ベンガルール",
            ),
            ("KR", "Asia/Seoul", "KRW", Decimal(25000), "Seoul Hub", "ソウル拠点", "Seoul", "ソウル"),
            ("GB", "Europe/London", "GBP", Decimal(30), "London Hub", "ロンドン拠点", "London", "ロンドン"),
            ("FI", "Europe/Helsinki", "EUR", Decimal(25), "Helsinki Hub", "ヘルシンキ拠点", "Helsinki", "ヘルシンキ"),
            ("TW", "Asia/Taipei", "TWD", Decimal(600), "Taipei Hub", "台北拠点", "Taipei", "台北"),
        ]
        hubs, hub_members, bookings = [], [], []
        hub_staff = {}
        for h, (country, zone, currency, rate, en, ja, city, city_ja) in enumerate(hub_specs):
            hubs.append(
                {
                    "id": h + 1,
                    "name": _t(en, ja),
                    "description": None,
                    "city": _t(city, city_ja),
                    "country": country,
                    "timezone": zone,
                    "website": "https://hub.example.com",
                    "agreement_starts_on": None,
                    "agreement_ends_on": None,
                    "capacity_desks": 40,
                    "daily_rate": rate,
                    "currency": currency,
                    "refund_days_before": 14,
                    "payment_instructions": None,
                    "is_home": h == 0,
                    "is_active": True,
                    "feed_token": secrets.token_urlsafe(32),
                }
            )
            staff_user = user(f"hub{h}@{EMAIL_DOMAIN}", f"Hub {h} staff", login=h in (1, N_HUBS - 1), locale="en")
            hub_staff[h + 1] = staff_user
            hub_members.append({"id": h + 1, "hub_id": h + 1, "user_id": staff_user, "created_at": now})
        data.hub_id = 2
        data.accounts["hub"] = f"hub1@{EMAIL_DOMAIN}"
        overseas_startups = [s["id"] for s in startups if s["is_overseas"]]
        cohort_ids = [sid for sid, _ in cohort_startups]
        per_hub = N_BOOKINGS // N_HUBS
        quiet_hub = N_HUBS  # the last hub's bookings all lie in the past: its calendar is empty
        for h in range(1, N_HUBS + 1):
            hub = hubs[h - 1]
            for _ in range(per_hub):
                start = today + timedelta(days=rng.randint(-900, -30 if h == quiet_hub else 150))
                length = rng.randint(1, 14)
                desks = rng.randint(1, 2)
                future = start > today
                roll = rng.random()
                if future:
                    state = (
                        BookingState.REQUESTED
                        if roll < 0.2
                        else BookingState.APPROVED
                        if roll < 0.4
                        else BookingState.CONFIRMED
                        if roll < 0.9
                        else BookingState.CANCELLED
                    )
                else:
                    state = (
                        BookingState.COMPLETED
                        if roll < 0.7
                        else BookingState.CANCELLED
                        if roll < 0.85
                        else BookingState.DECLINED
                    )
                inbound = hub["is_home"]
                startup_id = rng.choice(overseas_startups if inbound else cohort_ids)
                decided = state not in (BookingState.REQUESTED,)
                requested_at = _at(start - timedelta(days=30))
                bookings.append(
                    {
                        "id": len(bookings) + 1,
                        "hub_id": h,
                        "direction": Direction.INBOUND if inbound else Direction.OUTBOUND,
                        "startup_id": startup_id,
                        "requesting_hub_id": rng.randint(2, N_HUBS) if inbound else None,
                        "requested_by_id": founder_ids[startup_id - 1],
                        "starts_on": start,
                        "ends_on": start + timedelta(days=length - 1),
                        "desks": desks,
                        "purpose": "Meet customers and investors.",
                        "state": state,
                        "fee": hub["daily_rate"] * length * desks,
                        "currency": hub["currency"],
                        "fee_waived": False,
                        "decision_note": None,
                        "decided_by_id": hub_staff[h] if decided else None,
                        "decided_at": requested_at + timedelta(days=2) if decided else None,
                        "cancelled_by_id": founder_ids[startup_id - 1] if state is BookingState.CANCELLED else None,
                        "cancelled_at": requested_at + timedelta(days=5) if state is BookingState.CANCELLED else None,
                        "version": 1,
                        "created_at": requested_at,
                        "updated_at": requested_at,
                    }
                )
        data.quiet_hub_id = quiet_hub
        data.quiet_hub_staff_email = f"hub{N_HUBS - 1}@{EMAIL_DOMAIN}"

        # --- write ----------------------------------------------------------------------------------------
        out.add(User, users[users_written:])
        out.add(Startup, startups)
        out.add(StartupMember, members)
        out.add(Vertical, verticals)
        out.add(Call, calls)
        out.add(Criterion, criteria)
        out.add(Application, applications)
        out.add(Cohort, cohorts)
        out.add(CohortMember, cohort_members)
        out.add(CallJudge, call_judges)
        out.add(JudgeAssignment, assignments)
        out.add(Score, scores)
        out.add(FundingRound, rounds)
        out.add(ValuationMark, marks)
        out.add(AnnualReport, reports)
        out.add(LandingCase, cases)
        out.add(CaseTask, tasks)
        out.add(PartnerHub, hubs)
        out.add(HubMember, hub_members)
        out.add(ExchangeBooking, bookings)
        if db.engine.dialect.name == "postgresql":
            _advance_sequences()
        # Core inserts bypass the session events that give core.cache's namespaces new tokens.
        cache.invalidate_all()
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum would do minutes after a bulk load (planner statistics, the visibility map),
            # done now so that it does not run during the measurements. VACUUM cannot run in a
            # transaction. (SQLite is left as the app leaves it in production: without ANALYZE.)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for table in db.metadata.sorted_tables:
                    connection.execute(text(f'VACUUM (ANALYZE) "{table.name}"'))

        biggest = max((i for i in range(N_CALLS) if i not in OPEN), key=lambda i: sizes[i])
        data.list_call_id = biggest + 1
        data.ranking_call_id = RANKING_CALL_INDEX + 1
        data.small_call_id = min(range(N_CALLS), key=lambda i: sizes[i]) + 1
        data.counts = out.counts
        data.insert_seconds = out.seconds
        data.counts["checklist_template"] = len(templates)
        data.counts["template_step"] = sum(len(s) for s in steps_of.values())
    data.seconds = time.perf_counter() - started
    return data


def _advance_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences at 1: move each past its table's largest id."""
    for table in db.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        sequence = db.session.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": f'"{table.name}"'})
        if sequence is None:
            continue
        largest = db.session.scalar(select(func.max(table.c.id)))
        if largest:
            db.session.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": largest})


if __name__ == "__main__":  # pragma: no cover - ``bench/run.py`` is the usual way in
    from kakehashi import create_app

    result = generate(create_app())
    print(f"generated in {result.seconds:.1f} s: {result.counts}")
