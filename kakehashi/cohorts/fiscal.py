"""Japanese fiscal years: FY N runs from 1 April N to 31 March N+1."""

from __future__ import annotations

from datetime import date

FISCAL_YEAR_START_MONTH = 4


def fiscal_year_of(day: date) -> int:
    """The fiscal year a day falls in: 31 March 2026 is FY2025, 1 April 2026 is FY2026."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day (both inclusive) of fiscal year ``fy``."""
    return date(fy, FISCAL_YEAR_START_MONTH, 1), date(fy + 1, FISCAL_YEAR_START_MONTH - 1, 31)
