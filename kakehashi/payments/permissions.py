"""Who may see and act on a booking's payment (the rules follow the booking's, see partners.permissions).

- Seeing a payment (its success/cancelled pages): whoever may see the booking — its startup's members,
  the staff of the booked hub (and, for inbound bookings, of the requesting hub), ward staff.
- Paying by card: the requesting side only (the startup's members, or for inbound bookings the staff
  of the hub that asked on its behalf). Hub staff and ward staff see it but do not pay (403).
- Marking a bank transfer received: ward staff.
Anyone else is told the payment does not exist (404).
"""

from __future__ import annotations

from typing import Any

from kakehashi.accounts.permissions import is_staff
from kakehashi.partners.permissions import can_view_booking, is_requester
from kakehashi.payments.models import Payment


def can_view_payment(user: Any, payment: Payment) -> bool:
    return can_view_booking(user, payment.booking)


def can_pay(user: Any, payment: Payment) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and is_requester(user, payment.booking)


def can_mark_received(user: Any, payment: Payment | None = None) -> bool:
    return is_staff(user)
