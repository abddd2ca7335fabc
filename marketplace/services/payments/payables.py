"""Anything payable — a contract invoice (buyer → co-op), a fair's booth fee (co-op →
organiser), and whatever kind comes next — seen by payment code through one interface.

Each kind is a ``PayableSource`` registered by its own module (``invoices.InvoicePayables``,
``fairs.FairFeePayables``) into the ``PayableRegistry`` that ``create_app`` installs in
``app.extensions["payables"]``. Cards, transfers, refunds, statements, balances and the ledger
check go through the registry and never ask which kind they hold: adding a kind is one
``PayableKind`` member (the column's type), its reference letter below, and one registration.

PAYMENT_TRANSITIONS: pending → succeeded | failed | cancelled; failed → succeeded (a retry).
Every change to a payable's payments runs under its source's lock, so a card payment and a
transfer racing for one payable settle it once; the loser is refused (a transfer) or refunded
(card money that arrived second).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    ClaimStatus,
    Organization,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderReference,
    Role,
    TransferClaim,
)
from marketplace.models._types import utcnow
from marketplace.models.payments import REFERENCE_LETTERS
from marketplace.payments.base import CardProvider
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, PermissionDenied
from marketplace.services.notifications import tell
from marketplace.services.payments import fees
from marketplace.services.permissions import has_role, member_or_admin, require_login
from marketplace.vietnam import today

P = PaymentStatus
PAYMENT_TRANSITIONS: dict[tuple[PaymentStatus, str], PaymentStatus] = {
    (P.PENDING, "succeed"): P.SUCCEEDED,
    (P.FAILED, "succeed"): P.SUCCEEDED,
    # Stripe's page can still be paid after the payer came back through "cancel".
    (P.CANCELLED, "succeed"): P.SUCCEEDED,
    (P.PENDING, "fail"): P.FAILED,
    (P.PENDING, "cancel"): P.CANCELLED,
    (P.SUCCEEDED, "reverse"): P.REVERSED,
}

#: How far back a transfer or a payout may be dated. Two years: a bank statement or a
#: payment found late (an audit, a dispute, a co-op that kept paper records) must still be
#: recordable, and money sent out is recorded under the same rule as money that came in.
PAID_ON_WINDOW = timedelta(days=730)

#: A sum said to be paid (a recorded transfer, a payer's claim) is read up to this many times
#: the payable's amount, so an overpayment is named as one; a typo of several extra digits is
#: refused outright.
AT_MOST_TIMES_OWED = 10


def paid_on_problem(paid_on: date | None) -> Any:
    """Why a transfer's or payout's date cannot be right, or None."""
    if paid_on is None:
        return _l("Enter the date of the payment.")
    if paid_on > today():
        return _l("The payment date cannot be in the future.")
    if paid_on < today() - PAID_ON_WINDOW:
        return _l("The payment date can be at most two years ago.")
    return None


# --- the interface -------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A page of the site, as an endpoint and its values (``url_for`` or ``tell``)."""

    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Payable:
    """Something owed, as payment code sees it: what, how much, by whom to whom."""

    kind: PayableKind
    id: int
    amount: int
    payer_id: int
    #: None when the platform itself is paid (a commission invoice).
    payee_id: int | None
    #: Its name for people: the invoice's number, the fair's name.
    number: str
    #: Still waiting for money (not paid, void, expired or cancelled).
    open: bool
    #: Its own page (the invoice; the fair the fee is for).
    page: Link
    #: What links to its page ("Invoice HD-0001") and the pay page's heading.
    label: Any
    heading: Any
    #: Where payment notices send the parties (its own page unless told otherwise).
    notice_page: Link | None = None
    #: Where the payee looks after it, when that is not its own page (a booth fee: the
    #: organiser's review of the application; its own page is the co-op's applications).
    payee_page: Link | None = None
    #: The commission follows this category's rate, when it has one.
    category_id: int | None = None
    #: When it is due, if it has a due date.
    due_on: date | None = None

    @property
    def reference(self) -> str:
        return transfer_reference(self.kind, self.id)

    @property
    def pay_page(self) -> Link:
        return Link("payments.pay", {"kind": self.kind.value, "payable_id": self.id})

    def page_for(self, organization_id: int | None) -> Link:
        """Its page as one side sees it: the payee's own page where it has one."""
        if self.payee_page is not None and organization_id == self.payee_id:
            return self.payee_page
        return self.page


