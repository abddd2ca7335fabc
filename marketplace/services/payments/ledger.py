"""The double-entry ledger: postings for payments, refunds and payouts; balances derived from
the entries (never stored); and the check that proves both.

Accounts (debit positive, credit negative; every transaction sums to zero):

    card payment A, fee F to payee P      clearing +A      payable[P] −(A−F)   revenue −F
    transfer A straight to P (fee F)      direct[payer] −A direct[P] +A
                                          receivable[P] +F revenue −F
    card refund R (fee share f back)      clearing −R      payable[P] +(R−f)   revenue +f
    payout X to P                         payable[P] +X    clearing −X
    card money that settled nothing       clearing +A      refund_due[payer] −A (refunded later)
    A paid to the platform itself         clearing +A      receivable[payer] −A
    (a commission invoice, by card or transfer; no fee)
    A deducted from what it holds         payable[payer] +A  receivable[payer] −A
    (a commission invoice paid by "balance")

What the platform owes an organisation = −payable − receivable.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import InvalidRequestError

from marketplace.extensions import db
from marketplace.models import (
    Account,
    LedgerEntry,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Payout,
    Refund,
    RefundStatus,
)
from marketplace.services.payments.payables import registry

A = Account


class Unbalanced(Exception):
    """A transaction whose entries do not sum to zero (a programming error)."""


def post(
    transaction: str, memo: str, lines: list[tuple[Account, int | None, int]], **refs
) -> list[LedgerEntry]:
    """Add one transaction: (account, organisation, signed amount) lines summing to zero.
    Zero lines are left out. Entries are never changed afterwards."""
    if sum(amount for _a, _o, amount in lines) != 0:
        raise Unbalanced(f"{transaction} does not balance: {lines}")
    entries = [
        LedgerEntry(
            transaction=transaction,
            account=account,
            organization_id=organization_id,
            amount=amount,
            memo=memo[:200],
            **refs,
        )
        for account, organization_id, amount in lines
        if amount
    ]
    db.session.add_all(entries)
    return entries


def payment_lines(payment: Payment) -> list[tuple[Account, int | None, int]]:
    """The entries a succeeded payment posts (its fee already fixed)."""
    if payment.problem:
        # Card money that settled nothing is owed back to the payer until refunded; kept
        # apart from what the platform owes payees (it is never paid out).
        return [
            (A.CLEARING, None, payment.amount),
            (A.REFUND_DUE, payment.payer_id, -payment.amount),
        ]
    if payment.payee_id is None:
        # Paid to the platform: what the payer owed it (its receivable) is settled.
        if payment.method is PaymentMethod.BALANCE:
            return [
                (A.PAYABLE, payment.payer_id, payment.amount),
                (A.RECEIVABLE, payment.payer_id, -payment.amount),
            ]
        return [
            (A.CLEARING, None, payment.amount),
            (A.RECEIVABLE, payment.payer_id, -payment.amount),
        ]
    if payment.method is PaymentMethod.CARD:
        return [
            (A.CLEARING, None, payment.amount),
            (A.PAYABLE, payment.payee_id, -(payment.amount - payment.fee)),
            (A.REVENUE, None, -payment.fee),
        ]
    return [
        (A.DIRECT, payment.payer_id, -payment.amount),
        (A.DIRECT, payment.payee_id, payment.amount),
        (A.RECEIVABLE, payment.payee_id, payment.fee),
        (A.REVENUE, None, -payment.fee),
    ]


def post_payment(payment: Payment) -> None:
    memo = {
        PaymentMethod.CARD: "card payment",
        PaymentMethod.BANK_TRANSFER: "bank transfer to the payee",
        PaymentMethod.BALANCE: "deducted from what the platform holds",
    }[payment.method]
    if payment.problem:
        memo = "card payment not applied"
    post(f"payment-{payment.id}", memo, payment_lines(payment), payment_id=payment.id)


def reversal_lines(payment: Payment) -> list[tuple[Account, int | None, int]]:
    return [(account, org, -amount) for account, org, amount in payment_lines(payment)]


def post_reversal(payment: Payment) -> None:
    """Undo a payment's entries with their opposites (entries are never edited)."""
    post(
        f"reversal-{payment.id}",
        "transfer recorded by mistake, reversed",
        reversal_lines(payment),
        payment_id=payment.id,
        reverses=f"payment-{payment.id}",
    )


def fee_share(payment: Payment, amount: int, refunded_before: int = 0) -> int:
    """The part of the fee a refund of ``amount`` gives back, after ``refunded_before`` was
    refunded already: proportional, computed on the running totals so that refunding all of
    a payment, in any number of parts, gives back all of its fee."""
    if not payment.amount:
        return 0
    after = payment.fee * (refunded_before + amount) // payment.amount
    return after - payment.fee * refunded_before // payment.amount


def refund_lines(refund: Refund, refunded_before: int) -> list[tuple[Account, int | None, int]]:
    payment = refund.payment
    if payment.problem:
        return [(A.CLEARING, None, -refund.amount), (A.REFUND_DUE, payment.payer_id, refund.amount)]
    if payment.payee_id is None:
        # A payment to the platform given back: the payer owes it again.
        return [
            (A.CLEARING, None, -refund.amount),
            (A.RECEIVABLE, payment.payer_id, refund.amount),
        ]
    back = fee_share(payment, refund.amount, refunded_before)
    return [
        (A.CLEARING, None, -refund.amount),
        (A.PAYABLE, payment.payee_id, refund.amount - back),
        (A.REVENUE, None, back),
    ]


def post_refund(refund: Refund) -> None:
    """The entries of a refund that has just succeeded (before ``refunded_amount`` grows)."""
    lines = refund_lines(refund, refund.payment.refunded_amount)
    post(
        f"refund-{refund.id}",
        "card refund",
        lines,
        refund_id=refund.id,
        payment_id=refund.payment_id,
    )


