"""Normalising and checking values people type: emails, Vietnamese phone numbers, passwords."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

PASSWORD_MIN = 10
PASSWORD_MAX = 128

# The most common passwords, refused outright (NIST SP 800-63B asks for a blocklist).
_COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "1111111111",
        "0000000000",
        "1234512345",
        "qwertyuiop",
        "password12",
        "password123",
        "password1234",
        "matkhau123",
        "matkhau1234",
        "abc1234567",
        "iloveyou12",
        "123456789a",
        "a123456789",
        "1q2w3e4r5t",
        "qwerty1234",
        "admin12345",
        "zaq12wsxcde",
        "anhyeuem123",
        "anhyeuem1234",
        "vietnam123",
        "vietnam1234",
    }
)


# C0 control characters other than tab and newlines, and DEL. PostgreSQL refuses NUL in
# text, and none of them belongs in a name, an address or a search. Nor do bidirectional
# marks, embeddings, overrides and isolates: a right-to-left override makes a file named
# "gpj.exe" read as "exe.jpg".
_BIDI = [0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127, *_BIDI])


def strip_control(value: str | None) -> str | None:
    """The text without control characters (None stays None)."""
    if value is None or not isinstance(value, str):
        return value
    return value.translate(_CONTROL)


class InvalidValue(ValueError):
    """The value cannot be used; ``message`` is a translatable explanation."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = message


def normalise_email(raw: str) -> str:
    """Lower-cased, syntax-checked email (no DNS look-up)."""
    value = (raw or "").strip()
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(_l("Enter a valid email address, like ten@vidu.vn.")) from exc
    return info.normalized.lower()


def normalise_vn_phone(raw: str) -> str:
    """A Vietnamese phone number in E.164 (``+84912345678``).

    Accepts the ways people write them: ``0912 345 678``, ``+84 912 345 678``, ``84912345678``.
    """
    value = (raw or "").strip()
    if not value:
        raise InvalidValue(_l("Enter a phone number."))
    if value.startswith("84") and not value.startswith("+"):
        value = "+" + value
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(_l("Enter a Vietnamese phone number, like 0912 345 678.")) from exc
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != "VN"
    ):
        raise InvalidValue(_l("Enter a Vietnamese phone number, like 0912 345 678."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_vn_phone(e164: str | None) -> str:
    """``+84912345678`` → ``0912 345 678`` for display."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def check_password_strength(password: str, *, email: str | None = None) -> None:
    if len(password) < PASSWORD_MIN:
        raise InvalidValue(_l("Use at least %(n)s characters for your password.", n=PASSWORD_MIN))
    if len(password) > PASSWORD_MAX:
        raise InvalidValue(_l("Use at most %(n)s characters for your password.", n=PASSWORD_MAX))
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or len(set(password)) < 4:
        raise InvalidValue(_l("This password is too easy to guess. Choose another one."))
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and local in lowered:
            raise InvalidValue(_l("Do not use your email address in your password."))


MAX_DB_INT = 2**31 - 1  # the largest id or count an INTEGER column holds


def is_ascii_number(text: object) -> bool:
    """True for "0"…"9" digits only. str.isdigit() also accepts "²" and "①", which int() refuses."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def small_int(text: object) -> int | None:
    """A non-negative whole number that fits an INTEGER column, or None."""
    if isinstance(text, int):
        value = text
    elif is_ascii_number(text):
        value = int(text)
    else:
        return None
    return value if 0 <= value <= MAX_DB_INT else None


def bounded_int(value: object) -> int:
    """WTForms ``coerce`` for id selects: anything odd or too large becomes 0 (= nothing chosen)."""
    result = small_int(str(value).strip()) if value is not None else None
    return result or 0
