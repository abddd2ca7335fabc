""" "I have transferred": the payer says a bank transfer is on its way; the payee confirms
receipt (recording the transfer through ``transfers.record_transfer``, with its under- and
over-payment checks) or says it has not arrived. And, where the payee has no bank account
yet, the payer asks it to add one instead of meeting a dead end.

    awaiting ──confirm──▶ confirmed        (a transfer is recorded, the payable may settle)
             ├──not arrived──▶ not_arrived (the payer is told, with the payee's words)
             ├──withdraw──▶ withdrawn      (the payer takes it back)
             └──paid otherwise / voided──▶ closed

A claim never moves money by itself: only the payee's confirmation (or a bank statement
import matching the reference) records a payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.models import (
    AuditEntry,
    ClaimStatus,
    Organization,
    PayableKind,
    Payment,
    Role,
    TransferClaim,
)
from marketplace.models._types import utcnow
from marketplace.parsing import amount_of, text_of
from marketplace.services import audit, images
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import tell, tell_admins
from marketplace.services.payments import transfers
from marketplace.services.payments.payables import (
    AT_MOST_TIMES_OWED,
    Payable,
    lock_payable,
    may_see,
    outstanding,
    paid_on_problem,
    payable,
    require_payee_manager,
    view_payable,
)
from marketplace.services.permissions import has_role, require_login
from marketplace.services.states import step
from marketplace.validation import InvalidValue
from marketplace.vietnam import today

C = ClaimStatus
CLAIM_TRANSITIONS: dict[tuple[ClaimStatus, str], ClaimStatus] = {
    (C.AWAITING, "confirm"): C.CONFIRMED,
    (C.AWAITING, "not_arrived"): C.NOT_ARRIVED,
    (C.AWAITING, "withdraw"): C.WITHDRAWN,
    (C.AWAITING, "close"): C.CLOSED,
}

#: How often a payer may ask a payee to add its bank account for one payable.
ASK_AGAIN_AFTER = timedelta(hours=24)


def _tell_payee(found: Payable, template: str, subject, endpoint: str, **values) -> None:
    """The payee hears it; the platform's admins when the platform itself is paid."""
    if found.payee_id is None:
        tell_admins(template, subject, endpoint, **values)
    else:
        tell(found.payee_id, template, subject, endpoint, **values)


def awaiting_claim(kind: PayableKind, payable_id: int) -> TransferClaim | None:
    """The claim that waits for the payee's answer, if there is one."""
    return db.session.scalar(
        select(TransferClaim).where(
            TransferClaim.payable_kind == kind,
            TransferClaim.payable_id == payable_id,
            TransferClaim.status == ClaimStatus.AWAITING,
        )
    )


def claims_of(kind: PayableKind, payable_id: int) -> list[TransferClaim]:
    return list(
        db.session.scalars(
            select(TransferClaim)
            .where(TransferClaim.payable_kind == kind, TransferClaim.payable_id == payable_id)
            .order_by(TransferClaim.id.desc())
        )
    )


def latest_answered(kind: PayableKind, payable_id: int) -> TransferClaim | None:
    """The latest claim, when the payee answered that the money has not arrived (the payer
    sees its words until it claims again)."""
    latest = db.session.scalar(
        select(TransferClaim)
        .where(TransferClaim.payable_kind == kind, TransferClaim.payable_id == payable_id)
        .order_by(TransferClaim.id.desc())
        .limit(1)
    )
    return latest if latest is not None and latest.status is ClaimStatus.NOT_ARRIVED else None


def awaiting_for(kind: PayableKind, payable_ids: list[int]) -> set[int]:
    """Which of these payables have a claim awaiting confirmation (one query, for lists)."""
    if not payable_ids:
        return set()
    return set(
        db.session.scalars(
            select(TransferClaim.payable_id).where(
                TransferClaim.payable_kind == kind,
                TransferClaim.payable_id.in_(payable_ids),
                TransferClaim.status == ClaimStatus.AWAITING,
            )
        )
    )


