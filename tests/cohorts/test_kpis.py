"""The six indicators on hand-built data: each rule at its boundary, no data as None, targets and status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from kakehashi.applications.models import ApplicationState, CallState
from kakehashi.cohorts import kpis
from kakehashi.cohorts.kpis import Indicator, Period, Status
from kakehashi.cohorts.models import (
    AnnualReport,
    Cohort,
    CohortMember,
    FundingRound,
    KpiTarget,
    RoundStage,
    ValuationBasis,
    ValuationMark,
    Verification,
)
from kakehashi.core.audit import AuditEvent
from kakehashi.extensions import db
from kakehashi.partners.models import EventKind, PartnerEvent
from kakehashi.softlanding.models import LandingCase, LandingPath
from tests.factories import ApplicationFactory, CallFactory, StaffFactory, StartupFactory, UserFactory

# --- hand-built data --------------------------------------------------------------------------------


def cohort(starts_on: date | None, ends_on: date | None, *startups, name: str = "Cohort") -> Cohort:
    made = Cohort(name={"ja": f"{name}（ja）", "en": name}, starts_on=starts_on, ends_on=ends_on)
    db.session.add(made)
    db.session.flush()
    for startup in startups:
        db.session.add(CohortMember(cohort_id=made.id, startup_id=startup.id))
    db.session.commit()
    return made


def funding(
    startup,
    announced_on: date,
    amount: str | int,
    *,
    currency: str = "JPY",
    rate: str = "1",
    status: Verification = Verification.VERIFIED,
    post_money: str | None = None,
) -> FundingRound:
    made = FundingRound(startup_id=startup.id, announced_on=announced_on, stage=RoundStage.SEED, status=status)
    made.set_money(
        currency=currency,
        amount=Decimal(amount),
        fx_rate_to_jpy=Decimal(rate),
        pre_money=None,
        post_money=Decimal(post_money) if post_money else None,
    )
    db.session.add(made)
    db.session.commit()
    return made


def mark(startup, as_of: date, valuation_jpy: int) -> ValuationMark:
    made = ValuationMark(
        startup_id=startup.id, as_of=as_of, valuation_jpy=valuation_jpy, basis=ValuationBasis.STAFF_ESTIMATE
    )
    db.session.add(made)
    db.session.commit()
    return made


def report(
    startup, fiscal_year: int, revenue: int, overseas: int, status: Verification = Verification.VERIFIED
) -> AnnualReport:
    made = AnnualReport(
        startup_id=startup.id,
        fiscal_year=fiscal_year,
        revenue_jpy=revenue,
        overseas_revenue_jpy=overseas,
        status=status,
    )
    db.session.add(made)
    db.session.commit()
    return made


def tokyo(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC) - timedelta(hours=9)


def by_indicator(results):
    return {r.indicator: r for r in results}


TODAY = date(2026, 11, 25)  # FY2026, 239 of 365 days gone


# --- fiscal years and funding -----------------------------------------------------------------------


def test_a_round_on_31_march_counts_in_the_year_before_a_round_on_1_april():
    startup = StartupFactory()
    cohort(date(2024, 4, 1), date(2024, 9, 30), startup)
    march = funding(startup, date(2026, 3, 31), 300_000_000)
    april = funding(startup, date(2026, 4, 1), 200_000_000)

    assert kpis.funding_total(2025) == (300_000_000, 1)
    assert kpis.funding_total(2026) == (200_000_000, 1)
    assert list(db.session.scalars(kpis.funding_rounds_counted(2025))) == [march]
    assert list(db.session.scalars(kpis.funding_rounds_counted(2026))) == [april]
    assert kpis.funding_per_year() == {2025: 300_000_000, 2026: 200_000_000}


def test_reported_and_rejected_rounds_do_not_count():
    startup = StartupFactory()
    cohort(date(2024, 4, 1), date(2024, 9, 30), startup)
    verified = funding(startup, date(2025, 6, 1), 100_000_000)
    funding(startup, date(2025, 7, 1), 900_000_000, status=Verification.REPORTED)
    funding(startup, date(2025, 8, 1), 800_000_000, status=Verification.REJECTED)

    assert kpis.funding_total(2025) == (100_000_000, 1)
    assert list(db.session.scalars(kpis.funding_rounds_counted(2025))) == [verified]


def test_rounds_in_another_currency_count_at_their_stored_rate():
    startup = StartupFactory()
    cohort(date(2024, 4, 1), date(2024, 9, 30), startup)
    usd = funding(startup, date(2025, 6, 1), "2000000.00", currency="USD", rate="151.250000")
    sgd = funding(startup, date(2025, 9, 1), "500000.00", currency="sgd", rate="112.345678")

    assert usd.amount_jpy == 302_500_000
    assert sgd.currency == "SGD" and sgd.amount_jpy == 56_172_839  # 56,172,839.0 rounded half up
    assert kpis.funding_total(2025) == (302_500_000 + 56_172_839, 2)


def test_a_startup_in_two_cohorts_is_counted_once():
    twice = StartupFactory()
    once = StartupFactory()
    cohort(date(2019, 4, 1), date(2019, 9, 30), twice, once, name="First")
    cohort(date(2020, 4, 1), date(2020, 9, 30), twice, name="Second")
    funding(twice, date(2025, 5, 1), 100_000_000)
    funding(once, date(2025, 5, 2), 50_000_000)
    mark(twice, date(2025, 1, 1), 3_000_000_000)
    mark(once, date(2025, 1, 1), 1_000_000_000)
    report(twice, 2025, 100, 30)
    report(once, 2025, 100, 10)

    assert kpis.funding_total(2025) == (150_000_000, 2)
    totals = kpis.valuation_totals(date(2026, 3, 31))
    assert (totals.kgi, totals.kgi_startups, totals.to_date) == (4_000_000_000, 2, 4_000_000_000)
    assert kpis.overseas_share(2025).mean == Decimal("0.2000")


def test_rounds_of_startups_outside_any_cohort_do_not_count():
    insider, outsider = StartupFactory(), StartupFactory()
    cohort(date(2024, 4, 1), date(2024, 9, 30), insider)
    funding(outsider, date(2025, 6, 1), 500_000_000)
    assert kpis.funding_total(2025) == (None, 0)


# --- KGI: five years after support ------------------------------------------------------------------


def test_the_kgi_counts_cohorts_that_started_at_least_five_years_before_the_as_of_date():
    old, recent = StartupFactory(), StartupFactory()
    cohort(date(2021, 3, 31), date(2021, 9, 30), old)
    cohort(date(2021, 4, 1), date(2021, 9, 30), recent)
    mark(old, date(2025, 6, 1), 6_000_000_000)
    mark(recent, date(2025, 6, 1), 2_000_000_000)

    on_31_march = kpis.valuation_totals(date(2026, 3, 31))
    assert (on_31_march.kgi, on_31_march.to_date) == (6_000_000_000, 8_000_000_000)
    on_1_april = kpis.valuation_totals(date(2026, 4, 1))
    assert (on_1_april.kgi, on_1_april.to_date) == (8_000_000_000, 8_000_000_000)


def test_the_kgi_takes_each_startups_latest_mark_on_or_before_the_as_of_date():
    startup = StartupFactory()
    cohort(date(2018, 4, 1), date(2018, 9, 30), startup)
    mark(startup, date(2024, 1, 1), 1_000_000_000)
    latest = mark(startup, date(2025, 3, 31), 3_000_000_000)
    mark(startup, date(2025, 4, 1), 9_000_000_000)  # after the as-of date

    assert kpis.valuation_totals(date(2025, 3, 31)).kgi == 3_000_000_000
    assert list(db.session.scalars(kpis.valuation_marks_counted(date(2025, 3, 31)))) == [latest]
    assert kpis.valuation_totals(date(2023, 12, 31)).kgi is None


def test_valuation_over_time_is_one_total_per_day():
    startup = StartupFactory()
    cohort(date(2022, 4, 1), date(2022, 9, 30), startup)
    mark(startup, date(2023, 1, 1), 1_000_000_000)
    mark(startup, date(2024, 1, 1), 2_000_000_000)
    days = [date(2022, 3, 31), date(2023, 3, 31), date(2024, 3, 31)]
    assert kpis.valuation_over_time(days) == {
        date(2022, 3, 31): None,
        date(2023, 3, 31): 1_000_000_000,
        date(2024, 3, 31): 2_000_000_000,
    }


# --- KSI: three years after graduation --------------------------------------------------------------


def test_the_ksi_counts_cohorts_that_ended_at_least_three_years_before_the_fiscal_year():
    graduated, too_recent = StartupFactory(), StartupFactory()
    cohort(date(2021, 10, 1), date(2022, 4, 1), graduated)  # exactly three years before FY2025 begins
    cohort(date(2021, 10, 1), date(2022, 4, 2), too_recent)
    counted = report(graduated, 2025, 1_000_000, 300_000)
    report(too_recent, 2025, 1_000_000, 0)

    assert kpis.ksi_cutoff(2025) == date(2022, 4, 1)
    assert kpis.overseas_share(2025) == kpis.ShareActual(Decimal("0.3000"), 1, 0)
    assert list(db.session.scalars(kpis.overseas_reports_counted(2025))) == [counted]
    assert kpis.overseas_share(2026).mean is None  # no reports for that year yet


def test_a_report_without_revenue_has_no_share_and_is_skipped_in_the_mean():
    a, b, c = StartupFactory(), StartupFactory(), StartupFactory()
    cohort(date(2019, 4, 1), date(2019, 9, 30), a, b, c)
    report(a, 2024, 1_000_000, 100_000)
    report(b, 2024, 3_000_000, 900_000)
    zero = report(c, 2024, 0, 0)

    assert zero.overseas_share is None
    assert kpis.overseas_share(2024) == kpis.ShareActual(Decimal("0.2000"), 2, 1)  # (10% + 30%) / 2, not / 3


def test_only_verified_reports_count_in_the_ksi():
    startup = StartupFactory()
    cohort(date(2019, 4, 1), date(2019, 9, 30), startup)
    report(startup, 2024, 1_000_000, 500_000, status=Verification.REPORTED)
    assert kpis.overseas_share(2024).mean is None


def test_share_per_graduated_cohort_marks_the_cohorts_that_count_in_the_ksi():
    a, b = StartupFactory(), StartupFactory()
    old = cohort(date(2019, 4, 1), date(2019, 9, 30), a, name="2019")
    new = cohort(date(2024, 4, 1), date(2024, 9, 30), b, name="2024")
    cohort(date(2025, 4, 1), None, StartupFactory(), name="running")
    report(a, 2025, 100, 20)
    report(b, 2025, 100, 5)
    rows = kpis.share_per_graduated_cohort(2025)
    assert [(r.cohort_id, r.mean, r.counts_in_ksi) for r in rows] == [
        (old.id, Decimal("0.2000"), True),
        (new.id, Decimal("0.0500"), False),
    ]


# --- applications per call --------------------------------------------------------------------------


def test_applications_per_call_counts_submitted_not_draft_or_withdrawn():
    call = CallFactory(
        opens_at=tokyo(2025, 5, 1), closes_at=tokyo(2025, 6, 1), state=CallState.DECIDED, target_applications=100
    )
    for state in (
        ApplicationState.SUBMITTED,
        ApplicationState.UNDER_REVIEW,
        ApplicationState.ACCEPTED,
        ApplicationState.REJECTED,
        ApplicationState.WAITLISTED,
        ApplicationState.DRAFT,
        ApplicationState.WITHDRAWN,
    ):
        ApplicationFactory(call=call, state=state)
    other = CallFactory(opens_at=tokyo(2025, 9, 1), closes_at=tokyo(2025, 10, 1), state=CallState.CLOSED)
    ApplicationFactory(call=other, state=ApplicationState.SUBMITTED)
    CallFactory(opens_at=tokyo(2025, 9, 1), closes_at=tokyo(2025, 10, 1), state=CallState.DRAFT)  # never opened

    counts = kpis.applications_per_call(2025, Decimal(100), now=tokyo(2026, 1, 1))
    assert [(c.call.id, c.submitted) for c in counts] == [(call.id, 5), (other.id, 1)]
    results = by_indicator(kpis.summary(2025, today=date(2026, 4, 2), now=tokyo(2026, 4, 2)))
    assert results[Indicator.APPLICATIONS].actual == Decimal("3.0")
    assert results[Indicator.APPLICATIONS].status is Status.BEHIND
    assert len(list(db.session.scalars(kpis.applications_counted(2025)))) == 6


def test_a_call_belongs_to_the_fiscal_year_it_opened_in_japan_time():
    march = CallFactory(opens_at=tokyo(2026, 3, 31, 23), closes_at=tokyo(2026, 5, 1), state=CallState.CLOSED)
    april = CallFactory(opens_at=tokyo(2026, 4, 1, 0), closes_at=tokyo(2026, 5, 1), state=CallState.CLOSED)
    assert [c.call.id for c in kpis.applications_per_call(2025, Decimal(100))] == [march.id]
    assert [c.call.id for c in kpis.applications_per_call(2026, Decimal(100))] == [april.id]


def test_a_call_with_no_applications_counts_as_zero_not_no_data():
    CallFactory(opens_at=tokyo(2025, 5, 1), closes_at=tokyo(2025, 6, 1), state=CallState.CLOSED)
    result = by_indicator(kpis.summary(2025, today=date(2026, 4, 2)))[Indicator.APPLICATIONS]
    assert result.actual == Decimal("0.0") and result.status is Status.BEHIND


# --- no data, targets, status -----------------------------------------------------------------------


def test_without_data_every_actual_is_none_not_zero():
    results = kpis.summary(2025, today=TODAY)
    assert [(r.indicator, r.actual, r.status) for r in results] == [
        (Indicator.VALUATION, None, None),
        (Indicator.OVERSEAS_SHARE, None, None),
        (Indicator.FUNDING, None, None),
        (Indicator.ATTRACTED, None, None),
        (Indicator.APPLICATIONS, None, None),
        (Indicator.EVENTS, None, None),
    ]
    assert by_indicator(results)[Indicator.VALUATION].detail["to_date"] is None


def test_targets_default_to_the_policy_and_staff_edits_override_them_for_one_year():
    staff = StaffFactory()
    defaults = kpis.targets_for(2025)
    assert {i: t.value for i, t in defaults.items()} == {
        Indicator.VALUATION: Decimal(10_000_000_000),
        Indicator.OVERSEAS_SHARE: Decimal("0.15"),
        Indicator.FUNDING: Decimal(1_000_000_000),
        Indicator.ATTRACTED: Decimal(5),
        Indicator.APPLICATIONS: Decimal(100),
        Indicator.EVENTS: Decimal(4),
    }
    assert all(t.is_default for t in defaults.values())

    kpis.set_target(2025, Indicator.FUNDING, Decimal(1_500_000_000), by=staff)
    db.session.commit()
    assert kpis.targets_for(2025)[Indicator.FUNDING] == kpis.Target(Decimal(1_500_000_000), False)
    assert kpis.targets_for(2026)[Indicator.FUNDING] == kpis.Target(Decimal(1_000_000_000), True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "kpi_target.updated"))
    assert event.actor_id == staff.id
    assert event.data == {"fiscal_year": 2025, "indicator": "funding", "from": None, "to": "1500000000"}

    kpis.set_target(2025, Indicator.FUNDING, None, by=staff)  # back to the policy
    db.session.commit()
    assert kpis.targets_for(2025)[Indicator.FUNDING].is_default
    assert db.session.scalar(select(KpiTarget)) is None


def test_status_is_met_on_track_or_behind():
    half = Decimal("0.5")
    assert kpis.status_of(1000, Decimal(1000)) is Status.MET
    assert kpis.status_of(999, Decimal(1000)) is Status.BEHIND
    assert kpis.status_of(500, Decimal(1000), elapsed=half) is Status.ON_TRACK
    assert kpis.status_of(499, Decimal(1000), elapsed=half) is Status.BEHIND
    assert kpis.status_of(None, Decimal(1000), elapsed=half) is None


def test_funding_in_the_current_year_is_on_track_pro_rata():
    startup = StartupFactory()
    cohort(date(2024, 4, 1), date(2024, 9, 30), startup)
    period = Period.of(2026, TODAY)
    assert period.elapsed == Decimal(239) / Decimal(365)
    funding(startup, date(2026, 5, 1), 660_000_000)  # 66% of the target with 65.5% of the year gone
    result = by_indicator(kpis.summary(2026, today=TODAY))[Indicator.FUNDING]
    assert (result.actual, result.status) == (660_000_000, Status.ON_TRACK)

    funding(startup, date(2026, 6, 1), 340_000_000)
    assert by_indicator(kpis.summary(2026, today=TODAY))[Indicator.FUNDING].status is Status.MET
    # A past year is met or behind: there is no "on track" once it is over.
    funding(startup, date(2025, 6, 1), 660_000_000)
    assert by_indicator(kpis.summary(2025, today=TODAY))[Indicator.FUNDING].status is Status.BEHIND


def test_an_edited_target_changes_the_status():
    staff = StaffFactory()
    startup = StartupFactory()
    cohort(date(2024, 4, 1), date(2024, 9, 30), startup)
    funding(startup, date(2025, 6, 1), 800_000_000)
    assert by_indicator(kpis.summary(2025, today=TODAY))[Indicator.FUNDING].status is Status.BEHIND
    kpis.set_target(2025, Indicator.FUNDING, Decimal(800_000_000), by=staff)
    db.session.commit()
    assert by_indicator(kpis.summary(2025, today=TODAY))[Indicator.FUNDING].status is Status.MET


# --- overseas startups brought to the ward, joint events ---------------------------------------------


def _case(operating_on: date | None) -> LandingCase:
    case = LandingCase(
        founder=UserFactory(),
        template_version=1,
        name={"en": "Startup Visa"},
        path=LandingPath.STARTUP_VISA,
        planned_arrival_on=date(2024, 4, 1),
        opened_on=date(2024, 3, 1),
        operating_on=operating_on,
    )
    db.session.add(case)
    db.session.flush()
    return case


def _event(held_on: date) -> PartnerEvent:
    event = PartnerEvent(kind=EventKind.PITCH, title={"en": "Pitch night"}, held_on=held_on, participants=40)
    db.session.add(event)
    db.session.flush()
    return event


def test_a_case_counts_in_the_fiscal_year_its_company_started_operating():
    on_31_march, on_1_april = _case(date(2025, 3, 31)), _case(date(2025, 4, 1))
    _case(None)  # still landing: counts nowhere
    assert db.session.scalars(kpis.cases_counted(2024)).all() == [on_31_march]
    assert db.session.scalars(kpis.cases_counted(2025)).all() == [on_1_april]
    assert by_indicator(kpis.summary(2025, today=TODAY))[Indicator.ATTRACTED].actual == 1


def test_an_event_counts_in_the_fiscal_year_it_was_held():
    on_31_march, on_1_april, later = _event(date(2025, 3, 31)), _event(date(2025, 4, 1)), _event(date(2026, 2, 1))
    assert db.session.scalars(kpis.events_counted(2024)).all() == [on_31_march]
    assert db.session.scalars(kpis.events_counted(2025)).all() == [on_1_april, later]
    result = by_indicator(kpis.summary(2025, today=date(2026, 4, 10)))[Indicator.EVENTS]
    assert (result.actual, result.status) == (2, Status.BEHIND)  # the policy's target is 4 a year


def test_a_year_without_events_is_zero_once_events_are_recorded_and_no_data_before():
    _event(date(2024, 6, 1))
    assert by_indicator(kpis.summary(2023, today=TODAY))[Indicator.EVENTS].actual is None  # nothing recorded yet
    result = by_indicator(kpis.summary(2025, today=date(2026, 4, 10)))[Indicator.EVENTS]
    assert (result.actual, result.status) == (0, Status.BEHIND)
    assert by_indicator(kpis.summary(2025, today=date(2026, 4, 10)))[Indicator.ATTRACTED].actual is None


def test_the_new_indicators_are_on_track_pro_rata_while_the_year_runs():
    _event(date(2025, 5, 1))
    _event(date(2025, 6, 1))
    # 29 September: 182 of 365 days have passed (just under half); 2 of 4 events held is on track.
    result = by_indicator(kpis.summary(2025, today=date(2025, 9, 29)))[Indicator.EVENTS]
    assert (result.actual, result.status) == (2, Status.ON_TRACK)
    # 1 October: past half the year, 2 of 4 is now behind.
    assert by_indicator(kpis.summary(2025, today=date(2025, 10, 1)))[Indicator.EVENTS].status is Status.BEHIND
