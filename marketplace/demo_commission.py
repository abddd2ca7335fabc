"""Demo data for the platform's fee: the platform's own bank account, and a spot order of the
Lai Châu ginseng co-op delivered, invoiced and paid by bank transfer last month — so last
month's platform fee invoice is issued to it, payable by VietQR to the platform."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from marketplace.demo_contracts import (
    BUYER,
    _actor,
    _backdate,
    _deliver,
    _listing,
    _location,
    _moment,
    _org_id,
    _sign,
)
from marketplace.extensions import db
from marketplace.models import CommissionInvoice, Delivery, LedgerEntry, Payment
from marketplace.payments import vietqr
from marketplace.services.context import Actor
from marketplace.services.deals import contracts, invoices
from marketplace.services.payments import commission, platform
from marketplace.vietnam import today

COOP = "sam.laichau@demo.chohtx.vn"
ADMIN = "admin@demo.chohtx.vn"
#: The platform's account (Vietcombank where the bank list has it).
PLATFORM_ACCOUNT = ("970436", "0071001234567", "CONG TY CP CHO HTX")


def seed_commission() -> bool:
    """Once: the platform's bank account, and the co-op's fee invoice for last month."""
    if not platform.has_bank_account():
        bank_bin, account, holder = PLATFORM_ACCOUNT
        if bank_bin not in vietqr.BANKS:
            bank_bin = next(iter(vietqr.BANKS))
        platform.save_bank_account(_actor(ADMIN), bin=bank_bin, account=account, holder=holder)
        db.session.commit()
    coop_id = _org_id(COOP)
    if db.session.scalar(
        select(CommissionInvoice.id).where(CommissionInvoice.organization_id == coop_id)
    ):
        return False
    wine = _listing(COOP, "Rượu sâm Lai Châu")
    if wine is None:
        return False
    quantity = max(wine.min_order_quantity, 48)
    order = contracts.place_spot_order(
        _actor(BUYER),
        _org_id(BUYER),
        wine.id,
        contracts.SpotOrderData(
            quantity=str(quantity),
            delivery_on=today() + timedelta(days=max(wine.lead_time_days, 1) + 2),
            delivery_location_id=_location(BUYER),
            payment_days="10",
            note="Hàng biếu khách dịp cuối năm",
            seen_unit_price=wine.unit_price_for(quantity),
        ),
    )
    _sign(COOP, order.id)
    db.session.commit()
    # Delivered, invoiced and paid in the middle of last month.
    middle = commission.last_month() + timedelta(days=12)
    delivery = db.session.scalar(select(Delivery).where(Delivery.contract_id == order.id))
    _backdate(order.id, (delivery.scheduled_on - middle).days)
    invoice = _deliver(COOP, db.session.get_one(Delivery, delivery.id))
    payment = invoices.record_payment(
        _actor(COOP),
        invoice.id,
        amount=str(invoice.total),
        paid_on=middle + timedelta(days=2),
        reference=f"FT{middle:%y%m%d}0048",
    )
    db.session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.payment_id == payment.id)
        .values(created_at=_moment(middle + timedelta(days=2), 9))
    )
    db.session.get_one(Payment, payment.id).succeeded_at = _moment(middle + timedelta(days=2), 9)
    db.session.commit()
    commission.bill_month(Actor.system(), commission.last_month())
    db.session.commit()
    return True
