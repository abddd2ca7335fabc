"""Numbers as people type them: prices and sums in đồng, whole quantities, VAT rates, text.

Beside ``validation`` rather than inside it: these messages name sums formatted by ``i18n``,
which itself uses ``validation`` (phone numbers), so ``validation`` stays below both.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.i18n import UNITS, format_money, format_number, unit_label
from marketplace.validation import InvalidValue, is_ascii_number

MAX_PRICE = 1_000_000_000  # one billion đồng a unit is beyond any farm product
#: The largest sum a BIGINT money column holds, for totals rather than unit prices.
MAX_DB_MONEY = 2**63 - 1
MAX_QUANTITY = 100_000_000

#: VAT rates a line can carry: "kct" is "not subject to VAT" (không chịu thuế), unlike 0 %.
VAT_RATES: dict[str, Any] = {
    "kct": _l("Not subject to VAT"),
    "0": "0 %",
    "5": "5 %",
    "8": "8 %",
    "10": "10 %",
}

_THOUSANDS = re.compile(r"^\d{1,3}([.,\s]\d{3})+$", re.ASCII)


def parse_vnd(raw: object, maximum: int | None = MAX_PRICE) -> int:
    """Whole đồng from what people type: "180000", "180.000", "180,000 ₫", "1 250 000".

    VND has no minor unit, so "180.5" or "180,50" is refused rather than guessed. Raises
    InvalidValue.
    """
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip().lower()
        for suffix in ("₫", "vnđ", "vnd", "đồng", "đ"):
            text = text.removesuffix(suffix).strip()
        if is_ascii_number(text):
            value = int(text)
        elif _THOUSANDS.match(text):
            value = int(re.sub(r"[.,\s]", "", text))
        elif re.fullmatch(r"\d+[.,]\d+", text, re.ASCII):
            raise InvalidValue(
                _l("Amounts in đồng have no decimals.")
                if maximum is None
                else _l("Prices in đồng have no decimals.")
            )
        else:
            # A sum of money (no ceiling given) is not a price: say "amount".
            raise InvalidValue(
                _l("Enter an amount in đồng, like 1.250.000.")
                if maximum is None
                else _l("Enter a price in đồng, like 180.000.")
            )
    if maximum is None:
        if value <= 0 or value > MAX_DB_MONEY:
            raise InvalidValue(_l("Enter an amount in đồng, like 1.250.000."))
    elif value <= 0 or value > maximum:
        raise InvalidValue(_l("Enter a price between 1 ₫ and 1.000.000.000 ₫."))
    return value


def amount_of(raw: object, *, at_most: int) -> int:
    """A sum of money in whole đồng, as typed, from 1 ₫ to ``at_most``; raises InvalidValue."""
    value = parse_vnd(raw, maximum=None)
    if value > at_most:
        raise InvalidValue(_l("At most %(amount)s.", amount=format_money(at_most)))
    return value


def _without_unit(text: str, unit: str) -> str:
    """``text`` without a trailing ``unit`` ("120 hũ", "120 jars", "120hũ" → "120")."""
    vi, en = UNITS.get(unit, (unit, unit))
    lowered = text.casefold()
    for name in sorted({vi, en, en + "s", unit}, key=len, reverse=True):
        name = name.casefold()
        if lowered.endswith(name) and lowered[: -len(name)].rstrip()[-1:].isdigit():
            return text[: -len(name)].rstrip()
    return text


def parse_quantity(raw: object, *, allow_zero: bool = False, unit: str | None = None) -> int:
    """A whole quantity as typed ("2.000" is two thousand, "2,5" is refused), from 1 (or 0)
    to MAX_QUANTITY; raises InvalidValue with a message that says the rule.

    With the field's ``unit`` (a UNITS code), a trailing unit name ("120 hũ") is accepted
    when it is that unit, and the message names the unit."""
    text = unicodedata.normalize("NFC", str(raw if raw is not None else "")).strip()
    if unit:
        text = _without_unit(text, unit)
    if _THOUSANDS.match(text) and text.isascii():
        text = re.sub(r"[.,\s]", "", text)
    low = 0 if allow_zero else 1
    if not is_ascii_number(text):
        if unit:
            raise InvalidValue(
                _l("Enter a whole number of %(unit)s, like 120.", unit=unit_label(unit))
            )
        raise InvalidValue(_l("Enter a whole number, like 120."))
    value = int(text)
    if value < low or value > MAX_QUANTITY:
        raise InvalidValue(
            _l(
                "Enter a whole number from %(low)s to %(high)s.",
                low=low,
                high=format_number(MAX_QUANTITY),
            )
        )
    return value


def text_of(raw: object, limit: int) -> str:
    """One line of text: whitespace runs made one space, cut at ``limit`` characters."""
    return " ".join(str(raw or "").split())[:limit]


def check_vat(raw: object) -> str:
    """One of VAT_RATES' codes; raises InvalidValue."""
    text = str(raw or "").strip().lower()
    if text not in VAT_RATES:
        raise InvalidValue(_l("Choose a VAT rate."))
    return text
