"""A fiscal year's funding rounds, valuation marks, annual reports and KPI summary as CSV (UTF-8 with a
BOM, so Excel in Japan reads it) or XLSX. Raw numbers (yen, rates, percentages), not formatted text;
headers in the viewer's language; a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from kakehashi.cohorts import kpis
from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.cohorts.models import AnnualReport, CohortMember, FundingRound, ValuationMark
from kakehashi.core.exports import spreadsheet_response
from kakehashi.extensions import db

EXPORTS = ("rounds", "valuations", "reports", "summary")


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def _percent(share: Decimal | None) -> Decimal | None:
    return (share * 100).quantize(Decimal("0.01")) if share is not None else None


def _yes_no() -> dict[bool, str]:
    return {True: _("Yes"), False: _("No")}


def _cohort_startup_ids() -> set[int]:
    return set(db.session.scalars(select(CohortMember.startup_id).distinct()))


def rounds_table(fiscal_year: int) -> Table:
    """Every round announced in the year, whatever its status, and whether the KPI counts it."""
    start, end = fiscal_year_bounds(fiscal_year)
    rounds = db.session.scalars(
        select(FundingRound)
        .options(joinedload(FundingRound.startup))
        .where(FundingRound.announced_on >= start, FundingRound.announced_on <= end)
        .order_by(FundingRound.announced_on, FundingRound.id)
    ).all()
    counted = {r.id for r in db.session.scalars(kpis.funding_rounds_counted(fiscal_year))}
    yes_no = _yes_no()
    return Table(
        _("Funding rounds"),
        [
            _("ID"),
            _("Startup (Japanese)"),
            _("Startup (English)"),
            _("Announced on"),
            _("Fiscal year"),
            _("Stage"),
            _("Currency"),
            _("Amount"),
            _("Exchange rate to JPY"),
            _("Amount (JPY)"),
            _("Pre-money valuation"),
            _("Post-money valuation"),
            _("Investors"),
            _("Source"),
            _("Status"),
            _("Counted in the KPI"),
        ],
        [
            [
                r.id,
                r.startup.name.get("ja", ""),
                r.startup.name.get("en", ""),
                r.announced_on.isoformat(),
                fiscal_year_of(r.announced_on),
                r.stage.label,
                r.currency,
                r.amount,
                r.fx_rate_to_jpy,
                r.amount_jpy,
                r.pre_money,
                r.post_money,
                r.investors or "",
                r.source_url or "",
                r.status.label,
                yes_no[r.id in counted],
            ]
            for r in rounds
        ],
    )


def valuations_table(fiscal_year: int, today: date | None = None) -> Table:
    """Every mark dated in the year, and whether the KGI counts it on the year's as-of date."""
    start, end = fiscal_year_bounds(fiscal_year)
    marks = db.session.scalars(
        select(ValuationMark)
        .options(joinedload(ValuationMark.startup))
        .where(ValuationMark.as_of >= start, ValuationMark.as_of <= end)
        .order_by(ValuationMark.as_of, ValuationMark.id)
    ).all()
    as_of = kpis.Period.of(fiscal_year, today).as_of
    counted = {m.id for m in db.session.scalars(kpis.valuation_marks_counted(as_of))}
    yes_no = _yes_no()
    return Table(
        _("Valuation marks"),
        [
            _("ID"),
            _("Startup (Japanese)"),
            _("Startup (English)"),
            _("As of"),
            _("Valuation (JPY)"),
            _("Basis"),
            _("Funding round"),
            _("Note"),
            _("Counted in the KGI"),
        ],
        [
            [
                m.id,
                m.startup.name.get("ja", ""),
                m.startup.name.get("en", ""),
                m.as_of.isoformat(),
                m.valuation_jpy,
                m.basis.label,
                m.funding_round_id,
                m.note or "",
                yes_no[m.id in counted],
            ]
            for m in marks
        ],
    )


def reports_table(fiscal_year: int) -> Table:
    reports = db.session.scalars(
        select(AnnualReport)
        .options(joinedload(AnnualReport.startup))
        .where(AnnualReport.fiscal_year == fiscal_year)
        .order_by(AnnualReport.startup_id)
    ).all()
    counted = {r.id for r in db.session.scalars(kpis.overseas_reports_counted(fiscal_year))}
    yes_no = _yes_no()
    return Table(
        _("Annual reports"),
        [
            _("ID"),
            _("Startup (Japanese)"),
            _("Startup (English)"),
            _("Fiscal year"),
            _("Revenue (JPY)"),
            _("Overseas revenue (JPY)"),
            _("Overseas revenue share (%)"),
            _("Employees"),
            _("Status"),
            _("Counted in the KSI"),
        ],
        [
            [
                r.id,
                r.startup.name.get("ja", ""),
                r.startup.name.get("en", ""),
                r.fiscal_year,
                r.revenue_jpy,
                r.overseas_revenue_jpy,
                _percent(r.overseas_share),
                r.employees,
                r.status.label,
                yes_no[r.id in counted and r.overseas_share is not None],
            ]
            for r in reports
        ],
    )


def summary_table(fiscal_year: int, today: date | None = None) -> Table:
    rows = []
    for result in kpis.summary(fiscal_year, today=today):
        definition = result.definition
        scale = (lambda v: _percent(Decimal(v))) if definition.unit is kpis.Unit.SHARE else (lambda v: v)
        rows.append(
            [
                str(definition.level),
                str(definition.name),
                fiscal_year,
                scale(result.target.value),
                _("Policy default") if result.target.is_default else _("Set by staff"),
                scale(result.actual) if result.actual is not None else None,
                result.status.label if result.status else _("No data"),
                str(definition.rule),
                str(definition.how_obtained),
            ]
        )
    return Table(
        _("KPI summary"),
        [
            _("Level"),
            _("Indicator"),
            _("Fiscal year"),
            _("Target"),
            _("Target source"),
            _("Actual"),
            _("Status"),
            _("How it is computed"),
            _("How the data is obtained"),
        ],
        rows,
    )


def table(what: str, fiscal_year: int, today: date | None = None) -> Table:
    if what == "rounds":
        return rounds_table(fiscal_year)
    if what == "valuations":
        return valuations_table(fiscal_year, today)
    if what == "reports":
        return reports_table(fiscal_year)
    return summary_table(fiscal_year, today)


def response(what: str, fiscal_year: int, data: Table, fmt: str) -> Response:
    return spreadsheet_response(
        data.headers, data.rows, fmt, stem=f"kpi-fy{fiscal_year}-{what}", sheet_title=f"FY{fiscal_year} {data.title}"
    )
