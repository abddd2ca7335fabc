"""Payouts: money the platform sends an organisation by bank transfer, never more than the
ledger says it is owed, each bank transaction recorded once."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.models import Organization, Payout, ProviderReference
from marketplace.parsing import amount_of, text_of
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.payments import ledger
from marketplace.services.payments.payables import paid_on_problem
from marketplace.services.permissions import require_admin
from marketplace.validation import InvalidValue


def record_payout(
    actor: Actor, organization_id: int, *, amount: str, paid_on: date | None, bank_reference: str
) -> Payout:
    """An admin records money sent to an organisation; never more than it is owed, and one
    bank transaction once (a double submit is refused). Raises ValidationFailed,
    PermissionDenied (not an admin), NotFound."""
    require_admin(actor)
    organization = lock(Organization, organization_id)
    if organization is None:
        raise NotFound("organization")
    errors: dict[str, object] = {}
    owed = ledger.owed_to(organization_id)
    value = 0
    try:
        value = amount_of(amount, at_most=max(owed, 1))
    except InvalidValue as exc:
        errors["amount"] = exc.message
    if owed <= 0:
        errors["amount"] = _l("Nothing is owed to this organisation.")
    if problem := paid_on_problem(paid_on):
        errors["paid_on"] = problem
    reference = text_of(bank_reference, 120)
    if not reference:
        errors["bank_reference"] = _l("Enter the bank's reference of the transfer.")
    if errors:
        raise ValidationFailed(errors)
    payout = Payout(
        organization_id=organization_id,
        amount=value,
        paid_on=paid_on,
        bank_reference=reference,
        recorded_by_id=actor.user_id,
    )
    try:
        # One bank transaction is one payout: a duplicate undoes only this savepoint.
        with db.session.begin_nested():
            db.session.add(payout)
            db.session.add(
                ProviderReference(
                    provider=f"payout:{organization_id}", reference=reference, kind="payout"
                )
            )
    except IntegrityError:
        raise ValidationFailed(
            {"bank_reference": _l("A payout with this bank reference is already recorded.")}
        ) from None
    ledger.post_payout(payout)
    audit.record(
        actor,
        "payout.record",
        "payout",
        payout.id,
        organization_id=organization_id,
        details={"amount": value, "reference": reference},
    )
    db.session.flush()
    return payout
