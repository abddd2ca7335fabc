"""fairs: a version for edits, staff badges per booth type, booth sizes and the floor plan's
aisles, entrance and stage; a badge per person with a short code; gate scans.

Every application that holds or owns a booth gets its contact person's badge (checked in
already if the application was).

Revision ID: 0013_fair_plan_badges
Revises: 0012_conversations
Create Date: 2026-12-06 09:40:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0013_fair_plan_badges"
down_revision = "0012_conversations"
branch_labels = None
depends_on = None

#: As services.fair_gate.CODE_ALPHABET: no 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def upgrade():
    with op.batch_alter_table("fairs") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("booth_types") as batch_op:
        batch_op.add_column(
            sa.Column("staff_badges", sa.Integer(), nullable=False, server_default="2")
        )
    with op.batch_alter_table("booths") as batch_op:
        batch_op.add_column(
            sa.Column("size_kind", sa.String(length=10), nullable=False, server_default="standard")
        )
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=False, server_default="1"))

    op.create_table(
        "fair_map_features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fair_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("col", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(["fair_id"], ["fairs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fair_map_features") as batch_op:
        batch_op.create_index("ix_fair_map_features_fair_id", ["fair_id"])

    op.create_table(
        "fair_badges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fair_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("is_contact", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["fair_id"], ["fairs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["application_id"], ["fair_applications.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["checked_in_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name="uq_fair_badges_code"),
    )
    with op.batch_alter_table("fair_badges") as batch_op:
        batch_op.create_index("ix_fair_badges_fair_id", ["fair_id"])
        batch_op.create_index("ix_fair_badges_application_id", ["application_id"])

    op.create_table(
        "fair_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fair_id", sa.Integer(), nullable=False),
        sa.Column("badge_id", sa.Integer(), nullable=True),
        sa.Column("read", sa.String(length=60), nullable=False),
        sa.Column("client_scan_id", sa.String(length=64), nullable=True),
        sa.Column("device", sa.String(length=60), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["fair_id"], ["fairs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["badge_id"], ["fair_badges.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fair_id", "client_scan_id", name="uq_fair_scans_client_scan"),
    )
    with op.batch_alter_table("fair_scans") as batch_op:
        batch_op.create_index("ix_fair_scans_fair_scanned", ["fair_id", "scanned_at"])

    # The contact person's badge for every application holding or owning a booth.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, fair_id, contact_name, contact_phone, checked_in_at, created_at "
            "FROM fair_applications WHERE status IN ('accepted', 'confirmed')"
        )
    ).fetchall()
    taken: set[str] = set()
    values = []
    for row in rows:
        code = _new_code(taken)
        values.append(
            {
                "fair_id": row.fair_id,
                "application_id": row.id,
                "name": row.contact_name,
                "phone": row.contact_phone,
                "is_contact": True,
                "code": code,
                "created_at": row.created_at,
                "checked_in_at": row.checked_in_at,
            }
        )
    if values:
        # Plain SQL: the dates are copied as the database returned them.
        conn.execute(
            sa.text(
                "INSERT INTO fair_badges (fair_id, application_id, name, phone, is_contact, "
                "code, created_at, checked_in_at) VALUES (:fair_id, :application_id, :name, "
                ":phone, :is_contact, :code, :created_at, :checked_in_at)"
            ),
            values,
        )


def _new_code(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(7))
        if code not in taken:
            taken.add(code)
            return code


def _foreign_keys(on: bool) -> None:
    """Dropping a column rebuilds the table on SQLite; ``fairs`` and ``booths`` are referenced
    (with ON DELETE CASCADE) from other tables, so that is done with foreign keys off (SQLite's
    own recipe), outside a transaction, and checked after. Nothing to do on PostgreSQL."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.dbapi_connection
    raw.commit()
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if on:
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows refer to missing rows after the rebuild: {broken[:5]}")


def downgrade():
    _foreign_keys(False)
    op.drop_table("fair_scans")
    op.drop_table("fair_badges")
    op.drop_table("fair_map_features")
    with op.batch_alter_table("booths") as batch_op:
        batch_op.drop_column("height")
        batch_op.drop_column("width")
        batch_op.drop_column("size_kind")
    with op.batch_alter_table("booth_types") as batch_op:
        batch_op.drop_column("staff_badges")
    with op.batch_alter_table("fairs") as batch_op:
        batch_op.drop_column("version")
    _foreign_keys(True)
