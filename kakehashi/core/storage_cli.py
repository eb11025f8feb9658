"""``flask storage cleanup-orphans``: delete stored objects that no ``StoredFile`` row points at.

The command belongs to the ``storage`` group (``kakehashi.core.cli.storage_cli``), which adds it.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from kakehashi.core import storage_maintenance
from kakehashi.extensions import db

MIN_AGE_MINUTES = 10  # younger objects may be uploads whose transaction has not committed yet


@click.command("cleanup-orphans")
@click.option(
    "--older-than",
    "older_than",
    type=click.IntRange(min=MIN_AGE_MINUTES),
    default=60,
    show_default=True,
    metavar="MINUTES",
    help="Only objects stored at least this many minutes ago.",
)
@click.option("--dry-run", is_flag=True, help="List the orphans; delete nothing.")
@with_appcontext
def cleanup_orphans(older_than: int, dry_run: bool) -> None:
    """Delete stored files that no database row points at (run it daily from cron)."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        keys = storage_maintenance.remove_orphans(older_than=timedelta(minutes=older_than), dry_run=dry_run)
    except (OSError, BotoCoreError, ClientError, Boto3Error) as exc:
        db.session.rollback()
        raise click.ClickException(f"The storage could not be read or changed: {exc}") from exc
    db.session.commit()
    verb = "would delete" if dry_run else "deleted"
    for key in keys:
        click.echo(f"{verb} {key}")
    click.echo(f"{verb} {len(keys)} orphaned file(s)")
