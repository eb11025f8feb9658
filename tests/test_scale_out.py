"""Stateless app servers: two gunicorn processes behind "one address", sharing one PostgreSQL, one S3
server and one Redis, as DESIGN.md section 8 describes.

A browser (a ``requests`` session with one cookie jar) signs in through server A and carries on
through server B with the same cookies. It uploads a deck through B, downloads it through A, and
changes its password through B, which signs its other session out on A. The sign-in rate limit is
counted in Redis: attempts spread over A and B add up, and once the limit is reached both servers
refuse.

Both servers run the production configuration (``KAKEHASHI_ENV=production``: a strong secret, Secure
``__Host-`` cookies, no debug) on the database this test session uses (``DATABASE_URL``). The test
seeds that database and reads it back. S3 is a moto server, or the real S3 server when
``KAKEHASHI_TEST_S3_ENDPOINT`` is set (see ``tests/core/test_storage_real_s3.py``). The servers are
stopped by PID at the end, always.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis
import requests
from botocore.config import Config
from flask import Flask
from moto.server import ThreadedMotoServer

from kakehashi.core.storage import StoredFile
from kakehashi.extensions import db
from tests.applications.test_applying import complete_answers
from tests.factories import PASSWORD, ApplicationFactory, member_of, pdf_bytes

pytestmark = pytest.mark.postgres_only

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REGION = "ap-northeast-1"
NEW_PASSWORD = "a sturdy passphrase for 2026"
CSRF = re.compile(r'name="((?:[\w-]+-)?csrf_token)" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_service(found: bool, what: str) -> None:
    if not found:
        if os.environ.get("KAKEHASHI_REQUIRE_SERVICES"):
            pytest.fail(f"{what} is required in CI")
        pytest.skip(f"{what} is not available on this machine")


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    """Until something accepts connections on ``port`` (for an HTTP server: until a page is served)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server on port {port} exited:\n{tail(log)}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing answered on port {port} within {seconds} s:\n{tail(log)}")


