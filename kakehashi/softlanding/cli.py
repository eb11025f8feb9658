"""``flask softlanding …``: default checklists, daily reminders, document retention (cron; safe to repeat)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from kakehashi.core.i18n import pick
from kakehashi.extensions import db
from kakehashi.softlanding import services
from kakehashi.softlanding.schedule import tokyo_today

softlanding_cli = AppGroup("softlanding", help="Soft landing: checklist templates, reminders, document retention.")


@softlanding_cli.command("load-templates")
@click.option("--update", is_flag=True, help="Overwrite existing default templates with the shipped content.")
def load_templates(update: bool) -> None:
    """Load the default checklists (Startup Visa, Business Manager); existing ones are kept unless --update."""
    from kakehashi.softlanding.template_services import load_default_templates

    templates = load_default_templates(by=None, update=update)
    db.session.commit()
    for template in templates:
        click.echo(f"{template.key}: {pick(template.name, 'en')} (version {template.version})")
    click.echo(f"{len(templates)} default template(s) {'updated' if update else 'loaded'}.")


@softlanding_cli.command("remind")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if today were this Tokyo date (YYYY-MM-DD); default: today in Tokyo.",
)
def remind(on: object | None) -> None:
    """Email founders about steps due within 3 days or overdue (at most once a day per step)."""
    today: date = on.date() if on is not None else tokyo_today()  # type: ignore[attr-defined]
    count = services.send_reminders(today=today)
    db.session.commit()
    click.echo(f"Sent {count} reminder email(s) for {today.isoformat()}.")


@softlanding_cli.command("purge-documents")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Keep documents this many days after a case closes; default: LANDING_DOCUMENT_RETENTION_DAYS (365).",
)
def purge_documents(days: int | None) -> None:
    """Delete the documents (rows and stored files) of cases closed longer ago than the retention period."""
    days = services.retention_days() if days is None else days
    cases, documents = services.purge_expired_documents(days=days)
    db.session.commit()
    click.echo(f"Deleted {documents} document(s) of {cases} case(s) closed more than {days} day(s) ago.")
