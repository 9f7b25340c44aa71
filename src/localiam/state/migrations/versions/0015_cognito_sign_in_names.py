"""Cognito users found by sign-in name without reading the whole pool: the username, e-mail
address and phone number as they are matched (lower-cased), each indexed per pool

Revision ID: 0015
Revises: 0014
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cognito_users") as batch:
        batch.add_column(sa.Column("username_lower", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("email_lower", sa.String(length=2048), nullable=True))
        batch.add_column(sa.Column("phone_lower", sa.String(length=2048), nullable=True))
    users = sa.table(
        "cognito_users",
        sa.column("pool_id", sa.String),
        sa.column("username", sa.String),
        sa.column("attributes", sa.Text),
        sa.column("username_lower", sa.String),
        sa.column("email_lower", sa.String),
        sa.column("phone_lower", sa.String),
    )
    conn = op.get_bind()
    for pool_id, username, attributes in conn.execute(sa.select(users.c.pool_id, users.c.username, users.c.attributes)):
        values = json.loads(attributes)
        conn.execute(
            users.update()
            .where(users.c.pool_id == pool_id, users.c.username == username)
            .values(
                username_lower=username.lower(),
                email_lower=str(values["email"]).lower() if values.get("email") else None,
                phone_lower=str(values["phone_number"]).lower() if values.get("phone_number") else None,
            )
        )
    op.create_index("ix_cognito_users_username_lower", "cognito_users", ["pool_id", "username_lower"])
    op.create_index("ix_cognito_users_email_lower", "cognito_users", ["pool_id", "email_lower"])
    op.create_index("ix_cognito_users_phone_lower", "cognito_users", ["pool_id", "phone_lower"])


def downgrade() -> None:
    op.drop_index("ix_cognito_users_phone_lower", table_name="cognito_users")
    op.drop_index("ix_cognito_users_email_lower", table_name="cognito_users")
    op.drop_index("ix_cognito_users_username_lower", table_name="cognito_users")
    with op.batch_alter_table("cognito_users") as batch:
        batch.drop_column("phone_lower")
        batch.drop_column("email_lower")
        batch.drop_column("username_lower")
