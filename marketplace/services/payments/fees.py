"""The platform's fee, in the open: the rate of a category (or the platform's own), and the fee
it takes on an amount. Payments fix their fee with these; pages show them with the
``payments/_fee.html`` macro before anyone commits to money."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Category, Listing


def default_rate() -> int:
    """The platform's rate in basis points (300 = 3 %), for categories without their own."""
    return int(current_app.config["PLATFORM_COMMISSION_BPS"])


def rate_bps(category_id: int | None = None) -> int:
    """The rate that applies to money for something of this category, in basis points: the
    category's own rate when it has one, else the platform's."""
    bps = None
    if category_id is not None:
        bps = db.session.scalar(select(Category.commission_bps).where(Category.id == category_id))
    return default_rate() if bps is None else int(bps)


def rates() -> dict[int, int]:
    """Every category's rate (the platform's where it has none), by category id: for a form
    that shows the rate of the category being chosen."""
    default = default_rate()
    return {
        category_id: default if bps is None else int(bps)
        for category_id, bps in db.session.execute(select(Category.id, Category.commission_bps))
    }


def fee_on(amount: int | None, bps: int) -> int:
    """The fee on ``amount`` at ``bps``, rounded down to the đồng."""
    return (amount or 0) * bps // 10_000


def rate_of(fee: int, amount: int) -> int:
    """The rate a fixed fee was taken at. Fees are rounded down, so several rates give the
    same fee on a small amount: the roundest of them (3 % rather than 2,91 %)."""
    if not amount or not fee:
        return 0
    low = -(-fee * 10_000 // amount)
    high = -(-(fee + 1) * 10_000 // amount) - 1
    for step in (100, 50, 25, 10, 5, 1):
        candidate = -(-low // step) * step
        if candidate <= high:
            return candidate
    return low


def rate_text(bps: int, language: str = "vi") -> str:
    """A rate for people: 300 → "3 %", 250 → "2,5 %" (Vietnamese) or "2.5 %" (English)."""
    whole, part = divmod(int(bps), 100)
    text = str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")
    if language != "en":
        text = text.replace(".", ",")
    return f"{text}\u00a0%"


# --- what a deal's fee will be -----------------------------------------------------------------


@dataclass(frozen=True)
class DealFee:
    """The rate that applies to a deal's invoices, and what they come to: one delivery's (VAT
    included, as invoiced) and all deliveries', when their number is known."""

    bps: int
    per_delivery: int
    total: int | None = None


def _per_delivery(lines) -> int:
    from marketplace.services.deals.rules import line_amounts

    return sum(line_amounts(line.quantity, line.unit_price, line.vat_rate)[2] for line in lines)


def _category(listing_id: int | None, rfq) -> int | None:
    """What a deal sells, as its invoices are charged: its listing's category, else its
    request's first line's (as ``InvoicePayables`` finds it)."""
    category = None
    if listing_id is not None:
        category = db.session.scalar(select(Listing.category_id).where(Listing.id == listing_id))
    if category is None and rfq is not None and rfq.lines:
        category = rfq.lines[0].category_id
    return category


def contract_fee(contract, deliveries: int | None = None) -> DealFee:
    """The fee on a contract's invoices: per delivery, and over ``deliveries`` deliveries."""
    listing_id = contract.lines[0].listing_id if contract.lines else None
    bps = rate_bps(_category(listing_id, contract.rfq))
    each = _per_delivery(contract.lines)
    return DealFee(bps, each, each * deliveries if deliveries else None)


def quote_fee(version, rfq) -> DealFee:
    """The fee a quote version's prices would bring on each delivery."""
    listing_id = next((line.listing_id for line in version.lines if line.listing_id), None)
    bps = rate_bps(_category(listing_id, rfq))
    return DealFee(bps, _per_delivery(version.lines))


def rfq_rate(rfq) -> int:
    """The rate a quote on this request would be charged (its first line's category)."""
    return rate_bps(_category(None, rfq))
