"""Account operations. Each takes objects and the acting user, changes state, audits, queues mail,
and flushes; the caller commits."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import date
from functools import cache
from types import SimpleNamespace
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from kakehashi.accounts.models import Invitation, InvitedRole, MemberRole, Startup, StartupMember, User
from kakehashi.core import audit, outbox
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError
from kakehashi.extensions import db

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


class EmailTaken(DomainError):
    def __init__(self) -> None:
        super().__init__(
            _l("An account with this email address already exists. Try logging in or resetting your password.")
        )


class InvalidToken(DomainError):
    def __init__(self, expired: bool = False) -> None:
        super().__init__(
            _l("This link has expired. Please ask for a new one.")
            if expired
            else _l("This link is not valid or has already been used.")
        )


class WeakPassword(DomainError):
    pass


class CannotChangeOwnAccount(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("You cannot remove your own staff rights or deactivate your own account."))


# --- passwords ----------------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"])


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why a password is not acceptable, or None. The password itself is never altered."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        return str(_l("Use at most %(n)d characters.", n=MAX_PASSWORD_LENGTH))
    if password.lower() in _common_passwords():
        return str(_l("This password is too common. Choose one that others are unlikely to use."))
    if email and password.lower() in {email.lower(), email.split("@", 1)[0].lower()}:
        return str(_l("Do not use your email address as your password."))
    return None


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, email=user.email)
    if problem:
        raise WeakPassword(problem)
    user.password_hash = _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


_DUMMY_HASH: dict[str, str] = {}


def _burn_equal_time(password: str) -> None:
    """Hash anyway when the account does not exist, so timing does not reveal which emails exist."""
    hasher = _hasher()
    key = f"{hasher.time_cost}:{hasher.memory_cost}"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hasher.hash("not-a-real-password")
    with contextlib.suppress(VerificationError):
        hasher.verify(_DUMMY_HASH[key], password)


# --- tokens -------------------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"kakehashi.{purpose}")


def _fingerprint(user: User) -> str:
    """Changes when the password or session version changes, which makes a used token worthless."""
    material = f"{user.password_hash or '-'}|{user.session_version}|{user.email}"
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def make_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_from_token(token: str, purpose: str) -> User:
    max_age = current_app.config["TOKEN_MAX_AGE_SECONDS"][purpose]
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken(expired=True) from exc
    except BadSignature as exc:
        raise InvalidToken() from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        raise InvalidToken()
    return user


# --- look-ups -----------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _ensure_email_free(email: str) -> None:
    if find_user_by_email(email) is not None:
        raise EmailTaken()


# --- operations ---------------------------------------------------------------------------------


def register(*, email: str, name: str, password: str, locale: str) -> User:
    _ensure_email_free(email)
    user = User(email=normalise_email(email), name=name.strip(), locale=locale, session_version=1)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    audit.record(user, "user.registered", user)
    send_verification(user)
    return user


def send_verification(user: User) -> None:
    outbox.queue(user, "accounts/verify_email", token=make_token(user, "verify"))


def verify_email(token: str) -> User:
    user = user_from_token(token, "verify")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record(user, "user.email_verified", user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. Inactive accounts never authenticate."""
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        _burn_equal_time(password)
        return None
    if not check_password(user, password) or not user.active:
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    audit.record(user, "user.login", user)


def reauthenticate(user: User, password: str) -> bool:
    """The signed-in user typed their password again (``core.freshness``): True, and audited, if it is right."""
    if not check_password(user, password):
        return False
    audit.record(user, "user.reauthenticated", user)
    return True


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists. Says nothing either way (no account discovery)."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    if not user.has_password:  # an invitation not yet accepted: send the invitation again instead
        with contextlib.suppress(InvalidToken):
            resend_invitation(user, by=None)
        return
    outbox.queue(user, "accounts/reset_password", token=make_token(user, "reset"))
    audit.record(None, "user.password_reset_requested", user)


def reset_password(token: str, password: str) -> User:
    user = user_from_token(token, "reset")
    set_password(user, password)
    _end_other_sessions(user)
    # Following an emailed link proves the address.
    user.email_verified_at = user.email_verified_at or utcnow()
    audit.record(user, "user.password_reset", user)
    return user


def change_password(user: User, *, current: str, new: str) -> None:
    if not check_password(user, current):
        raise WeakPassword(_l("Your current password is not correct."))
    set_password(user, new)
    _end_other_sessions(user)
    audit.record(user, "user.password_changed", user)


