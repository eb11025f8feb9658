"""Partner hubs: creating and editing them, their staff, their calendar feed."""

from __future__ import annotations

import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import list_currencies
from flask_babel import LazyString, lazy_ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kakehashi.accounts import services as accounts
from kakehashi.accounts.models import InvitedRole, User
from kakehashi.core import audit, outbox
from kakehashi.extensions import db
from kakehashi.partners.models import (
    HubMember,
    PartnerHub,
)
from kakehashi.partners.services.common import (
    MAX_CAPACITY,
    MAX_DAILY_RATE,
    MAX_REFUND_DAYS,
    HubStaffError,
    InvalidHub,
    currency_places,
)

# --- hubs ---------------------------------------------------------------------------------------------


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(list_currencies())


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    if name not in timezone_names():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class HubValues:
    name: dict[str, str]
    description: dict[str, str] | None
    city: dict[str, str]
    country: str
    timezone: str
    website: str | None
    agreement_starts_on: date | None
    agreement_ends_on: date | None
    capacity_desks: int
    daily_rate: Decimal
    currency: str
    refund_days_before: int
    payment_instructions: dict[str, str] | None
    is_home: bool
    is_active: bool


def hub_errors(values: HubValues) -> dict[str, Any]:
    """Every rule a hub's settings must meet, as ``{field: message}`` (empty when all is well)."""
    errors: dict[str, Any] = {}
    if not values.name:
        errors["name"] = _l("Enter the hub's name.")
    if not values.city:
        errors["city"] = _l("Enter the city.")
    if values.currency not in currency_codes():
        errors["currency"] = _l("Enter a three-letter ISO 4217 currency code, such as JPY, EUR or SGD.")
    if not is_timezone(values.timezone):
        errors["timezone"] = _l("Enter a time zone name such as Europe/Berlin or Asia/Singapore.")
    if values.website:
        parts = urlsplit(values.website)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors["website"] = _l("The website must be a web address starting with http:// or https://.")
    starts, ends = values.agreement_starts_on, values.agreement_ends_on
    if starts and ends and ends < starts:
        errors["agreement_ends_on"] = _l("The agreement cannot end before it starts.")
    if values.capacity_desks is None or not 0 <= values.capacity_desks <= MAX_CAPACITY:
        errors["capacity_desks"] = _l("Enter the number of desks (zero or more, at most 10,000).")
    rate = values.daily_rate
    if rate is None or rate < 0:
        errors["daily_rate"] = _l("Enter the daily rate per desk (zero or more).")
    elif rate > MAX_DAILY_RATE:
        errors["daily_rate"] = _l("This daily rate is too large. Please check the figure.")
    elif "currency" not in errors:
        places = currency_places(values.currency)
        if rate != rate.quantize(Decimal(1).scaleb(-places)):
            errors["daily_rate"] = lazy_ngettext(
                "%(currency)s has %(num)d decimal place: the rate cannot have more.",
                "%(currency)s has %(num)d decimal places: the rate cannot have more.",
                places,
                currency=values.currency,
            )
    if values.refund_days_before is None or not 0 <= values.refund_days_before <= MAX_REFUND_DAYS:
        errors["refund_days_before"] = _l("Enter a number of days from 0 to 365.")
    return errors


def _other_home_hub(hub: PartnerHub | None) -> PartnerHub | None:
    query = select(PartnerHub).where(PartnerHub.is_home.is_(True))
    if hub is not None and hub.id is not None:
        query = query.where(PartnerHub.id != hub.id)
    return db.session.scalar(query)


def _only_one_home(other: PartnerHub) -> dict[str, Any]:
    from kakehashi.core.i18n import pick

    name = LazyString(lambda: pick(other.name))
    return {
        "is_home": _l(
            "%(name)s is already the home hub: there can be only one. Untick it there first.",
            name=name,
        )
    }


def home_hub() -> PartnerHub | None:
    return db.session.scalar(select(PartnerHub).where(PartnerHub.is_home.is_(True)))


def save_hub(hub: PartnerHub | None, values: HubValues, *, by: User) -> PartnerHub:
    """Create a hub (with a calendar feed token) or change its settings."""
    errors = hub_errors(values)
    if values.is_home and (other := _other_home_hub(hub)) is not None:
        errors.update(_only_one_home(other))
    if errors:
        raise InvalidHub(errors)
    created = hub is None
    if hub is None:
        hub = PartnerHub(feed_token=secrets.token_urlsafe(32))
        db.session.add(hub)
    for name, value in vars(values).items():
        setattr(hub, name, value)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # another hub was made home at the same moment
        other = _other_home_hub(hub)
        if other is None:
            raise
        raise InvalidHub(_only_one_home(other)) from error
    audit.record(
        by,
        "partner_hub.created" if created else "partner_hub.updated",
        hub,
        {"capacity": values.capacity_desks, "rate": values.daily_rate, "currency": values.currency},
    )
    return hub


def rotate_feed_token(hub: PartnerHub, *, by: User) -> str:
    """A new calendar feed address; the old one stops working."""
    hub.feed_token = secrets.token_urlsafe(32)
    audit.record(by, "partner_hub.feed_rotated", hub)
    db.session.flush()
    return hub.feed_token


def revoke_feed_token(hub: PartnerHub, *, by: User) -> None:
    hub.feed_token = None
    audit.record(by, "partner_hub.feed_revoked", hub)
    db.session.flush()


def add_hub_staff(hub: PartnerHub, *, email: str, name: str, locale: str, by: User) -> User:
    """An existing account joins the hub's staff at once; a new address gets an invitation."""
    user = accounts.find_user_by_email(email)
    if user is None:
        role = InvitedRole.HUB_STAFF
        user = accounts.invite(email=email, name=name, role=role, locale=locale, by=by, purpose=hub.name)
    elif db.session.scalar(select(HubMember.id).where(HubMember.hub_id == hub.id, HubMember.user_id == user.id)):
        raise HubStaffError(_l("This person is already on the hub's staff."))
    else:
        outbox.queue(user, "partners/added_to_hub", hub=hub, inviter=by.name)
    member = HubMember(hub_id=hub.id, user_id=user.id)
    db.session.add(member)
    db.session.flush()
    audit.record(by, "partner_hub.staff_added", hub, {"user": user.id})
    return user


def remove_hub_staff(member: HubMember, *, by: User) -> None:
    audit.record(by, "partner_hub.staff_removed", member.hub, {"user": member.user_id})
    db.session.delete(member)
    db.session.flush()
