"""Storage housekeeping: find and delete stored objects that no ``StoredFile`` row points at.

Such orphans are rare but possible. An upload's bytes are saved before its row is committed. If the
transaction rolls back, an after-rollback hook deletes the bytes (see :mod:`kakehashi.core.storage`).
The hook cannot run when the process dies between the save and the commit. It also cannot delete
anything while the storage is down, and the same goes for the bytes of a removed file. The
``flask storage cleanup-orphans`` command, run from cron, deletes what these cases leave behind.

Two rules keep it safe:

- Only objects at least ``older_than`` old (an hour by default) are candidates. A younger object may
  be an upload whose transaction has not committed yet.
- Only keys in the form :func:`kakehashi.core.storage.store_upload` generates
  (``<purpose>/<yyyy>/<mm>/<32 hex digits>``, or a local ``….partial`` leftover) are touched. Anything
  else sharing the bucket or directory is never listed as an orphan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from kakehashi.core import audit
from kakehashi.core.db import utcnow
from kakehashi.core.storage import LocalBackend, S3Backend, StoredFile, backend
from kakehashi.extensions import db

DEFAULT_MIN_AGE = timedelta(hours=1)
PAGE_SIZE = 1000
AUDITED_KEYS = 100  # the audit row lists at most this many keys (and always the count)

OUR_KEY = re.compile(r"[A-Za-z0-9_.-]+/\d{4}/\d{2}/[0-9a-f]{32}(\.partial)?")


@dataclass(frozen=True)
class StoredObject:
    key: str  # as in ``StoredFile.key``: without the backend's prefix or root
    modified: datetime  # aware, UTC


def _local_pages(store: LocalBackend) -> Iterator[list[StoredObject]]:
    root = store.root
    if not root.exists():
        return
    page: list[StoredObject] = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        page.append(StoredObject(path.relative_to(root).as_posix(), modified))
        if len(page) >= PAGE_SIZE:
            yield page
            page = []
    if page:
        yield page


def _s3_pages(store: S3Backend) -> Iterator[list[StoredObject]]:
    prefix = f"{store.prefix}/" if store.prefix else ""
    paginator = store.client.get_paginator("list_objects_v2")
    for response in paginator.paginate(Bucket=store.bucket, Prefix=prefix, PaginationConfig={"PageSize": PAGE_SIZE}):
        yield [StoredObject(item["Key"][len(prefix) :], item["LastModified"]) for item in response.get("Contents", [])]


def list_objects(store: Any) -> Iterator[list[StoredObject]]:
    """Every object in ``store``, a page at a time."""
    if isinstance(store, S3Backend):
        return _s3_pages(store)
    if isinstance(store, LocalBackend):
        return _local_pages(store)
    raise TypeError(f"cannot list the objects of {type(store).__name__}")


def find_orphans(
    store: Any = None, *, older_than: timedelta = DEFAULT_MIN_AGE, now: datetime | None = None
) -> Iterator[StoredObject]:
    """Objects of ours, stored at least ``older_than`` before ``now``, that no ``StoredFile`` row names."""
    store = store if store is not None else backend()
    cutoff = (now or utcnow()) - older_than
    for page in list_objects(store):
        candidates = [item for item in page if item.modified <= cutoff and OUR_KEY.fullmatch(item.key)]
        if not candidates:
            continue
        keys = [item.key for item in candidates]
        known = set(db.session.scalars(select(StoredFile.key).where(StoredFile.key.in_(keys))))
        yield from (item for item in candidates if item.key not in known)


def remove_orphans(
    store: Any = None,
    *,
    older_than: timedelta = DEFAULT_MIN_AGE,
    now: datetime | None = None,
    dry_run: bool = False,
) -> list[str]:
    """Delete the orphans :func:`find_orphans` lists (unless ``dry_run``); return their keys.

    Adds an audit row to the current transaction when something was deleted; the caller commits.
    """
    store = store if store is not None else backend()
    orphans = [item.key for item in find_orphans(store, older_than=older_than, now=now)]
    if dry_run or not orphans:
        return orphans
    for key in orphans:
        store.delete(key)
    audit.record(
        None,
        "storage.orphans_removed",
        data={
            "count": len(orphans),
            "keys": orphans[:AUDITED_KEYS],
            "older_than_minutes": older_than // timedelta(minutes=1),
        },
    )
    return orphans
