"""Optional malware scanning with a ClamAV daemon (clamd), spoken to over its own socket protocol.

Set ``KAKEHASHI_CLAMAV`` to ``tcp://host:port`` or to the path of clamd's unix socket (``unix:///run/…``
or a plain absolute path) and every upload is streamed to clamd (``zINSTREAM``) before it is stored:

- clamd finds something: the upload is refused with :class:`InfectedFile` (a translated ``DomainError``),
  nothing is stored, and a ``file.infected`` audit row is written even though the request rolls back;
- clamd is unreachable (or answers with an error): the file is stored as *pending* and never served
  until ``flask storage rescan`` (:func:`rescan_pending`) marks it clean, or deletes its bytes and marks
  it infected;
- no scanner configured: files are stored as *not scanned*, as before.
"""

from __future__ import annotations

import io
import logging
import socket
import struct
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from kakehashi.core import audit
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError
from kakehashi.extensions import db

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
DEFAULT_TIMEOUT = 30.0
# Statuses as stored (the values of ``storage.ScanStatus``; that module imports this one).
NOT_SCANNED, CLEAN, PENDING, INFECTED = "not_scanned", "clean", "pending", "infected"


class ScannerUnavailable(Exception):
    """clamd could not be reached, or it could not scan the stream (it said ERROR)."""


class InfectedFile(DomainError):
    def __init__(self, signature: str) -> None:
        self.signature = signature
        super().__init__(
            _l(
                "This file was refused: the virus scanner found malware in it (%(signature)s).",
                signature=signature,
            )
        )


# --- the clamd protocol -----------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    family: int
    target: Any  # (host, port) or a socket path

    @classmethod
    def parse(cls, value: str) -> Address:
        parts = urlsplit(value)
        if parts.scheme == "tcp":
            if not parts.hostname or not parts.port:
                raise ValueError(f"KAKEHASHI_CLAMAV needs a host and a port: {value!r}")
            return cls(socket.AF_INET6 if ":" in parts.hostname else socket.AF_INET, (parts.hostname, parts.port))
        if parts.scheme == "unix":
            return cls(socket.AF_UNIX, unquote(parts.netloc + parts.path))
        if not parts.scheme and value.startswith("/"):
            return cls(socket.AF_UNIX, value)
        raise ValueError(f"KAKEHASHI_CLAMAV must be tcp://host:port or a unix socket path, not {value!r}")

    def connect(self, timeout: float) -> socket.socket:
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(self.target)
        except BaseException:
            sock.close()
            raise
        return sock


