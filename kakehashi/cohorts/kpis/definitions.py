"""The six indicators as the policy defines them: names, targets, how the numbers are obtained."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from kakehashi.applications.models import ApplicationState

KGI_YEARS_AFTER_SUPPORT = 5
KSI_YEARS_AFTER_GRADUATION = 3
SHARE_PLACES = Decimal("0.0001")
NOT_SUBMITTED = (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)


class Indicator(enum.StrEnum):
    VALUATION = "valuation"  # KGI
    OVERSEAS_SHARE = "overseas_share"  # KSI
    FUNDING = "funding"
    ATTRACTED = "attracted"
    APPLICATIONS = "applications"
    EVENTS = "events"


class Unit(enum.StrEnum):
    JPY = "jpy"
    SHARE = "share"  # a fraction: 0.15 is 15 %
    COUNT = "count"


class Status(enum.StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    BEHIND = "behind"

    @property
    def label(self) -> str:
        return str({Status.MET: _l("Met"), Status.ON_TRACK: _l("On track"), Status.BEHIND: _l("Behind")}[self])


@dataclass(frozen=True)
class Definition:
    indicator: Indicator
    level: Any  # lazy strings, evaluated in the viewer's language
    name: Any
    target_text: Any  # how the policy states the target
    how_obtained: Any  # the policy's wording of how the number is obtained
    rule: Any  # how the platform computes it
    unit: Unit
    default_target: Decimal
    flow: bool  # accumulates over the period (pro-rata "on track"), else a stock (met / behind)


DEFINITIONS: dict[Indicator, Definition] = {
    d.indicator: d
    for d in [
        Definition(
            Indicator.VALUATION,
            _l("KGI"),
            _l("Total valuation of supported startups five years after support"),
            _l("¥10bn in total"),
            _l(
                "Commercial registry information, press releases at funding and trusted databases "
                "(e.g. INITIAL); for unlisted companies, the valuation at the latest funding round is tracked."
            ),
            _l(
                "Latest valuation mark, on or before the as-of date, of every startup in a cohort that started "
                "at least five years before that date; each startup counted once."
            ),
            Unit.JPY,
            Decimal(10_000_000_000),
            flow=False,
        ),
        Definition(
            Indicator.OVERSEAS_SHARE,
            _l("KSI"),
            _l("Overseas revenue share three years after graduation"),
            _l("An average of at least 15%"),
            _l("Annual follow-up survey of supported companies, aggregated from their own reports."),
            _l(
                "Verified annual reports for the fiscal year of startups whose cohort ended at least three years "
                "before the fiscal year began; mean of overseas revenue ÷ revenue (reports without revenue are "
                "skipped: their share is undefined)."
            ),
            Unit.SHARE,
            Decimal("0.15"),
            flow=False,
        ),
        Definition(
            Indicator.FUNDING,
            _l("KPI (outcome)"),
            _l("Funding raised by supported startups per year"),
            _l("¥1bn a year"),
            _l("Monitoring of press releases and news reports, and admission agreements."),
            _l(
                "Verified funding rounds of cohort startups announced in the fiscal year, converted to yen "
                "with each round's stored exchange rate."
            ),
            Unit.JPY,
            Decimal(1_000_000_000),
            flow=True,
        ),
        Definition(
            Indicator.ATTRACTED,
            _l("KPI (outcome)"),
            _l("Overseas startups brought to the ward through the programme"),
            _l("5 a year"),
            _l("Monitoring of press releases and news reports, and admission agreements."),
            _l(
                "Soft-landing cases of overseas startups that reached their “operating in Japan” milestone in "
                "the fiscal year. No data until the first case reaches it."
            ),
            Unit.COUNT,
            Decimal(5),
            flow=True,
        ),
        Definition(
            Indicator.APPLICATIONS,
            _l("KPI (output)"),
            _l("Applications per accelerator call"),
            _l("100 per call"),
            _l("The programme's application management system."),
            _l(
                "Submitted applications (not drafts, not withdrawn) of each call that opened in the fiscal year, "
                "and their average per call."
            ),
            Unit.COUNT,
            Decimal(100),
            flow=True,
        ),
        Definition(
            Indicator.EVENTS,
            _l("KPI (output)"),
            _l("Joint events with overseas partner hubs"),
            _l("4 a year"),
            _l("Event reports."),
            _l(
                "Joint events with partner hubs (pitches, meet-ups, demo days, webinars) held in the fiscal "
                "year. No data until the first event is recorded."
            ),
            Unit.COUNT,
            Decimal(4),
            flow=True,
        ),
    ]
}
