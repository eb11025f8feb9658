import datetime as dt

import pytest
import time_machine

# Tokyo noon on 1 May 2026 (a Friday): the partners tests' "today".
NOW = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 1)


@pytest.fixture(autouse=True)
def frozen_today(request):
    if request.node.get_closest_marker("postgres_only"):
        yield  # threads and real waits: leave the clock alone
        return
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _in_english(english):
    """Refusals are matched in English."""
