"""The ward's six indicators (policy measure ②): each one's actual for a fiscal year, its target and status.

The definitions are in ``shared/reference/kpis.md``. Every actual is computed from the platform's data
by an SQL aggregate over the *same* selection the drill-down page lists (``*_counted`` below), so the
number and the rows behind it cannot disagree. No data is ``None`` ("no data"), never 0.

- KGI — total valuation five years after support: the latest valuation mark on or before the as-of
  date of every startup in a cohort that started at least five years before it (a startup in two
  cohorts counts once); also the same total over all cohorts, "to date".
- KSI — overseas revenue share three years after graduation: verified annual reports for the fiscal
  year of startups whose cohort ended at least three years before the fiscal year began; the mean of
  overseas revenue ÷ revenue, skipping reports with no revenue (their share is undefined).
- Funding raised per fiscal year: verified rounds of cohort startups announced in the fiscal year, in
  JPY (each round's own stored amount × stored FX rate); a startup in two cohorts counts once.
- Overseas startups brought to the ward: counts the soft-landing cases (``LandingCase``) that reached
  their "operating in Japan" milestone in the fiscal year, once soft landing exists; ``None`` until then.
- Applications per call: submitted applications (not draft, not withdrawn) of each call that opened in
  the fiscal year, and the average over those calls.
- Joint events with overseas partner hubs: counts the partner events (``PartnerEvent``) held in the
  fiscal year, once partner events exist; ``None`` until then.

Targets: a ``KpiTarget`` row for (fiscal year, indicator) overrides the policy's default. Status: met
(actual ≥ target), on track (the period is not over and the actual is at least the target × the share
of the period elapsed), behind otherwise; stock indicators (valuation, share) are met or behind.
"""

from kakehashi.accounts import models as _accounts
from kakehashi.applications import models as _applications
from kakehashi.cohorts import models as _models
from kakehashi.cohorts.kpis.definitions import DEFINITIONS, Definition, Indicator, Status, Unit
from kakehashi.cohorts.kpis.measures import (
    ShareActual,
    applications_counted,
    applications_per_call,
    cases_counted,
    events_counted,
    funding_per_year,
    funding_rounds_counted,
    funding_total,
    kgi_cutoff,
    ksi_cutoff,
    overseas_reports_counted,
    overseas_share,
    share_per_graduated_cohort,
    valuation_marks_counted,
    valuation_over_time,
    valuation_totals,
)
from kakehashi.cohorts.kpis.periods import (
    Period,
    Target,
    current_fiscal_year,
    set_target,
    status_of,
    target_history,
    targets_for,
    today_in_tokyo,
)
from kakehashi.cohorts.kpis.summary import Result, fiscal_years_with_data, summary, year_end_days
from kakehashi.core import cache as _cache
from kakehashi.partners import models as _partners
from kakehashi.softlanding import models as _softlanding

# The dashboard's figures and charts are derived from these rows: any change to them gives the "kpis"
# cache namespace a new token (``core.cache``).
_cache.watch(
    "kpis",
    _models.FundingRound,
    _models.ValuationMark,
    _models.AnnualReport,
    _models.KpiTarget,
    _models.Cohort,
    _models.CohortMember,
    _applications.Application,
    _applications.Call,
    _accounts.Startup,
    _softlanding.LandingCase,
    _partners.PartnerEvent,
)

__all__ = [
    "DEFINITIONS",
    "Definition",
    "Indicator",
    "Period",
    "Result",
    "ShareActual",
    "Status",
    "Target",
    "Unit",
    "applications_counted",
    "applications_per_call",
    "cases_counted",
    "current_fiscal_year",
    "events_counted",
    "fiscal_years_with_data",
    "funding_per_year",
    "funding_rounds_counted",
    "funding_total",
    "kgi_cutoff",
    "ksi_cutoff",
    "overseas_reports_counted",
    "overseas_share",
    "set_target",
    "share_per_graduated_cohort",
    "status_of",
    "summary",
    "target_history",
    "targets_for",
    "today_in_tokyo",
    "valuation_marks_counted",
    "valuation_over_time",
    "valuation_totals",
    "year_end_days",
]
