"""``flask outbox …``"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from kakehashi.core import outbox

outbox_cli = AppGroup("outbox", help="Deliver queued email.")


@outbox_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="At most this many emails per run.")
def send(limit: int) -> None:
    """Send queued emails that are due (run it from cron every minute)."""
    if not current_app.config.get("MAIL_URL"):
        raise click.ClickException("MAIL_URL is not set: queued emails stay on the staff outbox page.")
    counts = outbox.send_due(limit=limit)
    click.echo(f"sent {counts['sent']}, retrying {counts['retrying']}, failed {counts['failed']}")
