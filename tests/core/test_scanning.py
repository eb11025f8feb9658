"""Malware scanning with a real ClamAV daemon (clamd) and a local signature database.

No virus database can be downloaded here, so ``.ci/clamav.sh start`` builds one holding only the EICAR
test signature and starts clamd on a free port on 127.0.0.1 (and a unix socket); these tests start and
stop it themselves. Without clamd installed they are skipped, except under ``KAKEHASHI_REQUIRE_SERVICES=1``
(CI), where they fail. Install it with ``.ci/clamav.sh install`` (Debian's ``clamav-daemon``).

The tests that need no clamd (no scanner configured, a scanner that is down, hangs or answers an error)
always run.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from markupsafe import escape
from pypdf import PdfWriter
from sqlalchemy import select

from kakehashi.core import scanning
from kakehashi.core.audit import AuditEvent
from kakehashi.core.cli import storage_cli
from kakehashi.core.storage import ScanStatus, StoredFile, backend
from kakehashi.extensions import db
from tests.core.pdfs import pdf_bytes
from tests.core.test_upload_matrix import UploadRoute, deck_route, field_error, landing_route, snapshot
from tests.factories import StaffFactory

ROOT = Path(__file__).resolve().parents[2]
# The EICAR anti-malware test file, assembled at run time so that this source file is not "infected".
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Kakehashi.Test.EICAR.UNOFFICIAL"
INFECTED_MESSAGE = f"This file was refused: the virus scanner found malware in it ({SIGNATURE})."
BEING_CHECKED = "This file is still being checked for viruses. Please try again in a few minutes."


def pdf_carrying_eicar() -> bytes:
    """A valid PDF (it passes the type check) with the EICAR file attached."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("eicar.com", EICAR)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- scanners: the real one, one that is down, and misbehaving stand-ins -----------------------------


@dataclass
class Clamd:
    tcp: str
    unix: str


