import datetime as dt
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from kakehashi.cohorts import services, validation
from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.cohorts.models import (
    AnnualReport,
    FundingRound,
    MemberStatus,
    SurveyRequest,
    ValuationBasis,
    ValuationMark,
    Verification,
)
from kakehashi.extensions import db
from tests.factories import (
    AnnualReportFactory,
    CohortMemberFactory,
    FundingRoundFactory,
    StaffFactory,
    StartupFactory,
    UserFactory,
    member_of,
)


def test_31_march_belongs_to_the_previous_fiscal_year():
    assert fiscal_year_of(date(2026, 3, 31)) == 2025


def test_1_april_starts_a_new_fiscal_year():
    assert fiscal_year_of(date(2026, 4, 1)) == 2026


def test_january_and_december_of_the_same_fiscal_year():
    assert fiscal_year_of(date(2025, 12, 31)) == 2025
    assert fiscal_year_of(date(2026, 1, 1)) == 2025


def test_fiscal_year_bounds_are_1_april_to_31_march():
    assert fiscal_year_bounds(2025) == (date(2025, 4, 1), date(2026, 3, 31))


def test_bounds_and_fiscal_year_of_agree_at_the_edges():
    start, end = fiscal_year_bounds(2024)
    assert fiscal_year_of(start) == fiscal_year_of(end) == 2024


# --- funding rounds ----------------------------------------------------------------------------------

