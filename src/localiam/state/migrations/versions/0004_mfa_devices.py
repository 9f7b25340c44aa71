"""Virtual MFA devices, and when a session's MFA code was verified

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mfa_devices",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("serial_key", sa.String(length=1024), nullable=False),
        sa.Column("serial_number", sa.String(length=1024), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=True),
        sa.Column("enabled_at", sa.Float(), nullable=True),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("drift", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "serial_key"),
    )
    with op.batch_alter_table("mfa_devices", schema=None) as batch_op:
        batch_op.create_index("ix_mfa_devices_user", ["account_id", "user_key"], unique=False)

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mfa_authenticated_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("mfa_authenticated_at")

    with op.batch_alter_table("mfa_devices", schema=None) as batch_op:
        batch_op.drop_index("ix_mfa_devices_user")

    op.drop_table("mfa_devices")
