"""``flask cohorts …``: scheduled work for cohorts (run from cron; safe to repeat)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from kakehashi.cohorts import services
from kakehashi.extensions import db

cohorts_cli = AppGroup("cohorts", help="Cohorts and follow-up surveys.")


@cohorts_cli.command("graduate")
def graduate() -> None:
    """Mark active members of cohorts whose programme has ended (ends_on passed) as graduated."""
    count = services.graduate_due(today=services.tokyo_today())
    db.session.commit()
    click.echo(f"Graduated {count} member(s).")


@cohorts_cli.command("remind-surveys")
def remind_surveys() -> None:
    """Send the one reminder, 14 days after a survey, to startups that have not reported."""
    count = services.remind_surveys()
    db.session.commit()
    click.echo(f"Reminded {count} survey request(s).")
