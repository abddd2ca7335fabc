"""transfer claims: a payer's "I have transferred", answered by the payee.

Revision ID: 0010_transfer_claims
Revises: 0009_payments
Create Date: 2026-12-06 06:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_transfer_claims"
down_revision = "0009_payments"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    op.create_table(
        "transfer_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payable_kind", _enum("payable_kind", "invoice", "fair_fee"), nullable=False),
        sa.Column("payable_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("bank_reference", sa.String(length=120), nullable=True),
        sa.Column("receipt_key", sa.String(length=300), nullable=True),
        sa.Column(
            "status",
            _enum("claim_status", "awaiting", "confirmed", "not_arrived", "withdrawn", "closed"),
            nullable=False,
        ),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["payer_id"], ["organizations.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["payee_id"], ["organizations.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("transfer_claims") as batch_op:
        batch_op.create_index("ix_transfer_claims_payable", ["payable_kind", "payable_id"])
        batch_op.create_index("ix_transfer_claims_payee_id", ["payee_id"])
        batch_op.create_index(
            "uq_transfer_claims_awaiting",
            ["payable_kind", "payable_id"],
            unique=True,
            postgresql_where=sa.text("status = 'awaiting'"),
            sqlite_where=sa.text("status = 'awaiting'"),
        )


def downgrade():
    op.drop_table("transfer_claims")
