"""``flask users …``"""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup

from kakehashi.accounts import services
from kakehashi.core.errors import DomainError
from kakehashi.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-staff")
@click.argument("email")
@click.option("--name", default=None, help="Display name (defaults to the part of the email before @).")
@click.option("--password", default=None, help="Password; generated and printed when omitted.")
@click.option("--locale", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
def create_staff(email: str, name: str | None, password: str | None, locale: str) -> None:
    """Create a programme-staff account (or make an existing account staff)."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        user = services.create_staff(email, name or email.split("@", 1)[0], password, locale)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Staff account ready: {user.email}")
    if generated:
        click.echo(f"Password: {password}")
