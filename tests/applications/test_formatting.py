"""The per-render formatters give exactly what the template filters and ``url_for`` give."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import url_for
from flask_babel import force_locale

from kakehashi.applications.formatting import Formats, labels, url_pattern
from kakehashi.applications.judging.models import AssignmentState
from kakehashi.applications.models import ApplicationState
from kakehashi.core.i18n import pick
from kakehashi.core.money import format_money, format_money_compact
from kakehashi.core.timezones import show_date, show_datetime

MOMENTS = [datetime(2025, 1, 1, 0, 0, tzinfo=UTC) + timedelta(hours=7 * i, minutes=13 * i) for i in range(200)]
AMOUNTS = [0, 1, 999, 850_000, 999_999, 1_000_000, 12_345_678, 250_000_000, 1_000_000_000, 3_500_000_000_000]
AMOUNTS += [-5_000_000, Decimal("1234.5"), Decimal("2500000.75")]


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_dates_and_times_read_as_the_filters_write_them(app, locale):
    with app.test_request_context(), force_locale(locale):
        fmt = Formats()
        for moment in MOMENTS:
            for style in ("short", "medium", "long", "yyyy-MM-dd HH:mm"):
                assert fmt.datetime(moment, style) == show_datetime(moment, style)
            for style in ("short", "medium", "long"):
                assert fmt.date(moment, style) == show_date(moment, style)
                assert fmt.date(moment.date(), style) == show_date(moment.date(), style)
        assert fmt.datetime(None) == show_datetime(None) == ""
        assert fmt.date(None) == show_date(None) == ""
        assert fmt.date(date(2026, 4, 1)) == show_date(date(2026, 4, 1))


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_money_reads_as_the_filters_write_it(app, locale):
    with app.test_request_context(), force_locale(locale):
        fmt = Formats()
        for amount in AMOUNTS:
            for currency in ("JPY", "USD", "EUR"):
                assert fmt.money(amount, currency) == format_money(amount, currency)
                assert fmt.money_compact(amount, currency) == format_money_compact(amount, currency)
        assert fmt.money(None) == fmt.money_compact(None) == ""


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_labels_and_texts_are_in_the_viewers_language(app, locale):
    with app.test_request_context(), force_locale(locale):
        fmt = Formats()
        for state in ApplicationState:
            assert fmt.label(state) == str(state.label)
        assert labels(AssignmentState) == {state: str(state.label) for state in AssignmentState}
        assert fmt.localized({"ja": "日本", "en": "Japan"}) == pick({"ja": "日本", "en": "Japan"})


def test_a_url_built_once_matches_url_for_for_every_id(app):
    with app.test_request_context(base_url="https://example.org/prefix"):
        score = url_pattern("judging.score", "assignment_id")
        detail = url_pattern("applications.application_detail", "application_id")
        download = url_pattern("core.download", "file_id")
        for id_ in (1, 7, 42, 987654321, 10**12):
            assert score(id_) == url_for("judging.score", assignment_id=id_)
            assert detail(id_) == url_for("applications.application_detail", application_id=id_)
            assert download(id_) == url_for("core.download", file_id=id_)
