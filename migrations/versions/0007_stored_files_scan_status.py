"""stored files: malware scan status

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    # Files stored before scanning existed were never scanned: they stay servable ("not_scanned").
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scan_status",
                sa.Enum("not_scanned", "clean", "pending", "infected", name="scanstatus", native_enum=False, length=20),
                server_default="not_scanned",
                nullable=False,
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_stored_file_scan_status_known"), "scan_status IN ('not_scanned', 'clean', 'pending', 'infected')"
        )


def downgrade():
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stored_file_scan_status_known"), type_="check")
        batch_op.drop_column("scan_status")
