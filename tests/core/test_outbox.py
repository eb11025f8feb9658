"""Email through the outbox, delivered to a real SMTP server (aiosmtpd on 127.0.0.1).

What is asserted is what a recipient finds in the mailbox (envelope, headers, decoded body) and what
staff see on the outbox (status, attempts, last error), not how our code gets there.
"""

from __future__ import annotations

import gc
import logging
import socket
import ssl
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import getaddresses
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from flask_babel import force_locale, gettext

from kakehashi.core.db import utcnow
from kakehashi.core.outbox import MAX_ATTEMPTS, EmailStatus, OutboundEmail, SmtpSettings, queue, send_due
from kakehashi.extensions import db
from tests.factories import PASSWORD, StaffFactory, UserFactory

RESET_SUBJECT = "Choose a new password for Kakehashi"
VERIFY_SUBJECT = "Confirm your email address for Kakehashi"
NOTHING = {"sent": 0, "retrying": 0, "failed": 0}
SMTP_USER = "mailer"
SMTP_PASSWORD = "p@ss"  # '@' must be percent-encoded in MAIL_URL

# aiosmtpd warns (UserWarning, from its server thread) whenever AUTH is required without TLS. The
# test server is plain on purpose (127.0.0.1 only); the warning says nothing about our code.
allow_plain_auth = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


