"""``flask payments …``: re-apply Stripe events that were stored but not applied (run from cron; safe to repeat)."""

from __future__ import annotations

import logging

import click
from flask.cli import AppGroup

from kakehashi.extensions import db
from kakehashi.payments import services

log = logging.getLogger(__name__)

payments_cli = AppGroup("payments", help="Payments and Stripe events.")


@payments_cli.command("reapply")
@click.option("--limit", default=500, show_default=True, help="At most this many events per run.")
def reapply(limit: int) -> None:
    """Apply stored Stripe events whose application failed or was interrupted (processed_at is empty)."""
    counts = {"applied": 0, "failed": 0}
    for event_id in services.unprocessed_event_ids(limit=limit):
        db.session.rollback()  # each event in its own transaction
        try:
            outcome = services.apply_stored_event(event_id)
            db.session.commit()
        except Exception as error:  # recorded on the event; the next run tries again
            db.session.rollback()
            log.exception("Re-applying Stripe event %s failed", event_id)
            services.record_failure(event_id, error)
            db.session.commit()
            counts["failed"] += 1
            click.echo(f"{event_id}: error: {error}")
        else:
            if outcome is not None:
                counts["applied"] += 1
                click.echo(f"{event_id}: {outcome}")
    click.echo(f"applied {counts['applied']}, failed {counts['failed']}")
