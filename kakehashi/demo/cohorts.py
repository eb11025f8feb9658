"""Demo cohorts and trackers: three cohorts over six fiscal years, so every computable KPI has data.

- A pilot FinTech cohort six fiscal years ago and a global cohort four years ago, both from before the
  platform (added by hand), and the decided call's cohort (formed by the judging demo; given programme
  dates here if it has none). One startup joined both earlier cohorts (it is counted once).
- Funding rounds in JPY, USD and SGD at the exchange rates of their year; most verified (each with a
  post-money valuation mark), a few awaiting verification and one rejected.
- Verified annual reports (one with no revenue: its share is undefined), the latest year partly reported.
- Results, by design: the KGI met; the KSI behind two years ago and met last year; funding met in
  some years and behind in others; applications per call behind the 100 target.

Dates are relative to the fiscal year the demo is loaded in; nothing is dated after today. Created once
(keyed on the pilot cohort existing), from a fixed seed. The names are demo data, not interface strings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from kakehashi.accounts.models import Startup, StartupMember, User
from kakehashi.applications.models import Call, CallState
from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
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
)
from kakehashi.core.db import utcnow
from kakehashi.core.timezones import TOKYO
from kakehashi.demo.data import DEMO_FOUNDER, DEMO_SEED
from kakehashi.extensions import db

PILOT_NAME = {"ja": "かけはしフィンテック・アクセラレーター（試行）", "en": "Kakehashi FinTech Accelerator (pilot)"}
GLOBAL_NAME = {"ja": "かけはしグローバル・アクセラレーター", "en": "Kakehashi Global Accelerator"}

# Yen per unit, by fiscal-year offset from the pilot year (roughly the market rates of those years).
FX = {
    "USD": ["106.50", "112.40", "131.30", "141.80", "151.60", "149.70", "147.20"],
    "SGD": ["79.10", "83.20", "97.80", "104.60", "112.90", "111.30", "113.50"],
}
POST_MONEY_MULTIPLE = {
    RoundStage.PRE_SEED: Decimal(6),
    RoundStage.J_KISS: Decimal(6),
    RoundStage.SEED: Decimal(5),
    RoundStage.PRE_A: Decimal("4.5"),
    RoundStage.SERIES_A: Decimal(4),
    RoundStage.SERIES_B: Decimal("3.5"),
}


@dataclass(frozen=True)
class RoundSpec:
    year: int  # fiscal-year offset from the pilot year
    month: int
    stage: RoundStage
    amount: str
    currency: str = "JPY"
    status: Verification = Verification.VERIFIED
    investors: str = ""


@dataclass(frozen=True)
class StartupSpec:
    key: str
    name: dict[str, str]
    country: str
    cohorts: tuple[str, ...]
    rounds: tuple[RoundSpec, ...]
    # first report year (offset), first revenue (yen), yearly growth, first overseas share, yearly step
    reports: tuple[int, int, str, str, str]


S, V, R = RoundStage, Verification.VERIFIED, Verification.REPORTED
STARTUPS = [
    StartupSpec(
        "sakura-pay",
        {"ja": "株式会社サクラペイ", "en": "Sakura Pay K.K."},
        "JP",
        ("pilot",),
        (
            RoundSpec(0, 10, S.SEED, "80000000", investors="Coral Capital"),
            RoundSpec(1, 9, S.PRE_A, "250000000", investors="DNX Ventures"),
            RoundSpec(3, 6, S.SERIES_A, "1200000000", investors="JAFCO, SMBC Venture Capital"),
            RoundSpec(5, 7, S.SERIES_B, "12000000", "USD", investors="Sequoia Capital India (SEA), JAFCO"),
        ),
        (1, 40_000_000, "1.9", "0.02", "0.03"),
    ),
    StartupSpec(
        "lumen-ledger",
        {"ja": "ルーメン・レジャー", "en": "Lumen Ledger Pte. Ltd."},
        "SG",
        ("pilot",),
        (
            RoundSpec(1, 5, S.SEED, "1500000", "SGD", investors="Wavemaker Partners"),
            RoundSpec(3, 11, S.SERIES_A, "6000000", "SGD", investors="Vertex Ventures SEA"),
        ),
        (1, 60_000_000, "1.5", "0.10", "0.05"),
    ),
    StartupSpec(
        "kizuna-insure",
        {"ja": "キズナ保険テック株式会社", "en": "Kizuna InsureTech Inc."},
        "JP",
        ("pilot",),
        (
            RoundSpec(1, 8, S.SEED, "120000000", investors="Mitsui Sumitomo Insurance Venture Capital"),
            RoundSpec(4, 6, S.PRE_A, "300000000", investors="Global Brain"),
            RoundSpec(5, 10, S.SERIES_A, "2000000000", status=Verification.REJECTED, investors="(unconfirmed)"),
        ),
        (1, 0, "1.0", "0", "0"),  # pre-revenue: its share is undefined and skipped
    ),
    StartupSpec(
        "tokyo-trade-data",
        {"ja": "東京トレードデータ株式会社", "en": "Tokyo Trade Data Inc."},
        "JP",
        ("pilot",),
        (
            RoundSpec(0, 12, S.J_KISS, "50000000", investors="Angel investors"),
            RoundSpec(2, 7, S.SEED, "150000000", investors="Incubate Fund"),
            RoundSpec(4, 9, S.SERIES_A, "600000000", investors="WiL, Mizuho Capital"),
        ),
        (1, 25_000_000, "1.7", "0.00", "0.02"),
    ),
    StartupSpec(
        "harbor-robotics",
        {"ja": "ハーバー・ロボティクス", "en": "Harbor Robotics, Inc."},
        "US",
        ("pilot",),
        (
            RoundSpec(1, 6, S.SEED, "2000000", "USD", investors="Y Combinator, Pioneer Fund"),
            RoundSpec(4, 10, S.SERIES_A, "8000000", "USD", investors="Lux Capital"),
        ),
        (1, 30_000_000, "1.6", "0.04", "0.04"),
    ),
    StartupSpec(
        "midori-carbon",
        {"ja": "株式会社みどりカーボン", "en": "Midori Carbon Inc."},
        "JP",
        ("pilot", "global"),  # came back for the global programme: counted once
        (
            RoundSpec(1, 11, S.SEED, "100000000", investors="Beyond Next Ventures"),
            RoundSpec(3, 5, S.PRE_A, "400000000", investors="Mitsubishi UFJ Capital"),
            RoundSpec(5, 5, S.SERIES_A, "900000000", investors="JIC Venture Growth Investments"),
        ),
        (2, 20_000_000, "1.8", "0.05", "0.03"),
    ),
    StartupSpec(
        "nami-health",
        {"ja": "ナミヘルス株式会社", "en": "Nami Health Inc."},
        "JP",
        ("global",),
        (
            RoundSpec(3, 4, S.SEED, "200000000", investors="Remiges Ventures"),
            RoundSpec(6, 5, S.SERIES_A, "10000000", "USD", status=R, investors="General Catalyst"),
        ),
        (3, 15_000_000, "2.0", "0.08", "0.03"),
    ),
    StartupSpec(
        "orbit-logistics",
        {"ja": "オービット・ロジスティクス", "en": "Orbit Logistics Pte. Ltd."},
        "SG",
        ("global",),
        (
            RoundSpec(3, 8, S.SEED, "2000000", "SGD", investors="Golden Gate Ventures"),
            RoundSpec(5, 9, S.PRE_A, "5000000", "SGD", investors="East Ventures"),
        ),
        (3, 50_000_000, "1.4", "0.40", "0.02"),
    ),
    StartupSpec(
        "kaze-energy",
        {"ja": "風エナジー株式会社", "en": "Kaze Energy Inc."},
        "JP",
        ("global",),
        (
            RoundSpec(4, 6, S.SEED, "150000000", investors="Energy & Environment Investment"),
            RoundSpec(4, 12, S.GRANT, "30000000", investors="NEDO"),
        ),
        (4, 10_000_000, "2.2", "0.00", "0.01"),
    ),
    StartupSpec(
        "bento-labs",
        {"ja": "ベントー・ラボ", "en": "Bento Labs, Inc."},
        "US",
        ("global",),
        (
            RoundSpec(2, 10, S.PRE_SEED, "500000", "USD", investors="Angel investors"),
            RoundSpec(4, 8, S.SEED, "3000000", "USD", investors="Andreessen Horowitz Scout Fund"),
        ),
        (3, 12_000_000, "1.9", "0.55", "0.02"),
    ),
]


def cohorts_loaded() -> bool:
    return any(c.name.get("en") == PILOT_NAME["en"] for c in db.session.scalars(select(Cohort)))


def load_cohorts(today: date | None = None) -> bool:
    """The cohorts, rounds, valuation marks and annual reports, unless the pilot cohort exists."""
    if cohorts_loaded():
        return False
    _Loader(today or utcnow().astimezone(TOKYO).date()).load()
    db.session.commit()
    return True


class _Loader:
    def __init__(self, today: date) -> None:
        self.today = today
        self.current = fiscal_year_of(today)
        self.pilot_year = self.current - 6
        self.rng = random.Random(DEMO_SEED + 5)

    def day(self, offset: int, month: int) -> date:
        """A day in the given month of fiscal year ``pilot_year + offset`` (Jan–Mar are in its second half)."""
        fy = self.pilot_year + offset
        year = fy if month >= 4 else fy + 1
        return date(year, month, self.rng.randint(3, 26))

    def load(self) -> None:
        pilot = Cohort(name=PILOT_NAME, starts_on=date(self.pilot_year, 7, 1), ends_on=date(self.pilot_year, 12, 18))
        global_ = Cohort(
            name=GLOBAL_NAME, starts_on=date(self.pilot_year + 2, 7, 1), ends_on=date(self.pilot_year + 2, 12, 16)
        )
        db.session.add_all([pilot, global_])
        db.session.flush()
        cohorts = {"pilot": pilot, "global": global_}
        for spec in STARTUPS:
            startup = Startup(
                name=spec.name,
                country=spec.country,
                is_overseas=spec.country != "JP",
                website=f"https://{spec.key}.example",
            )
            db.session.add(startup)
            db.session.flush()
            for key in spec.cohorts:
                cohort = cohorts[key]
                member = CohortMember(cohort_id=cohort.id, startup_id=startup.id, status=MemberStatus.GRADUATED)
                db.session.add(member)
            for round_spec in spec.rounds:
                self.funding_round(startup, round_spec)
            self.reports(startup, spec)
        self.decided_cohort()
        self.founder_alumnus(global_)
        db.session.flush()

    def founder_alumnus(self, cohort: Cohort) -> None:
        """The demo founder's startup graduated from an earlier cohort, so the founder can report rounds
        and book desks at partner hubs (and still apply to the open call)."""
        startup_id = db.session.scalar(
            select(StartupMember.startup_id)
            .join(User, User.id == StartupMember.user_id)
            .where(User.email == DEMO_FOUNDER)
        )
        if startup_id is not None:
            db.session.add(CohortMember(cohort_id=cohort.id, startup_id=startup_id, status=MemberStatus.GRADUATED))

    def funding_round(self, startup: Startup, spec: RoundSpec) -> None:
        announced = self.day(spec.year, spec.month)
        if announced > self.today:
            return
        rate = Decimal(FX[spec.currency][min(spec.year, 6)]) if spec.currency != "JPY" else Decimal(1)
        amount = Decimal(spec.amount)
        multiple = POST_MONEY_MULTIPLE.get(spec.stage)
        funding = FundingRound(
            startup_id=startup.id,
            announced_on=announced,
            stage=spec.stage,
            status=spec.status,
            investors=spec.investors or None,
            source_url=f"https://{startup.website.removeprefix('https://')}/news/{announced.isoformat()}",
        )
        funding.set_money(
            currency=spec.currency,
            amount=amount,
            fx_rate_to_jpy=rate,
            pre_money=amount * (multiple - 1) if multiple else None,
            post_money=amount * multiple if multiple else None,
        )
        if spec.status is not Verification.REPORTED:
            funding.reviewed_at = utcnow()
        if spec.status is Verification.REJECTED:
            funding.review_note = "No press release or registry filing confirms this round."
        db.session.add(funding)
        db.session.flush()
        if spec.status is Verification.VERIFIED and funding.post_money_jpy:
            db.session.add(
                ValuationMark(
                    startup_id=startup.id,
                    as_of=announced,
                    valuation_jpy=funding.post_money_jpy,
                    basis=ValuationBasis.ROUND_POST_MONEY,
                    funding_round_id=funding.id,
                )
            )

    def reports(self, startup: Startup, spec: StartupSpec) -> None:
        first, revenue, growth, share, step = spec.reports
        revenue_now, share_now = Decimal(revenue), Decimal(share)
        for offset in range(first, 6):  # every finished fiscal year up to last year
            fy = self.pilot_year + offset
            if fiscal_year_bounds(fy)[1] >= self.today:
                break
            latest = fy == self.current - 1
            overseas = int(revenue_now * min(share_now, Decimal("0.9")))
            db.session.add(
                AnnualReport(
                    startup_id=startup.id,
                    fiscal_year=fy,
                    revenue_jpy=int(revenue_now),
                    overseas_revenue_jpy=overseas,
                    employees=3 + offset * 4 + self.rng.randint(0, 5),
                    # The latest survey is still coming in: two answers await verification.
                    status=Verification.REPORTED if latest and spec.key in ("harbor-robotics", "bento-labs") else V,
                    reviewed_at=None if latest and spec.key in ("harbor-robotics", "bento-labs") else utcnow(),
                )
            )
            revenue_now *= Decimal(growth)
            share_now += Decimal(step)

    def decided_cohort(self) -> None:
        """The decided call's cohort: programme dates if it has none, and first rounds for a few members."""
        decided = db.session.scalar(select(Call).where(Call.state == CallState.DECIDED).order_by(Call.id))
        cohort = decided and db.session.scalar(select(Cohort).where(Cohort.call_id == decided.id))
        if cohort is None:
            return
        if cohort.starts_on is None:
            cohort.starts_on = decided.closes_at.astimezone(TOKYO).date() + timedelta(days=60)
        if cohort.ends_on is None:
            cohort.ends_on = cohort.starts_on + timedelta(days=182)
        members = db.session.scalars(
            select(CohortMember.startup_id).where(CohortMember.cohort_id == cohort.id).order_by(CohortMember.id)
        ).all()
        start = max(cohort.starts_on, fiscal_year_bounds(self.current - 1)[0])
        span = max((self.today - start).days, 1)
        for i, startup_id in enumerate(members[:6]):
            announced = start + timedelta(days=self.rng.randint(0, span))
            amount = Decimal(self.rng.choice([30, 50, 80, 100, 120, 150]) * 1_000_000)
            status = Verification.REPORTED if i == 5 else V
            funding = FundingRound(
                startup_id=startup_id,
                announced_on=announced,
                stage=RoundStage.SEED if amount >= 80_000_000 else RoundStage.PRE_SEED,
                status=status,
                investors="Angel investors, Kakehashi partner VC",
            )
            funding.set_money(
                currency="JPY",
                amount=amount,
                fx_rate_to_jpy=Decimal(1),
                pre_money=amount * 4,
                post_money=amount * 5,
            )
            db.session.add(funding)
            db.session.flush()
            if status is V:
                db.session.add(
                    ValuationMark(
                        startup_id=startup_id,
                        as_of=announced,
                        valuation_jpy=funding.post_money_jpy,
                        basis=ValuationBasis.ROUND_POST_MONEY,
                        funding_round_id=funding.id,
                    )
                )
