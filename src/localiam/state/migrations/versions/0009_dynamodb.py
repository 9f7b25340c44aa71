"""DynamoDB: tables, items and secondary index entries

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dynamodb_tables",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name"),
        sa.UniqueConstraint("uid"),
    )
    op.create_table(
        "dynamodb_items",
        sa.Column("table_uid", sa.String(length=32), nullable=False),
        sa.Column("hash_key", sa.LargeBinary(), nullable=False),
        sa.Column("range_key", sa.LargeBinary(), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("table_uid", "hash_key", "range_key"),
    )
    op.create_table(
        "dynamodb_index_items",
        sa.Column("table_uid", sa.String(length=32), nullable=False),
        sa.Column("index_name", sa.String(length=255), nullable=False),
        sa.Column("hash_key", sa.LargeBinary(), nullable=False),
        sa.Column("range_key", sa.LargeBinary(), nullable=False),
        sa.Column("item_hash_key", sa.LargeBinary(), nullable=False),
        sa.Column("item_range_key", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("table_uid", "index_name", "hash_key", "range_key", "item_hash_key", "item_range_key"),
    )


def downgrade() -> None:
    op.drop_table("dynamodb_index_items")
    op.drop_table("dynamodb_items")
    op.drop_table("dynamodb_tables")