# --- a real SMTP server ------------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd's Controller cannot take port=0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Delivered:
    """One message as the mail server received it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None  # the SMTP AUTH login of the session that delivered it
    tls: bool  # whether the session was encrypted (STARTTLS or implicit TLS)

    @property
    def body(self) -> str:
        return self.message.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends

    def __getitem__(self, header: str) -> Any:
        return self.message[header]


@dataclass
class Inbox:
    """The aiosmtpd handler: keeps every accepted message; refuses the recipients in ``refuse``."""

    messages: list[Delivered] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=email_policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login.decode() if session.authenticated else None
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.messages.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), message, login, tls))
        return "250 Message accepted for delivery"


@dataclass
class MailServer:
    inbox: Inbox
    port: int

    @property
    def messages(self) -> list[Delivered]:
        return self.inbox.messages

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def check_password(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    # handled=False: aiosmtpd answers 235/535 itself (handled=True on a failure hangs the client).
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@contextmanager
def running_server(**smtp_options: Any) -> Iterator[MailServer]:
    server = MailServer(Inbox(), free_port())
    controller = Controller(server.inbox, hostname="127.0.0.1", port=server.port, **smtp_options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def mail_server(app: Flask) -> Iterator[MailServer]:
    """A live SMTP server, and MAIL_URL pointing at it (the config is restored after the test)."""
    with running_server() as server:
        app.config["MAIL_URL"] = server.url
        yield server


@pytest.fixture
def auth_mail_server(app: Flask) -> Iterator[MailServer]:
    """A live SMTP server that takes mail only after AUTH as ``mailer`` / ``p@ss``."""
    with running_server(authenticator=check_password, auth_required=True, auth_require_tls=False) as server:
        yield server


@pytest.fixture
def mail_server_down(app: Flask) -> str:
    """MAIL_URL pointing at a port where nothing listens: every connection is refused."""
    url = f"smtp://127.0.0.1:{free_port()}"
    app.config["MAIL_URL"] = url
    return url


def reload(email: OutboundEmail) -> OutboundEmail:
    """The row as it is stored now (what a later request or cron run would see)."""
    db.session.commit()
    db.session.refresh(email)
    return email


def queue_reset_email(user: Any, token: str = "t") -> OutboundEmail:
    email = queue(user, "accounts/reset_password", token=token)
    db.session.commit()
    return email


def give_up_on(email: OutboundEmail) -> None:
    """Let cron fail MAX_ATTEMPTS times (MAIL_URL must point at a dead server)."""
    for _ in range(MAX_ATTEMPTS):
        send_due(now=reload(email).next_attempt_at)
    assert reload(email).status == EmailStatus.FAILED


# --- the transaction --------------------------------------------------------------------------------


def test_email_queued_in_a_rolled_back_transaction_is_never_sent(mail_server, outbox):
    user = UserFactory()

    queue(user, "accounts/reset_password", token="t")
    db.session.rollback()

    assert outbox() == []
    assert send_due() == NOTHING
    assert mail_server.messages == []


# --- delivery ----------------------------------------------------------------------------------------


def test_send_due_delivers_the_email_over_smtp_exactly_once(app, mail_server, outbox):
    user = UserFactory(name="山田 花子", email="hanako@example.org", locale="en")
    email = queue_reset_email(user, token="tok-123")

    assert send_due() == {"sent": 1, "retrying": 0, "failed": 0}

    [delivered] = mail_server.messages
    assert delivered.rcpt_tos == ["hanako@example.org"]
    assert getaddresses([str(delivered["To"])]) == [("山田 花子", "hanako@example.org")]
    assert str(delivered["From"]) == app.config["MAIL_FROM"]
    assert delivered.mail_from == "no-reply@kakehashi.localhost"
    assert str(delivered["Subject"]) == RESET_SUBJECT
    assert delivered.message.get_content_type() == "text/plain"
    assert delivered.message.get_content_charset() == "utf-8"
    assert delivered.body.startswith("Hello 山田 花子,\n")  # non-ASCII survives the trip
    assert "http://kakehashi.test/password/reset/tok-123\n" in delivered.body

    email = reload(email)
    assert email.status == EmailStatus.SENT
    assert email.sent_at is not None
    assert email.attempts == 1
    assert email.last_error is None
    assert email.message_id and str(delivered["Message-ID"]) == email.message_id

    assert send_due() == NOTHING
    assert send_due(now=utcnow() + timedelta(days=30)) == NOTHING
    assert len(mail_server.messages) == 1


def test_each_queued_email_reaches_its_own_recipient_in_one_run(mail_server):
    users = UserFactory.create_batch(3)
    for user in users:
        queue_reset_email(user)

    assert send_due()["sent"] == 3

    assert [d.rcpt_tos for d in mail_server.messages] == [[u.email] for u in users]


def test_send_due_respects_its_limit(mail_server, outbox):
    for user in UserFactory.create_batch(3):
        queue_reset_email(user)

    assert send_due(limit=2)["sent"] == 2
    assert [e.status for e in outbox()] == [EmailStatus.SENT, EmailStatus.SENT, EmailStatus.QUEUED]
    assert send_due(limit=2)["sent"] == 1
    assert len(mail_server.messages) == 3


def test_without_mail_url_emails_stay_queued_for_the_staff_outbox(outbox):
    queue_reset_email(UserFactory())

    assert send_due() == NOTHING
    assert [e.status for e in outbox()] == [EmailStatus.QUEUED]


def test_delivered_email_carries_the_date_it_was_sent(mail_server):
    queue_reset_email(UserFactory())
    before = utcnow().replace(microsecond=0)
    send_due()

    [delivered] = mail_server.messages
    assert delivered["Date"] is not None
    assert before <= delivered["Date"].datetime <= utcnow()


# --- language and links -----------------------------------------------------------------------------


def test_email_is_in_the_recipients_language_with_links_on_base_url_not_the_host_header(
    client, mail_server, outbox, app
):
    app.config["MAIL_SEND_ON_COMMIT"] = False  # leave it for cron, to read it first
    UserFactory(email="taro@example.org", name="山田 太郎", locale="ja")

    response = client.post(
        "/password/forgot",
        data={"email": "taro@example.org"},
        headers={"Host": "evil.example", "Accept-Language": "en"},  # the browser's language is not the recipient's
    )
    assert response.status_code == 302

    [email] = outbox()
    assert email.locale == "ja"
    with force_locale("ja"):  # whatever the catalogue says today
        assert email.subject == gettext(RESET_SUBJECT)
        greeting = gettext("Hello %(name)s,", name="山田 太郎")
    assert email.body_text.startswith(greeting)
    assert "http://kakehashi.test/password/reset/" in email.body_text
    assert "evil.example" not in email.body_text

    send_due()
    [delivered] = mail_server.messages
    assert str(delivered["Subject"]) == email.subject
    assert delivered.body.startswith(greeting)
    assert "http://kakehashi.test/password/reset/" in delivered.body
    assert "evil.example" not in delivered.message.as_string()


def test_english_speaking_recipient_gets_english(mail_server):
    queue_reset_email(UserFactory(locale="en"))
    send_due()

    [delivered] = mail_server.messages
    assert str(delivered["Subject"]) == RESET_SUBJECT
    assert delivered.body.startswith("Hello ")


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_delivered_email_declares_the_recipients_language(mail_server, locale):
    queue_reset_email(UserFactory(locale=locale))
    send_due()

    [delivered] = mail_server.messages
    assert delivered["Content-Language"] == locale


# --- failures and retries ----------------------------------------------------------------------------


def test_failed_delivery_is_recorded_and_retried_later_with_back_off(mail_server_down, outbox):
    email = queue_reset_email(UserFactory())
    start = utcnow()

    assert send_due(now=start) == {"sent": 0, "retrying": 1, "failed": 0}

    email = reload(email)
    assert email.status == EmailStatus.QUEUED
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert email.next_attempt_at > start
    assert email.sent_at is None

    # Not due yet: nothing is tried.
    assert send_due(now=email.next_attempt_at - timedelta(seconds=1)) == NOTHING
    assert reload(email).attempts == 1

    # Each failure waits longer than the one before.
    waits = []
    for attempt in range(2, MAX_ATTEMPTS):
        due_at = email.next_attempt_at
        assert send_due(now=due_at)["retrying"] == 1
        email = reload(email)
        assert email.attempts == attempt
        waits.append(email.next_attempt_at - due_at)
    assert waits == sorted(waits) and waits[0] < waits[-1]

    # The last allowed attempt gives up for good.
    assert send_due(now=email.next_attempt_at) == {"sent": 0, "retrying": 0, "failed": 1}
    email = reload(email)
    assert email.status == EmailStatus.FAILED
    assert email.attempts == MAX_ATTEMPTS
    assert email.last_error
    assert send_due(now=utcnow() + timedelta(days=365)) == NOTHING
    assert reload(email).attempts == MAX_ATTEMPTS


def test_an_unreachable_server_is_tried_once_per_run_not_once_per_email(mail_server_down, outbox):
    first, second, third = (queue_reset_email(UserFactory()) for _ in range(3))

    assert send_due() == {"sent": 0, "retrying": 1, "failed": 0}

    assert [reload(e).attempts for e in (first, second, third)] == [1, 0, 0]
    assert reload(second).last_error is None  # untouched: the next run tries it


def test_email_is_delivered_once_the_mail_server_is_back(app, mail_server, outbox):
    email = queue_reset_email(UserFactory())
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    send_due()
    assert mail_server.messages == []

    app.config["MAIL_URL"] = mail_server.url
    assert send_due() == NOTHING  # still waiting for its next attempt
    assert send_due(now=reload(email).next_attempt_at + timedelta(seconds=1))["sent"] == 1

    assert len(mail_server.messages) == 1
    email = reload(email)
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    assert email.last_error is None
    assert str(mail_server.messages[0]["Message-ID"]) == email.message_id


def test_a_refused_recipient_does_not_hold_up_the_others(mail_server, outbox):
    bounced, fine = UserFactory(email="gone@example.org"), UserFactory(email="here@example.org")
    mail_server.inbox.refuse.add("gone@example.org")
    queue_reset_email(bounced)
    queue_reset_email(fine)

    assert send_due() == {"sent": 1, "retrying": 1, "failed": 0}

    assert [d.rcpt_tos for d in mail_server.messages] == [["here@example.org"]]
    refused, sent = outbox()
    assert (refused.status, sent.status) == (EmailStatus.QUEUED, EmailStatus.SENT)
    assert "gone@example.org" in refused.last_error and "No such mailbox" in refused.last_error


# --- SMTP AUTH -------------------------------------------------------------------------------------


@allow_plain_auth
def test_logs_in_with_the_credentials_in_mail_url(app, auth_mail_server, outbox):
    app.config["MAIL_URL"] = f"smtp://{SMTP_USER}:p%40ss@127.0.0.1:{auth_mail_server.port}"
    queue_reset_email(UserFactory(email="founder@example.org"))

    assert send_due()["sent"] == 1

    [delivered] = auth_mail_server.messages
    assert delivered.login == SMTP_USER
    assert delivered.rcpt_tos == ["founder@example.org"]
    assert [e.status for e in outbox()] == [EmailStatus.SENT]


@contextmanager
def leaked_sockets() -> Iterator[list[warnings.WarningMessage]]:
    """Collect the ResourceWarnings of connections dropped without being closed inside the block."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        leaks: list[warnings.WarningMessage] = []
        yield leaks
        gc.collect()  # a failed login's traceback holds the client in a reference cycle
        leaks.extend(w for w in caught if issubclass(w.category, ResourceWarning))


