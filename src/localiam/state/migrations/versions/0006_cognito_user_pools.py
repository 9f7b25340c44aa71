"""Cognito user pools: pools, app clients, users, groups, confirmation codes, refresh tokens and
sign-in sessions

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cognito_user_pools",
        sa.Column("id", sa.String(length=55), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cognito_user_pools_account", "cognito_user_pools", ["account_id", "region"])
    op.create_table(
        "cognito_clients",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=True),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cognito_clients_pool", "cognito_clients", ["pool_id"])
    op.create_table(
        "cognito_users",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("sub", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("srp_salt", sa.String(length=64), nullable=True),
        sa.Column("srp_verifier", sa.Text(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.Float(), nullable=True),
        sa.Column("tokens_valid_after", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "username"),
    )
    op.create_index("ix_cognito_users_sub", "cognito_users", ["pool_id", "sub"], unique=True)
    op.create_table(
        "cognito_groups",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("role_arn", sa.String(length=2048), nullable=True),
        sa.Column("precedence", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "name"),
    )
    op.create_table(
        "cognito_group_members",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("group_name", sa.String(length=128), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "group_name", "username"),
    )
    op.create_table(
        "cognito_codes",
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "username", "purpose"),
    )
    op.create_table(
        "cognito_refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("origin_jti", sa.String(length=36), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_cognito_refresh_user", "cognito_refresh_tokens", ["pool_id", "username"])
    op.create_table(
        "cognito_auth_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("pool_id", sa.String(length=55), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("cognito_auth_sessions")
    op.drop_index("ix_cognito_refresh_user", table_name="cognito_refresh_tokens")
    op.drop_table("cognito_refresh_tokens")
    op.drop_table("cognito_codes")
    op.drop_table("cognito_group_members")
    op.drop_table("cognito_groups")
    op.drop_index("ix_cognito_users_sub", table_name="cognito_users")
    op.drop_table("cognito_users")
    op.drop_index("ix_cognito_clients_pool", table_name="cognito_clients")
    op.drop_table("cognito_clients")
    op.drop_index("ix_cognito_user_pools_account", table_name="cognito_user_pools")
    op.drop_table("cognito_user_pools")
