"""IAM: instance profiles, server and signing certificates, SSH public keys, service-specific
credentials, account settings (alias, password policy, credential report, STS preferences,
centralized root access, outbound web identity federation), asynchronous jobs, and when a
login profile's password changed and its previous passwords' hashes

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_profiles",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("profile_id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "name_key"),
        sa.UniqueConstraint("profile_id"),
    )
    op.create_table(
        "instance_profile_roles",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("profile_key", sa.String(length=128), nullable=False),
        sa.Column("role_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "profile_key", "role_key"),
    )
    op.create_table(
        "server_certificates",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("certificate_id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("chain", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("uploaded_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "name_key"),
        sa.UniqueConstraint("certificate_id"),
    )
    op.create_table(
        "signing_certificates",
        sa.Column("certificate_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("uploaded_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("certificate_id"),
    )
    op.create_index("ix_signing_certificates_owner", "signing_certificates", ["account_id", "user_key"])
    op.create_table(
        "ssh_public_keys",
        sa.Column("key_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("uploaded_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_index("ix_ssh_public_keys_owner", "ssh_public_keys", ["account_id", "user_key"])
    op.create_table(
        "service_credentials",
        sa.Column("credential_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("service_name", sa.String(length=128), nullable=False),
        sa.Column("service_user_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("credential_id"),
    )
    op.create_index("ix_service_credentials_owner", "service_credentials", ["account_id", "user_key"])
    op.create_table(
        "iam_account_settings",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("alias", sa.String(length=63), nullable=True),
        sa.Column("password_policy", sa.Text(), nullable=True),
        sa.Column("credential_report_at", sa.Float(), nullable=True),
        sa.Column("global_endpoint_token_version", sa.String(length=16), nullable=True),
        sa.Column("root_credentials_management", sa.Boolean(), nullable=False),
        sa.Column("root_sessions", sa.Boolean(), nullable=False),
        sa.Column("outbound_issuer", sa.String(length=255), nullable=True),
        sa.Column("outbound_enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
        sa.UniqueConstraint("alias"),
    )
    op.create_table(
        "iam_jobs",
        sa.Column("job_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=2048), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("job_id"),
    )

    with op.batch_alter_table("login_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_changed_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("previous_hashes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("login_profiles", schema=None) as batch_op:
        batch_op.drop_column("previous_hashes")
        batch_op.drop_column("password_changed_at")

    op.drop_table("iam_jobs")
    op.drop_table("iam_account_settings")
    op.drop_index("ix_service_credentials_owner", table_name="service_credentials")
    op.drop_table("service_credentials")
    op.drop_index("ix_ssh_public_keys_owner", table_name="ssh_public_keys")
    op.drop_table("ssh_public_keys")
    op.drop_index("ix_signing_certificates_owner", table_name="signing_certificates")
    op.drop_table("signing_certificates")
    op.drop_table("server_certificates")
    op.drop_table("instance_profile_roles")
    op.drop_table("instance_profiles")
