"""The KPI dashboard, its drill-downs, targets and exports: what staff see, and that only staff see it."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from kakehashi.applications.judging.models import CallJudge
from kakehashi.cohorts import kpis
from kakehashi.cohorts.fiscal import fiscal_year_bounds
from kakehashi.cohorts.models import KpiTarget, Verification
from kakehashi.core.audit import AuditEvent
from kakehashi.extensions import db
from kakehashi.partners.models import EventKind, PartnerEvent, PartnerHub
from tests.cohorts.test_kpis import cohort, funding, mark, report
from tests.factories import CallFactory, StaffFactory, StartupFactory, UserFactory, member_of

FY = kpis.current_fiscal_year() - 1  # a whole past year: no pro-rata, stable across test dates


def _portfolio(startups: int = 2):
    """Cohort startups with rounds in FY (one in USD), a reported and a rejected round, marks, reports."""
    made = [StartupFactory() for _ in range(startups)]
    cohort(date(FY - 6, 4, 1), date(FY - 6, 9, 30), *made, name="Old")
    rounds = []
    for i, startup in enumerate(made):
        rounds.append(funding(startup, date(FY, 6, 1), 300_000_000 + i))
        mark(startup, date(FY, 6, 1), 2_000_000_000)
        report(startup, FY, 1_000_000, 250_000)
    rounds.append(funding(made[0], date(FY, 7, 1), "1000000", currency="USD", rate="150"))
    funding(made[0], date(FY, 8, 1), 777_000_000, status=Verification.REPORTED)
    funding(made[0], date(FY, 9, 1), 666_000_000, status=Verification.REJECTED)
    return made, rounds


# --- access -----------------------------------------------------------------------------------------

URLS = [
    "/kpis/",
    f"/kpis/funding?fy={FY}",
    f"/kpis/valuation?fy={FY}",
    f"/kpis/targets?fy={FY}",
    f"/kpis/export/rounds.csv?fy={FY}",
    f"/kpis/export/summary.xlsx?fy={FY}",
]


@pytest.mark.parametrize("url", URLS)
def test_only_staff_see_the_kpis(client, login_as, url):
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert "/login" in client.get(url).headers["Location"]
    applicant = member_of(StartupFactory())
    assert login_as(applicant).get(url).status_code == 403
    judge = UserFactory()
    db.session.add(CallJudge(call_id=CallFactory().id, user_id=judge.id))
    assert login_as(judge).get(url).status_code == 403
    assert login_as(StaffFactory()).get(url).status_code == 200


def test_an_applicant_cannot_change_targets(login_as):
    response = login_as(member_of(StartupFactory())).post(f"/kpis/targets?fy={FY}", data={"funding": "5"})
    assert response.status_code == 403
    assert db.session.scalar(select(KpiTarget)) is None


def test_unknown_indicators_exports_and_years_are_not_found(login_as):
    staff = login_as(StaffFactory())
    assert staff.get("/kpis/nonsense").status_code == 404
    assert staff.get("/kpis/export/users.csv").status_code == 404
    assert staff.get("/kpis/export/rounds.pdf").status_code == 404
    assert staff.get("/kpis/?fy=abc").status_code == 404
    assert staff.get("/kpis/?fy=99999").status_code == 404


# --- the dashboard ----------------------------------------------------------------------------------


def test_the_dashboard_shows_every_indicator_in_japanese_and_english(login_as):
    _portfolio()
    staff = login_as(StaffFactory())
    ja = staff.get(f"/kpis/?fy={FY}&lang=ja").get_data(as_text=True)
    assert '<html lang="ja">' in ja
    assert "100億円" in ja  # the KGI target
    assert "10億円" in ja  # the funding target
    en = staff.get(f"/kpis/?fy={FY}&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en
    for name in (
        "Total valuation of supported startups five years after support",
        "Overseas revenue share three years after graduation",
        "Funding raised by supported startups per year",
        "Overseas startups brought to the ward through the programme",
        "Applications per accelerator call",
        "Joint events with overseas partner hubs",
    ):
        assert name in en
    assert "¥10.0bn" in en and "¥1.0bn" in en
    assert "Commercial registry information" in en  # the policy's wording of how it is obtained
    # funding: 300,000,000 + 300,000,001 + 1,000,000 USD × 150 = 750,000,001 yen, behind ¥1bn
    row = _row(en, "funding")
    assert "¥750.0m" in row and "¥750,000,001" in row and "Behind" in row
    assert "¥4.0bn" in _row(en, "valuation")  # two marks of ¥2bn
    assert "25%" in _row(en, "overseas_share") and "Met" in _row(en, "overseas_share")
    assert f"/kpis/funding?fy={FY}" in en


def _row(html: str, indicator: str) -> str:
    return re.search(rf'<tr id="kpi-{indicator}">(.*?)</tr>', html, re.S).group(1)


def test_empty_data_shows_no_data_not_zero(login_as):
    html = login_as(StaffFactory()).get(f"/kpis/?fy={FY}&lang=en").get_data(as_text=True)
    for indicator in ("valuation", "overseas_share", "funding", "attracted", "applications", "events"):
        row = _row(html, indicator)
        assert "No data" in row and "¥0" not in row and ">0<" not in row
    assert "5 per year" in _row(html, "attracted") and "4 per year" in _row(html, "events")


def test_the_charts_are_svg_with_a_title_and_no_script(login_as):
    _portfolio()
    CallFactory()
    response = login_as(StaffFactory()).get(f"/kpis/?fy={FY}&lang=en")
    html = response.get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 4
    for svg in svgs:
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        assert "<script" not in svg and "style=" not in svg and " on" not in re.sub(r'"[^"]*"', '""', svg)
    assert "<script>" not in html  # no inline script anywhere on the page
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "Funding raised per fiscal year" in html


def test_the_dashboard_makes_the_same_number_of_queries_for_5_and_50_startups(login_as, count_queries):
    staff = login_as(StaffFactory())

    def queries_with(n: int) -> int:
        made = [StartupFactory() for _ in range(n)]
        cohort(date(FY - 6, 4, 1), date(FY - 6, 9, 30), *made)
        for startup in made:
            funding(startup, date(FY, 6, 1), 100_000_000)
            funding(startup, date(FY - 1, 6, 1), 50_000_000)
            mark(startup, date(FY, 6, 1), 1_000_000_000)
            report(startup, FY, 100, 10)
        db.session.commit()
        with count_queries() as counter:
            assert staff.get(f"/kpis/?fy={FY}").status_code == 200
        return counter.count

    small = queries_with(5)
    assert queries_with(45) == small  # 50 startups now


# --- drill-down -------------------------------------------------------------------------------------


def test_the_funding_drill_down_lists_exactly_the_counted_rounds(login_as):
    _made, rounds = _portfolio()
    outsider = StartupFactory()
    funding(outsider, date(FY, 6, 1), 999_000_000)  # not in a cohort
    html = login_as(StaffFactory()).get(f"/kpis/funding?fy={FY}&lang=en").get_data(as_text=True)
    listed = [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]
    assert sorted(listed) == sorted(r.id for r in rounds)
    assert "$1,000,000.00" in html and "¥150,000,000" in html and "¥750,000,001" in html


def test_the_valuation_and_share_drill_downs_list_what_was_counted(login_as):
    made, _rounds = _portfolio()
    zero = StartupFactory()
    cohort(date(FY - 6, 4, 1), date(FY - 6, 9, 30), zero, name="Zero")
    report(zero, FY, 0, 0)
    staff = login_as(StaffFactory())
    html = staff.get(f"/kpis/overseas_share?fy={FY}&lang=en").get_data(as_text=True)
    assert len(re.findall(r'<tr data-id="', html)) == 3
    assert "undefined (no revenue): skipped" in html
    html = staff.get(f"/kpis/valuation?fy={FY}&lang=en").get_data(as_text=True)
    assert len(re.findall(r'<tr data-id="', html)) == 4  # the two marks, in the KGI and to date


def test_the_events_drill_down_lists_the_years_events_with_their_partner_hubs(login_as):
    hub = PartnerHub(
        name={"en": "Spree Startup Hub", "ja": "シュプレー・スタートアップ・ハブ"},
        city={"en": "Berlin", "ja": "ベルリン"},
        country="DE",
        timezone="Europe/Berlin",
        capacity_desks=5,
        daily_rate=Decimal("25.00"),
        currency="EUR",
    )
    start, end = fiscal_year_bounds(FY)
    events = [
        PartnerEvent(kind=EventKind.DEMO_DAY, title={"en": "Berlin demo day"}, held_on=start, hubs=[hub]),
        PartnerEvent(kind=EventKind.WEBINAR, title={"en": "Last year's webinar"}, held_on=start - timedelta(days=1)),
    ]
    db.session.add_all([hub, *events])
    db.session.flush()
    html = login_as(StaffFactory()).get(f"/kpis/events?fy={FY}&lang=en").get_data(as_text=True)
    assert "Berlin demo day" in html and "Spree Startup Hub" in html and "Demo day" in html
    assert "Last year's webinar" not in html


# --- targets ----------------------------------------------------------------------------------------


def test_staff_edit_a_years_targets_and_the_change_is_audited(login_as):
    staff_user = StaffFactory()
    staff = login_as(staff_user)
    page = staff.get(f"/kpis/targets?fy={FY}&lang=en").get_data(as_text=True)
    assert 'placeholder="1000000000"' in page and 'placeholder="15"' in page
    response = staff.post(f"/kpis/targets?fy={FY}", data={"funding": "1500000000", "overseas_share": "20"})
    assert response.status_code == 302
    targets = kpis.targets_for(FY)
    assert targets[kpis.Indicator.FUNDING].value == Decimal(1_500_000_000)
    assert targets[kpis.Indicator.OVERSEAS_SHARE].value == Decimal("0.2")
    assert targets[kpis.Indicator.VALUATION].is_default
    assert kpis.targets_for(FY + 1)[kpis.Indicator.FUNDING].is_default
    actions = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "kpi_target.updated")).all()
    assert {(e.actor_id, e.data["indicator"]) for e in actions} == {
        (staff_user.id, "funding"),
        (staff_user.id, "overseas_share"),
    }
    html = staff.get(f"/kpis/?fy={FY}&lang=en").get_data(as_text=True)
    assert "¥1.5bn" in _row(html, "funding") and "set by staff" in _row(html, "funding")


def test_a_negative_target_is_refused(login_as):
    staff = login_as(StaffFactory())
    response = staff.post(f"/kpis/targets?fy={FY}", data={"funding": "-5"})
    assert response.status_code == 200
    assert db.session.scalar(select(KpiTarget)) is None


# --- exports ----------------------------------------------------------------------------------------


def test_the_rounds_csv_has_a_bom_headers_and_every_round_of_the_year(login_as):
    _made, rounds = _portfolio()
    staff_user = StaffFactory()
    response = login_as(staff_user).get(f"/kpis/export/rounds.csv?fy={FY}&lang=en")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("ID,Startup (Japanese),Startup (English),Announced on,Fiscal year,Stage,Currency")
    assert len(lines) == 1 + len(rounds) + 2  # also the reported and the rejected round, marked
    assert sum(line.endswith(",Yes") for line in lines[1:]) == len(rounds)
    usd = next(line for line in lines if ",USD," in line)
    assert ",1000000.00,150.000000,150000000," in usd
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "kpi.exported"))
    assert event.actor_id == staff_user.id
    assert event.data == {"what": "rounds", "fiscal_year": FY, "format": "csv", "rows": len(rounds) + 2}


def test_the_summary_xlsx_has_the_six_indicators(login_as):
    from openpyxl import load_workbook

    _portfolio()
    response = login_as(StaffFactory()).get(f"/kpis/export/summary.xlsx?fy={FY}&lang=en")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("Level", "Indicator", "Fiscal year", "Target", "Target source", "Actual", "Status")
    assert len(rows) == 7
    funding_row = next(r for r in rows if r[1] == "Funding raised by supported startups per year")
    assert funding_row[3:7] == (1_000_000_000, "Policy default", 750_000_001, "Behind")
    share_row = next(r for r in rows if r[1] == "Overseas revenue share three years after graduation")
    assert (share_row[3], share_row[5]) == (15, 25)


@pytest.mark.parametrize("what", ["valuations", "reports"])
def test_valuation_and_report_exports_list_the_years_rows(login_as, what):
    _portfolio()
    data = login_as(StaffFactory()).get(f"/kpis/export/{what}.csv?fy={FY}&lang=en").get_data()
    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and all(line.endswith(",Yes") for line in lines[1:])


def test_the_cached_dashboard_shows_every_change_to_its_data_at_once(login_as):
    made, rounds = _portfolio()
    staff = login_as(StaffFactory())
    assert "¥750,000,001" in _row(staff.get(f"/kpis/?fy={FY}&lang=en").get_data(as_text=True), "funding")
    assert "¥750,000,001" in _row(staff.get(f"/kpis/?fy={FY}&lang=en").get_data(as_text=True), "funding")

    funding(made[1], date(FY, 10, 1), 250_000_000)  # a new verified round
    row = _row(staff.get(f"/kpis/?fy={FY}&lang=en").get_data(as_text=True), "funding")
    assert "¥1,000,000,001" in row and "Met" in row

    db.session.refresh(rounds[0])
    rounds[0].status = Verification.REJECTED  # a counted round rejected after all
    db.session.commit()
    assert "¥700,000,001" in _row(staff.get(f"/kpis/?fy={FY}&lang=en").get_data(as_text=True), "funding")

    kpis.set_target(FY, kpis.Indicator.FUNDING, Decimal("500000000"), by=None)
    db.session.commit()
    row = _row(staff.get(f"/kpis/?fy={FY}&lang=en").get_data(as_text=True), "funding")
    assert "¥500.0m" in row and "Met" in row


def test_the_cached_dashboard_body_follows_the_language_and_the_mount_point(login_as):
    _portfolio()
    staff = login_as(StaffFactory())
    for _round in range(2):  # the second round is served from the cache
        english = staff.get(f"/kpis/?fy={FY}&lang=en").get_data(as_text=True)
        japanese = staff.get(f"/kpis/?fy={FY}&lang=ja").get_data(as_text=True)
        mounted = staff.get(f"/kpis/?fy={FY}&lang=en", base_url="http://localhost/kk").get_data(as_text=True)
        assert "Funding raised per fiscal year, against the target" in english
        assert "Funding raised per fiscal year, against the target" not in japanese
        assert f'href="/kpis/targets?fy={FY}"' in english
        assert f'href="/kk/kpis/targets?fy={FY}"' in mounted and f'href="/kpis/targets?fy={FY}"' not in mounted
