"""``flask outbox …`` and ``flask storage …``"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from kakehashi.core import outbox, scanning
from kakehashi.core.storage_cli import cleanup_orphans

outbox_cli = AppGroup("outbox", help="Deliver queued email.")


@outbox_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="At most this many emails per run.")
def send(limit: int) -> None:
    """Send queued emails that are due (run it from cron every minute)."""
    if not current_app.config.get("MAIL_URL"):
        raise click.ClickException("MAIL_URL is not set: queued emails stay on the staff outbox page.")
    counts = outbox.send_due(limit=limit)
    click.echo(f"sent {counts['sent']}, retrying {counts['retrying']}, failed {counts['failed']}")


storage_cli = AppGroup("storage", help="Stored files.")
storage_cli.add_command(cleanup_orphans)


@storage_cli.command("rescan")
@click.option("--limit", default=500, show_default=True, help="At most this many pending files per run.")
def rescan(limit: int) -> None:
    """Scan files held as pending (the malware scanner was unreachable when they were uploaded)."""
    if not scanning.configured_address():
        raise click.ClickException("KAKEHASHI_CLAMAV is not set: there is no scanner to ask.")
    counts = scanning.rescan_pending(limit=limit)
    click.echo(f"clean {counts['clean']}, infected {counts['infected']}, still pending {counts['pending']}")
    if counts["unreachable"]:
        raise click.ClickException("The malware scanner is unreachable: pending files stay pending.")