def change_email(user: User, *, current: str, new_email: str) -> None:
    """A new sign-in address: it must be confirmed again; the old address is told, other sessions end."""
    if not check_password(user, current):
        raise WeakPassword(_l("Your current password is not correct."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        return
    _ensure_email_free(new_email)
    old_address = SimpleNamespace(email=user.email, name=user.name, locale=user.locale)
    user.email = new_email
    user.email_verified_at = None
    _end_other_sessions(user)
    audit.record(user, "user.email_changed", user)
    outbox.queue(old_address, "accounts/email_changed", new_email=new_email)
    send_verification(user)


def _end_other_sessions(user: User) -> None:
    """Every session and remember-me cookie issued before now stops working.

    The caller logs the current browser in again so only the *other* sessions end.
    """
    user.session_version += 1


def update_profile(user: User, *, name: str, locale: str) -> None:
    changes = {}
    if user.name != name.strip():
        changes["name"] = name.strip()
    if user.locale != locale:
        changes["locale"] = locale
    for field, value in changes.items():
        setattr(user, field, value)
    if changes:
        audit.record(user, "user.profile_updated", user, changes)


def invite(*, email: str, name: str, role: InvitedRole, locale: str, by: User, purpose: Any = None) -> User:
    """Create an account without a password and email a link to choose one.

    ``purpose`` (localised text, e.g. a call's title) tells the person what they are invited for.
    """
    _ensure_email_free(email)
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        locale=locale,
        is_staff=role is InvitedRole.STAFF,
        session_version=1,
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(Invitation(user_id=user.id, role=role, invited_by_id=by.id))
    db.session.flush()
    audit.record(by, "user.invited", user, {"role": role.value})
    _queue_invitation(user, role, by, purpose)
    return user


def _queue_invitation(user: User, role: InvitedRole, by: User | None, purpose: Any = None) -> None:
    outbox.queue(
        user,
        "accounts/invitation",
        token=make_token(user, "invite"),
        purpose=purpose,
        role=role,
        inviter=by.name if by else None,
    )


def resend_invitation(user: User, *, by: User | None) -> None:
    invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == user.id))
    if invitation is None or invitation.accepted_at is not None:
        raise InvalidToken()
    _queue_invitation(user, invitation.role, by)
    audit.record(by, "user.invitation_resent", user)


def accept_invitation(token: str, password: str) -> User:
    user = user_from_token(token, "invite")
    if user.has_password:
        raise InvalidToken()
    set_password(user, password)
    now = utcnow()
    user.email_verified_at = user.email_verified_at or now
    invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == user.id))
    if invitation is not None:
        invitation.accepted_at = now
    audit.record(user, "user.invitation_accepted", user)
    return user


def set_active(user: User, active: bool, *, by: User) -> None:
    if user.id == by.id and not active:
        raise CannotChangeOwnAccount()
    if user.active == active:
        return
    user.active = active
    if not active:
        _end_other_sessions(user)
    audit.record(by, "user.activated" if active else "user.deactivated", user)


def set_staff(user: User, is_staff: bool, *, by: User) -> None:
    if user.id == by.id and not is_staff:
        raise CannotChangeOwnAccount()
    if user.is_staff == is_staff:
        return
    user.is_staff = is_staff
    audit.record(by, "user.staff_granted" if is_staff else "user.staff_revoked", user)


def create_staff(email: str, name: str, password: str, locale: str = "ja") -> User:
    """For ``flask users create-staff``: a verified, active staff account (or promote an existing one)."""
    user = find_user_by_email(email)
    if user is None:
        user = User(email=normalise_email(email), name=name, locale=locale, session_version=1)
        db.session.add(user)
    set_password(user, password)
    user.is_staff = True
    user.active = True
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.flush()
    audit.record(None, "user.staff_created", user)
    return user


# --- startups ----------------------------------------------------------------------------------


class AlreadyMember(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("This person is already a member of the startup."))


def create_startup(
    *, founder: User, name: dict[str, str], country: str, website: str | None, founded_on: date | None
) -> Startup:
    """A new startup with its creator as founder. Outside Japan means overseas."""
    country = country.upper()
    startup = Startup(
        name=name, country=country, website=website or None, founded_on=founded_on, is_overseas=country != "JP"
    )
    db.session.add(startup)
    db.session.flush()
    db.session.add(StartupMember(startup_id=startup.id, user_id=founder.id, role=MemberRole.FOUNDER))
    audit.record(founder, "startup.created", startup)
    db.session.flush()
    _forget_memberships()
    return startup


def update_startup(
    startup: Startup, *, by: User, name: dict[str, str], country: str, website: str | None, founded_on: date | None
) -> None:
    country = country.upper()
    startup.name = name
    startup.country = country
    startup.website = website or None
    startup.founded_on = founded_on
    startup.is_overseas = country != "JP"
    audit.record(by, "startup.updated", startup)


def add_member(startup: Startup, *, email: str, name: str, locale: str, by: User) -> User:
    """Add a teammate: an existing account joins at once; a new address gets an invitation."""
    user = find_user_by_email(email)
    if user is None:
        user = invite(email=email, name=name, role=InvitedRole.STARTUP_MEMBER, locale=locale, by=by)
    elif db.session.scalar(
        select(StartupMember.id).where(StartupMember.startup_id == startup.id, StartupMember.user_id == user.id)
    ):
        raise AlreadyMember()
    else:
        outbox.queue(user, "accounts/added_to_startup", startup=startup, inviter=by.name)
    db.session.add(StartupMember(startup_id=startup.id, user_id=user.id, role=MemberRole.MEMBER))
    audit.record(by, "startup.member_added", startup, {"user_id": user.id})
    db.session.flush()
    _forget_memberships()
    return user


def _forget_memberships() -> None:
    """Membership facts are cached per request (accounts.permissions); a change invalidates them."""
    if has_app_context():
        g.pop("_startup_ids", None)
