"""File storage: uploads are checked by size and content, keys are the server's, downloads are guarded.

Most tests run twice, on the local-directory backend and on the S3 backend against a moto server
(started once for this module on a free port; it does not check signatures or expiry, so these tests
prove what we ask S3 for, not that S3 enforces it).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
import urllib3
from botocore.config import Config
from flask import Blueprint, Flask, request
from flask_babel import force_locale
from moto.server import ThreadedMotoServer
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from kakehashi import create_app
from kakehashi.core import permissions, storage
from kakehashi.core.audit import AuditEvent
from kakehashi.core.storage import FileTooLarge, InvalidFileType, LocalBackend, S3Backend, StoredFile
from kakehashi.extensions import db
from tests.conftest import IsolatedClient, make_test_config
from tests.core.pdfs import PDF_MAGIC_THEN_GARBAGE, PLAIN_TEXT, PNG_HEADER, pdf_bytes, pdf_without_pages
from tests.factories import StaffFactory, UserFactory

REGION = "ap-northeast-1"
BUCKET = "kakehashi-test"
JAPANESE_NAME = "事業計画 2026.pdf"
S3_CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "path"})

# --- the S3 server and the backend under test -------------------------------------------------


@dataclass
class MotoS3:
    endpoint: str
    bucket: str
    client: Any


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[MotoS3]:
    """A moto S3 server on 127.0.0.1 with one bucket, and fake credentials for as long as it runs."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_SESSION_TOKEN", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        env.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        env.setenv("NO_PROXY", "127.0.0.1,localhost")
        env.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, config=S3_CONFIG)
            client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            yield MotoS3(endpoint, BUCKET, client)
        finally:
            server.stop()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Iterator[Any]:
    """The app's storage, switched (through ``STORAGE_URL``) to an empty local directory or S3 prefix."""
    if request.param == "s3":
        s3: MotoS3 = request.getfixturevalue("moto_s3")
        app.config["STORAGE_URL"] = f"s3://{s3.bucket}/tests/{uuid.uuid4().hex}"
        app.config["S3_ENDPOINT_URL"] = s3.endpoint
        app.config["S3_REGION"] = REGION
    else:
        app.config["STORAGE_URL"] = f"file://{tmp_path / 'files'}"
    backend = storage.backend_from_config(app.config)
    assert isinstance(backend, S3Backend if request.param == "s3" else LocalBackend)
    previous = app.extensions["kakehashi.storage"]
    app.extensions["kakehashi.storage"] = backend
    try:
        yield backend
    finally:
        app.extensions["kakehashi.storage"] = previous


local_only = pytest.mark.parametrize("store", ["local"], indirect=True)
s3_only = pytest.mark.parametrize("store", ["s3"], indirect=True)


@pytest.fixture(autouse=True)
def no_test_download_rule() -> Iterator[None]:
    storage._download_rules.pop("test", None)
    yield
    storage._download_rules.pop("test", None)


# --- helpers ----------------------------------------------------------------------------------


def upload(data: bytes, filename: str = JAPANESE_NAME, *, by: Any = None, **kwargs: Any) -> StoredFile:
    return storage.store_upload(FileStorage(stream=BytesIO(data), filename=filename), purpose="test", by=by, **kwargs)


def stored_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(StoredFile))


def assert_nothing_stored(backend: Any) -> None:
    assert backend.count() == 0
    assert stored_rows() == 0


def download_events() -> list[AuditEvent]:
    db.session.commit()
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "file.downloaded").order_by(AuditEvent.id))
    )


def utf8_filename(content_disposition: str) -> str:
    match = re.search(r"filename\*=UTF-8''([^;\s]+)", content_disposition)
    assert match, content_disposition
    return unquote(match.group(1))


def follow(response: Any) -> tuple[bytes, Any]:
    """What the browser ends up with: the body on the local backend, the presigned URL's on S3."""
    if response.status_code == 200:
        with response:  # a streamed file stays open until the response is closed, as a WSGI server would
            return response.data, response.headers
    assert response.status_code == 302
    fetched = urllib3.request("GET", response.headers["Location"], timeout=5, redirect=False)
    assert fetched.status == 200
    return fetched.data, fetched.headers


# --- storing ----------------------------------------------------------------------------------


