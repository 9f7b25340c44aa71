"""S3 buckets, objects, multipart uploads and account-level settings

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "s3_buckets",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("object_ownership", sa.String(length=32), nullable=False),
        sa.Column("acl", sa.Text(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("public_access_block", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("s3_buckets", schema=None) as batch_op:
        batch_op.create_index("ix_s3_buckets_account", ["account_id"], unique=False)

    op.create_table(
        "s3_objects",
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("body_ref", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("owner_account", sa.String(length=12), nullable=False),
        sa.Column("acl", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("checksums", sa.Text(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=True),
        sa.Column("part_sizes", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "key"),
    )
    op.create_table(
        "s3_uploads",
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("initiator_arn", sa.String(length=2048), nullable=False),
        sa.Column("owner_account", sa.String(length=12), nullable=False),
        sa.Column("acl", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("checksum_algorithm", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("upload_id"),
    )
    with op.batch_alter_table("s3_uploads", schema=None) as batch_op:
        batch_op.create_index("ix_s3_uploads_bucket", ["bucket", "key"], unique=False)

    op.create_table(
        "s3_parts",
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("body_ref", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("checksums", sa.Text(), nullable=False),
        sa.Column("last_modified", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("upload_id", "part_number"),
    )
    op.create_table(
        "s3_account_settings",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("public_access_block", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )


def downgrade() -> None:
    op.drop_table("s3_account_settings")
    op.drop_table("s3_parts")
    with op.batch_alter_table("s3_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_s3_uploads_bucket")
    op.drop_table("s3_uploads")
    op.drop_table("s3_objects")
    with op.batch_alter_table("s3_buckets", schema=None) as batch_op:
        batch_op.drop_index("ix_s3_buckets_account")
    op.drop_table("s3_buckets")
