"""``flask demo``: idempotent demo data. Refused in production.

- One account per role; their passwords are set again on every run.
- The accelerator programme: two verticals, three calls (open, closed for judging, decided) with their
  rubrics, and about 120 applications from generated startups in Japan and abroad, each submitted one
  with a small PDF deck stored through the storage service. Created once (keyed on the FinTech
  vertical existing) from a fixed random seed, so every demo has the same programme; dates are
  relative to the day it is first loaded.

The texts below are demo *data*, not interface strings: they are not translated through gettext.
"""

from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import func, select

from kakehashi.accounts import services as accounts
from kakehashi.accounts.models import Invitation, InvitedRole, MemberRole, Startup, StartupMember, User
from kakehashi.applications.models import Application, Call
from kakehashi.core.db import utcnow
from kakehashi.demo.cohorts import load_cohorts
from kakehashi.demo.data import DEMO_FOUNDER
from kakehashi.demo.judging import load_judging
from kakehashi.demo.partners import load_partners
from kakehashi.demo.programme import load_programme
from kakehashi.demo.softlanding import EXTRA_FOUNDERS, load_softlanding
from kakehashi.extensions import db

DEMO_PASSWORD = "kakehashi-demo-2026"  # noqa: S105 - printed for the demo, refused in production

# (email, name, locale, staff, invited as)
DEMO_USERS = [
    ("staff@demo.kakehashi.jp", "山田 花子 (Programme staff)", "ja", True, None),
    ("founder@demo.kakehashi.jp", "佐藤 健 (Startup founder)", "ja", False, None),
    ("judge@demo.kakehashi.jp", "Aiko Tanaka (Judge)", "ja", False, InvitedRole.JUDGE),
    ("overseas@demo.kakehashi.jp", "Maria Silva (Overseas founder)", "en", False, InvitedRole.OVERSEAS_FOUNDER),
    ("hub@demo.kakehashi.jp", "Lukas Weber (Partner-hub staff)", "en", False, InvitedRole.HUB_STAFF),
]


def load_demo() -> list[tuple[str, str]]:
    """Load everything (idempotently); return the demo logins as (email, name)."""
    created = _load_users()
    load_programme()
    load_judging(DEMO_PASSWORD)
    load_cohorts()
    load_partners()
    load_softlanding(staff=accounts.find_user_by_email("staff@demo.kakehashi.jp"), password=DEMO_PASSWORD)
    created += [(email, name) for email, name, _locale in EXTRA_FOUNDERS.values()]
    return created


def _load_users() -> list[tuple[str, str]]:
    created = []
    for email, name, locale, staff, invited_as in DEMO_USERS:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = User(email=email, name=name, locale=locale, is_staff=staff, session_version=1)
            db.session.add(user)
        accounts.set_password(user, DEMO_PASSWORD)
        user.active = True
        user.email_verified_at = user.email_verified_at or utcnow()
        db.session.flush()
        if invited_as and db.session.scalar(select(Invitation).where(Invitation.user_id == user.id)) is None:
            db.session.add(Invitation(user_id=user.id, role=invited_as, accepted_at=utcnow()))
        created.append((email, name))
    founder = accounts.find_user_by_email(DEMO_FOUNDER)
    has_startup = db.session.scalar(select(StartupMember.id).where(StartupMember.user_id == founder.id))
    if not has_startup:
        startup = Startup(
            name={"ja": "株式会社ミライ金融", "en": "Mirai FinTech Inc."},
            country="JP",
            website="https://mirai-fintech.example",
            is_overseas=False,
        )
        db.session.add(startup)
        db.session.flush()
        db.session.add(StartupMember(startup_id=startup.id, user_id=founder.id, role=MemberRole.FOUNDER))
    db.session.commit()
    return created


def programme_summary() -> str:
    calls = db.session.scalar(select(func.count(Call.id)))
    applications = db.session.scalar(select(func.count(Application.id)))
    return f"{calls} calls, {applications} applications"


@click.command("demo")
def demo_command() -> None:
    """Load demo data (idempotent) and print the demo logins."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("Refusing to load demo data in production (KAKEHASHI_ENV=production).")
    users = load_demo()
    click.echo("Demo data loaded. Sign in at http://127.0.0.1:5000/login with:")
    for email, name in users:
        click.echo(f"  {email:<30} {DEMO_PASSWORD}   {name}")
    click.echo(f"Accelerator programme: {programme_summary()}.")


# === the accelerator programme ====================================================================