def test_pdf_round_trips_with_its_japanese_name_and_a_server_generated_key(store: Any) -> None:
    founder = UserFactory()
    data = pdf_bytes(pages=2)

    stored = upload(data, by=founder)
    db.session.commit()

    assert store.read(stored.key) == data
    assert stored.original_filename == JAPANESE_NAME
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.content_type == "application/pdf"
    assert stored.uploaded_by_id == founder.id
    assert stored.purpose == "test"
    assert stored.key.startswith("test/")
    assert "事業計画" not in stored.key and "2026.pdf" not in stored.key and ".pdf" not in stored.key
    assert store.count() == 1
    if isinstance(store, S3Backend):
        assert store.original_filename(stored.key) == JAPANESE_NAME
        head = store.client.head_object(Bucket=store.bucket, Key=f"{store.prefix}/{stored.key}")
        assert head["ContentType"] == "application/pdf"
    else:
        assert (store.root / stored.key).read_bytes() == data
        assert [p.name for p in store.root.rglob("*") if p.is_file()] == [stored.key.rsplit("/", 1)[-1]]


def test_two_uploads_of_the_same_file_get_different_keys(store: Any) -> None:
    data = pdf_bytes()
    first, second = upload(data), upload(data)
    assert first.key != second.key
    assert store.count() == 2


def test_oversize_upload_is_refused_and_nothing_is_stored(store: Any) -> None:
    data = pdf_bytes(min_size=3000)

    with pytest.raises(FileTooLarge) as refused:
        upload(data, max_bytes=1024)

    assert isinstance(refused.value, RequestEntityTooLarge)
    assert refused.value.code == 413
    assert_nothing_stored(store)


def test_upload_exactly_at_the_limit_is_accepted_and_one_byte_less_is_not(store: Any) -> None:
    data = pdf_bytes()

    with pytest.raises(FileTooLarge):
        upload(data, max_bytes=len(data) - 1)
    assert_nothing_stored(store)

    stored = upload(data, max_bytes=len(data))
    assert store.read(stored.key) == data


@local_only
def test_configured_upload_limit_applies_when_the_caller_sets_none(app: Flask, store: Any) -> None:
    app.config["UPLOAD_MAX_BYTES"] = 1024

    with pytest.raises(FileTooLarge):
        upload(pdf_bytes(min_size=2048))

    assert_nothing_stored(store)


class EndlessStream:
    """An upload that never ends; counts how much of it was read."""

    def __init__(self) -> None:
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "the upload must be read in chunks, never whole"
        self.consumed += size
        return b"%PDF-" + b"0" * (size - 5)


@local_only
def test_oversize_upload_is_refused_without_reading_the_rest_of_the_stream(store: Any) -> None:
    stream = EndlessStream()

    with pytest.raises(FileTooLarge):
        storage.store_upload(
            FileStorage(stream=stream, filename="huge.pdf"), purpose="test", by=None, max_bytes=100_000
        )

    assert stream.consumed <= 100_000 + storage.CHUNK
    assert_nothing_stored(store)


@pytest.mark.parametrize(
    "content",
    [PNG_HEADER, PLAIN_TEXT, PDF_MAGIC_THEN_GARBAGE, pdf_without_pages(), b""],
    ids=["png-renamed-pdf", "plain-text", "pdf-magic-then-garbage", "pdf-with-no-pages", "empty"],
)
def test_file_that_is_not_a_readable_pdf_is_refused_and_nothing_is_stored(store: Any, content: bytes) -> None:
    with pytest.raises(InvalidFileType) as refused:
        upload(content, filename="deck.pdf")

    with force_locale("en"):  # the message is lazy: it speaks the language of whoever reads it
        assert "not a readable PDF" in str(refused.value)
    assert_nothing_stored(store)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\temp\\deck.pdf", "deck.pdf"),
        ("/srv/uploads/../事業計画.pdf", "事業計画.pdf"),
        ("deck\r\n\x00\x1b.pdf", "deck.pdf"),
        ("../", "document.pdf"),
        ("", "document.pdf"),
    ],
    ids=["dot-dot-posix", "windows-path", "absolute-japanese", "control-characters", "only-a-path", "no-name"],
)
def test_path_in_the_filename_is_reduced_to_its_base_name(store: Any, given: str, kept: str) -> None:
    stored = upload(pdf_bytes(), filename=given)

    assert stored.original_filename == kept
    assert ".." not in stored.key and "passwd" not in stored.key and "\\" not in stored.key
    if isinstance(store, S3Backend):
        assert store.original_filename(stored.key) == kept
    else:
        files = [p for p in store.root.rglob("*") if p.is_file()]
        assert files == [(store.root / stored.key).resolve()]


@local_only
def test_ideographic_space_in_a_japanese_filename_survives(store: Any) -> None:
    stored = upload(pdf_bytes(), filename="事業計画\u3000最終版.pdf")

    assert stored.original_filename == "事業計画\u3000最終版.pdf"


