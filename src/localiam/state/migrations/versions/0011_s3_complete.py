"""S3: versioning (object versions and delete markers), bucket tags, lifecycle, CORS,
default encryption and the other bucket settings, and deletable ownership controls

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("s3_buckets", schema=None) as batch_op:
        batch_op.alter_column("object_ownership", existing_type=sa.String(length=32), nullable=True)
        batch_op.add_column(sa.Column("versioning", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("tags", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("lifecycle", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cors", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("encryption", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("settings", sa.Text(), nullable=True))
    with op.batch_alter_table("s3_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.String(length=64), nullable=True))
    op.create_table(
        "s3_object_versions",
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("delete_marker", sa.Boolean(), nullable=False),
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
        sa.PrimaryKeyConstraint("bucket", "key", "version_id"),
    )
    with op.batch_alter_table("s3_object_versions", schema=None) as batch_op:
        batch_op.create_index("ix_s3_object_versions_order", ["bucket", "key", "sequence"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("s3_object_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_s3_object_versions_order")
    op.drop_table("s3_object_versions")
    with op.batch_alter_table("s3_objects", schema=None) as batch_op:
        batch_op.drop_column("version_id")
    op.execute("UPDATE s3_buckets SET object_ownership = 'ObjectWriter' WHERE object_ownership IS NULL")
    with op.batch_alter_table("s3_buckets", schema=None) as batch_op:
        batch_op.drop_column("settings")
        batch_op.drop_column("encryption")
        batch_op.drop_column("cors")
        batch_op.drop_column("lifecycle")
        batch_op.drop_column("tags")
        batch_op.drop_column("versioning")
        batch_op.alter_column("object_ownership", existing_type=sa.String(length=32), nullable=False)