@dataclass(frozen=True)
class PayableState:
    """One payable as the ledger check sees it."""

    id: int
    #: Names it in the check's report ("invoice HD-0001", "fair fee 12").
    name: str
    amount: int
    #: Its workflow says it is paid.
    settled: bool
    #: Its workflow waits for payment (so covering it should have settled it).
    awaiting: bool


class PayableSource(Protocol):
    """One kind of payable, registered once; payment code calls nothing else of its module."""

    kind: PayableKind

    def find(self, payable_id: int) -> Payable | None:
        """The payable as it is now, or None if there is no such thing to pay."""

    def lock(self, payable_id: int) -> None:
        """Lock the rows that serialise changes to its payments (NotFound if none)."""

    def settle(self, actor: Actor, payable_id: int) -> None:
        """Its payments now cover it (the caller holds its lock): invoice paid, booth
        confirmed. Its own notices go through the outbox."""

    def reopen(self, actor: Actor, payable_id: int) -> None:
        """A payment that covered it was reversed (lock held): owed again."""

    def states(self) -> Iterable[PayableState]:
        """Every payable of the kind that has an amount, for the ledger check."""


class PayableRegistry:
    """The payable kinds this application knows, by ``PayableKind``."""

    def __init__(self, sources: Iterable[PayableSource] = ()):
        self._sources: dict[PayableKind, PayableSource] = {}
        for source in sources:
            self.register(source)

    def register(self, source: PayableSource) -> None:
        if source.kind in self._sources:
            raise ValueError(f"payable kind {source.kind} is registered twice")
        if source.kind not in REFERENCE_LETTERS:
            raise ValueError(f"payable kind {source.kind} has no transfer reference letter")
        self._sources[source.kind] = source

    def source(self, kind: PayableKind) -> PayableSource:
        try:
            return self._sources[kind]
        except KeyError:
            raise NotFound("payable kind") from None

    def __iter__(self) -> Iterator[PayableSource]:
        return iter(self._sources.values())

    def __contains__(self, kind: object) -> bool:
        return kind in self._sources


def install(app, *sources: PayableSource) -> PayableRegistry:
    """Give the application its payable kinds (explicitly, from ``create_app``)."""
    registry = PayableRegistry(sources)
    app.extensions["payables"] = registry
    return registry


def registry() -> PayableRegistry:
    return current_app.extensions["payables"]


def kind_named(value: str) -> PayableKind:
    """The registered kind a URL names; NotFound for anything else."""
    try:
        kind = PayableKind(value)
    except ValueError:
        raise NotFound("payable kind") from None
    if kind not in registry():
        raise NotFound("payable kind")
    return kind


# --- transfer references -------------------------------------------------------------------

_KINDS_BY_LETTER = {letter: kind for kind, letter in REFERENCE_LETTERS.items()}
_REFERENCE = re.compile(rf"\bCH([{''.join(sorted(_KINDS_BY_LETTER))}])([1-9]\d{{0,9}})([A-Z])\b")


def transfer_reference(kind: PayableKind, payable_id: int) -> str:
    """A short reference for the transfer message: "CHI123K" (invoice 123) or "CHF45B" (fair
    fee 45); the last letter is a check letter, so a mistyped digit does not match another."""
    letter = REFERENCE_LETTERS[kind]
    check = sum((i + 3) * int(d) for i, d in enumerate(str(payable_id))) + ord(letter)
    return f"CH{letter}{payable_id}{chr(ord('A') + check % 26)}"


