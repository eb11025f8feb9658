"""Email through an outbox table.

``queue()`` renders a message in the recipient's language and adds an ``OutboundEmail`` row to the
current transaction, so a change and the email it causes commit (or roll back) together. ``send_due()``
delivers queued rows over SMTP when ``MAIL_URL`` is set, records failures and retries them later with
back-off; ``flask outbox send`` runs it from cron. Without ``MAIL_URL`` the rows stay queued and staff
read them on the outbox page (the development set-up).

Delivery is at least once, never silently lost. A run marks its rows sent in the commit that ends it,
so a sender that dies after the SMTP server accepted a message but before that commit sends it again
on the next run. The copy carries the same Message-ID (fixed when the row is queued), by which
receivers drop duplicates. Senders may run at once (cron on several machines, a web worker after its
response): on PostgreSQL each claims its rows with ``FOR UPDATE SKIP LOCKED`` until its commit.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, g, render_template
from flask_babel import force_locale
from sqlalchemy import Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from kakehashi.core.db import UTCDateTime, str_enum, utcnow
from kakehashi.extensions import db

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
AFTER_RESPONSE_LIMIT = 20  # a web worker sends a few right away; cron sends the rest


class EmailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS


class OutboundEmail(db.Model):
    __tablename__ = "outbound_email"
    __table_args__ = (Index("ix_outbound_email_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    to_address: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    status: Mapped[EmailStatus] = mapped_column(
        str_enum(EmailStatus, length=16),
        default=EmailStatus.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str | None] = mapped_column(String(255))


class Recipient(Protocol):
    email: str
    name: str
    locale: str | None


def queue(recipient: Recipient, template: str, **context: Any) -> OutboundEmail:
    """Render ``emails/<template>.subject.txt`` and ``.txt`` in the recipient's language; add the row."""
    locale = recipient.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    # Links in emails are built on BASE_URL, never on the Host header of the current request.
    # A fresh app context keeps the current request's g (signed-in user, locale) untouched.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]), force_locale(locale):
        context = {"recipient": recipient, **context}
        subject = " ".join(render_template(f"emails/{template}.subject.txt", **context).split())
        body = render_template(f"emails/{template}.txt", **context).strip() + "\n"
    email = OutboundEmail(
        to_address=recipient.email,
        to_name=recipient.name,
        locale=locale,
        template=template,
        subject=subject,
        body_text=body,
        # Fixed now, with the row: every attempt (a retry after a crash that followed the SMTP server's
        # acceptance included) carries the same Message-ID, so receivers can drop a duplicate.
        message_id=make_msgid(domain=_message_domain(current_app.config["MAIL_FROM"])),
    )
    db.session.add(email)
    db.session.flush()
    g.outbox_queued = True
    if current_app.debug and not current_app.config.get("MAIL_URL"):
        log.info("Queued email to %s: %s\n%s", recipient.email, subject, body)
    return email


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str  # "none", "starttls" or "ssl"
    timeout: float = 20.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """``smtp://user:pass@host:587?tls=starttls``, ``smtps://host:465``, ``smtp://127.0.0.1:1025``."""
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError("MAIL_URL must start with smtp:// or smtps://")
        query = parse_qs(parts.query)
        security = "ssl" if parts.scheme == "smtps" else query.get("tls", ["none"])[0]
        if security not in {"none", "starttls", "ssl"}:
            raise ValueError("MAIL_URL tls= must be none, starttls or ssl")
        default_port = 465 if security == "ssl" else 587 if security == "starttls" else 25
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or default_port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            security=security,
        )


def build_message(email: OutboundEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((email.to_name or "", email.to_address))
    message["Subject"] = email.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = email.message_id or make_msgid(domain=_message_domain(sender))
    message.set_content(email.body_text)
    message["Content-Language"] = email.locale  # after set_content(), which resets Content-* headers
    return message


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password or "")
    except BaseException:  # refused STARTTLS or login, a TLS or socket error: never leave it open
        client.close()
        raise
    return client


def _message_domain(sender: str) -> str:
    """Message-IDs use the sender's domain, as receiving spam filters expect."""
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "kakehashi.localhost"


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, capped at six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _claim_due(limit: int, now: datetime) -> list[OutboundEmail]:
    query = (
        select(OutboundEmail)
        .where(OutboundEmail.status == EmailStatus.QUEUED, OutboundEmail.next_attempt_at <= now)
        .order_by(OutboundEmail.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Several senders (cron on several machines) never deliver the same row twice.
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


def send_due(limit: int = 100, now: datetime | None = None) -> dict[str, int]:
    """Deliver queued emails that are due. Commits per run; returns counts."""
    url = current_app.config.get("MAIL_URL")
    counts = {"sent": 0, "failed": 0, "retrying": 0}
    if not url:
        return counts
    now = now or utcnow()
    settings = SmtpSettings.from_url(url)
    due = _claim_due(limit, now)
    if not due:
        db.session.commit()
        return counts
    sender = current_app.config["MAIL_FROM"]
    domain = _message_domain(sender)
    client: smtplib.SMTP | None = None
    try:
        for email in due:
            connected = client is not None
            email.attempts += 1
            try:
                if client is None:
                    client = _connect(settings)
                    connected = True
                email.message_id = email.message_id or make_msgid(domain=domain)
                client.send_message(build_message(email, sender))
            except (OSError, smtplib.SMTPException) as exc:
                _record_failure(email, exc, now, counts)
                if not connected:
                    # The server cannot be reached: the rest stay untouched for the next run rather
                    # than each waiting out the connection timeout now.
                    break
                if isinstance(exc, smtplib.SMTPServerDisconnected):
                    client = None
            else:
                email.status = EmailStatus.SENT
                email.sent_at = utcnow()
                email.last_error = None
                counts["sent"] += 1
    finally:
        if client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                client.quit()
    db.session.commit()
    return counts


def _record_failure(email: OutboundEmail, exc: BaseException, now: datetime, counts: dict[str, int]) -> None:
    email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if email.attempts >= MAX_ATTEMPTS:
        email.status = EmailStatus.FAILED
        counts["failed"] += 1
    else:
        email.next_attempt_at = now + retry_delay(email.attempts)
        counts["retrying"] += 1
    log.warning("Email %s to %s failed: %s", email.id, email.to_address, exc)


def retry_now(email: OutboundEmail) -> None:
    """Staff action: put a failed or waiting email back at the front of the queue."""
    email.status = EmailStatus.QUEUED
    email.next_attempt_at = utcnow()
    if email.attempts >= MAX_ATTEMPTS:
        email.attempts = MAX_ATTEMPTS - 1


def init_app(app: Any) -> None:
    """After a response that queued mail is delivered, try to send it at once (cron retries)."""

    @app.after_request
    def _send_after_response(response: Any) -> Any:
        if g.get("outbox_queued") and app.config.get("MAIL_URL") and app.config.get("MAIL_SEND_ON_COMMIT"):

            def _send() -> None:
                with app.app_context():
                    try:
                        send_due(limit=AFTER_RESPONSE_LIMIT)
                    except Exception:  # the cron run retries; never break the response
                        log.exception("sending queued email after the response failed")
                        db.session.rollback()

            response.call_on_close(_send)
        return response