@pytest.fixture
def unlogged_failures(caplog: pytest.LogCaptureFixture) -> None:
    """Keep send_due's failure warnings out of pytest's log capture: a captured record holds the
    exception, whose traceback holds the SMTP client, which would outlive ``leaked_sockets()``."""
    caplog.set_level(logging.ERROR, logger="kakehashi.core.outbox")


@allow_plain_auth
@pytest.mark.parametrize(
    ("credentials", "error"),
    [("mailer:wrong@", "SMTPAuthenticationError"), ("", "SMTPSenderRefused")],
    ids=["wrong-password", "no-credentials"],
)
def test_a_login_the_server_refuses_is_a_recorded_failure(app, auth_mail_server, outbox, credentials, error):
    app.config["MAIL_URL"] = f"smtp://{credentials}127.0.0.1:{auth_mail_server.port}"
    queue_reset_email(UserFactory())

    assert send_due() == {"sent": 0, "retrying": 1, "failed": 0}

    assert auth_mail_server.messages == []
    [email] = outbox()
    assert email.status == EmailStatus.QUEUED
    assert email.attempts == 1
    assert error in email.last_error


@allow_plain_auth
@pytest.mark.usefixtures("unlogged_failures")
@pytest.mark.parametrize(
    "mail_url",
    [
        "smtp://mailer:wrong@127.0.0.1:{port}",
        "smtp://127.0.0.1:{port}?tls=starttls",  # the test server offers no STARTTLS
    ],
    ids=["refused-login", "no-starttls"],
)
def test_a_connection_that_fails_to_set_up_is_closed(app, auth_mail_server, mail_url):
    app.config["MAIL_URL"] = mail_url.format(port=auth_mail_server.port)
    queue_reset_email(UserFactory())

    with leaked_sockets() as leaks:
        assert send_due()["retrying"] == 1

    assert [str(w.message) for w in leaks] == []