def parse_reference(text: str) -> tuple[PayableKind, int] | None:
    """The payable named in a transfer message, if it holds a valid reference."""
    for letter, digits, check in _REFERENCE.findall((text or "").upper().replace("-", "")):
        kind = _KINDS_BY_LETTER[letter]
        # Compared as typed: a digit dropped or a leading zero added does not match.
        if transfer_reference(kind, int(digits)) == f"CH{letter}{digits}{check}":
            return kind, int(digits)
    return None


# --- reading, locking, settling ------------------------------------------------------------


def payable(kind: PayableKind, payable_id: int) -> Payable:
    found = registry().source(kind).find(payable_id)
    if found is None:
        raise NotFound("payable")
    return found


def lock_payable(kind: PayableKind, payable_id: int) -> Payable:
    """Lock what settles the payable, then read it afresh."""
    registry().source(kind).lock(payable_id)
    return payable(kind, payable_id)


def paid_so_far(kind: PayableKind, payable_id: int) -> int:
    """Succeeded payments that settled this payable. A later refund (goods returned, a
    goodwill gesture) does not reopen it: refunds are on the payment, not the payable."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.payable_kind == kind,
                Payment.payable_id == payable_id,
                Payment.status == PaymentStatus.SUCCEEDED,
                Payment.problem.is_(None),
            )
        )
        or 0
    )


def outstanding(found: Payable) -> int:
    """What is still owed on it (nothing once it is no longer open is decided elsewhere)."""
    return found.amount - paid_so_far(found.kind, found.id)


def payments_of(kind: PayableKind, payable_id: int) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.payable_kind == kind, Payment.payable_id == payable_id)
            .order_by(Payment.id)
        )
    )


def settle_if_covered(found: Payable, actor: Actor) -> None:
    """Settle the payable once its payments cover it (the caller holds its lock); a payer's
    "I have transferred" still awaiting an answer is closed with it (the claim that was
    confirmed is marked so by its caller)."""
    if paid_so_far(found.kind, found.id) >= found.amount:
        registry().source(found.kind).settle(actor, found.id)
        for claim in db.session.scalars(
            select(TransferClaim).where(
                TransferClaim.payable_kind == found.kind,
                TransferClaim.payable_id == found.id,
                TransferClaim.status == ClaimStatus.AWAITING,
            )
        ):
            claim.status = ClaimStatus.CLOSED
            claim.answered_at = utcnow()


def reopen_if_short(found: Payable, actor: Actor) -> None:
    """Owed again once its payments no longer cover it (the caller holds its lock)."""
    if paid_so_far(found.kind, found.id) < found.amount:
        registry().source(found.kind).reopen(actor, found.id)


def commission(found: Payable, amount: int) -> int:
    """The platform's fee on ``amount``: the category's rate, else the platform's, rounded
    down to the đồng; none on what is paid to the platform itself."""
    if found.payee_id is None:
        return 0
    return fees.fee_on(amount, fees.rate_bps(found.category_id))


def new_payment(found: Payable, amount: int, method: PaymentMethod, actor: Actor, **values):
    return Payment(
        payable_kind=found.kind,
        payable_id=found.id,
        amount=amount,
        payer_id=found.payer_id,
        payee_id=found.payee_id,
        method=method,
        created_by_id=actor.user_id,
        **values,
    )


def tell_payment(payment: Payment, found: Payable) -> None:
    """Both parties hear that the payment arrived (through the outbox); only the payer when
    the platform itself was paid."""
    link = found.notice_page or found.page
    for org_id in (payment.payer_id, payment.payee_id):
        if org_id is None:
            continue
        tell(
            org_id,
            "payment_received",
            _l("Payment received: %(number)s", number=found.number),
            link.endpoint,
            attach=[{"kind": "receipt", "id": payment.id}],
            context={"payment": payment, "number": found.number},
            **link.values,
        )


# --- the card provider ---------------------------------------------------------------------


def cards() -> CardProvider | None:
    """The card provider (``app.extensions["cards"]``), or None when cards are not offered."""
    return current_app.extensions.get("cards")


def known_reference(provider: str, reference: str) -> bool:
    """Whether this provider's reference is recorded already (each is kept once)."""
    return bool(
        db.session.scalar(
            select(ProviderReference.id).where(
                ProviderReference.provider == provider, ProviderReference.reference == reference
            )
        )
    )


