"""performance: review score, ranking and list indexes, cache versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # A submitted review's weighted mean, stored by the scoring service: the ranking reads one column
    # per review instead of six score rows joined to the rubric.
    with op.batch_alter_table("judge_assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_score", sa.Float(), nullable=True))
    op.execute(
        "UPDATE judge_assignment SET review_score = ("
        " SELECT CAST(SUM(score.value * criterion.weight) AS FLOAT) / SUM(criterion.weight)"
        " FROM score JOIN criterion ON criterion.id = score.criterion_id"
        " WHERE score.assignment_id = judge_assignment.id"
        ") WHERE state = 'submitted'"
    )
    with op.batch_alter_table("judge_assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_judge_assignment_call_state_score",
            ["call_id", "state", "application_id", "judge_id", "review_score"],
            unique=False,
        )

    # The staff list of a call's applications: newest submission first, drafts last.
    # SQLite puts NULLs last in DESC order and refuses NULLS LAST in an index; PostgreSQL needs it said.
    nulls_last = " NULLS LAST" if op.get_bind().dialect.name == "postgresql" else ""
    op.create_index(
        "ix_application_call_submitted",
        "application",
        ["call_id", sa.text(f"submitted_at DESC{nulls_last}"), sa.text("id DESC")],
        unique=False,
    )

    op.create_table(
        "cache_version",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_version")),
    )
    op.bulk_insert(
        sa.table("cache_version", sa.column("name", sa.String), sa.column("token", sa.String)),
        [{"name": name, "token": secrets.token_hex(16)} for name in ("judging", "kpis")],
    )


def downgrade():
    op.drop_table("cache_version")
    op.drop_index("ix_application_call_submitted", table_name="application")
    with op.batch_alter_table("judge_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_judge_assignment_call_state_score")
        batch_op.drop_column("review_score")