TODAY = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo, FY2026


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def round_form(**overrides):
    data = {
        "announced_on": "2026-03-31",
        "stage": "seed",
        "currency": "USD",
        "amount": "1000000",
        "fx_rate_to_jpy": "150.25",
        "pre_money": "4000000",
        "post_money": "5000000",
        "investors": "Example Ventures",
        "source_url": "https://news.example/round",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_member_reports_a_round_converted_to_yen_with_the_stored_rate(login_as):
    startup = StartupFactory()
    client = login_as(member_of(startup))
    response = client.post(f"/startups/{startup.id}/rounds/new", data=round_form())
    assert response.status_code == 302
    funding_round = db.session.scalars(select(FundingRound)).one()
    assert (funding_round.currency, funding_round.amount, funding_round.fx_rate_to_jpy) == (
        "USD",
        Decimal("1000000.00"),
        Decimal("150.250000"),
    )
    assert funding_round.amount_jpy == 150_250_000
    assert funding_round.status is Verification.REPORTED
    page = client.get(f"/rounds/{funding_round.id}")
    assert "150,250,000" in page.text


def test_a_jpy_round_needs_no_rate_and_stores_a_rate_of_one(login_as):
    startup = StartupFactory()
    client = login_as(member_of(startup))
    data = round_form(currency="jpy", amount="50000000", fx_rate_to_jpy=None, pre_money=None, post_money=None)
    assert client.post(f"/startups/{startup.id}/rounds/new", data=data).status_code == 302
    funding_round = db.session.scalars(select(FundingRound)).one()
    assert (funding_round.currency, funding_round.fx_rate_to_jpy, funding_round.amount_jpy) == (
        "JPY",
        Decimal("1"),
        50_000_000,
    )


BAD_ROUNDS = {
    "negative amount": ({"amount": "-5"}, "The amount raised must be more than zero."),
    "zero amount": ({"amount": "0"}, "The amount raised must be more than zero."),
    "absurd amount": ({"amount": "5000000000000"}, "This amount is too large to be a funding round."),
    "absurd amount in yen": (
        {"amount": "900000000000", "fx_rate_to_jpy": "150", "post_money": None},
        "This amount is too large to be a funding round.",
    ),
    "not ISO 4217": ({"currency": "ABC"}, "Enter a three-letter ISO 4217 currency code"),
    "a word for a currency": ({"currency": "dollars"}, "Field cannot be longer than 3 characters."),
    "post-money below the amount": ({"post_money": "999999"}, "cannot be lower than the amount raised"),
    "non-http URL": ({"source_url": "javascript:alert(1)"}, "must be a web address starting with http://"),
    "ftp URL": ({"source_url": "ftp://files.example/round.pdf"}, "must be a web address starting with http://"),
    "future date": ({"announced_on": "2026-05-02"}, "The announcement date cannot be in the future."),
    "missing rate for USD": ({"fx_rate_to_jpy": None}, "Enter the exchange rate to yen"),
    "negative rate": ({"fx_rate_to_jpy": "-150"}, "The exchange rate must be more than zero."),
    "negative pre-money": ({"pre_money": "-1"}, "The pre-money valuation must be more than zero."),
    "text for an amount": ({"amount": "a lot"}, "Not a valid decimal value."),
}


@pytest.mark.parametrize("case", BAD_ROUNDS, ids=list(BAD_ROUNDS))
def test_bad_round_input_is_refused_with_a_clear_message_and_nothing_stored(login_as, case):
    overrides, message = BAD_ROUNDS[case]
    startup = StartupFactory()
    client = login_as(member_of(startup))
    response = client.post(f"/startups/{startup.id}/rounds/new", data=round_form(**overrides))
    assert response.status_code == 200
    assert message in response.text
    assert count(FundingRound) == 0


def test_bad_round_messages_are_in_the_users_language(login_as):
    startup = StartupFactory()
    client = login_as(member_of(startup, user=UserFactory(locale="ja")))
    response = client.post(f"/startups/{startup.id}/rounds/new?lang=ja", data=round_form(post_money="1"))
    assert response.status_code == 200
    assert '<html lang="ja"' in response.text
    assert count(FundingRound) == 0


def test_the_service_refuses_bad_figures_without_the_form():
    startup, user = StartupFactory(), StaffFactory()
    values = validation.RoundValues(
        announced_on=dt.date(2026, 1, 1),
        stage="seed",
        currency="XYZ",
        amount=Decimal("-1"),
        fx_rate_to_jpy=Decimal("0"),
        pre_money=None,
        post_money=None,
        investors=None,
        source_url="file:///etc/passwd",
    )
    with pytest.raises(validation.InvalidFigures) as refused:
        services.report_round(startup, values, by=user)
    assert set(refused.value.errors) == {"currency", "amount", "source_url"}


def test_verifying_a_round_with_a_post_money_marks_the_valuation(login_as, outbox):
    startup = StartupFactory()
    member = member_of(startup)
    funding_round = FundingRoundFactory(
        startup=startup,
        currency="USD",
        amount="1000000",
        fx_rate_to_jpy="150.25",
        post_money=Decimal("5000000"),
        announced_on=dt.date(2025, 9, 1),
    )
    client = login_as(StaffFactory())
    assert "Rounds to verify" in client.get("/admin/rounds").text
    response = client.post(f"/admin/rounds/{funding_round.id}/review", data={"decision": "verify", "note": ""})
    assert response.status_code == 302
    db.session.refresh(funding_round)
    assert funding_round.status is Verification.VERIFIED
    assert funding_round.reviewed_at is not None
    mark = db.session.scalars(select(ValuationMark)).one()
    assert (mark.basis, mark.as_of, mark.valuation_jpy, mark.funding_round_id, mark.startup_id) == (
        ValuationBasis.ROUND_POST_MONEY,
        dt.date(2025, 9, 1),
        751_250_000,
        funding_round.id,
        startup.id,
    )
    assert [email.to_address for email in outbox()] == [member.email]


def test_verifying_a_round_without_a_post_money_adds_no_mark(login_as):
    funding_round = FundingRoundFactory()
    login_as(StaffFactory()).post(f"/admin/rounds/{funding_round.id}/review", data={"decision": "verify"})
    db.session.refresh(funding_round)
    assert funding_round.status is Verification.VERIFIED
    assert count(ValuationMark) == 0


def test_rejecting_needs_a_note(login_as):
    funding_round = FundingRoundFactory()
    response = login_as(StaffFactory()).post(
        f"/admin/rounds/{funding_round.id}/review", data={"decision": "reject", "note": " "}, follow_redirects=True
    )
    assert "Say why in the note" in response.text
    db.session.refresh(funding_round)
    assert funding_round.status is Verification.REPORTED


def test_a_rejected_round_is_corrected_and_reported_again_then_verified(login_as, client, outbox):
    startup = StartupFactory()
    member = member_of(startup, user=UserFactory(locale="ja"))
    funding_round = FundingRoundFactory(startup=startup, amount="100000000")
    staff = StaffFactory()
    login_as(staff).post(
        f"/admin/rounds/{funding_round.id}/review", data={"decision": "reject", "note": "The press release says ¥120m."}
    )
    db.session.refresh(funding_round)
    assert (funding_round.status, funding_round.review_note) == (Verification.REJECTED, "The press release says ¥120m.")
    [email] = outbox()
    assert email.to_address == member.email
    assert email.locale == "ja"
    assert f"/rounds/{funding_round.id}/edit" in email.body_text

    login_as(member)
    page = client.get(f"/rounds/{funding_round.id}/edit")
    assert "The press release says ¥120m." in page.text
    data = round_form(currency="JPY", amount="120000000", fx_rate_to_jpy=None, pre_money=None, post_money=None)
    assert client.post(f"/rounds/{funding_round.id}/edit", data=data).status_code == 302
    db.session.refresh(funding_round)
    assert (funding_round.status, funding_round.amount_jpy) == (Verification.REPORTED, 120_000_000)

    login_as(staff).post(f"/admin/rounds/{funding_round.id}/review", data={"decision": "verify"})
    db.session.refresh(funding_round)
    assert funding_round.status is Verification.VERIFIED
    assert count(FundingRound) == 1


def test_a_verified_round_can_no_longer_be_changed(login_as):
    startup = StartupFactory()
    funding_round = FundingRoundFactory(startup=startup, status=Verification.VERIFIED)
    client = login_as(member_of(startup))
    assert client.get(f"/rounds/{funding_round.id}/edit").status_code == 403
    assert client.post(f"/rounds/{funding_round.id}/edit", data=round_form()).status_code == 403


def test_a_verified_round_cannot_be_reviewed_again():
    funding_round = FundingRoundFactory(status=Verification.VERIFIED)
    with pytest.raises(services.DomainError):
        services.review_round(funding_round, verify=False, note="no", by=StaffFactory())


def test_staff_add_other_valuation_marks_on_the_startup_page(login_as):
    startup = StartupFactory()
    client = login_as(StaffFactory())
    response = client.post(
        f"/startups/{startup.id}/valuations",
        data={"as_of": "2026-04-01", "valuation_jpy": "3000000000", "basis": "market_cap", "note": "TSE Growth"},
    )
    assert response.status_code == 302
    mark = db.session.scalars(select(ValuationMark)).one()
    assert (mark.basis, mark.valuation_jpy, mark.funding_round_id) == (ValuationBasis.MARKET_CAP, 3_000_000_000, None)


def test_a_post_money_mark_cannot_be_added_by_hand(login_as):
    startup = StartupFactory()
    login_as(StaffFactory()).post(
        f"/startups/{startup.id}/valuations",
        data={"as_of": "2026-04-01", "valuation_jpy": "3000000000", "basis": "round_post_money"},
    )
    assert count(ValuationMark) == 0


# --- annual reports ------------------------------------------------------------------------------------


def test_a_member_reports_annual_figures_and_staff_verify_them(login_as, client):
    startup = StartupFactory()
    member = member_of(startup)
    login_as(member)
    response = client.post(
        f"/startups/{startup.id}/reports/2025",
        data={"revenue_jpy": "200000000", "overseas_revenue_jpy": "50000000", "employees": "12"},
    )
    assert response.status_code == 302
    report = db.session.scalars(select(AnnualReport)).one()
    assert (report.fiscal_year, report.revenue_jpy, report.overseas_share, report.status) == (
        2025,
        200_000_000,
        Decimal("0.25"),
        Verification.REPORTED,
    )
    login_as(StaffFactory())
    assert "Annual reports to verify" in client.get("/admin/annual-reports").text
    client.post(f"/admin/annual-reports/{report.id}/review", data={"decision": "verify"})
    db.session.refresh(report)
    assert report.status is Verification.VERIFIED
    login_as(member)
    again = client.post(f"/startups/{startup.id}/reports/2025", data={"revenue_jpy": "1", "overseas_revenue_jpy": "0"})
    assert "can no longer be changed" in again.text
    db.session.refresh(report)
    assert report.revenue_jpy == 200_000_000


def test_the_overseas_share_is_undefined_not_zero_when_there_was_no_revenue(login_as):
    report = AnnualReportFactory(revenue_jpy=0, overseas_revenue_jpy=0)
    assert report.overseas_share is None
    page = login_as(StaffFactory()).get(f"/annual-reports/{report.id}")
    assert "Undefined (no revenue)" in page.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"revenue_jpy": "100", "overseas_revenue_jpy": "101"},
            "Overseas revenue cannot be more than the total revenue.",
        ),
        ({"revenue_jpy": "-1", "overseas_revenue_jpy": "0"}, "Revenue cannot be negative."),
        ({"revenue_jpy": "100", "overseas_revenue_jpy": "-1"}, "Overseas revenue cannot be negative."),
        ({"revenue_jpy": "100", "overseas_revenue_jpy": "0", "employees": "-3"}, "Enter the number of employees"),
    ],
)
def test_bad_annual_figures_are_refused_and_nothing_stored(login_as, data, message):
    startup = StartupFactory()
    response = login_as(member_of(startup)).post(f"/startups/{startup.id}/reports/2025", data=data)
    assert response.status_code == 200
    assert message in response.text
    assert count(AnnualReport) == 0