def _clamd_installed() -> bool:
    return shutil.which("clamd") is not None or os.path.exists("/usr/sbin/clamd")


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    if not _clamd_installed():
        if os.environ.get("KAKEHASHI_REQUIRE_SERVICES"):
            pytest.fail("clamd is required in CI (.ci/clamav.sh install)")
        pytest.skip("clamd is not installed on this machine (.ci/clamav.sh install)")
    directory = tmp_path_factory.mktemp("clamd")
    script = str(ROOT / ".ci" / "clamav.sh")
    started = subprocess.run(["bash", script, "start", str(directory)], capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        pytest.fail(f"clamd did not start: {started.stderr}")
    try:
        yield Clamd(tcp=started.stdout.strip().splitlines()[-1], unix=str(directory / "clamd.sock"))
    finally:
        subprocess.run(["bash", script, "stop", str(directory)], check=True, timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def down() -> str:
    """The address of a scanner that is down: a port nothing listens on (chosen now, not at import)."""
    return f"tcp://127.0.0.1:{_free_port()}"


@pytest.fixture
def stand_in() -> Iterator[Any]:
    """A TCP server that reads one scan request, then answers ``reply`` (or, given ``None``, hangs)."""
    servers: list[socket.socket] = []
    done = threading.Event()

    def serve(server: socket.socket, reply: bytes | None) -> None:
        try:
            connection, _ = server.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(5)
            data = b""
            while not data.endswith(b"\0\0\0\0"):  # the zero-length chunk that ends INSTREAM
                chunk = connection.recv(65536)
                if not chunk:
                    break
                data += chunk
            if reply is None:
                done.wait(5)
            else:
                connection.sendall(reply)

    def _start(reply: bytes | None) -> str:
        server = socket.create_server(("127.0.0.1", 0))
        servers.append(server)
        threading.Thread(target=serve, args=(server, reply), daemon=True).start()
        return f"tcp://127.0.0.1:{server.getsockname()[1]}"

    yield _start
    done.set()
    for server in servers:
        server.close()


@pytest.fixture(params=["deck", "landing"])
def route(request: pytest.FixtureRequest, app: Flask, login_as: Any) -> UploadRoute:
    return deck_route(login_as) if request.param == "deck" else landing_route(app, login_as)


def rescan(app: Flask) -> Any:
    db.session.commit()
    result = app.test_cli_runner().invoke(storage_cli, ["rescan"])
    db.session.expire_all()
    return result


def audit_rows(action: str) -> list[AuditEvent]:
    db.session.commit()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def download(client: Any, stored: StoredFile, lang: str = "en") -> Any:
    return client.get(f"/files/{stored.id}?lang={lang}")


# --- the protocol -------------------------------------------------------------------------------------


def test_clamd_finds_the_eicar_file_over_tcp_and_over_its_unix_socket(clamd: Clamd) -> None:
    for address in (clamd.tcp, clamd.unix, f"unix://{clamd.unix}"):
        assert scanning.ping(address)
        assert scanning.scan_stream(io.BytesIO(EICAR), address) == SIGNATURE
        assert scanning.scan_stream(io.BytesIO(pdf_carrying_eicar()), address) == SIGNATURE
        assert scanning.scan_stream(io.BytesIO(pdf_bytes()), address) is None


def test_a_stream_larger_than_one_chunk_is_scanned_whole(clamd: Clamd) -> None:
    data = pdf_bytes(min_size=3 * scanning.CHUNK) + b"\n" + EICAR

    assert scanning.scan_stream(io.BytesIO(data), clamd.tcp) == SIGNATURE


@pytest.mark.parametrize("address", ["clamd:3310", "tcp://127.0.0.1", "http://127.0.0.1:3310", "relative/clamd.sock"])
def test_the_scanner_address_must_be_tcp_host_port_or_a_unix_socket(address: str) -> None:
    with pytest.raises(ValueError, match="KAKEHASHI_CLAMAV"):
        scanning.Address.parse(address)


# --- uploads with the scanner up ----------------------------------------------------------------------


def test_a_clean_pdf_is_accepted_marked_clean_and_downloadable(
    app: Flask, clamd: Clamd, route: UploadRoute, login_as: Any
) -> None:
    app.config["CLAMAV"] = clamd.tcp
    data = pdf_bytes()

    response = route.post(data, "deck.pdf")

    assert response.status_code == 302
    stored = route.stored()
    assert stored.scan_status is ScanStatus.CLEAN
    with download(login_as(StaffFactory()), stored) as served:
        assert (served.status_code, served.data) == (200, data)


@pytest.mark.parametrize(
    "content", [pytest.param(pdf_carrying_eicar, id="pdf-with-eicar"), pytest.param(lambda: EICAR, id="eicar")]
)
def test_an_infected_upload_is_refused_with_a_clear_message_nothing_stored_and_audited(
    app: Flask, clamd: Clamd, route: UploadRoute, content: Any
) -> None:
    app.config["CLAMAV"] = clamd.unix
    before_rows, before_objects = snapshot()

    response = route.post(content(), "invoice.pdf")

    assert response.status_code == 200
    assert field_error(response, route.field) == str(escape(INFECTED_MESSAGE))
    assert route.stored() is None
    [event] = audit_rows("file.infected")
    assert event.data == {"purpose": route.purpose, "filename": "invoice.pdf", "signature": SIGNATURE}
    assert event.actor_id is not None and event.ip == "127.0.0.1"
    after_rows, after_objects = snapshot()
    assert after_objects == before_objects
    assert after_rows == {**before_rows, "audit_event": before_rows["audit_event"] + 1}


def test_the_refusal_is_shown_in_japanese_too(app: Flask, clamd: Clamd, login_as: Any) -> None:
    app.config["CLAMAV"] = clamd.tcp
    route = landing_route(app, login_as)

    response = route.post(EICAR, "eicar.pdf", lang="ja")

    from flask_babel import force_locale

    with force_locale("ja"):
        expected = str(escape(str(scanning.InfectedFile(SIGNATURE))))
    assert '<html lang="ja">' in response.text
    assert field_error(response, route.field) == expected


# --- the scanner down, then the rescan ------------------------------------------------------------------


def test_with_the_scanner_down_an_upload_is_held_pending_and_never_served_until_a_rescan_clears_it(
    app: Flask, clamd: Clamd, route: UploadRoute, login_as: Any
) -> None:
    app.config["CLAMAV"] = down()
    data = pdf_bytes(pages=2)

    response = route.post(data, "deck.pdf")

    assert response.status_code == 302
    stored = route.stored()
    assert stored.scan_status is ScanStatus.PENDING
    assert backend().read(stored.key) == data
    staff = login_as(StaffFactory())
    for lang in ("en", "ja"):
        held = download(staff, stored, lang)
        assert held.status_code == 409
        assert f'<html lang="{lang}">' in held.text
    assert BEING_CHECKED in download(staff, stored).text
    assert audit_rows("file.downloaded") == []

    still_down = rescan(app)
    assert still_down.exit_code == 1
    assert "unreachable" in still_down.output
    assert db.session.get(StoredFile, stored.id).scan_status is ScanStatus.PENDING

    app.config["CLAMAV"] = clamd.tcp
    result = rescan(app)

    assert result.exit_code == 0, result.output
    assert "clean 1, infected 0, still pending 0" in result.output
    assert db.session.get(StoredFile, stored.id).scan_status is ScanStatus.CLEAN
    with download(staff, stored) as served:
        assert (served.status_code, served.data) == (200, data)
    [event] = audit_rows("file.scanned")
    assert (event.object_id, event.data["result"]) == (stored.id, "clean")


def test_a_rescan_deletes_the_bytes_of_an_infected_pending_file_which_is_never_served(
    app: Flask, clamd: Clamd, login_as: Any
) -> None:
    route = landing_route(app, login_as)
    app.config["CLAMAV"] = down()
    assert route.post(pdf_carrying_eicar(), "scan.pdf").status_code == 302
    stored = route.stored()
    assert stored.scan_status is ScanStatus.PENDING

    app.config["CLAMAV"] = clamd.tcp
    result = rescan(app)

    assert "clean 0, infected 1, still pending 0" in result.output
    stored = db.session.get(StoredFile, stored.id)
    assert stored.scan_status is ScanStatus.INFECTED
    assert not backend().exists(stored.key)
    removed = download(login_as(StaffFactory()), stored)
    assert removed.status_code == 410
    assert "This file was removed because the virus scanner found malware in it." in removed.text
    [event] = audit_rows("file.infected")
    assert (event.object_type, event.object_id, event.data["signature"]) == ("stored_file", stored.id, SIGNATURE)


@pytest.mark.parametrize(
    "reply",
    [pytest.param(b"INSTREAM size limit exceeded. ERROR\0", id="error-answer"), pytest.param(None, id="hangs")],
)
def test_a_scanner_that_fails_or_hangs_holds_the_upload_as_pending(
    app: Flask, stand_in: Any, login_as: Any, reply: bytes | None
) -> None:
    route = landing_route(app, login_as)
    app.config["CLAMAV"] = stand_in(reply)
    app.config["CLAMAV_TIMEOUT"] = 0.5

    response = route.post(pdf_bytes(), "passport.pdf")

    assert response.status_code == 302
    assert route.stored().scan_status is ScanStatus.PENDING


def test_with_the_scanner_down_nothing_is_pending_that_failed_the_type_check(app: Flask, login_as: Any) -> None:
    route = landing_route(app, login_as)
    app.config["CLAMAV"] = down()
    before = snapshot()

    response = route.post(b"<html>not a document</html>", "passport.pdf")

    assert response.status_code == 200
    assert snapshot() == before


def test_without_a_scanner_uploads_are_not_scanned_and_are_served(app: Flask, login_as: Any) -> None:
    route = landing_route(app, login_as)
    app.config.pop("CLAMAV", None)
    data = pdf_bytes()

    route.post(data, "passport.pdf")

    stored = route.stored()
    assert stored.scan_status is ScanStatus.NOT_SCANNED
    with download(login_as(StaffFactory()), stored) as served:
        assert (served.status_code, served.data) == (200, data)


def test_rescan_without_a_scanner_configured_says_so(app: Flask) -> None:
    app.config.pop("CLAMAV", None)

    result = rescan(app)

    assert result.exit_code == 1
    assert "KAKEHASHI_CLAMAV is not set" in result.output