# --- who may do what -----------------------------------------------------------------------


def may_see(actor: Actor, payer_id: int, payee_id: int | None) -> bool:
    """Money between two organisations is seen by their members and by platform admins
    (money paid to the platform: by the payer's members and admins)."""
    user = actor.user
    if user is None or not user.is_active:
        return False
    return (
        actor.is_admin
        or has_role(actor, payer_id)
        or (payee_id is not None and has_role(actor, payee_id))
    )


def view_payable(actor: Actor, kind: PayableKind, payable_id: int) -> Payable:
    """A payable for its payer, its payee or an admin; anyone else NotFound."""
    require_login(actor)
    found = payable(kind, payable_id)
    if not may_see(actor, found.payer_id, found.payee_id):
        raise NotFound("payable")
    return found


@dataclass(frozen=True)
class PayPage:
    """A payable as its pay page shows it, with what the actor may do there."""

    payable: Payable
    outstanding: int
    history: list[Payment]
    #: A member of the payer: sees how to pay.
    is_payer: bool
    #: The payer's owner or manager: may start a card payment.
    can_pay: bool
    #: The payee's owner or manager, or an admin: records transfers, reverses, refunds.
    handles_money: bool
    #: Who is paid (None: the platform itself).
    payee: Organization | None = None
    #: A member of the payee (any role).
    is_payee: bool = False

    @property
    def back(self) -> Link:
        """Where the page leads back to, for the reader's side."""
        if self.is_payee and not self.is_payer:
            return self.payable.page_for(self.payable.payee_id)
        return self.payable.page


def pay_page(actor: Actor, kind: PayableKind, payable_id: int) -> PayPage:
    """Everything the pay page shows, for the payer, the payee or an admin (NotFound for
    anyone else)."""
    found = view_payable(actor, kind, payable_id)
    require_login(actor)
    return PayPage(
        payable=found,
        outstanding=outstanding(found),
        history=payments_of(found.kind, found.id),
        is_payer=has_role(actor, found.payer_id),
        can_pay=has_role(actor, found.payer_id, Role.MANAGER),
        handles_money=actor.is_admin
        or (found.payee_id is not None and has_role(actor, found.payee_id, Role.MANAGER)),
        payee=db.session.get(Organization, found.payee_id) if found.payee_id else None,
        is_payee=found.payee_id is not None and has_role(actor, found.payee_id),
    )


def require_payee_manager(
    actor: Actor, payee_id: int | None, *, seen: bool = False
) -> Organization | None:
    """The one rule for handling money a payee received (recording and reversing transfers,
    refunds, statements): the payee's owner or manager, or a platform admin. Money paid to
    the platform itself (``payee_id`` None) is handled by platform admins only.

    Anyone else is refused as ``permissions.member_or_admin`` refuses them (NotFound for a
    non-member, PermissionDenied for the payee's staff) — except that with ``seen`` (the
    actor was already shown the payable, as its payer) the refusal is PermissionDenied.
    """
    if payee_id is None:
        require_login(actor)
        if actor.is_admin:
            return None
        if seen:
            raise PermissionDenied("platform admins")
        raise NotFound("payee")
    try:
        return member_or_admin(actor, payee_id, Role.MANAGER)
    except NotFound:
        if seen:
            raise PermissionDenied("the payee's owners and managers") from None
        raise
