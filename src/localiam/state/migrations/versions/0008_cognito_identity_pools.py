"""Cognito identity pools: pools, their identities and the logins linked to each identity

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cognito_identity_pools",
        sa.Column("id", sa.String(length=55), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("tag_maps", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cognito_identity_pools_account", "cognito_identity_pools", ["account_id", "region"])
    op.create_table(
        "cognito_identities",
        sa.Column("id", sa.String(length=55), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cognito_identities_pool", "cognito_identities", ["pool_id"])
    op.create_table(
        "cognito_identity_logins",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("provider", sa.String(length=256), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=False),
        sa.Column("identity_id", sa.String(length=55), nullable=False),
        sa.Column("developer", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "provider", "subject"),
    )
    op.create_index("ix_cognito_identity_logins_identity", "cognito_identity_logins", ["identity_id"])


def downgrade() -> None:
    op.drop_index("ix_cognito_identity_logins_identity", table_name="cognito_identity_logins")
    op.drop_table("cognito_identity_logins")
    op.drop_index("ix_cognito_identities_pool", table_name="cognito_identities")
    op.drop_table("cognito_identities")
    op.drop_index("ix_cognito_identity_pools_account", table_name="cognito_identity_pools")
    op.drop_table("cognito_identity_pools")