def claim_transfer(
    actor: Actor,
    kind: PayableKind,
    payable_id: int,
    *,
    amount: str = "",
    paid_on: date | None = None,
    bank_reference: str = "",
    receipt: bytes | None = None,
) -> TransferClaim:
    """A member of the payer says it has transferred money for the payable. The amount
    defaults to what is owed; the date to today; the bank's reference and a photo of the
    receipt are optional. Refused on a payable that is paid, void or otherwise closed, and
    while an earlier claim still waits for an answer. The payee is told (email and in-app)
    with a link to confirm or answer."""
    found = view_payable(actor, kind, payable_id)
    if not has_role(actor, found.payer_id):
        raise PermissionDenied("the payer's members")
    errors: dict[str, object] = {}
    owed = outstanding(found)
    value = owed
    if (amount or "").strip():
        try:
            value = amount_of(amount, at_most=max(found.amount, 1) * AT_MOST_TIMES_OWED)
        except InvalidValue as exc:
            errors["amount"] = exc.message
    day = paid_on or today()
    if problem := paid_on_problem(day):
        errors["paid_on"] = problem
    reference = text_of(bank_reference, 120) or None
    if errors:
        raise ValidationFailed(errors)
    found = lock_payable(kind, payable_id)
    owed = outstanding(found)
    if not found.open or owed <= 0:
        raise ValidationFailed({"amount": _l("This is already paid, or can no longer be paid.")})
    if awaiting_claim(kind, payable_id) is not None:
        raise ValidationFailed(
            {"amount": _l("You have already said so; the payee has been asked to confirm it.")}
        )
    receipt_key = None
    if receipt:
        receipt_key, _type, _size = images.store_private(
            f"claims/{kind.value}-{payable_id}", receipt, field="receipt"
        )
    claim = TransferClaim(
        payable_kind=kind,
        payable_id=payable_id,
        payer_id=found.payer_id,
        payee_id=found.payee_id,
        amount=value,
        paid_on=day,
        bank_reference=reference,
        receipt_key=receipt_key,
        created_by_id=actor.user_id,
    )
    try:
        # The partial unique index keeps one awaiting claim per payable, even when two
        # people of the payer tap at the same moment.
        with db.session.begin_nested():
            db.session.add(claim)
            db.session.flush()
    except IntegrityError:
        if receipt_key:
            images.discard([receipt_key])
        raise ValidationFailed(
            {"amount": _l("You have already said so; the payee has been asked to confirm it.")}
        ) from None
    audit.record(
        actor,
        "payment.claim",
        "transfer_claim",
        claim.id,
        organization_id=found.payer_id,
        details={"payable": f"{kind.value}:{payable_id}", "amount": value, "owed": owed},
    )
    _tell_payee(
        found,
        "transfer_claimed",
        _l("Transfer to confirm: %(number)s", number=found.number),
        "payments.claim_page",
        claim_id=claim.id,
        context={"claim": claim, "number": found.number, "owed": owed},
    )
    return claim


@dataclass(frozen=True)
class ClaimView:
    claim: TransferClaim
    payable: Payable
    outstanding: int
    #: The payee's owner or manager, or an admin: may confirm or answer.
    can_answer: bool
    #: A member of the payer: may withdraw it.
    is_payer: bool


def view_claim(actor: Actor, claim_id: int) -> ClaimView:
    """A claim for the payer's and payee's members and admins; NotFound for anyone else."""
    require_login(actor)
    claim = db.session.get(TransferClaim, claim_id)
    if claim is None or not may_see(actor, claim.payer_id, claim.payee_id):
        raise NotFound("transfer claim")
    found = payable(claim.payable_kind, claim.payable_id)
    can_answer = actor.is_admin or (
        claim.payee_id is not None and has_role(actor, claim.payee_id, Role.MANAGER)
    )
    return ClaimView(claim, found, outstanding(found), can_answer, has_role(actor, claim.payer_id))


def _answerable(actor: Actor, claim_id: int) -> TransferClaim:
    """The claim, for its payee's owners and managers or an admin (checked first)."""
    claim = view_claim(actor, claim_id).claim
    require_payee_manager(actor, claim.payee_id, seen=True)
    return claim


def _locked_awaiting(claim: TransferClaim) -> tuple[TransferClaim, Payable]:
    """The claim and its payable, locked; refused once it has been answered."""
    found = lock_payable(claim.payable_kind, claim.payable_id)
    claim = lock(TransferClaim, claim.id)
    if claim.status is not ClaimStatus.AWAITING:
        raise ValidationFailed({"amount": _l("This has already been answered.")})
    return claim, found


