"""a category page's index: published listings of a category, newest first, with the
co-op's id included (replaces ix_listings_status_category, whose columns it starts with).

Revision ID: 0015_category_index
Revises: 0014_api
Create Date: 2026-12-06 13:30:00

"""

from alembic import op

revision = "0015_category_index"
down_revision = "0014_api"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("listings") as batch_op:
        batch_op.create_index(
            "ix_listings_category_recent",
            ["status", "category_id", "published_at", "id"],
            postgresql_include=["organization_id"],
        )
        batch_op.drop_index("ix_listings_status_category")


def downgrade():
    with op.batch_alter_table("listings") as batch_op:
        batch_op.create_index("ix_listings_status_category", ["status", "category_id"])
        batch_op.drop_index("ix_listings_category_recent")
