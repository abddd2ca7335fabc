"""Bank transfers straight to the payee's own account (VietQR): where to pay, transfers
recorded by the payee (or an admin, or from a bank statement), and transfers recorded by
mistake reversed — never deleted."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.i18n import format_money
from marketplace.models import (
    AuditEntry,
    Organization,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderReference,
    Role,
)
from marketplace.models._types import utcnow
from marketplace.parsing import amount_of, text_of
from marketplace.payments import vietqr
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import tell
from marketplace.services.payments import ledger, platform
from marketplace.services.payments.cards import payment_for
from marketplace.services.payments.payables import (
    AT_MOST_TIMES_OWED,
    PAYMENT_TRANSITIONS,
    Payable,
    commission,
    lock_payable,
    new_payment,
    outstanding,
    paid_on_problem,
    payable,
    reopen_if_short,
    require_payee_manager,
    settle_if_covered,
    tell_payment,
    view_payable,
)
from marketplace.services.permissions import member_of
from marketplace.services.states import step
from marketplace.validation import InvalidValue


def bank_details(found: Payable) -> dict | None:
    """Where to transfer: the payee's bank account and the VietQR payload, if it has one (the
    platform's own account when the platform is paid)."""
    payee = (
        platform.settings()
        if found.payee_id is None
        else db.session.get(Organization, found.payee_id)
    )
    if not (payee and payee.bank_bin and payee.bank_account_number):
        return None
    owed = outstanding(found)
    if owed <= 0:
        return None
    return {
        "bank": vietqr.BANKS.get(payee.bank_bin),
        "bin": payee.bank_bin,
        "account": payee.bank_account_number,
        "holder": payee.bank_account_name or payee.legal_name or payee.name,
        "amount": owed,
        "reference": found.reference,
        "payload": vietqr.payload(payee.bank_bin, payee.bank_account_number, owed, found.reference),
    }


def _account_problem(reason: str, typed: str) -> object:
    if reason == "empty":
        return _l("Enter the account number.")
    if reason == "characters":
        return _l(
            "“%(typed)s” has letters or other signs: an account number has only digits.",
            typed=typed.strip()[:40],
        )
    return _l("An account number has 6 to 19 digits.")


def save_bank_account(
    actor: Actor, organization_id: int, *, bin: str, account: str, holder: str
) -> Organization:
    """An owner or manager sets where transfers to the organisation go (VietQR): a bank of
    vietqr.BANKS, the account number as typed (spaces, dots and dashes between the digits are
    taken out) and the holder's name as typed. Raises ValidationFailed, PermissionDenied
    (staff), NotFound (anyone else)."""
    member_of(actor, organization_id, Role.MANAGER)
    errors: dict[str, object] = {}
    if bin not in vietqr.BANKS:
        errors["bin"] = _l("Choose your bank.")
    number = ""
    try:
        number = vietqr.account_number(account)
    except vietqr.InvalidAccountNumber as exc:
        errors["account"] = _account_problem(exc.reason, account or "")
    name = text_of(holder, 120)
    if not name:
        errors["holder"] = _l("Enter the account holder's name as the bank shows it.")
    if errors:
        raise ValidationFailed(errors)
    organization = lock(Organization, organization_id)
    organization.bank_bin, organization.bank_account_number, organization.bank_account_name = (
        bin,
        number,
        name,
    )
    audit.record(
        actor,
        "organization.bank_account",
        "organization",
        organization_id,
        organization_id=organization_id,
        details={"bin": bin, "account": number[-4:]},
    )
    tell_waiting_payers(organization_id)
    db.session.flush()
    return organization


#: How far back a payer's "ask them to add a bank account" is answered once it is added.
ASKED_WITHIN = timedelta(days=60)


def tell_waiting_payers(organization_id: int) -> None:
    """Payers who asked the organisation to add a bank account (see
    ``claims.ask_for_bank_account``) hear that they can pay now, once per payable."""
    asked = db.session.scalars(
        select(AuditEntry.object_id).where(
            AuditEntry.action == "payment.ask_bank_account",
            AuditEntry.organization_id == organization_id,
            AuditEntry.created_at >= utcnow() - ASKED_WITHIN,
        )
    ).all()
    told: set[str] = set()
    for object_id in asked:
        if not object_id or object_id in told or ":" not in object_id:
            continue
        told.add(object_id)
        kind_value, _sep, payable_id = object_id.partition(":")
        try:
            found = payable(PayableKind(kind_value), int(payable_id))
        except (NotFound, ValueError):
            continue
        if not found.open:
            continue
        tell(
            found.payer_id,
            "bank_account_added",
            _l("You can pay %(number)s by bank transfer now", number=found.number),
            found.pay_page.endpoint,
            context={"number": found.number},
            **found.pay_page.values,
        )


