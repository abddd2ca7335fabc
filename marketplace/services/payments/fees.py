"""The platform's fee, in the open: the rate of a category (or the platform's own), and the fee
it takes on an amount. Payments fix their fee with these; pages show them with the
``payments/_fee.html`` macro before anyone commits to money."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Category


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


def rate_text(bps: int, language: str = "vi") -> str:
    """A rate for people: 300 → "3 %", 250 → "2,5 %" (Vietnamese) or "2.5 %" (English)."""
    whole, part = divmod(int(bps), 100)
    text = str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")
    if language != "en":
        text = text.replace(".", ",")
    return f"{text}\u00a0%"
