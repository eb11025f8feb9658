"""``flask partners …``: scheduled work for desk bookings (run from cron; safe to repeat)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from kakehashi.extensions import db
from kakehashi.partners import services

partners_cli = AppGroup("partners", help="Partner hubs and desk bookings.")


@partners_cli.command("complete-past")
def complete_past() -> None:
    """Mark confirmed bookings whose last day has passed (Japan date) as completed."""
    count = services.complete_past(today=services.tokyo_today())
    db.session.commit()
    click.echo(f"Completed {count} booking(s).")