def record_transfer(
    actor: Actor,
    kind: PayableKind,
    payable_id: int,
    *,
    amount: str,
    paid_on: date | None,
    bank_reference: str,
    partial: bool = False,
) -> Payment:
    """The payee's owner or manager (or an admin) records a transfer that reached the payee's
    account. A transfer differing from what is owed is flagged and refused, unless it is
    knowingly recorded as a part payment (never more than owed); the same bank reference is
    never recorded twice for one payee (refused without disturbing the caller's other
    changes). Raises ValidationFailed, PermissionDenied (the payer, the payee's staff),
    NotFound."""
    found = view_payable(actor, kind, payable_id)
    require_payee_manager(actor, found.payee_id, seen=True)
    errors: dict[str, object] = {}
    value = 0
    try:
        value = amount_of(amount, at_most=max(found.amount, 1) * AT_MOST_TIMES_OWED)
    except InvalidValue as exc:
        errors["amount"] = exc.message
    if problem := paid_on_problem(paid_on):
        errors["paid_on"] = problem
    reference = text_of(bank_reference, 120)
    if not reference:
        errors["bank_reference"] = _l("Enter the bank's reference of the transfer.")
    if errors:
        raise ValidationFailed(errors)
    found = lock_payable(kind, payable_id)
    owed = outstanding(found)
    if not found.open or owed <= 0:
        raise ValidationFailed({"amount": _l("This is already paid, or can no longer be paid.")})
    if value > owed:
        raise ValidationFailed(
            {
                "amount": _l(
                    "Overpaid: %(amount)s is still owed, the transfer is more. "
                    "Return the difference, then record what is owed.",
                    amount=format_money(owed),
                )
            }
        )
    if value < owed and not partial:
        raise ValidationFailed(
            {
                "amount": _l(
                    "Underpaid: %(amount)s is owed. Tick “part payment” to record it as a part.",
                    amount=format_money(owed),
                )
            }
        )
    payment = new_payment(
        found,
        value,
        PaymentMethod.BANK_TRANSFER,
        actor,
        status=PaymentStatus.SUCCEEDED,
        paid_on=paid_on,
        bank_reference=reference,
        succeeded_at=utcnow(),
    )
    payment.fee = commission(found, value)
    try:
        # One bank transaction is one payment of this payee: a duplicate (or the same
        # reference recorded at the same moment elsewhere) undoes only this savepoint.
        with db.session.begin_nested():
            db.session.add(payment)
            db.session.flush()
            db.session.add(
                ProviderReference(
                    provider=f"bank:{found.payee_id}",
                    reference=reference,
                    kind="bank_transfer",
                    payment_id=payment.id,
                )
            )
    except IntegrityError:
        raise ValidationFailed(
            {"bank_reference": _l("A transfer with this bank reference is already recorded.")}
        ) from None
    ledger.post_payment(payment)
    settle_if_covered(found, actor)
    audit.record(
        actor,
        "payment.transfer",
        "payment",
        payment.id,
        organization_id=found.payee_id,
        details={"amount": value, "reference": reference, "payable": f"{kind.value}:{payable_id}"},
    )
    tell_payment(payment, found)
    db.session.flush()
    return payment


def reverse_transfer(actor: Actor, payment_id: int, reason: str) -> Payment:
    """Undo a bank transfer recorded by mistake (wrong invoice, wrong amount): the payee's
    owner or manager, or an admin, with a reason. Its ledger entries are reversed, not
    deleted, and the payable is owed again if the remaining payments no longer cover it."""
    payment = payment_for(actor, payment_id)
    require_payee_manager(actor, payment.payee_id, seen=True)
    text = (reason or "").strip()[:2000]
    if not text:
        raise ValidationFailed({"reason": _l("Say why the record is wrong.")})
    if payment.method is not PaymentMethod.BANK_TRANSFER:
        raise ValidationFailed({"reason": _l("Card payments are refunded, not reversed.")})
    found = lock_payable(payment.payable_kind, payment.payable_id)
    payment = lock(Payment, payment.id)
    payment.status = step(PAYMENT_TRANSITIONS, payment.status, "reverse")
    ledger.post_reversal(payment)
    reopen_if_short(found, actor)
    audit.record(
        actor,
        "payment.reverse",
        "payment",
        payment.id,
        organization_id=payment.payee_id,
        details={"reason": text, "amount": payment.amount, "reference": payment.bank_reference},
    )
    db.session.flush()
    return payment