def test_a_future_fiscal_year_cannot_be_reported(login_as):
    startup = StartupFactory()
    assert login_as(member_of(startup)).get(f"/startups/{startup.id}/reports/2027").status_code == 404


def test_a_rejected_report_is_corrected_and_reported_again(login_as):
    startup = StartupFactory()
    report = AnnualReportFactory(startup=startup, fiscal_year=2025, status=Verification.REJECTED, review_note="Typo")
    login_as(member_of(startup)).post(
        f"/startups/{startup.id}/reports/2025", data={"revenue_jpy": "300", "overseas_revenue_jpy": "30"}
    )
    db.session.refresh(report)
    assert (report.status, report.revenue_jpy) == (Verification.REPORTED, 300)


# --- follow-up surveys ---------------------------------------------------------------------------------


def test_a_survey_emails_every_member_of_active_and_graduated_startups_in_their_language(login_as, outbox):
    active = CohortMemberFactory(status=MemberStatus.ACTIVE)
    cohort = active.cohort
    graduated = CohortMemberFactory(cohort=cohort, status=MemberStatus.GRADUATED)
    withdrawn = CohortMemberFactory(cohort=cohort, status=MemberStatus.WITHDRAWN)
    ja = member_of(active.startup, user=UserFactory(locale="ja"))
    en = member_of(graduated.startup, user=UserFactory(locale="en"))
    member_of(withdrawn.startup)
    response = login_as(StaffFactory()).post(f"/cohorts/{cohort.id}/surveys", data={"fiscal_year": "2025"})
    assert response.status_code == 302
    emails = {email.to_address: email for email in outbox()}
    assert set(emails) == {ja.email, en.email}
    assert emails[ja.email].locale == "ja"
    assert emails[en.email].locale == "en"
    assert "FY2025" in emails[en.email].subject
    assert f"http://kakehashi.test/startups/{graduated.startup_id}/reports/2025" in emails[en.email].body_text
    assert f"/startups/{active.startup_id}/reports/2025" in emails[ja.email].body_text


