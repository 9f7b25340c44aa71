"""API Gateway API keys and usage plans

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apigateway_api_keys",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_apigateway_api_keys_value", "apigateway_api_keys", ["account_id", "region", "value"], unique=True
    )
    op.create_table(
        "apigateway_usage_plans",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_apigateway_usage_plans_account", "apigateway_usage_plans", ["account_id", "region"])


def downgrade() -> None:
    op.drop_index("ix_apigateway_usage_plans_account", table_name="apigateway_usage_plans")
    op.drop_table("apigateway_usage_plans")
    op.drop_index("ix_apigateway_api_keys_value", table_name="apigateway_api_keys")
    op.drop_table("apigateway_api_keys")