# --- downloading through /files/<id> ----------------------------------------------------------


@local_only
def test_anonymous_download_is_sent_to_log_in(client: Any, store: Any) -> None:
    stored = upload(pdf_bytes())

    response = client.get(f"/files/{stored.id}")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [f"/files/{stored.id}"]
    assert download_events() == []


def test_signed_in_user_without_a_rule_gets_the_same_404_as_for_a_missing_file(login_as: Any, store: Any) -> None:
    stored = upload(pdf_bytes())
    client = login_as(UserFactory())

    hidden = client.get(f"/files/{stored.id}")
    missing = client.get(f"/files/{stored.id + 1000}")

    assert hidden.status_code == missing.status_code == 404

    # The same page but for the address echoed in the language switcher (and the sign-out form's CSRF
    # token, which is timestamped: two requests a second apart carry different ones).
    def page(response: Any, file_id: int) -> str:
        return re.sub(r'name="csrf_token" value="[^"]+"', "", response.text.replace(f"/files/{file_id}", "/files/N"))

    assert page(hidden, stored.id) == page(missing, stored.id + 1000)
    assert "Location" not in hidden.headers
    assert download_events() == []


def test_staff_download_is_an_attachment_with_the_utf8_name_and_the_exact_bytes(login_as: Any, store: Any) -> None:
    staff = StaffFactory()
    data = pdf_bytes(pages=3)
    stored = upload(data)
    client = login_as(staff)

    response = client.get(f"/files/{stored.id}")

    assert response.headers["Cache-Control"] == "private, no-store"
    body, headers = follow(response)
    assert body == data
    assert headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''" in headers["Content-Disposition"]
    assert utf8_filename(headers["Content-Disposition"]) == JAPANESE_NAME
    assert headers["Content-Type"].startswith("application/pdf")
    if isinstance(store, LocalBackend):
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.data != data  # the bytes come from S3, not through the app
    [event] = download_events()
    assert (event.actor_id, event.object_type, event.object_id) == (staff.id, "stored_file", stored.id)
    assert event.data == {"purpose": "test"}


@s3_only
def test_s3_download_redirects_to_a_short_lived_presigned_attachment_url(login_as: Any, store: Any) -> None:
    stored = upload(pdf_bytes())
    client = login_as(StaffFactory())

    response = client.get(f"/files/{stored.id}")

    assert response.status_code == 302
    url = urlsplit(response.headers["Location"])
    query = parse_qs(url.query)
    assert url.path == f"/{store.bucket}/{store.prefix}/{stored.key}"
    assert 0 < int(query["X-Amz-Expires"][0]) <= 300
    assert int(query["X-Amz-Expires"][0]) == 120  # PRESIGNED_URL_SECONDS default
    [disposition] = query["response-content-disposition"]
    assert disposition.startswith("attachment;")
    assert utf8_filename(disposition) == JAPANESE_NAME
    assert query["response-content-type"] == ["application/pdf"]
    assert "X-Amz-Signature" in query


def test_download_rule_lets_the_users_it_names_download(login_as: Any, store: Any) -> None:
    owner, other = UserFactory(), UserFactory()
    data = pdf_bytes()
    stored = upload(data, by=owner)
    storage.register_download_rule("test", lambda user, f: f.uploaded_by_id == user.id)

    allowed = login_as(owner).get(f"/files/{stored.id}")
    body, _ = follow(allowed)
    assert body == data
    refused = login_as(other).get(f"/files/{stored.id}")
    assert refused.status_code == 404

    assert [event.actor_id for event in download_events()] == [owner.id]


@local_only
def test_each_download_is_audited(login_as: Any, store: Any) -> None:
    staff = StaffFactory()
    stored = upload(pdf_bytes())
    client = login_as(staff)

    for _ in range(3):
        with client.get(f"/files/{stored.id}") as response:
            assert response.status_code == 200

    events = download_events()
    assert len(events) == 3
    assert {(e.actor_id, e.object_id) for e in events} == {(staff.id, stored.id)}


# --- the 413 over HTTP ------------------------------------------------------------------------


