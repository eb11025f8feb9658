"""File storage against a real S3 server: Ceph's radosgw, which enforces what moto does not.

moto (``test_storage.py``) checks neither signatures nor expiry. These tests need a real S3 server.
Run ``.ci/ceph-s3.sh start``, then set ``KAKEHASHI_TEST_S3_ENDPOINT=http://127.0.0.1:7480``
(credentials ``KAKEHASHI_TEST_S3_ACCESS_KEY``/``_SECRET_KEY``, default TESTKEY/TESTSECRET). They
prove that:

- a deck uploaded through the app comes back byte for byte through the presigned redirect;
- the server refuses (403) a presigned URL whose signature, object key, lifetime or disposition was
  changed, and one that has expired;
- an upload the storage refuses (no such bucket, server down) is a clear message on the form, with
  nothing saved, not a 500;
- a database failure after the bytes were stored leaves no object behind, and
  ``flask storage cleanup-orphans`` deletes what a crash leaves behind.

Without the variable they skip, except in CI (``KAKEHASHI_REQUIRE_SERVICES=1``), where they fail.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import boto3
import pytest
import urllib3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Blueprint, Flask, request
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from kakehashi import create_app
from kakehashi.accounts.models import User
from kakehashi.core import permissions, storage
from kakehashi.core.audit import AuditEvent
from kakehashi.core.storage import S3Backend, StoredFile
from kakehashi.core.storage_cli import cleanup_orphans
from kakehashi.core.storage_maintenance import remove_orphans
from kakehashi.extensions import db
from tests.applications.test_applying import complete_answers, field_errors
from tests.conftest import IsolatedClient, make_test_config
from tests.factories import ApplicationFactory, StaffFactory, UserFactory, member_of, pdf_bytes

ENDPOINT = os.environ.get("KAKEHASHI_TEST_S3_ENDPOINT", "")
ACCESS_KEY = os.environ.get("KAKEHASHI_TEST_S3_ACCESS_KEY", "TESTKEY")
SECRET_KEY = os.environ.get("KAKEHASHI_TEST_S3_SECRET_KEY", "TESTSECRET")
REGION = "ap-northeast-1"
S3_CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 2})
JAPANESE_NAME = "事業計画 2026.pdf"
COULD_NOT_STORE = "The file could not be stored, so nothing was saved. Please try again in a few minutes."


@dataclass
class RealS3:
    endpoint: str
    bucket: str
    client: Any

    def list_keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


@pytest.fixture(scope="module")
def real_s3() -> Iterator[RealS3]:
    """A fresh bucket on the real S3 server, and its credentials in the environment while it lives."""
    if not ENDPOINT:
        if os.environ.get("KAKEHASHI_REQUIRE_SERVICES"):
            pytest.fail("KAKEHASHI_TEST_S3_ENDPOINT is not set: CI must start a real S3 server (.ci/ceph-s3.sh start)")
        pytest.skip("no real S3 server: run .ci/ceph-s3.sh start and set KAKEHASHI_TEST_S3_ENDPOINT")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        env.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        env.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        env.setenv("NO_PROXY", "127.0.0.1,localhost")
        # boto3's default session caches the first credentials it finds (moto's fake ones, if the
        # moto tests ran first); the app's clients must read these.
        env.setattr(boto3, "DEFAULT_SESSION", None)
        client = boto3.client("s3", endpoint_url=ENDPOINT, region_name=REGION, config=S3_CONFIG)
        bucket = f"kakehashi-test-{uuid.uuid4().hex[:12]}"
        try:
            client.create_bucket(Bucket=bucket)
        except (BotoCoreError, ClientError) as exc:  # asked for, so its absence is a failure, not a skip
            pytest.fail(f"the S3 server at {ENDPOINT} does not work: {exc}")
        s3 = RealS3(ENDPOINT, bucket, client)
        try:
            yield s3
        finally:
            for key in s3.list_keys():
                client.delete_object(Bucket=bucket, Key=key)
            client.delete_bucket(Bucket=bucket)


def s3_backend(app: Flask, real_s3: RealS3, *, prefix: str, **config: Any) -> S3Backend:
    """Point the app's storage (through its settings, as a deployment would) at the real server."""
    app.config.update(
        {"STORAGE_URL": f"s3://{real_s3.bucket}/{prefix}", "S3_ENDPOINT_URL": real_s3.endpoint, "S3_REGION": REGION}
    )
    app.config.update(config)
    backend = storage.backend_from_config(app.config)
    assert isinstance(backend, S3Backend)
    app.extensions["kakehashi.storage"] = backend
    return backend


