"""commission invoices: the platform bills the fees owed on transfers, monthly; payments to
the platform itself (no payee); payment by deduction from what the platform holds.

Revision ID: 0011_commission
Revises: 0010_transfer_claims
Create Date: 2026-12-06 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_commission"
down_revision = "0010_transfer_claims"
branch_labels = None
depends_on = None

KINDS = ("invoice", "fair_fee")
METHODS = ("card", "bank_transfer")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _foreign_keys(on: bool) -> None:
    """SQLite changes a CHECK constraint by rebuilding the table; the rows of payments are
    referenced from other tables, so that is done with foreign keys off (SQLite's own recipe
    for schema changes), which only works outside a transaction. They are checked and turned
    on again afterwards. Nothing to do on PostgreSQL."""
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


def _checks(table: str, checks: list[tuple[str, str, tuple[str, ...]]]) -> None:
    """Replace the CHECK constraints of enum columns (name, column, allowed values)."""
    with op.batch_alter_table(table) as batch_op:
        for name, column, values in checks:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(batch_op.f(f"ck_{table}_{name}"), _in(column, values))


def upgrade():
    _foreign_keys(False)
    _checks(
        "payments",
        [
            ("payable_kind", "payable_kind", (*KINDS, "commission")),
            ("payment_method", "method", (*METHODS, "balance")),
        ],
    )
    with op.batch_alter_table("payments") as batch_op:
        batch_op.alter_column("payee_id", existing_type=sa.Integer(), nullable=True)
    _checks("transfer_claims", [("payable_kind", "payable_kind", (*KINDS, "commission"))])
    _foreign_keys(True)

    op.create_table(
        "commission_invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", _enum("commission_status", "issued", "paid", "void"), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_commission_invoices_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_commission_invoices_number")),
        sa.UniqueConstraint(
            "organization_id", "period", name=op.f("uq_commission_invoices_organization_id_period")
        ),
    )
    with op.batch_alter_table("commission_invoices") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commission_invoices_organization_id"), ["organization_id"]
        )

    op.create_table(
        "platform_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_bin", sa.String(length=6), nullable=True),
        sa.Column("bank_account_number", sa.String(length=19), nullable=True),
        sa.Column("bank_account_name", sa.String(length=120), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_platform_settings_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_settings")),
    )


def downgrade():
    op.drop_table("platform_settings")
    op.drop_table("commission_invoices")
    # What only this revision allows cannot stay: payments to the platform (no payee) and by
    # deduction, claims and payments of commission invoices.
    op.execute("DELETE FROM transfer_claims WHERE payable_kind = 'commission'")
    op.execute(
        "DELETE FROM ledger_entries WHERE payment_id IN (SELECT id FROM payments"
        " WHERE payable_kind = 'commission' OR payee_id IS NULL OR method = 'balance')"
    )
    op.execute(
        "DELETE FROM provider_references WHERE payment_id IN (SELECT id FROM payments"
        " WHERE payable_kind = 'commission' OR payee_id IS NULL OR method = 'balance')"
    )
    op.execute(
        "DELETE FROM payments WHERE payable_kind = 'commission' OR payee_id IS NULL"
        " OR method = 'balance'"
    )
    _foreign_keys(False)
    _checks("transfer_claims", [("payable_kind", "payable_kind", KINDS)])
    with op.batch_alter_table("payments") as batch_op:
        batch_op.alter_column("payee_id", existing_type=sa.Integer(), nullable=False)
    _checks(
        "payments",
        [("payable_kind", "payable_kind", KINDS), ("payment_method", "method", METHODS)],
    )
    _foreign_keys(True)