def wait_for_page(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    """Until the app serves ``url``: gunicorn listens before its worker has loaded the app."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server for {url} exited:\n{tail(log)}")
        try:
            if requests.get(url, timeout=seconds).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail(f"{url} was not served within {seconds} s:\n{tail(log)}")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- the shared services ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    require_service(binary is not None, "redis-server (apt-get install redis-server)")
    assert binary is not None
    port, directory = free_port(), tmp_path_factory.mktemp("redis")
    log = directory / "redis.log"
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", directory]
        + ["--logfile", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, log, seconds=20)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


@dataclass
class S3:
    endpoint: str
    bucket: str
    credentials: dict[str, str]


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    """One bucket on the real S3 server if one is configured, else on a moto server started here."""
    endpoint = os.environ.get("KAKEHASHI_TEST_S3_ENDPOINT", "")
    if endpoint:
        key = os.environ.get("KAKEHASHI_TEST_S3_ACCESS_KEY", "TESTKEY")
        secret = os.environ.get("KAKEHASHI_TEST_S3_SECRET_KEY", "TESTSECRET")
    else:
        key = secret = "testing"  # moto accepts anything
    credentials = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    moto = None
    if not endpoint:
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    bucket = f"kakehashi-scale-{uuid.uuid4().hex[:12]}"
    if moto is not None:  # moto wants the region named; radosgw knows only its own zone group
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    else:
        client.create_bucket(Bucket=bucket)
    try:
        yield S3(endpoint, bucket, credentials)
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)
        if moto is not None:
            moto.stop()


@dataclass
class Servers:
    a: str
    b: str
    redis_url: str


@pytest.fixture(scope="module")
def servers(app: Flask, s3: S3, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Two gunicorn servers (one worker each: each its own process) with one production configuration."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    require_service(gunicorn.exists(), "gunicorn in the virtualenv")
    run = tmp_path_factory.mktemp("servers")
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("KAKEHASHI_", "AWS_", "FLASK_"))
    }
    environment.update(
        {
            "KAKEHASHI_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": app.config["DATABASE_URL"],  # the database this test session seeds
            "STORAGE_URL": f"s3://{s3.bucket}/scale-out",
            "KAKEHASHI_S3_ENDPOINT_URL": s3.endpoint,
            "KAKEHASHI_S3_REGION": REGION,
            "REDIS_URL": redis_url,
            "KAKEHASHI_BASE_URL": "https://kakehashi.example",
            # Cheaper password hashing than production's: what is tested here is where state lives.
            "KAKEHASHI_ARGON2_TIME_COST": "1",
            "KAKEHASHI_ARGON2_MEMORY_COST": "8192",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/nonexistent/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
            "NO_PROXY": "127.0.0.1,localhost",
            **s3.credentials,
        }
    )
    started: list[tuple[int, subprocess.Popen[bytes], Path]] = []
    try:
        for name in ("a", "b"):
            port, log = free_port(), run / f"{name}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [
                        str(gunicorn),
                        "--no-control-socket",
                        "--workers",
                        "1",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--timeout",
                        "60",
                        "wsgi:app",
                    ],
                    cwd=PROJECT_ROOT,
                    env=environment,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append((port, process, log))
        for port, process, log in started:
            wait_for_page(f"http://127.0.0.1:{port}/login", process, log)
        yield Servers(*(f"http://127.0.0.1:{port}" for port, _, _ in started), redis_url=redis_url)
    finally:
        for _, process, _ in started:  # gunicorn's quick shutdown (the test is over), both at once
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for _, process, _ in started:
            stop(process)


@pytest.fixture
def fresh_limits(servers: Servers) -> Servers:
    """Each test starts with no attempts counted (tables are emptied between tests; Redis is not)."""
    redis.Redis.from_url(servers.redis_url).flushdb()
    return servers


# --- a browser --------------------------------------------------------------------------------


class Browser(requests.Session):
    """One browser's cookie jar, used against both servers (one host name, as behind a load balancer).

    Production cookies are Secure. A load balancer would end TLS in front of the servers, so the
    browser would send them back. Here the servers speak plain HTTP on 127.0.0.1, so the jar notes
    which cookies came as Secure and then keeps them as plain cookies.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secure_cookies: set[str] = set()

    def send(self, request: Any, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            if cookie.secure:
                self.secure_cookies.add(cookie.name)
                cookie.secure = False
        return response


def browser() -> Browser:
    return Browser()


def csrf_token(page: requests.Response, field: str = "csrf_token") -> str:
    tokens = dict(CSRF.findall(page.text))
    assert field in tokens, f"no {field} on {page.url}"
    return tokens[field]


def sign_in(session: Browser, server: str, email: str, password: str = PASSWORD) -> requests.Response:
    page = session.get(f"{server}/login?lang=en")
    return session.post(
        f"{server}/login?lang=en",
        data={"email": email, "password": password, "csrf_token": csrf_token(page)},
        allow_redirects=False,
    )


def signed_in(session: Browser, server: str) -> bool:
    response = session.get(f"{server}/account?lang=en", allow_redirects=False)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


# --- the journeys -----------------------------------------------------------------------------


def test_a_user_signed_in_on_one_server_carries_on_through_the_other(fresh_limits: Servers) -> None:
    a, b = fresh_limits.a, fresh_limits.b
    application = ApplicationFactory()
    founder = member_of(application.startup, user__name="Hanako Yamada")
    db.session.commit()
    founder_email, application_id = founder.email, application.id

    laptop = browser()
    welcome = sign_in(laptop, a, founder_email)
    assert welcome.status_code == 302
    assert laptop.secure_cookies == {"__Host-session"}

    # Server B knows who this is from the cookie alone.
    assert signed_in(laptop, b)
    assert "Hanako Yamada" in laptop.get(f"{b}/account?lang=en").text

    # Upload through B, with B's form and CSRF token.
    edit = laptop.get(f"{b}/applications/{application_id}/edit?lang=en")
    assert edit.status_code == 200
    data = pdf_bytes(2)
    saved = laptop.post(
        f"{b}/applications/{application_id}/edit?lang=en",
        data={**complete_answers(), "save": "1", "csrf_token": csrf_token(edit)},
        files={"deck": ("事業計画.pdf", data, "application/pdf")},
        allow_redirects=False,
    )
    assert saved.status_code == 302, saved.text[:2000]
    db.session.commit()
    [deck] = db.session.query(StoredFile).all()

    # Download through A: the permission check on A, the bytes from the shared S3.
    download = laptop.get(f"{a}/files/{deck.id}", allow_redirects=False)
    assert download.status_code == 302
    fetched = requests.get(download.headers["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == data

    # A second device, signed in on B, changes the password there: the laptop is signed out on A too.
    phone = browser()
    assert sign_in(phone, b, founder_email).status_code == 302
    profile = phone.get(f"{b}/account?lang=en")
    changed = phone.post(
        f"{b}/account/password?lang=en",
        data={
            "pw-current": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
            "pw-csrf_token": csrf_token(profile, "pw-csrf_token"),
        },
        allow_redirects=False,
    )
    assert changed.status_code == 302, changed.text[:2000]
    assert signed_in(phone, a)
    assert not signed_in(laptop, a)
    assert not signed_in(laptop, b)


def test_the_sign_in_limit_counts_attempts_on_both_servers(fresh_limits: Servers) -> None:
    a, b = fresh_limits.a, fresh_limits.b
    intruder = browser()
    pages = {server: intruder.get(f"{server}/login?lang=en") for server in (a, b)}  # reading is not limited
    tokens = {server: csrf_token(page) for server, page in pages.items()}

    def attempt(server: str) -> requests.Response:
        return intruder.post(
            f"{server}/login?lang=en",
            data={"email": "nobody@example.org", "password": "wrong password", "csrf_token": tokens[server]},
            allow_redirects=False,
        )

    statuses = [attempt(a if n % 2 else b).status_code for n in range(10)]  # five each: under the limit alone
    assert statuses == [200] * 10

    refused = {server: attempt(server) for server in (a, b)}

    for response in refused.values():
        assert response.status_code == 429
        assert "Too many requests" in response.text
        assert "Retry-After" in response.headers
