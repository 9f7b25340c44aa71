"""Lambda functions, versions, aliases and function policies

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lambda_functions",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("code_ref", sa.String(length=128), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("next_version", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name"),
    )
    op.create_table(
        "lambda_versions",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("code_ref", sa.String(length=128), nullable=False),
        sa.Column("revision_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", "version"),
    )
    op.create_table(
        "lambda_aliases",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("alias", sa.String(length=128), nullable=False),
        sa.Column("function_version", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("revision_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", "alias"),
    )
    op.create_table(
        "lambda_policies",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("qualifier", sa.String(length=128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("revision_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", "qualifier"),
    )


def downgrade() -> None:
    op.drop_table("lambda_policies")
    op.drop_table("lambda_aliases")
    op.drop_table("lambda_versions")
    op.drop_table("lambda_functions")