# --- TLS ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (certificate, key) PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def server_tls(server_certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*server_certificate)
    return context


@pytest.fixture
def trust_server_certificate(server_certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test certificate the machine's only trusted CA (OpenSSL reads SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(server_certificate[0]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@pytest.mark.usefixtures("trust_server_certificate")
def test_starttls_in_mail_url_encrypts_the_session(app, server_tls):
    with running_server(tls_context=server_tls, require_starttls=True) as server:
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{server.port}?tls=starttls"
        queue_reset_email(UserFactory(email="secret@example.org"))

        assert send_due()["sent"] == 1

    [delivered] = server.messages
    assert delivered.tls
    assert delivered.rcpt_tos == ["secret@example.org"]


@pytest.mark.usefixtures("trust_server_certificate")
def test_smtps_in_mail_url_speaks_tls_from_the_first_byte(app, server_tls):
    with running_server(ssl_context=server_tls) as server:
        app.config["MAIL_URL"] = f"smtps://127.0.0.1:{server.port}"
        queue_reset_email(UserFactory(email="secret@example.org"))

        assert send_due()["sent"] == 1

    [delivered] = server.messages
    assert delivered.tls
    assert delivered.rcpt_tos == ["secret@example.org"]


def test_an_untrusted_server_certificate_is_a_recorded_failure_not_a_silent_downgrade(app, server_tls, outbox):
    with running_server(tls_context=server_tls) as server:
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{server.port}?tls=starttls"
        queue_reset_email(UserFactory())

        assert send_due()["retrying"] == 1

    assert server.messages == []
    [email] = outbox()
    assert email.status == EmailStatus.QUEUED
    assert "CERTIFICATE_VERIFY_FAILED" in email.last_error


@pytest.mark.usefixtures("unlogged_failures")
def test_a_server_without_starttls_is_a_recorded_failure_never_clear_text(app, mail_server, outbox):
    app.config["MAIL_URL"] = f"{mail_server.url}?tls=starttls"  # the server offers no STARTTLS
    queue_reset_email(UserFactory())

    assert send_due()["retrying"] == 1

    assert mail_server.messages == []
    [email] = outbox()
    assert email.status == EmailStatus.QUEUED
    assert "SMTPNotSupportedError" in email.last_error and "STARTTLS" in email.last_error


# --- flask outbox send ------------------------------------------------------------------------------


def test_cli_sends_due_emails_and_prints_counts(app, mail_server, outbox):
    queue_reset_email(UserFactory(email="a@example.org"))
    queue_reset_email(UserFactory(email="b@example.org"))

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 2, retrying 0, failed 0"
    assert sorted(d.rcpt_tos[0] for d in mail_server.messages) == ["a@example.org", "b@example.org"]
    assert {e.status for e in outbox()} == {EmailStatus.SENT}


def test_cli_reports_failures_in_its_counts(app, mail_server_down):
    queue_reset_email(UserFactory())

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 0, retrying 1, failed 0"


def test_cli_without_mail_url_fails_with_a_clear_message(app, outbox):
    queue_reset_email(UserFactory())

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code != 0
    assert "MAIL_URL is not set" in result.output
    assert [e.status for e in outbox()] == [EmailStatus.QUEUED]


# --- sending right after the response ---------------------------------------------------------------


def test_password_reset_email_arrives_once_the_response_is_closed(client, mail_server, outbox):
    UserFactory(email="kenji@example.org")

    response = client.post("/password/forgot", data={"email": "kenji@example.org"})
    assert response.status_code == 302
    assert mail_server.messages == []  # the visitor is not kept waiting for SMTP

    response.close()  # what the WSGI server does once the response is out

    [delivered] = mail_server.messages
    assert delivered.rcpt_tos == ["kenji@example.org"]
    assert str(delivered["Subject"]) == RESET_SUBJECT
    assert [e.status for e in outbox()] == [EmailStatus.SENT]


def test_registration_confirmation_arrives_after_the_response(client, mail_server, outbox):
    response = client.post(
        "/register",
        data={
            "name": "Aiko",
            "email": "aiko@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "locale": "en",
        },
    )
    assert response.status_code == 302, response.text
    response.close()

    [delivered] = mail_server.messages
    assert delivered.rcpt_tos == ["aiko@example.org"]
    assert str(delivered["Subject"]) == VERIFY_SUBJECT
    assert "http://kakehashi.test/verify/" in delivered.body
    assert [e.status for e in outbox()] == [EmailStatus.SENT]


def test_a_request_that_queues_nothing_sends_nothing(client, mail_server, outbox):
    email = queue_reset_email(UserFactory())  # due, waiting for cron

    response = client.post("/password/forgot", data={"email": "nobody@example.org"})
    response.close()

    assert mail_server.messages == []
    assert reload(email).status == EmailStatus.QUEUED


def test_with_send_on_commit_off_the_email_waits_for_cron(app, client, mail_server, outbox):
    app.config["MAIL_SEND_ON_COMMIT"] = False
    UserFactory(email="kenji@example.org")

    client.post("/password/forgot", data={"email": "kenji@example.org"}).close()

    assert mail_server.messages == []
    assert [e.status for e in outbox()] == [EmailStatus.QUEUED]


def test_a_mail_server_outage_after_the_response_is_recorded_not_raised(client, mail_server_down, outbox):
    UserFactory(email="kenji@example.org")

    response = client.post("/password/forgot", data={"email": "kenji@example.org"})
    response.close()

    assert response.status_code == 302
    [email] = outbox()
    assert email.status == EmailStatus.QUEUED
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error


# --- the staff outbox pages ----------------------------------------------------------------------


def test_staff_outbox_lists_emails_with_their_status(app, login_as, mail_server, outbox):
    queue_reset_email(UserFactory(email="delivered@example.org"))
    send_due()
    failing = queue_reset_email(UserFactory(email="failing@example.org"))
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    give_up_on(failing)
    queue_reset_email(UserFactory(email="waiting@example.org"))

    client = login_as(StaffFactory())
    response = client.get("/admin/outbox")

    assert response.status_code == 200
    rows = response.text.split("<tbody>")[1].split("</tr>")
    assert "waiting@example.org" in rows[0] and "Queued" in rows[0]  # newest first
    assert "failing@example.org" in rows[1] and "Failed" in rows[1] and f"<td>{MAX_ATTEMPTS}</td>" in rows[1]
    assert "delivered@example.org" in rows[2] and "Sent" in rows[2]
    assert response.text.count(RESET_SUBJECT) >= 3


def test_staff_outbox_filters_by_status(login_as, mail_server, outbox):
    queue_reset_email(UserFactory(email="delivered@example.org"))
    send_due()
    queue_reset_email(UserFactory(email="pending@example.org"))

    client = login_as(StaffFactory())
    response = client.get("/admin/outbox?status=queued")

    assert response.status_code == 200
    assert "pending@example.org" in response.text
    assert "delivered@example.org" not in response.text


def test_staff_reads_an_email_and_its_last_error(login_as, mail_server_down):
    user = UserFactory(email="reader@example.org", name="Reader")
    email = queue_reset_email(user, token="the-token")
    send_due()

    client = login_as(StaffFactory())
    response = client.get(f"/admin/outbox/{email.id}")

    assert response.status_code == 200
    assert RESET_SUBJECT in response.text
    assert "http://kakehashi.test/password/reset/the-token" in response.text
    assert "Hello Reader," in response.text
    assert "ConnectionRefusedError" in response.text


def test_unknown_email_is_404_for_staff(login_as):
    assert login_as(StaffFactory()).get("/admin/outbox/999999").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/admin/outbox"), ("get", "/admin/outbox/{id}"), ("post", "/admin/outbox/{id}/retry")],
)
def test_outbox_pages_are_forbidden_to_non_staff(login_as, outbox, method, path):
    email = queue_reset_email(UserFactory())
    client = login_as(UserFactory())

    response = getattr(client, method)(path.format(id=email.id))

    assert response.status_code == 403
    assert [(e.status, e.attempts) for e in outbox()] == [(EmailStatus.QUEUED, 0)]


