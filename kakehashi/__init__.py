"""Kakehashi (架け橋): a bilingual platform for a city's startup programme."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from kakehashi import config as configuration


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    _configure(app, config)
    _init_extensions(app)
    _init_core(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_template_helpers(app)

    from kakehashi.core.permissions import check_policy

    check_policy(app)
    return app


def _configure(app: Flask, overrides: dict[str, Any] | None) -> None:
    settings = configuration.defaults(app.instance_path)
    settings.update(configuration.from_environment())
    settings.update(overrides or {})
    app.config.update(configuration.finalise(settings))
    app.debug = bool(app.config["DEBUG"])
    if proxies := int(app.config["TRUSTED_PROXIES"]):
        # Behind that many reverse proxies, the client's address and scheme come from X-Forwarded-For and
        # X-Forwarded-Proto (set by the proxies, not trusted beyond them): rate limits and the audit trail
        # see the client, not the load balancer.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.testing = bool(app.config["TESTING"])
    if app.config["DATABASE_URL"].startswith("sqlite:///") or app.config["STORAGE_URL"].startswith("file://"):
        os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(level=logging.INFO if app.debug else logging.WARNING)


def _init_extensions(app: Flask) -> None:
    from kakehashi.core.db import configure_engine_events
    from kakehashi.core.i18n import select_locale
    from kakehashi.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

    _import_models()
    db.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine)
    migrate.init_app(app, db, directory=str(_project_root() / "migrations"))
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(_project_root() / "translations"),
    )
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"


def _import_models() -> None:
    """Every model module, so metadata (and Alembic) sees the whole schema."""
    import kakehashi.accounts.models  # noqa: F401
    import kakehashi.applications.judging.models  # noqa: F401
    import kakehashi.applications.models  # noqa: F401
    import kakehashi.cohorts.models  # noqa: F401
    import kakehashi.core.audit  # noqa: F401
    import kakehashi.core.cache  # noqa: F401
    import kakehashi.core.outbox  # noqa: F401
    import kakehashi.core.storage  # noqa: F401
    import kakehashi.partners.models  # noqa: F401
    import kakehashi.payments.models  # noqa: F401
    import kakehashi.softlanding.models  # noqa: F401


def _init_core(app: Flask) -> None:
    from kakehashi.core import errors, outbox, security, storage
    from kakehashi.core.i18n import remember_requested_locale

    errors.init_app(app)
    security.init_app(app)
    storage.init_app(app)
    outbox.init_app(app)
    app.before_request(remember_requested_locale)


def _register_blueprints(app: Flask) -> None:
    from kakehashi.accounts.startup_views import bp as startups
    from kakehashi.accounts.views import bp as accounts
    from kakehashi.applications.judging.views import bp as judging
    from kakehashi.applications.views import bp as applications
    from kakehashi.cohorts.views import bp as cohorts
    from kakehashi.core.views import bp as core
    from kakehashi.partners.views import bp as partners
    from kakehashi.payments.views import bp as payments
    from kakehashi.softlanding.views import bp as softlanding

    for blueprint in (core, accounts, startups, applications, judging, cohorts, softlanding, partners, payments):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from kakehashi.accounts.cli import users_cli
    from kakehashi.cohorts.cli import cohorts_cli
    from kakehashi.core.cli import outbox_cli, storage_cli
    from kakehashi.demo import demo_command
    from kakehashi.partners.cli import partners_cli
    from kakehashi.payments.cli import payments_cli
    from kakehashi.softlanding.cli import softlanding_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(cohorts_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(softlanding_cli)
    app.cli.add_command(payments_cli)
    app.cli.add_command(partners_cli)


def _register_template_helpers(app: Flask) -> None:
    from kakehashi.core.templating import init_app

    init_app(app)


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent
