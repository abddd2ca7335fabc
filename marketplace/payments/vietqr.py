"""VietQR: the NAPAS bank-transfer QR, an EMVCo merchant-presented payload.

Co-ops are paid by bank transfer (Stripe cannot pay out to Vietnam), so the buyer's bank app
scans this payload and fills in the co-op's account, the amount and the payment reference that
the ledger matches the transfer by. Every field is ID (2 digits) + length (2 digits) + value.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import NamedTuple, TypedDict

#: The bank list, kept as data beside this module (its header says where it comes from).
BANKS_FILE = Path(__file__).with_name("banks.csv")


class Bank(NamedTuple):
    short_name: str
    full_name: str
    #: The bank's code in the VietQR list ("VCB", "ICB", "LPB" …).
    code: str = ""
    #: SWIFT/BIC, where the list has one.
    swift: str = ""


def load_banks(path: Path = BANKS_FILE) -> dict[str, Bank]:
    """6-digit NAPAS BIN → Bank, in the file's order (the order a bank select shows).

    Lines starting with "#" are comments. Raises ValueError for a BIN that is not 6 digits or
    appears twice, or a bank without a name, so a bad edit fails at start-up, not at a payer.
    """
    with path.open(encoding="utf-8", newline="") as text:
        rows = csv.DictReader(line for line in text if not line.startswith("#"))
        banks: dict[str, Bank] = {}
        for row in rows:
            bank_bin = (row.get("bin") or "").strip()
            if not re.fullmatch(r"[0-9]{6}", bank_bin):
                raise ValueError(f"{path.name}: the BIN {bank_bin!r} is not 6 digits")
            if bank_bin in banks:
                raise ValueError(f"{path.name}: the BIN {bank_bin} appears twice")
            short_name = (row.get("short_name") or "").strip()
            full_name = (row.get("full_name") or "").strip()
            if not (short_name and full_name):
                raise ValueError(f"{path.name}: the bank {bank_bin} has no name")
            banks[bank_bin] = Bank(
                short_name,
                full_name,
                (row.get("code") or "").strip(),
                (row.get("swift") or "").strip(),
            )
    return banks


#: 6-digit NAPAS bank BIN → the bank's short and full (legal) name, code and SWIFT.
BANKS: dict[str, Bank] = load_banks()

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"  # "QRIBFTTC" would be a transfer to a card number
CURRENCY_VND = "704"  # ISO 4217 numeric
COUNTRY = "VN"
MESSAGE_MAX = 25
AMOUNT_MAX_DIGITS = 13

ACCOUNT_MIN_DIGITS, ACCOUNT_MAX_DIGITS = 6, 19
_ACCOUNT = re.compile(rf"[0-9]{{{ACCOUNT_MIN_DIGITS},{ACCOUNT_MAX_DIGITS}}}")
# What people type between groups of digits, as banks print them: "0071 0012 3456 7",
# "0071.0012.3456", "0071-001-234" (also the no-break space and dashes of copied text).
_ACCOUNT_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015]+")


class InvalidAccountNumber(ValueError):
    """Why a typed account number cannot be used: ``reason`` is "empty", "characters" (letters
    or other signs besides digits, spaces, dots and dashes) or "length" (not 6 to 19 digits)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def account_number(typed: str) -> str:
    """The digits of an account number as people type it, with the spaces, dots and dashes
    between groups of digits taken out. Raises InvalidAccountNumber."""
    digits = _ACCOUNT_SEPARATORS.sub("", typed or "")
    if not digits:
        raise InvalidAccountNumber("empty")
    if not re.fullmatch(r"[0-9]*", digits):
        raise InvalidAccountNumber("characters")
    if not _ACCOUNT.fullmatch(digits):
        raise InvalidAccountNumber("length")
    return digits


# Bank apps strip or mangle anything else (tone marks, punctuation) and cut after 25 characters;
# a reference that arrives changed cannot be matched to its order. Some trim outer spaces.
_MESSAGE = re.compile(rf"(?! )[A-Za-z0-9 ]{{0,{MESSAGE_MAX}}}(?<! )")
_CRC_FIELD = re.compile(r"6304[0-9A-Fa-f]{4}")


class Decoded(TypedDict):
    bin: str
    account: str
    amount: int | None
    message: str
    static: bool


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR), as EMVCo
    prescribes for field 63; b"123456789" gives 0x29B1."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _tlv(field_id: str, value: str) -> str:
    # The length has two digits, so a longer value cannot be written at all.
    if len(value) > 99:
        raise ValueError(f"field {field_id} is {len(value)} characters long; at most 99 fit")
    return f"{field_id}{len(value):02d}{value}"


def _crc_hex(text: str) -> str:
    return f"{crc16_ccitt(text.encode('ascii')):04X}"