def test_outbox_pages_send_anonymous_visitors_to_log_in(client):
    response = client.get("/admin/outbox")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_staff_retry_requeues_a_failed_email_which_then_arrives(app, login_as, mail_server, outbox):
    email = queue_reset_email(UserFactory(email="retry@example.org"))
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    give_up_on(email)
    app.config["MAIL_URL"] = mail_server.url
    assert send_due(now=utcnow() + timedelta(days=1)) == NOTHING  # cron alone never retries it

    client = login_as(StaffFactory())
    response = client.post(f"/admin/outbox/{email.id}/retry")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/outbox/{email.id}")

    email = reload(email)
    assert email.status == EmailStatus.QUEUED
    assert email.next_attempt_at <= utcnow()

    assert send_due()["sent"] == 1  # the next cron run
    assert [d.rcpt_tos for d in mail_server.messages] == [["retry@example.org"]]
    assert reload(email).status == EmailStatus.SENT


def test_retry_of_a_failed_email_gets_one_more_attempt_not_a_fresh_eight(app, login_as, mail_server_down):
    email = queue_reset_email(UserFactory())
    give_up_on(email)

    login_as(StaffFactory()).post(f"/admin/outbox/{email.id}/retry")

    assert send_due()["failed"] == 1
    assert reload(email).status == EmailStatus.FAILED


