"""Cohorts, funding and valuation trackers, annual reports and the KPI dashboard."""