def _reply(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def ping(address: str, *, timeout: float = 2.0) -> bool:
    try:
        with Address.parse(address).connect(timeout) as sock:
            sock.sendall(b"zPING\0")
            return _reply(sock) == "PONG"
    except OSError:
        return False


def scan_stream(fileobj: IO[bytes], address: str, *, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """Stream ``fileobj`` to clamd; ``None`` if clean, else the name of what was found.

    Raises :class:`ScannerUnavailable` when clamd cannot be reached or cannot scan the stream (for
    example when the file is over its ``StreamMaxLength``).
    """
    fileobj.seek(0)
    try:
        with Address.parse(address).connect(timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            while chunk := fileobj.read(CHUNK):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            answer = _reply(sock)
    except OSError as error:
        raise ScannerUnavailable(f"clamd at {address}: {error}") from error
    finally:
        fileobj.seek(0)
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if answer.endswith(" FOUND"):
        return answer.removeprefix("stream:").removesuffix(" FOUND").strip() or "unknown"
    if answer.endswith(" OK"):
        return None
    raise ScannerUnavailable(f"clamd at {address} answered {answer!r}")


# --- the policy for uploads -------------------------------------------------------------------


def configured_address() -> str | None:
    return current_app.config.get("CLAMAV") or None


def check_upload(fileobj: IO[bytes], *, by: Any, purpose: str, filename: str) -> str:
    """The scan status a new upload is stored with; raises :class:`InfectedFile` to refuse it."""
    address = configured_address()
    if address is None:
        return NOT_SCANNED
    try:
        found = scan_stream(fileobj, address, timeout=float(current_app.config.get("CLAMAV_TIMEOUT", DEFAULT_TIMEOUT)))
    except ScannerUnavailable as error:
        log.warning("Malware scanner unavailable; the upload is held as pending: %s", error)
        return PENDING
    if found is None:
        return CLEAN
    _audit_refusal(by, {"purpose": purpose, "filename": filename, "signature": found})
    raise InfectedFile(found)


# An infected upload is refused, and the request that sent it rolls back: its audit row must outlive
# that rollback. It is added to the session (kept if the caller commits anyway) and remembered; when
# the transaction ends without committing it, the row is written on a connection of its own.
_REFUSALS = "kakehashi.scanning.refusals"


def _audit_refusal(by: Any, data: dict[str, Any]) -> None:
    row = audit.record(by, "file.infected", None, data)
    values = {
        "at": utcnow(),
        "actor_id": row.actor_id,
        "action": row.action,
        "object_type": None,
        "object_id": None,
        "data": row.data,
        "ip": row.ip,
    }
    db.session().info.setdefault(_REFUSALS, []).append(values)


@event.listens_for(Session, "after_commit")
def _refusals_committed(session: Session) -> None:
    session.info.pop(_REFUSALS, None)


@event.listens_for(Session, "after_transaction_end")
def _refusals_rolled_back(session: Session, transaction: Any) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    rows = session.info.pop(_REFUSALS, None)
    if not rows:
        return
    table = audit.AuditEvent.__table__
    try:
        with session.get_bind().begin() as connection:  # the session's own connection is released by now
            connection.execute(table.insert(), rows)
    except Exception:  # an audit failure must not turn the refusal into a 500
        log.exception("Could not record the refused infected upload(s): %s", rows)


# --- rescanning pending files -----------------------------------------------------------------


def rescan_pending(*, limit: int = 500) -> dict[str, int]:
    """Scan up to ``limit`` pending files again, committing after each; stop at the first scanner failure.

    Clean files become servable. Infected ones lose their bytes (after the commit) and stay as
    ``infected`` rows, since other records point at them; both outcomes are audited. Returns counts:
    ``clean``, ``infected``, ``pending`` (still pending afterwards) and ``unreachable`` (1 if the
    scanner failed part-way).
    """
    from kakehashi.core.storage import ScanStatus, StoredFile, backend

    address = configured_address()
    if address is None:
        raise ScannerUnavailable("KAKEHASHI_CLAMAV is not set")
    timeout = float(current_app.config.get("CLAMAV_TIMEOUT", DEFAULT_TIMEOUT))
    counts = {"clean": 0, "infected": 0, "pending": 0, "unreachable": 0}
    pending = select(StoredFile.id).where(StoredFile.scan_status == ScanStatus.PENDING)
    for file_id in db.session.scalars(pending.order_by(StoredFile.id).limit(limit)).all():
        stored = db.session.get(StoredFile, file_id)
        if stored is None or stored.scan_status is not ScanStatus.PENDING:
            continue
        try:
            data = backend().read(stored.key)
        except Exception:  # a missing object (either backend): leave it pending and say so in the log
            log.exception("Pending file %s (%s) could not be read for rescanning", stored.id, stored.key)
            continue
        try:
            found = scan_stream(io.BytesIO(data), address, timeout=timeout)
        except ScannerUnavailable as error:
            log.warning("Malware scanner unavailable during rescan: %s", error)
            counts["unreachable"] = 1
            break
        result = "clean" if found is None else "infected"
        stored.scan_status = ScanStatus.CLEAN if found is None else ScanStatus.INFECTED
        audit.record(
            None,
            "file.scanned" if found is None else "file.infected",
            stored,
            {"purpose": stored.purpose, "result": result, **({"signature": found} if found else {})},
        )
        db.session.commit()
        if found is not None:
            backend().delete(stored.key)  # only once the row says so: a failed commit keeps the evidence
        counts[result] += 1
    db.session.rollback()
    counts["pending"] = db.session.scalar(select(func.count()).select_from(pending.subquery())) or 0
    return counts