@pytest.fixture
def upload_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app (same database) with a test-only upload route that allows 1 KiB."""
    other = create_app(make_test_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"]))
    other.test_client_class = IsolatedClient
    probe = Blueprint("storage_probe", __name__)

    @probe.post("/probe/deck")
    @permissions.public
    def upload_deck() -> Any:
        stored = storage.store_upload(request.files["deck"], purpose="test", by=None, max_bytes=1024)
        db.session.commit()
        return {"id": stored.id}, 201

    other.register_blueprint(probe)
    permissions.check_policy(other)
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


def post_deck(client: Any, data: bytes, query: str = "") -> Any:
    return client.post(
        f"/probe/deck{query}",
        data={"deck": (BytesIO(data), JAPANESE_NAME, "application/pdf")},
        content_type="multipart/form-data",
    )


def test_small_pdf_posted_over_http_is_stored(upload_app: Flask) -> None:
    data = pdf_bytes()
    assert len(data) <= 1024

    response = post_deck(upload_app.test_client(), data)

    assert response.status_code == 201
    stored = db.session.get(StoredFile, response.json["id"])
    assert (stored.original_filename, stored.size) == (JAPANESE_NAME, len(data))
    assert upload_app.extensions["kakehashi.storage"].read(stored.key) == data


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_oversize_upload_over_http_shows_the_translated_413_page(upload_app: Flask, lang: str) -> None:
    data = pdf_bytes(min_size=5 * 1024)

    response = post_deck(upload_app.test_client(), data, f"?lang={lang}")

    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert f'<html lang="{lang}">' in response.text
    expected = {
        "en": ("File too large", "The file is larger than the limit of 1 KB."),
        "ja": ("ファイルサイズが大きすぎます", "ファイルが上限（1 KB）を超えています。"),
    }[lang]
    assert expected[0] in response.text
    assert expected[1] in response.text
    assert_nothing_stored(upload_app.extensions["kakehashi.storage"])


def test_request_over_the_content_length_ceiling_shows_the_413_page(upload_app: Flask) -> None:
    upload_app.config["MAX_CONTENT_LENGTH"] = 2048

    response = post_deck(upload_app.test_client(), pdf_bytes(min_size=5 * 1024), "?lang=en")

    assert response.status_code == 413
    assert "File too large" in response.text
    assert "The upload is larger than the size limit." in response.text
    assert_nothing_stored(upload_app.extensions["kakehashi.storage"])


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://files.example/decks", "gs://bucket/prefix", "/var/lib/kakehashi/files"])
def test_backend_from_config_refuses_an_unknown_scheme(url: str) -> None:
    with pytest.raises(ValueError, match="STORAGE_URL"):
        storage.backend_from_config({"STORAGE_URL": url})


def test_backend_from_config_reads_bucket_prefix_and_caps_presigned_lifetime(moto_s3: MotoS3) -> None:
    backend = storage.backend_from_config(
        {
            "STORAGE_URL": "s3://decks-bucket/kakehashi/prod/",
            "S3_ENDPOINT_URL": moto_s3.endpoint,
            "S3_REGION": REGION,
            "PRESIGNED_URL_SECONDS": 3600,
        }
    )

    assert isinstance(backend, S3Backend)
    assert (backend.bucket, backend.prefix, backend.presign_seconds) == ("decks-bucket", "kakehashi/prod", 300)


@s3_only
def test_presigned_urls_never_last_more_than_five_minutes(app: Flask, login_as: Any, store: S3Backend) -> None:
    capped = S3Backend(
        store.bucket, store.prefix, endpoint_url=app.config["S3_ENDPOINT_URL"], region=REGION, presign_seconds=3600
    )
    assert capped.presign_seconds == storage.MAX_PRESIGN_SECONDS == 300
    app.extensions["kakehashi.storage"] = capped  # the ``store`` fixture restores the app's own
    data = pdf_bytes()
    stored = upload(data)

    response = login_as(StaffFactory()).get(f"/files/{stored.id}")

    assert parse_qs(urlsplit(response.headers["Location"]).query)["X-Amz-Expires"] == ["300"]
    assert follow(response)[0] == data


# --- removing ---------------------------------------------------------------------------------


def test_removed_file_loses_its_row_now_and_its_bytes_after_commit(store: Any) -> None:
    stored = upload(pdf_bytes())
    db.session.commit()
    key = stored.key

    storage.remove(stored)
    assert store.exists(key)  # not before the commit
    db.session.commit()

    assert not store.exists(key)
    assert stored_rows() == 0


@local_only
def test_rolled_back_removal_keeps_the_bytes_through_later_commits(store: Any) -> None:
    stored = upload(pdf_bytes())
    db.session.commit()
    key = stored.key

    storage.remove(stored)
    db.session.rollback()
    assert store.exists(key)
    UserFactory()  # some later, unrelated transaction on the same session commits

    assert stored_rows() == 1
    assert store.exists(key)
