"""The migrations build exactly the schema the models describe, and undo it, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from kakehashi import create_app
from kakehashi.extensions import db
from tests.conftest import is_postgres, make_test_config


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    if not is_postgres():
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    from kakehashi.config import normalise_database_url

    base = make_url(normalise_database_url(os.environ["DATABASE_URL"]))
    name = f"kakehashi_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_gives_the_models_schema_and_downgrade_removes_it(tmp_path, empty_database_url):
    app = create_app(make_test_config(tmp_path, DATABASE_URL=empty_database_url))
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as connection:
                # Indexes whose definition differs by database on purpose (NULLS LAST on PostgreSQL only)
                # are compared by name below.
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "compare_type": True,
                        "include_object": lambda obj, _name, kind, *_: (
                            not (kind == "index" and obj.info.get("dialect_specific"))
                        ),
                    },
                )
                assert compare_metadata(context, db.metadata) == []
            inspector = inspect(db.engine)
            tables = set(inspector.get_table_names())
            for table in db.metadata.sorted_tables:
                wanted = {index.name for index in table.indexes if index.info.get("dialect_specific")}
                assert wanted <= {index["name"] for index in inspector.get_indexes(table.name)}, table.name
            assert set(db.metadata.tables) <= tables
            # Alembic does not compare CHECK constraints: make sure the migrations create them all.
            from sqlalchemy import CheckConstraint

            for table in db.metadata.sorted_tables:
                wanted = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
                present = {c["name"] for c in inspector.get_check_constraints(table.name)}
                assert wanted <= present, table.name

            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

            upgrade()  # and up again: downgrade really undid everything
            assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        finally:
            db.session.remove()
            db.engine.dispose()