def test_the_same_survey_is_not_sent_twice(login_as, outbox):
    member = CohortMemberFactory()
    member_of(member.startup)
    client = login_as(StaffFactory())
    client.post(f"/cohorts/{member.cohort_id}/surveys", data={"fiscal_year": "2025"})
    response = client.post(f"/cohorts/{member.cohort_id}/surveys", data={"fiscal_year": "2025"}, follow_redirects=True)
    assert "already been sent" in response.text
    assert len(outbox()) == 1


def test_the_reminder_goes_once_14_days_later_to_those_who_have_not_reported(outbox):
    reported = CohortMemberFactory()
    silent = CohortMemberFactory(cohort=reported.cohort)
    member_of(reported.startup)
    silent_user = member_of(silent.startup, user=UserFactory(locale="ja"))
    services.send_survey(reported.cohort, 2025, by=StaffFactory())
    db.session.commit()
    AnnualReportFactory(startup=reported.startup, fiscal_year=2025)
    surveys = len(outbox())

    with time_machine.travel(TODAY + dt.timedelta(days=13), tick=False):
        assert services.remind_surveys() == 0
    with time_machine.travel(TODAY + dt.timedelta(days=14), tick=False):
        assert services.remind_surveys() == 1
        db.session.commit()
        assert services.remind_surveys() == 0
    with time_machine.travel(TODAY + dt.timedelta(days=30), tick=False):
        assert services.remind_surveys() == 0
        db.session.commit()
    reminders = outbox()[surveys:]
    assert [(email.to_address, email.template, email.locale) for email in reminders] == [
        (silent_user.email, "cohorts/survey_reminder", "ja")
    ]
    request = db.session.scalars(select(SurveyRequest)).one()
    assert request.reminded_at is not None