def confirm_claim(
    actor: Actor,
    claim_id: int,
    *,
    amount: str,
    paid_on: date | None,
    bank_reference: str,
    partial: bool = False,
) -> Payment:
    """The payee confirms the money arrived: the transfer is recorded as the payee saw it on
    its account (amount, date, the bank's reference) with the usual checks — an amount
    that differs from what is owed is refused with its flag (overpaid, underpaid unless
    knowingly a part payment), never settled silently."""
    claim, found = _locked_awaiting(_answerable(actor, claim_id))
    if not found.open or outstanding(found) <= 0:
        raise ValidationFailed({"amount": _l("This is already paid, or can no longer be paid.")})
    payment = transfers.record_transfer(
        actor,
        claim.payable_kind,
        claim.payable_id,
        amount=amount,
        paid_on=paid_on,
        bank_reference=bank_reference,
        partial=partial,
    )
    # Recording may have settled the payable, which closes awaiting claims; this one is
    # the claim that was confirmed.
    claim.status = ClaimStatus.CONFIRMED
    claim.payment_id = payment.id
    claim.answered_by_id = actor.user_id
    claim.answered_at = utcnow()
    audit.record(
        actor,
        "payment.claim_confirmed",
        "transfer_claim",
        claim.id,
        organization_id=claim.payee_id or claim.payer_id,
        details={"payment": payment.id, "claimed": claim.amount, "recorded": payment.amount},
    )
    db.session.flush()
    return payment


def not_arrived(actor: Actor, claim_id: int, note: str) -> TransferClaim:
    """The payee says the money has not arrived (with what it wants the payer to know); the
    payer is told and may claim again once it has checked."""
    claim = _answerable(actor, claim_id)
    text = text_of(note, 1000)
    if not text:
        raise ValidationFailed(
            {"note": _l("Say what you see on your account, so the payer can check.")}
        )
    claim, found = _locked_awaiting(claim)
    claim.status = step(CLAIM_TRANSITIONS, claim.status, "not_arrived")
    claim.answer = text
    claim.answered_by_id = actor.user_id
    claim.answered_at = utcnow()
    audit.record(
        actor,
        "payment.claim_not_arrived",
        "transfer_claim",
        claim.id,
        organization_id=claim.payee_id or claim.payer_id,
        details={"note": text},
    )
    tell(
        claim.payer_id,
        "transfer_not_arrived",
        _l("Transfer not received yet: %(number)s", number=found.number),
        found.pay_page.endpoint,
        context={"claim": claim, "number": found.number, "note": text},
        **found.pay_page.values,
    )
    db.session.flush()
    return claim


def withdraw_claim(actor: Actor, claim_id: int) -> TransferClaim:
    """The payer takes its claim back (it tapped too early, or paid another way)."""
    view = view_claim(actor, claim_id)
    if not view.is_payer:
        raise PermissionDenied("the payer's members")
    lock_payable(view.claim.payable_kind, view.claim.payable_id)
    claim = lock(TransferClaim, claim_id)
    if claim.status is not ClaimStatus.AWAITING:
        raise ValidationFailed({"claim": _l("This has already been answered.")})
    claim.status = step(CLAIM_TRANSITIONS, claim.status, "withdraw")
    claim.answered_by_id = actor.user_id
    claim.answered_at = utcnow()
    audit.record(
        actor,
        "payment.claim_withdrawn",
        "transfer_claim",
        claim.id,
        organization_id=claim.payer_id,
    )
    db.session.flush()
    return claim


def receipt_of(actor: Actor, claim_id: int) -> str:
    """The stored key of the claim's receipt photo (its parties and admins)."""
    key = view_claim(actor, claim_id).claim.receipt_key
    if not key:
        raise NotFound("receipt")
    return key


def ask_for_bank_account(actor: Actor, kind: PayableKind, payable_id: int) -> Organization:
    """The payer asks a payee without a bank account to add one (email and in-app notice to
    the payee's members), at most once a day per payable."""
    found = view_payable(actor, kind, payable_id)
    if not has_role(actor, found.payer_id):
        raise PermissionDenied("the payer's members")
    if found.payee_id is None:
        raise NotFound("payee")
    payee = lock(Organization, found.payee_id)
    if payee.bank_bin and payee.bank_account_number:
        raise ValidationFailed({"ask": _l("The payee has added a bank account: reload the page.")})
    if not found.open:
        raise ValidationFailed({"ask": _l("This is already paid, or can no longer be paid.")})
    target = f"{kind.value}:{payable_id}"
    asked = db.session.scalar(
        select(AuditEntry.id).where(
            AuditEntry.action == "payment.ask_bank_account",
            AuditEntry.object_type == "payable",
            AuditEntry.object_id == target,
            AuditEntry.created_at >= utcnow() - ASK_AGAIN_AFTER,
        )
    )
    if asked:
        raise ValidationFailed(
            {"ask": _l("The payee was asked today already. They have been sent the link.")}
        )
    audit.record(
        actor,
        "payment.ask_bank_account",
        "payable",
        target,
        organization_id=found.payee_id,
        details={"payer": found.payer_id},
    )
    tell(
        found.payee_id,
        "bank_account_asked",
        _l("Add your bank account to be paid for %(number)s", number=found.number),
        "payments.bank_account",
        org_id=found.payee_id,
        context={"number": found.number, "amount": found.amount},
    )
    return payee
