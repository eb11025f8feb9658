"""``flask demo`` loads one account per role, twice without harm, and never in production."""

from __future__ import annotations

from sqlalchemy import func, select

from kakehashi.accounts.models import StartupMember, User
from kakehashi.demo import DEMO_PASSWORD, DEMO_USERS
from kakehashi.extensions import db


def test_demo_data_loads_idempotently_and_every_login_works(app):
    runner = app.test_cli_runner()
    app.config["ENV"] = "development"
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert db.session.scalar(select(func.count(User.id))) == len(DEMO_USERS)
    assert db.session.scalar(select(func.count(StartupMember.id))) == 1
    for email, *_ in DEMO_USERS:
        assert email in first.output
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
    staff = app.test_client()
    staff.post("/login", data={"email": "staff@demo.kakehashi.jp", "password": DEMO_PASSWORD})
    assert staff.get("/admin/users").status_code == 200


def test_demo_data_is_refused_in_production(app):
    app.config["ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "Refusing" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0
