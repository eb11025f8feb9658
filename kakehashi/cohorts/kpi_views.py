"""Staff: the KPI dashboard, the rows behind each indicator, the yearly targets and the exports.

Registered on the cohorts blueprint (``views.py`` imports this module at its end).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from kakehashi.applications.models import Application
from kakehashi.cohorts import charts, kpi_exports, kpis
from kakehashi.cohorts.fiscal import fiscal_year_bounds
from kakehashi.cohorts.kpi_forms import KpiTargetsForm
from kakehashi.cohorts.kpis import DEFINITIONS, Indicator, Unit
from kakehashi.cohorts.models import AnnualReport, FundingRound, ValuationMark
from kakehashi.cohorts.views import bp
from kakehashi.core import audit, cache, pagecache
from kakehashi.core import permissions as access
from kakehashi.core.db import utcnow
from kakehashi.core.freshness import fresh_login_required
from kakehashi.core.i18n import current_locale, pick
from kakehashi.core.money import format_money_compact
from kakehashi.core.templating import add_nav, for_staff, format_percent
from kakehashi.extensions import db
from kakehashi.partners.models import PartnerEvent
from kakehashi.softlanding.models import LandingCase

add_nav("cohorts.kpis_dashboard", _l("KPIs"), visible=for_staff, order=21)

INDICATORS = "any(" + ", ".join(i.value for i in Indicator) + ")"
FIRST_YEAR, LAST_YEAR = 1990, 2200  # as the annual report's CHECK constraint


def _fiscal_year() -> int:
    """``?fy=``, else the current fiscal year in Tokyo; 404 for a year no one could mean."""
    raw = request.args.get("fy")
    if raw in (None, ""):
        return kpis.current_fiscal_year()
    try:
        year = int(raw)
    except ValueError:
        abort(404)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year


def show(value: Any, unit: Unit) -> str:
    """An actual or a target as people read it; '' for no data (the template says "no data")."""
    if value is None:
        return ""
    if unit is Unit.JPY:
        return format_money_compact(int(value))
    if unit is Unit.SHARE:
        return format_percent(Decimal(value) * 100)
    number = Decimal(value)
    return str(int(number)) if number == number.to_integral_value() else f"{number:.1f}"


def _fy_label(fy: int) -> str:
    return _("FY%(year)s", year=fy)


# --- charts -----------------------------------------------------------------------------------------


def _charts(fy: int, years: list[int], results: dict[Indicator, kpis.Result]) -> dict[str, Any]:
    current = kpis.current_fiscal_year()
    no_data = _("No data yet")
    chart_years = [y for y in years if y <= current]

    funding = kpis.funding_per_year()
    targets = kpis.target_history(Indicator.FUNDING, chart_years)
    bars = [
        charts.Bar(
            _fy_label(y),
            float(funding[y]) if y in funding else None,
            show(funding.get(y), Unit.JPY) or _("no data"),
            target=float(targets[y]),
            muted=y == current,
        )
        for y in chart_years
    ]
    funding_chart = charts.bar_chart(
        "chart-funding",
        title=_("Funding raised per fiscal year, against the target"),
        desc=charts.describe(bars, _("Verified funding of cohort startups, in yen, per fiscal year.")),
        bars=bars,
        no_data=no_data,
        target_label=_("Target"),
    )

    days = kpis.year_end_days(chart_years[0]) if chart_years else []
    totals = kpis.valuation_over_time(days)
    today = kpis.today_in_tokyo()
    points = [
        charts.Point(
            _("Today") if day == today else _fy_label(day.year - 1),
            float(totals[day]) if totals[day] is not None else None,
            show(totals[day], Unit.JPY) or _("no data"),
        )
        for day in days
    ]
    valuation_chart = charts.line_chart(
        "chart-valuation",
        title=_("Total valuation of the portfolio over time"),
        desc=charts.describe(
            points, _("Sum of every cohort startup's latest valuation at the end of each fiscal year, and today.")
        ),
        points=points,
        no_data=no_data,
    )

    share_target = results[Indicator.OVERSEAS_SHARE].target.value
    cohorts = kpis.share_per_graduated_cohort(fy)
    share_bars = [
        charts.Bar(
            pick(c.name),
            float(c.mean) if c.mean is not None else None,
            show(c.mean, Unit.SHARE) or _("no data"),
            target=float(share_target),
            muted=not c.counts_in_ksi,
        )
        for c in cohorts
    ]
    share_chart = charts.bar_chart(
        "chart-share",
        title=_("Overseas revenue share per graduated cohort in %(fy)s", fy=_fy_label(fy)),
        desc=charts.describe(
            share_bars,
            _(
                "Mean share of the cohort's verified annual reports; lighter bars are cohorts that graduated "
                "less than three years before the fiscal year and do not count in the KSI yet."
            ),
        ),
        bars=share_bars,
        no_data=no_data,
        target_label=_("Target (%(share)s)", share=show(share_target, Unit.SHARE)),
    )

    app_target = results[Indicator.APPLICATIONS].target.value
    call_counts = kpis.applications_per_call(None, app_target)
    app_bars = [
        charts.Bar(
            pick(c.call.title),
            float(c.submitted),
            str(c.submitted),
            target=float(app_target),
            muted=c.elapsed < 1,
        )
        for c in call_counts
    ]
    applications_chart = charts.bar_chart(
        "chart-applications",
        title=_("Applications per call, against the target"),
        desc=charts.describe(app_bars, _("Submitted applications per call; lighter bars are calls still open.")),
        bars=app_bars,
        no_data=no_data,
        target_label=_("Target (%(count)s)", count=show(app_target, Unit.COUNT)),
    )
    return {
        "funding": funding_chart,
        "valuation": valuation_chart,
        "share": share_chart,
        "applications": applications_chart,
    }


# --- pages ------------------------------------------------------------------------------------------


def _dashboard(fy: int) -> Markup:
    """The dashboard's body (figures, charts, links), rendered: the template render costs more than
    the figures once they are worked out, and it depends on nothing the cache key does not hold."""
    years = kpis.fiscal_years_with_data()
    if fy not in years:
        years = sorted({*years, fy})
    results = kpis.summary(fy)
    start, end = fiscal_year_bounds(fy)
    body = render_template(
        "cohorts/_kpis_content.html",
        fy=fy,
        years=years,
        start=start,
        end=end,
        period=kpis.Period.of(fy),
        results=results,
        charts=_charts(fy, years, {r.indicator: r for r in results}),
        show=show,
        Unit=Unit,
        Indicator=Indicator,
        fy_label=_fy_label,
        exports=kpi_exports.EXPORTS,
    )
    return Markup(body)  # noqa: S704  # nosec B704  # our own template's output, autoescaped


@bp.get("/kpis/")
@pagecache.page
@access.staff
def kpis_dashboard() -> Any:
    fy = _fiscal_year()
    # The figures and charts come from the "kpis" models (core.cache watches them) and from the clock
    # (today, how much of a period or a call has elapsed): the key holds the minute, so a figure that
    # moves with time alone is at most a minute old; any change to the data shows at once. The rest of
    # the key: the language, and where the app is mounted (the links).
    minute = utcnow().replace(second=0, microsecond=0)
    content = cache.cached(
        "kpis",
        ("dashboard", fy, current_locale(), minute.isoformat(), request.script_root),
        lambda: _dashboard(fy),
    )
    return render_template("cohorts/kpis.html", fy=fy, content=content, fy_label=_fy_label)


@bp.get(f"/kpis/<{INDICATORS}:indicator>")
@access.staff
def kpi_detail(indicator: str) -> Any:
    fy = _fiscal_year()
    chosen = Indicator(indicator)
    period = kpis.Period.of(fy)
    result = next(r for r in kpis.summary(fy) if r.indicator is chosen)
    context: dict[str, Any] = {}
    if chosen is Indicator.VALUATION:
        context["marks"] = db.session.scalars(
            kpis.valuation_marks_counted(period.as_of).options(joinedload(ValuationMark.startup))
        ).all()
        context["marks_to_date"] = db.session.scalars(
            kpis.valuation_marks_counted(period.as_of, to_date=True).options(joinedload(ValuationMark.startup))
        ).all()
    elif chosen is Indicator.OVERSEAS_SHARE:
        context["reports"] = db.session.scalars(
            kpis.overseas_reports_counted(fy).options(joinedload(AnnualReport.startup))
        ).all()
    elif chosen is Indicator.FUNDING:
        context["rounds"] = db.session.scalars(
            kpis.funding_rounds_counted(fy).options(joinedload(FundingRound.startup))
        ).all()
    elif chosen is Indicator.APPLICATIONS:
        context["applications"] = db.session.scalars(
            kpis.applications_counted(fy).options(joinedload(Application.startup), joinedload(Application.call))
        ).all()
    elif chosen is Indicator.ATTRACTED:
        context["cases"] = db.session.scalars(
            kpis.cases_counted(fy).options(joinedload(LandingCase.startup), joinedload(LandingCase.founder))
        ).all()
    elif chosen is Indicator.EVENTS:
        context["events"] = db.session.scalars(kpis.events_counted(fy).options(selectinload(PartnerEvent.hubs))).all()
    return render_template(
        "cohorts/kpis_detail.html",
        fy=fy,
        period=period,
        result=result,
        definition=DEFINITIONS[chosen],
        show=show,
        Unit=Unit,
        Indicator=Indicator,
        fy_label=_fy_label,
        locale=current_locale(),
        **context,
    )


@bp.route("/kpis/targets", methods=["GET", "POST"])
@access.staff
def kpi_targets() -> Any:
    fy = _fiscal_year()
    targets = kpis.targets_for(fy)
    form = KpiTargetsForm()
    form.fill(targets, values=request.method == "GET")
    if form.validate_on_submit():
        for indicator, value in form.values().items():
            kpis.set_target(fy, indicator, value, by=current_user)
        db.session.commit()
        flash(_("The targets for %(fy)s are saved.", fy=_fy_label(fy)), "success")
        return redirect(url_for(".kpis_dashboard", fy=fy))
    return render_template(
        "cohorts/kpis_targets.html",
        fy=fy,
        form=form,
        targets=targets,
        definitions=DEFINITIONS,
        Indicator=Indicator,
        show=show,
        fy_label=_fy_label,
    )


@bp.get("/kpis/export/<any(rounds, valuations, reports, summary):what>.<any(csv, xlsx):fmt>")
@access.staff
@fresh_login_required
def kpi_export(what: str, fmt: str) -> Any:
    fy = _fiscal_year()
    table = kpi_exports.table(what, fy)
    audit.record(
        current_user, "kpi.exported", None, {"what": what, "fiscal_year": fy, "format": fmt, "rows": len(table.rows)}
    )
    db.session.commit()
    return kpi_exports.response(what, fy, table, fmt)
