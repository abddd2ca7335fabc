"""What the ledger says, for people: who the platform owes, every balance by name (admins),
and an organisation's statement of money in, out and owed (its members, admins)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import LedgerEntry, Organization, Payment, Payout
from marketplace.services.context import Actor
from marketplace.services.payments import ledger
from marketplace.services.permissions import member_or_admin, require_admin


def owed_list(actor: Actor) -> list[tuple[Organization, int]]:
    """Organisations the platform owes money to, most first (admin): from one read of the
    balances, not a query per organisation."""
    require_admin(actor)
    owed: dict[int, int] = defaultdict(int)
    for (account, org_id), total in ledger.balances().items():
        if org_id is not None and account in ("payable", "receivable"):
            owed[org_id] -= total
    positive = {org_id: amount for org_id, amount in owed.items() if amount > 0}
    organizations = db.session.scalars(
        select(Organization).where(Organization.id.in_(positive or [0]))
    )
    return sorted(((o, positive[o.id]) for o in organizations), key=lambda pair: -pair[1])


def named_balances(actor: Actor) -> list[tuple[str, str | None, int]]:
    """Every ledger balance as (account, organisation's name or None for the platform,
    amount), for the admin's page."""
    require_admin(actor)
    balances = ledger.balances()
    ids = {org_id for _account, org_id in balances if org_id is not None}
    names = dict(
        db.session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(ids or [0]))
        ).all()
    )
    rows = [
        (account, names.get(org_id) if org_id else None, total)
        for (account, org_id), total in balances.items()
    ]
    return sorted(rows, key=lambda row: (row[0], row[1] or ""))


@dataclass
class PayoutsOverview:
    owed: list[tuple[Organization, int]]
    balances: list[tuple[str, str | None, int]]
    report: ledger.CheckReport


def payouts_overview(actor: Actor) -> PayoutsOverview:
    """The admin's payouts page: who is owed, every balance by name, and the ledger check."""
    require_admin(actor)
    return PayoutsOverview(owed_list(actor), named_balances(actor), ledger.check())


@dataclass
class Statement:
    organization: Organization
    owed: int
    payments_in: list[Payment]
    payments_out: list[Payment]
    payouts: list[Payout]
    entries: list[LedgerEntry]


def statement(actor: Actor, organization_id: int) -> Statement:
    """What an organisation was paid, paid, was paid out, and is owed (members, admins;
    NotFound for anyone else)."""
    organization = member_or_admin(actor, organization_id)

    def latest(model, column):
        return list(
            db.session.scalars(
                select(model).where(column == organization_id).order_by(model.id.desc()).limit(200)
            )
        )

    return Statement(
        organization,
        ledger.owed_to(organization_id),
        latest(Payment, Payment.payee_id),
        latest(Payment, Payment.payer_id),
        latest(Payout, Payout.organization_id),
        ledger.entries_of(organization_id),
    )