def payload(bin: str, account: str, amount: int | None, message: str) -> str:
    """The VietQR string for a transfer of ``amount`` đồng (None: the payer types it) to
    ``account`` at the bank ``bin``, with ``message`` as the transfer reference.

    Raises ValueError, saying why, for anything a bank app would reject or silently change.
    """
    if not isinstance(bin, str) or bin not in BANKS:
        raise ValueError(f"unknown bank BIN {bin!r}: it must be one of {', '.join(BANKS)}")
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
        raise ValueError("the account number must be 6 to 19 digits (0-9), without spaces")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValueError("the amount must be a whole number of đồng")
        if amount <= 0:
            raise ValueError("the amount must be positive")
        if len(str(amount)) > AMOUNT_MAX_DIGITS:
            raise ValueError(f"the amount has more than {AMOUNT_MAX_DIGITS} digits")
    if not isinstance(message, str) or not _MESSAGE.fullmatch(message):
        raise ValueError(
            f"the message must be at most {MESSAGE_MAX} characters of unaccented letters (A-Z), "
            "digits and inner spaces: bank apps strip or cut anything else"
        )

    beneficiary = _tlv("00", bin) + _tlv("01", account)
    account_info = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICE_TO_ACCOUNT)
    text = (
        _tlv("00", "01")
        + _tlv("01", "11" if amount is None else "12")
        + _tlv("38", account_info)
        + _tlv("53", CURRENCY_VND)
        + (_tlv("54", str(amount)) if amount is not None else "")
        + _tlv("58", COUNTRY)
        + (_tlv("62", _tlv("08", message)) if message else "")
        + "6304"
    )
    return text + _crc_hex(text)


def _fields(text: str, where: str) -> dict[str, str]:
    """ID → value of a run of TLV fields; ValueError if a field is cut short or repeated."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        head = text[pos : pos + 4]
        if len(head) < 4 or not head.isascii() or not head.isdigit():
            raise ValueError(f"malformed field header {head!r} at {where}:{pos}")
        field_id, length = head[:2], int(head[2:])
        value = text[pos + 4 : pos + 4 + length]
        if len(value) != length:
            raise ValueError(f"field {field_id} at {where}:{pos} is cut short")
        if field_id in fields:
            raise ValueError(f"field {field_id} appears twice in {where}")
        fields[field_id] = value
        pos += 4 + length
    return fields


def _expect(fields: dict[str, str], field_id: str, where: str) -> str:
    if field_id not in fields:
        raise ValueError(f"field {field_id} is missing from {where}")
    return fields[field_id]


def decode(text: str) -> Decoded:
    """Read a VietQR string back: checks the CRC and the structure, not our own stricter rules
    for what we generate (other generators use e.g. letters in virtual account numbers)."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("a VietQR payload is ASCII text")
    if not _CRC_FIELD.fullmatch(text[-8:]):
        raise ValueError("the payload does not end with a CRC field (6304 + 4 hex digits)")
    if _crc_hex(text[:-4]) != text[-4:].upper():
        raise ValueError("wrong CRC: the payload was altered or misread")

    top = _fields(text, "payload")
    if list(top)[-1] != "63" or top["63"] != text[-4:]:
        raise ValueError("the CRC field 63 must come last")
    if _expect(top, "00", "payload") != "01":
        raise ValueError("unsupported payload format (field 00 must be 01)")
    initiation = _expect(top, "01", "payload")
    if initiation not in ("11", "12"):
        raise ValueError(f"field 01 must be 11 (static) or 12 (with amount), not {initiation!r}")
    if _expect(top, "53", "payload") != CURRENCY_VND:
        raise ValueError("the currency (field 53) is not the Vietnamese đồng (704)")
    if _expect(top, "58", "payload") != COUNTRY:
        raise ValueError("the country (field 58) is not VN")

    account_info = _fields(_expect(top, "38", "payload"), "38")
    if _expect(account_info, "00", "38") != NAPAS_GUID:
        raise ValueError(f"field 38 is not NAPAS account information (GUID {NAPAS_GUID})")
    if _expect(account_info, "02", "38") != SERVICE_TO_ACCOUNT:
        raise ValueError(f"not a transfer to an account (service code {SERVICE_TO_ACCOUNT})")
    beneficiary = _fields(_expect(account_info, "01", "38"), "38.01")
    bank_bin = _expect(beneficiary, "00", "38.01")
    if not re.fullmatch(r"[0-9]{6}", bank_bin):
        raise ValueError(f"the bank BIN {bank_bin!r} is not 6 digits")
    account = _expect(beneficiary, "01", "38.01")
    if not account:
        raise ValueError("the account number is empty")

    amount: int | None = None
    if "54" in top:
        if not re.fullmatch(r"[0-9]{1,13}", top["54"]) or int(top["54"]) == 0:
            raise ValueError(f"the amount {top['54']!r} is not a positive whole number of đồng")
        amount = int(top["54"])

    message = _fields(top["62"], "62").get("08", "") if "62" in top else ""
    return Decoded(
        bin=bank_bin, account=account, amount=amount, message=message, static=initiation == "11"
    )