@pytest.fixture
def store(app: Flask, real_s3: RealS3) -> Iterator[S3Backend]:
    """The app's storage: an empty prefix of the real server's bucket, for this test only."""
    previous = app.extensions["kakehashi.storage"]
    try:
        yield s3_backend(app, real_s3, prefix=f"tests/{uuid.uuid4().hex}")
    finally:
        app.extensions["kakehashi.storage"] = previous


# --- helpers ----------------------------------------------------------------------------------


def upload(data: bytes, filename: str = JAPANESE_NAME) -> StoredFile:
    return storage.store_upload(FileStorage(stream=BytesIO(data), filename=filename), purpose="test", by=None)


def objects(store: S3Backend, real_s3: RealS3) -> list[str]:
    """The keys under the store's prefix, as the server lists them (not through the app)."""
    return [key.removeprefix(f"{store.prefix}/") for key in real_s3.list_keys(f"{store.prefix}/")]


def stored_rows() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(StoredFile))


def get(url: str) -> Any:
    return urllib3.request("GET", url, timeout=10, redirect=False, retries=False)


def error_code(response: Any) -> str:
    match = re.search(rb"<Code>([^<]+)</Code>", response.data)
    return match.group(1).decode() if match else ""


def presigned_url(client: Any, stored: StoredFile) -> str:
    """The address the app redirects a permitted download to."""
    response = client.get(f"/files/{stored.id}")
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post_deck(client: Any, application: Any, data: bytes, lang: str = "en") -> Any:
    return client.post(
        f"/applications/{application.id}/edit?lang={lang}",
        data={**complete_answers(), "save": "1", "deck": (BytesIO(data), JAPANESE_NAME, "application/pdf")},
        content_type="multipart/form-data",
    )


# --- the round trip ---------------------------------------------------------------------------


def test_deck_uploaded_through_the_app_is_downloaded_byte_for_byte_from_s3(
    client: Any, login_as: Any, store: S3Backend, real_s3: RealS3
) -> None:
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    data = pdf_bytes(3)

    saved = post_deck(client, application, data)

    assert saved.status_code == 302
    db.session.refresh(application)
    deck = application.deck
    assert objects(store, real_s3) == [deck.key]
    head = real_s3.client.head_object(Bucket=real_s3.bucket, Key=f"{store.prefix}/{deck.key}")
    assert (head["ContentType"], head["ContentLength"]) == ("application/pdf", len(data))

    login_as(StaffFactory())
    fetched = get(presigned_url(client, deck))

    assert fetched.status == 200
    assert fetched.data == data
    assert fetched.headers["Content-Type"] == "application/pdf"
    disposition = fetched.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == JAPANESE_NAME


# --- presigned URLs: the server enforces them -------------------------------------------------


