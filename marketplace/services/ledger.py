"""The double-entry ledger: postings for payments, refunds and payouts; balances derived from
the entries (never stored); and the check that proves both.

Accounts (debit positive, credit negative; every transaction sums to zero):

    card payment A, fee F to payee P      clearing +A      payable[P] −(A−F)   revenue −F
    transfer A straight to P (fee F)      direct[payer] −A direct[P] +A
                                          receivable[P] +F revenue −F
    card refund R (fee share f back)      clearing −R      payable[P] +(R−f)   revenue +f
    payout X to P                         payable[P] +X    clearing −X
    card money that settled nothing       clearing +A      payable[payer] −A   (refunded later)

What the platform owes an organisation = −payable − receivable.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    Account,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Payout,
    Refund,
    RefundStatus,
)
from marketplace.models.fairs import ApplicationStatus, FairApplication

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


def post_payment(payment: Payment) -> None:
    """The entries of a payment that has just succeeded (its fee already fixed)."""
    transaction = f"payment-{payment.id}"
    if payment.problem:
        # Card money that settled nothing is owed back to the payer until refunded.
        post(
            transaction,
            "card payment not applied",
            [(A.CLEARING, None, payment.amount), (A.PAYABLE, payment.payer_id, -payment.amount)],
            payment_id=payment.id,
        )
    elif payment.method is PaymentMethod.CARD:
        post(
            transaction,
            "card payment",
            [
                (A.CLEARING, None, payment.amount),
                (A.PAYABLE, payment.payee_id, -(payment.amount - payment.fee)),
                (A.REVENUE, None, -payment.fee),
            ],
            payment_id=payment.id,
        )
    else:
        post(
            transaction,
            "bank transfer to the payee",
            [
                (A.DIRECT, payment.payer_id, -payment.amount),
                (A.DIRECT, payment.payee_id, payment.amount),
                (A.RECEIVABLE, payment.payee_id, payment.fee),
                (A.REVENUE, None, -payment.fee),
            ],
            payment_id=payment.id,
        )


def fee_share(payment: Payment, amount: int) -> int:
    """The part of the fee a refund of ``amount`` gives back: proportional, rounded down."""
    return payment.fee * amount // payment.amount if payment.amount else 0


def post_refund(refund: Refund) -> None:
    payment = refund.payment
    if payment.problem:
        lines = [(A.CLEARING, None, -refund.amount), (A.PAYABLE, payment.payer_id, refund.amount)]
    else:
        back = fee_share(payment, refund.amount)
        lines = [
            (A.CLEARING, None, -refund.amount),
            (A.PAYABLE, payment.payee_id, refund.amount - back),
            (A.REVENUE, None, back),
        ]
    post(f"refund-{refund.id}", "card refund", lines, refund_id=refund.id, payment_id=payment.id)


def post_payout(payout: Payout) -> None:
    post(
        f"payout-{payout.id}",
        "payout by bank transfer",
        [(A.PAYABLE, payout.organization_id, payout.amount), (A.CLEARING, None, -payout.amount)],
        payout_id=payout.id,
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


def check() -> CheckReport:
    """Prove the ledger: every transaction sums to zero; each succeeded payment, succeeded
    refund and payout has exactly its transaction (and nothing else has one); each payment's
    recorded refunds equal its succeeded refunds; each invoice and fair fee is paid exactly
    when its payments, net of refunds, cover it."""
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
    expected: set[str] = set()
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
        if payment.status is PaymentStatus.SUCCEEDED:
            expected.add(f"payment-{payment.id}")
            if not payment.problem:
                # Refunds do not reopen a payable (see payments.paid_so_far).
                net[(payment.payable_kind.value, payment.payable_id)] += payment.amount
        for refund in payment.refunds:
            if refund.status is RefundStatus.SUCCEEDED:
                expected.add(f"refund-{refund.id}")
    for payout_id in db.session.scalars(select(Payout.id)):
        expected.add(f"payout-{payout_id}")
    posted = set(sums)
    for missing in sorted(expected - posted):
        report.problems.append(f"{missing} has no ledger entries")
    for extra in sorted(posted - expected):
        report.problems.append(f"{extra} is in the ledger but nothing succeeded for it")
    for invoice in db.session.scalars(select(Invoice)):
        paid = net[(PayableKind.INVOICE.value, invoice.id)]
        if invoice.status is InvoiceStatus.PAID and paid < invoice.total:
            report.problems.append(
                f"invoice {invoice.number} is paid but its payments cover {paid} of {invoice.total}"
            )
        if (
            invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE)
            and paid >= invoice.total
        ):
            report.problems.append(f"invoice {invoice.number} is covered but not marked paid")
    for application in db.session.scalars(
        select(FairApplication).where(FairApplication.fee_amount.is_not(None))
    ):
        paid = net[(PayableKind.FAIR_FEE.value, application.id)]
        confirmed = application.paid_at is not None
        if confirmed and paid < (application.fee_amount or 0):
            report.problems.append(
                f"fair fee {application.id} is marked paid but its payments cover {paid}"
            )
        if (
            not confirmed
            and application.status is ApplicationStatus.ACCEPTED
            and paid >= (application.fee_amount or 0)
        ):
            report.problems.append(f"fair fee {application.id} is covered but not marked paid")
    return report
