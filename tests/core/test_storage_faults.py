"""Storage faults on the local backend, and ``flask storage cleanup-orphans``.

A failing disk is a clear message with nothing saved. The cleanup deletes only our own objects that
no row names, and only once they are older than the minimum age. The same rules against a real S3
server are in ``test_storage_real_s3.py``.
"""

from __future__ import annotations

import os
import time
import uuid
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from kakehashi.core import storage
from kakehashi.core.audit import AuditEvent
from kakehashi.core.storage import LocalBackend, StorageUnavailable, StoredFile
from kakehashi.core.storage_cli import cleanup_orphans
from kakehashi.extensions import db
from tests.factories import pdf_bytes

TWO_HOURS_AGO = time.time() - 2 * 3600


@pytest.fixture
def store(app: Flask, tmp_path: Path) -> Any:
    previous = app.extensions["kakehashi.storage"]
    app.config["STORAGE_URL"] = f"file://{tmp_path / 'files'}"
    backend = storage.backend_from_config(app.config)
    app.extensions["kakehashi.storage"] = backend
    yield backend
    app.extensions["kakehashi.storage"] = previous


def upload(data: bytes | None = None) -> StoredFile:
    return storage.store_upload(FileStorage(BytesIO(data or pdf_bytes()), filename="deck.pdf"), purpose="test", by=None)


def stored_rows() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(StoredFile))


def files(store: LocalBackend) -> list[str]:
    return sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file())


def plant(store: LocalBackend, key: str, *, age: float | None = TWO_HOURS_AGO) -> str:
    path = store.root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes())
    if age is not None:
        os.utime(path, (age, age))
    return key


def our_key(suffix: str = "") -> str:
    return f"test/2026/01/{uuid.uuid4().hex}{suffix}"


# --- a failing disk ---------------------------------------------------------------------------


def test_an_upload_the_disk_refuses_raises_a_clear_error_and_stores_nothing(app: Flask, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the storage directory should be")
    previous = app.extensions["kakehashi.storage"]
    app.extensions["kakehashi.storage"] = LocalBackend(str(blocked))
    try:
        with pytest.raises(StorageUnavailable) as refused:
            upload()
    finally:
        app.extensions["kakehashi.storage"] = previous

    with force_locale("en"):
        assert str(refused.value) == (
            "The file could not be stored, so nothing was saved. Please try again in a few minutes."
        )
    assert stored_rows() == 0
    assert blocked.read_text() == "a file where the storage directory should be"


# --- cleanup-orphans --------------------------------------------------------------------------


def test_cleanup_deletes_old_orphans_and_partial_writes_and_keeps_everything_else(
    app: Flask, store: LocalBackend
) -> None:
    referenced = upload()
    db.session.commit()
    os.utime(store.root / referenced.key, (TWO_HOURS_AGO, TWO_HOURS_AGO))
    orphan = plant(store, our_key())
    partial = plant(store, our_key(".partial"))  # a write that died half-way
    fresh = plant(store, our_key(), age=None)  # may be an upload whose transaction is still open
    foreign = plant(store, "README.txt")  # not a key we generate

    result = app.test_cli_runner().invoke(cleanup_orphans, [])

    assert result.exit_code == 0, result.output
    *deleted, summary = result.output.splitlines()
    assert sorted(deleted) == sorted(f"deleted {key}" for key in (orphan, partial))
    assert summary == "deleted 2 orphaned file(s)"
    assert files(store) == sorted([referenced.key, fresh, foreign])
    assert stored_rows() == 1
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "storage.orphans_removed"))
    assert event.actor_id is None
    assert event.data["count"] == 2
    assert sorted(event.data["keys"]) == sorted([orphan, partial])


def test_cleanup_dry_run_lists_the_orphans_and_deletes_nothing(app: Flask, store: LocalBackend) -> None:
    orphan = plant(store, our_key())

    result = app.test_cli_runner().invoke(cleanup_orphans, ["--dry-run"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"would delete {orphan}", "would delete 1 orphaned file(s)"]
    assert files(store) == [orphan]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_cleanup_minimum_age_is_configurable_but_never_below_ten_minutes(app: Flask, store: LocalBackend) -> None:
    twenty_minutes_ago = time.time() - 20 * 60
    orphan = plant(store, our_key(), age=twenty_minutes_ago)
    runner = app.test_cli_runner()

    assert runner.invoke(cleanup_orphans, []).output.strip() == "deleted 0 orphaned file(s)"
    refused = runner.invoke(cleanup_orphans, ["--older-than", "5"])
    assert refused.exit_code != 0
    assert "--older-than" in refused.output
    assert files(store) == [orphan]

    deleted = runner.invoke(cleanup_orphans, ["--older-than", "15"])

    assert deleted.output.splitlines()[-1] == "deleted 1 orphaned file(s)"
    assert files(store) == []


def test_cleanup_of_an_empty_or_missing_storage_directory_deletes_nothing(app: Flask, store: LocalBackend) -> None:
    assert not store.root.exists()

    result = app.test_cli_runner().invoke(cleanup_orphans, [])

    assert (result.exit_code, result.output.strip()) == (0, "deleted 0 orphaned file(s)")