def tampered(url: str, change: str, other_key: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    path = parts.path
    if change == "signature":
        query = [(k, (v[:-1] + ("0" if v[-1] != "0" else "1")) if k == "X-Amz-Signature" else v) for k, v in query]
    elif change == "key":
        path = path.rsplit("/", 4)[0] + "/" + other_key
    elif change == "lifetime":
        query = [(k, "300" if k == "X-Amz-Expires" else v) for k, v in query]
    elif change == "disposition":
        query = [(k, "inline" if k == "response-content-disposition" else v) for k, v in query]
    changed = urlunsplit(parts._replace(path=path, query=urlencode(query)))
    assert changed != url
    return changed


@pytest.mark.parametrize("change", ["signature", "key", "lifetime", "disposition"])
def test_a_tampered_presigned_url_is_refused_by_s3(login_as: Any, store: S3Backend, change: str) -> None:
    wanted, other = upload(pdf_bytes(1)), upload(pdf_bytes(2))
    url = presigned_url(login_as(StaffFactory()), wanted)
    assert get(url).status == 200  # the untouched address works

    refused = get(tampered(url, change, other.key))

    assert refused.status == 403
    assert error_code(refused) in {"SignatureDoesNotMatch", "AccessDenied"}
    assert b"%PDF" not in refused.data


def test_an_expired_presigned_url_is_refused_by_s3(
    app: Flask, login_as: Any, store: S3Backend, real_s3: RealS3
) -> None:
    short = s3_backend(app, real_s3, prefix=store.prefix, PRESIGNED_URL_SECONDS=1)
    assert short.presign_seconds == 1
    data = pdf_bytes()
    stored = upload(data)
    client = login_as(StaffFactory())

    url = presigned_url(client, stored)
    assert parse_qsl(urlsplit(url).query).count(("X-Amz-Expires", "1")) == 1
    time.sleep(2)
    expired = get(url)

    assert expired.status == 403
    assert error_code(expired) == "AccessDenied"
    assert b"%PDF" not in expired.data
    fresh = get(presigned_url(client, stored))  # a new download gets a new address, which works
    assert (fresh.status, fresh.data) == (200, data)


# --- the storage fails during an upload -------------------------------------------------------


@pytest.mark.parametrize("fault", ["no-such-bucket", "server-down"])
def test_an_upload_the_storage_refuses_is_a_clear_error_and_nothing_is_saved(
    app: Flask, client: Any, login_as: Any, store: S3Backend, real_s3: RealS3, fault: str
) -> None:
    if fault == "no-such-bucket":
        app.config["STORAGE_URL"] = f"s3://missing-{uuid.uuid4().hex[:12]}/decks"
    else:
        app.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"
    app.extensions["kakehashi.storage"] = storage.backend_from_config(app.config)
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    summary_before = application.company_summary

    response = post_deck(client, application, pdf_bytes())

    assert response.status_code == 200
    assert field_errors(response)["deck"] == str(escape(COULD_NOT_STORE))
    assert "We settle SME invoices instantly." in response.text  # what was typed is still on the form
    db.session.refresh(application)
    assert (application.deck_id, application.company_summary) == (None, summary_before)
    assert stored_rows() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert objects(store, real_s3) == []


# --- a database failure after the bytes were stored -------------------------------------------


def test_a_failed_commit_after_the_upload_leaves_no_object(store: S3Backend, real_s3: RealS3) -> None:
    kept = upload(pdf_bytes())
    taken = UserFactory()
    db.session.commit()

    stored = upload(pdf_bytes(2))
    assert stored.key in objects(store, real_s3)  # the bytes are in S3 before the row is committed
    db.session.add(User(email=taken.email, name="Duplicate", locale="en"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    assert objects(store, real_s3) == [kept.key]
    assert stored_rows() == 1


def test_a_transaction_closed_without_commit_leaves_no_object(store: S3Backend, real_s3: RealS3) -> None:
    stored = upload(pdf_bytes())
    assert objects(store, real_s3) == [stored.key]

    db.session.close()  # what the end of a request that neither commits nor rolls back does

    assert objects(store, real_s3) == []
    assert stored_rows() == 0


@pytest.fixture
def failing_app(app: Flask, real_s3: RealS3, tmp_path: Any) -> Iterator[Flask]:
    """Another app on the same database and bucket, with a test-only route whose transaction fails
    (a unique key taken twice) after it stored the upload."""
    other = create_app(
        make_test_config(
            tmp_path,
            DATABASE_URL=app.config["DATABASE_URL"],
            STORAGE_URL=f"s3://{real_s3.bucket}/tests/{uuid.uuid4().hex}",
            S3_ENDPOINT_URL=real_s3.endpoint,
            S3_REGION=REGION,
        )
    )
    other.test_client_class = IsolatedClient
    probe = Blueprint("failing_upload_probe", __name__)

    @probe.post("/probe/failing-upload")
    @permissions.public
    def failing_upload() -> Any:
        storage.store_upload(request.files["file"], purpose="test", by=None)
        db.session.add(User(email=request.form["taken"], name="Duplicate", locale="en"))
        db.session.commit()  # IntegrityError: the error page rolls back
        return "stored", 201

    other.register_blueprint(probe)
    permissions.check_policy(other)
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_request_that_fails_in_the_database_after_storing_leaves_no_object(
    failing_app: Flask, real_s3: RealS3
) -> None:
    taken = UserFactory()
    prefix = failing_app.extensions["kakehashi.storage"].prefix

    response = failing_app.test_client().post(
        "/probe/failing-upload?lang=en",
        data={"file": (BytesIO(pdf_bytes()), "deck.pdf"), "taken": taken.email},
        content_type="multipart/form-data",
    )

    assert response.status_code == 500
    assert "nothing you sent was half-saved" in response.text
    assert real_s3.list_keys(f"{prefix}/") == []
    assert stored_rows() == 0


# --- orphans ----------------------------------------------------------------------------------


def plant(store: S3Backend, real_s3: RealS3, purpose: str = "test") -> tuple[str, Any]:
    """An object as a crashed upload leaves it: a key of ours with no row. Returns it and its time."""
    key = f"{purpose}/2026/01/{uuid.uuid4().hex}"
    real_s3.client.put_object(Bucket=real_s3.bucket, Key=f"{store.prefix}/{key}", Body=pdf_bytes())
    head = real_s3.client.head_object(Bucket=real_s3.bucket, Key=f"{store.prefix}/{key}")
    return key, head["LastModified"]


def test_cleanup_deletes_orphans_older_than_an_hour_and_nothing_else(store: S3Backend, real_s3: RealS3) -> None:
    referenced = upload(pdf_bytes())
    db.session.commit()
    orphan, planted_at = plant(store, real_s3)
    foreign = f"{store.prefix}/exports/report.csv"  # someone else's object in the same bucket
    real_s3.client.put_object(Bucket=real_s3.bucket, Key=foreign, Body=b"a,b\n")
    outside = f"elsewhere-{uuid.uuid4().hex}/test/2026/01/{uuid.uuid4().hex}"  # outside the prefix
    real_s3.client.put_object(Bucket=real_s3.bucket, Key=outside, Body=b"x")

    assert remove_orphans(now=planted_at + timedelta(minutes=59)) == []
    assert orphan in objects(store, real_s3)

    assert remove_orphans(now=planted_at + timedelta(minutes=61)) == [orphan]

    assert sorted(objects(store, real_s3)) == sorted([referenced.key, "exports/report.csv"])
    assert outside in real_s3.list_keys(outside)
    db.session.commit()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "storage.orphans_removed"))
    assert event.data == {"count": 1, "keys": [orphan], "older_than_minutes": 60}
    real_s3.client.delete_object(Bucket=real_s3.bucket, Key=outside)


def test_cleanup_command_keeps_an_orphan_younger_than_an_hour_and_refuses_a_shorter_age(
    app: Flask, store: S3Backend, real_s3: RealS3
) -> None:
    orphan, _ = plant(store, real_s3)
    runner = app.test_cli_runner()

    fresh = runner.invoke(cleanup_orphans, [])
    assert fresh.exit_code == 0, fresh.output
    assert fresh.output.strip() == "deleted 0 orphaned file(s)"
    assert objects(store, real_s3) == [orphan]

    too_young = runner.invoke(cleanup_orphans, ["--older-than", "1"])
    assert too_young.exit_code != 0
    assert objects(store, real_s3) == [orphan]


def test_a_file_removed_while_s3_is_down_is_committed_and_its_bytes_are_cleaned_up_later(
    app: Flask, store: S3Backend, real_s3: RealS3
) -> None:
    stored = upload(pdf_bytes())
    db.session.commit()
    key = stored.key
    s3_backend(app, real_s3, prefix=store.prefix, S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")

    storage.remove(stored)
    db.session.commit()  # the row is gone; the failed delete is logged, not raised

    assert stored_rows() == 0
    assert objects(store, real_s3) == [key]
    app.extensions["kakehashi.storage"] = store  # the server is reachable again
    when = real_s3.client.head_object(Bucket=real_s3.bucket, Key=f"{store.prefix}/{key}")["LastModified"]
    assert remove_orphans(now=when + timedelta(hours=2)) == [key]
    assert objects(store, real_s3) == []
