"""core.cache: values derived from watched models are reused until a committed change to those models."""

from __future__ import annotations

from kakehashi.applications.models import Vertical
from kakehashi.core import cache
from kakehashi.extensions import db
from tests.factories import UserFactory, VerticalFactory

cache.watch("test-verticals", Vertical)


def names() -> list[str]:
    return sorted(v.name["en"] for v in db.session.query(Vertical))


def cached_names(calls: list[int]) -> list[str]:
    def compute() -> list[str]:
        calls.append(1)
        return names()

    return cache.cached("test-verticals", "names", compute)


def test_a_value_is_computed_once_until_a_committed_change():
    VerticalFactory(name={"en": "Health", "ja": "医療"})
    db.session.commit()
    calls: list[int] = []
    assert cached_names(calls) == ["Health"]
    assert cached_names(calls) == ["Health"]
    assert len(calls) == 1

    VerticalFactory(name={"en": "Energy", "ja": "エネルギー"})
    db.session.commit()
    assert cached_names(calls) == ["Energy", "Health"]
    assert len(calls) == 2


def test_uncommitted_changes_are_shown_and_never_cached_and_a_rollback_leaves_nothing_stale():
    VerticalFactory(name={"en": "Health", "ja": "医療"})
    db.session.commit()
    calls: list[int] = []
    assert cached_names(calls) == ["Health"]

    db.session.add(Vertical(name={"en": "Energy", "ja": "エネルギー"}))  # in this transaction, not committed
    assert cached_names(calls) == ["Energy", "Health"]  # the transaction's own data
    db.session.rollback()

    assert cached_names(calls) == ["Health"]
    VerticalFactory(name={"en": "Mobility", "ja": "モビリティ"})
    db.session.commit()
    assert cached_names(calls) == ["Health", "Mobility"]


def test_a_change_to_a_row_not_watched_keeps_the_value():
    VerticalFactory(name={"en": "Health", "ja": "医療"})
    db.session.commit()
    calls: list[int] = []
    cached_names(calls)
    UserFactory()
    db.session.commit()
    cached_names(calls)
    assert len(calls) == 1


def test_a_bulk_write_outside_the_orm_shows_once_invalidate_all_is_called():
    from sqlalchemy import update

    vertical = VerticalFactory(name={"en": "Health", "ja": "医療"})
    db.session.commit()
    calls: list[int] = []
    assert cached_names(calls) == ["Health"]
    table = Vertical.__table__
    db.session.execute(update(table).where(table.c.id == vertical.id).values(name={"en": "Bulk", "ja": "一括"}))
    db.session.commit()  # a Core statement: no session event saw which model it changed
    assert cached_names(calls) == ["Health"]
    cache.invalidate_all()  # what a bulk loader calls (bench/generate.py)
    db.session.commit()
    assert cached_names(calls) == ["Bulk"]
    assert len(calls) == 2


def test_nothing_is_shared_before_the_namespace_has_a_token():
    VerticalFactory(name={"en": "Health", "ja": "医療"})
    db.session.commit()
    db.session.execute(cache.CacheVersion.__table__.delete())  # e.g. a database emptied outside the app
    db.session.commit()
    calls: list[int] = []
    assert cached_names(calls) == ["Health"]
    assert cached_names(calls) == ["Health"]
    assert len(calls) == 2


def test_a_namespace_with_a_byte_budget_keeps_the_newest_values_within_it():
    cache.watch("test-bytes", Vertical, max_entries=10, max_bytes=250)
    VerticalFactory()
    db.session.commit()
    for number in range(4):
        current, _value = cache.lookup("test-bytes", number)
        cache.store("test-bytes", current, number, bytes(100))
    kept = [number for number in range(4) if cache.lookup("test-bytes", number)[1] is not cache.MISSING]
    assert kept == [2, 3]  # 200 of the 250 bytes; the oldest went first
    cache.store("test-bytes", current, "too big", bytes(251))
    assert cache.lookup("test-bytes", "too big")[1] is cache.MISSING
    assert cache.lookup("test-bytes", 3)[1] == bytes(100)
