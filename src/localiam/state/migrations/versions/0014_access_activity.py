"""IAM last accessed information: which entity last used which action, and when

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "iam_access_activity",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("entity_arn", sa.String(length=2048), nullable=False),
        sa.Column("action", sa.String(length=256), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("action_name", sa.String(length=256), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "entity_arn", "action"),
    )


def downgrade() -> None:
    op.drop_table("iam_access_activity")
