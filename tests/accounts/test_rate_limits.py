"""Sign-in, registration and password reset are rate-limited per client address."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from tests.factories import UserFactory


def attempt(client, ip="198.51.100.7"):
    return client.post(
        "/login?lang=en",
        data={"email": "hana@example.org", "password": "wrong password"},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_login_attempts_beyond_the_limit_get_a_translated_429(client):
    UserFactory(email="hana@example.org")
    statuses = [attempt(client).status_code for _ in range(10)]
    assert statuses == [200] * 10
    blocked = attempt(client)
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.text
    assert "Retry-After" in blocked.headers
    japanese = client.post("/login?lang=ja", data={}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert japanese.status_code == 429
    assert "リクエストが多すぎます" in japanese.text


def test_the_limit_is_per_client_address(client):
    for _ in range(11):
        attempt(client, ip="198.51.100.7")
    assert attempt(client, ip="203.0.113.9").status_code == 200


def test_reading_the_login_page_is_not_limited(client):
    for _ in range(15):
        attempt(client)
    assert client.get("/login", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200


@pytest.mark.parametrize("path", ["/register", "/password/forgot"])
def test_registration_and_reset_requests_are_limited_too(client, path):
    statuses = [client.post(path, data={}, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("KAKEHASHI_REQUIRE_SERVICES"):
            pytest.fail("redis-server is required in CI (apt-get install redis-server)")
        pytest.skip("redis-server is not installed on this machine")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/13"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_with_redis_the_limit_is_shared_by_every_app_server(another_app, redis_url):
    """Two app servers behind a load balancer count attempts together.

    (One process can only hold one bound limiter, so the two "servers" take turns: each request is
    checked against the shared Redis counter, which is what makes the limit hold across machines.)
    """
    from kakehashi.extensions import limiter

    first = another_app(REDIS_URL=redis_url)
    assert first.config["RATELIMIT_STORAGE_URI"] == redis_url
    second = another_app(REDIS_URL=redis_url)
    for _ in range(5):
        limiter.init_app(first)
        assert attempt(first.test_client()).status_code == 200
        limiter.init_app(second)
        assert attempt(second.test_client()).status_code == 200
    assert attempt(second.test_client()).status_code == 429
    limiter.init_app(first)
    assert attempt(first.test_client()).status_code == 429


def _attempt_through_proxy(client, forwarded_for, proxy="10.0.0.2"):
    return client.post(
        "/login?lang=en",
        data={"email": "hana@example.org", "password": "wrong password"},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": proxy},
    )


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(another_app):
    # Behind a load balancer every request comes from its address: without TRUSTED_PROXIES the whole
    # city would share one sign-in budget; with it, the limit counts the client named by the proxy.
    client = another_app(TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True).test_client()
    for _ in range(11):
        _attempt_through_proxy(client, "198.51.100.7")
    assert _attempt_through_proxy(client, "198.51.100.7").status_code == 429
    assert _attempt_through_proxy(client, "203.0.113.9").status_code == 200


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_escape_the_limit(client):
    for index in range(11):
        _attempt_through_proxy(client, f"203.0.113.{index}", proxy="198.51.100.7")
    assert _attempt_through_proxy(client, "192.0.2.99", proxy="198.51.100.7").status_code == 429