def test_retry_of_a_sent_email_does_not_send_it_twice(login_as, mail_server):
    email = queue_reset_email(UserFactory())
    send_due()

    response = login_as(StaffFactory()).post(f"/admin/outbox/{email.id}/retry")

    assert response.status_code == 302
    assert reload(email).status == EmailStatus.SENT
    assert send_due() == NOTHING
    assert len(mail_server.messages) == 1


# --- MAIL_URL ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", SmtpSettings("127.0.0.1", 1025, None, None, "none")),
        ("smtp://mail.example.org", SmtpSettings("mail.example.org", 25, None, None, "none")),
        (
            "smtp://apikey:s%40cr%2Ft%3A@smtp.example.org:587?tls=starttls",
            SmtpSettings("smtp.example.org", 587, "apikey", "s@cr/t:", "starttls"),
        ),
        ("smtp://smtp.example.org?tls=starttls", SmtpSettings("smtp.example.org", 587, None, None, "starttls")),
        ("smtps://u:p@smtp.example.org", SmtpSettings("smtp.example.org", 465, "u", "p", "ssl")),
        ("smtps://smtp.example.org:2465", SmtpSettings("smtp.example.org", 2465, None, None, "ssl")),
        ("smtp://smtp.example.org?tls=ssl", SmtpSettings("smtp.example.org", 465, None, None, "ssl")),
    ],
)
def test_mail_url_is_parsed(url, expected):
    assert SmtpSettings.from_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["http://mail.example.org", "mailto:someone@example.org", "127.0.0.1:25", "smtp://mail.example.org?tls=maybe"],
)
def test_mail_url_other_than_smtp_is_refused(url):
    with pytest.raises(ValueError, match="MAIL_URL"):
        SmtpSettings.from_url(url)
