"""A call's applications as CSV (UTF-8 with a BOM, so Excel in Japan reads it) or XLSX."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response
from flask_babel import gettext as _

from kakehashi.applications.models import Application, Call
from kakehashi.core.exports import spreadsheet_response
from kakehashi.core.i18n import country_name, pick
from kakehashi.core.timezones import to_tokyo


def _columns() -> list[tuple[str, Any]]:
    """(header in the viewer's language, value getter)."""
    return [
        (_("ID"), lambda a: a.id),
        (_("Startup (Japanese)"), lambda a: a.startup.name.get("ja", "")),
        (_("Startup (English)"), lambda a: a.startup.name.get("en", "")),
        (_("Country"), lambda a: country_name(a.startup.country)),
        (_("Overseas"), lambda a: _("Yes") if a.startup.is_overseas else _("No")),
        (_("Status"), lambda a: a.state.label),
        (
            _("Submitted (Japan time)"),
            lambda a: to_tokyo(a.submitted_at).strftime("%Y-%m-%d %H:%M") if a.submitted_at else "",
        ),
        # The answers, in the order of the application form (same labels).
        (_("Company overview"), lambda a: a.company_summary),
        (_("Founders"), lambda a: a.founders),
        (_("Team size"), lambda a: a.team_size),
        (_("Problem"), lambda a: a.problem),
        (_("Solution"), lambda a: a.solution),
        (_("Market"), lambda a: a.market),
        (_("Traction"), lambda a: a.traction),
        (_("Funding raised to date (JPY)"), lambda a: a.funding_raised_jpy),
        (_("Latest valuation (JPY)"), lambda a: a.valuation_jpy),
        (_("Annual revenue (JPY)"), lambda a: a.revenue_jpy),
        (
            _("Overseas revenue share (%)"),
            lambda a: float(a.overseas_revenue_share) if a.overseas_revenue_share is not None else None,
        ),
        (_("Why this programme?"), lambda a: a.why_programme),
        (_("Website"), lambda a: a.startup.website or ""),
        (_("Pitch deck"), lambda a: a.deck.original_filename if a.deck else ""),
    ]


def rows(applications: Sequence[Application]) -> tuple[list[str], list[list[Any]]]:
    columns = _columns()
    return [header for header, _get in columns], [[get(a) for _h, get in columns] for a in applications]


def response(call: Call, applications: Sequence[Application], fmt: str) -> Response:
    headers, body = rows(applications)
    return spreadsheet_response(headers, body, fmt, stem=f"call-{call.id}-applications", sheet_title=pick(call.title))