def test_the_remind_surveys_command_is_idempotent(app, outbox):
    member = CohortMemberFactory()
    member_of(member.startup)
    services.send_survey(member.cohort, 2025, by=StaffFactory())
    db.session.commit()
    runner = app.test_cli_runner()
    with time_machine.travel(TODAY + dt.timedelta(days=15), tick=False):
        assert "Reminded 1" in runner.invoke(args=["cohorts", "remind-surveys"]).output
        assert "Reminded 0" in runner.invoke(args=["cohorts", "remind-surveys"]).output
    assert [email.template for email in outbox()] == ["cohorts/survey_request", "cohorts/survey_reminder"]


# --- access -------------------------------------------------------------------------------------------


def _judge():
    return UserFactory()  # a judge belongs to no startup: as far as trackers go, any other signed-in user


@pytest.mark.parametrize("who", ["other_member", "judge"])
def test_a_startups_rounds_and_reports_are_hidden_from_others(login_as, who):
    startup = StartupFactory()
    funding_round = FundingRoundFactory(startup=startup, status=Verification.REJECTED)
    report = AnnualReportFactory(startup=startup)
    user = member_of(StartupFactory()) if who == "other_member" else _judge()
    client = login_as(user)
    for url in (
        f"/startups/{startup.id}/rounds/new",
        f"/rounds/{funding_round.id}",
        f"/rounds/{funding_round.id}/edit",
        f"/startups/{startup.id}/reports/2025",
        f"/annual-reports/{report.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/startups/{startup.id}/rounds/new", data=round_form()).status_code == 404
    assert count(FundingRound) == 1


def test_members_cannot_verify_manage_cohorts_or_mark_valuations(login_as):
    startup = StartupFactory()
    funding_round = FundingRoundFactory(startup=startup)
    report = AnnualReportFactory(startup=startup)
    cohort_member = CohortMemberFactory(startup=startup)
    client = login_as(member_of(startup))
    assert client.post(f"/admin/rounds/{funding_round.id}/review", data={"decision": "verify"}).status_code == 403
    assert client.post(f"/admin/annual-reports/{report.id}/review", data={"decision": "verify"}).status_code == 403
    assert client.get("/admin/rounds").status_code == 403
    assert client.get(f"/cohorts/{cohort_member.cohort_id}").status_code == 403
    assert (
        client.post(
            f"/startups/{startup.id}/valuations",
            data={"as_of": "2026-04-01", "valuation_jpy": "1", "basis": "exit"},
        ).status_code
        == 403
    )
    db.session.refresh(funding_round)
    assert funding_round.status is Verification.REPORTED
    assert count(ValuationMark) == 0


def test_anonymous_visitors_are_sent_to_log_in(client):
    funding_round = FundingRoundFactory()
    for url in (f"/rounds/{funding_round.id}", f"/startups/{funding_round.startup_id}/rounds/new", "/admin/rounds"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


def test_staff_report_a_round_for_a_startup(login_as):
    startup = StartupFactory()
    response = login_as(StaffFactory()).post(f"/startups/{startup.id}/rounds/new", data=round_form())
    assert response.status_code == 302
    assert db.session.scalars(select(FundingRound)).one().startup_id == startup.id