def payout_lines(payout: Payout) -> list[tuple[Account, int | None, int]]:
    return [(A.PAYABLE, payout.organization_id, payout.amount), (A.CLEARING, None, -payout.amount)]


def post_payout(payout: Payout) -> None:
    post(
        f"payout-{payout.id}", "payout by bank transfer", payout_lines(payout), payout_id=payout.id
    )


# --- balances --------------------------------------------------------------------------------


def balance(account: Account, organization_id: int | None = None) -> int:
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.account == account
    )
    if organization_id is not None:
        query = query.where(LedgerEntry.organization_id == organization_id)
    return int(db.session.scalar(query) or 0)


def owed_to(organization_id: int) -> int:
    """What the platform owes the organisation now (negative: the organisation owes)."""
    return -balance(A.PAYABLE, organization_id) - balance(A.RECEIVABLE, organization_id)


def balances() -> dict[tuple[str, int | None], int]:
    """Every (account, organisation) balance, from the entries."""
    rows = db.session.execute(
        select(
            LedgerEntry.account, LedgerEntry.organization_id, func.sum(LedgerEntry.amount)
        ).group_by(LedgerEntry.account, LedgerEntry.organization_id)
    ).all()
    return {(account.value, org): int(total) for account, org, total in rows}


def entries_of(organization_id: int, limit: int = 500) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.organization_id == organization_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
    )


# --- the check -------------------------------------------------------------------------------


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    transactions: int = 0
    entries: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _entries_differ(expected: dict[str, list], transactions: set[str]) -> list[str]:
    """Transactions whose entries are not exactly the ones their payment, refund or payout
    calls for (an amount, a fee, an organisation changed by hand)."""
    problems = []
    actual: dict[str, list] = defaultdict(list)
    for transaction, account, organization_id, amount in db.session.execute(
        select(
            LedgerEntry.transaction,
            LedgerEntry.account,
            LedgerEntry.organization_id,
            LedgerEntry.amount,
        )
    ):
        if transaction in transactions:
            actual[transaction].append((account, organization_id, int(amount)))
    for transaction in sorted(transactions):
        wanted = sorted((a, o, v) for a, o, v in expected[transaction] if v)
        if sorted(actual[transaction]) != wanted:
            problems.append(f"{transaction}: entries differ from what it calls for")
    return problems


def check() -> CheckReport:
    """Prove the ledger: every transaction sums to zero; each succeeded payment, succeeded
    refund and payout has exactly its transaction (and nothing else has one); each payment's
    recorded refunds equal its succeeded refunds; each payable, of every registered kind, is
    paid exactly when its payments cover it."""
    # One snapshot for every read below: money recorded meanwhile must not look like a
    # payout without entries (PostgreSQL; SQLite serialises writers anyway).
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        # Inside a caller's transaction already (tests) it is one snapshot anyway.
        with suppress(InvalidRequestError):
            db.session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
    try:
        return _check()
    finally:
        db.session.rollback()


def _check() -> CheckReport:
    report = CheckReport()
    sums: dict[str, int] = defaultdict(int)
    for transaction, amount in db.session.execute(
        select(LedgerEntry.transaction, LedgerEntry.amount)
    ):
        sums[transaction] += int(amount)
        report.entries += 1
    report.transactions = len(sums)
    for transaction, total in sums.items():
        if total:
            report.problems.append(f"transaction {transaction} sums to {total}, not 0")
    expected: dict[str, list] = {}
    net: dict[tuple[str, int], int] = defaultdict(int)
    for payment in db.session.scalars(select(Payment)):
        succeeded_refunds = sum(
            r.amount for r in payment.refunds if r.status is RefundStatus.SUCCEEDED
        )
        if payment.refunded_amount != succeeded_refunds:
            report.problems.append(
                f"payment {payment.id}: refunded_amount {payment.refunded_amount} but succeeded "
                f"refunds add up to {succeeded_refunds}"
            )
        if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REVERSED):
            expected[f"payment-{payment.id}"] = payment_lines(payment)
        if payment.status is PaymentStatus.REVERSED:
            expected[f"reversal-{payment.id}"] = reversal_lines(payment)
        if payment.status is PaymentStatus.SUCCEEDED and not payment.problem:
            # Refunds do not reopen a payable (see payables.paid_so_far).
            net[(payment.payable_kind.value, payment.payable_id)] += payment.amount
        refunded_before = 0
        for refund in sorted(payment.refunds, key=lambda r: (r.settled_at or r.created_at, r.id)):
            if refund.status is RefundStatus.SUCCEEDED:
                expected[f"refund-{refund.id}"] = refund_lines(refund, refunded_before)
                refunded_before += refund.amount
        if payment.refunded_amount > payment.amount:
            report.problems.append(f"payment {payment.id} refunded more than it took")
    for payout in db.session.scalars(select(Payout)):
        expected[f"payout-{payout.id}"] = payout_lines(payout)
    posted = set(sums)
    report.problems += _entries_differ(expected, set(expected) & posted)
    for missing in sorted(set(expected) - posted):
        report.problems.append(f"{missing} has no ledger entries")
    for extra in sorted(posted - set(expected)):
        report.problems.append(f"{extra} is in the ledger but nothing succeeded for it")
    for source in registry():
        for state in source.states():
            paid = net[(source.kind.value, state.id)]
            if state.settled and paid < state.amount:
                report.problems.append(
                    f"{state.name} is marked paid but its payments cover {paid} of {state.amount}"
                )
            if state.awaiting and paid >= state.amount:
                report.problems.append(f"{state.name} is covered but not marked paid")
    return report
