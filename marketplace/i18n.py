"""Languages, money and dates the Vietnamese way; the names of things in both languages."""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any

from babel.numbers import format_currency
from flask import Flask, g, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import format_decimal as babel_format_decimal
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from num2words import num2words

from marketplace.extensions import babel
from marketplace.validation import format_vn_phone

LANG_COOKIE = "lang"
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

#: Selling units: code → (Vietnamese, English).
UNITS: dict[str, tuple[str, str]] = {
    "kg": ("kg", "kg"),
    "chai": ("chai", "bottle"),
    "hop": ("hộp", "box"),
    "goi": ("gói", "pack"),
    "tui": ("túi", "bag"),
    "hu": ("hũ", "jar"),
    "thung": ("thùng", "case"),
    "lit": ("lít", "litre"),
    "cay-giong": ("cây giống", "seedling"),
    "tan": ("tấn", "tonne"),
}

#: Kinds of certificate by code: brand names, except organic, which is translated.
CERTIFICATE_NAMES: dict[str, Any] = {
    "ocop": "OCOP",
    "vietgap": "VietGAP",
    "globalgap": "GlobalGAP",
    "organic": _l("Organic"),
}


def select_locale() -> str:
    """The user's saved language, else the language cookie, else Vietnamese (the API:
    Accept-Language)."""
    if not has_request_context():  # emails, CLI: callers use force_locale
        return "vi"
    # Other systems: their Accept-Language (the API's reference and guide are pages for
    # people, in their language as every page is).
    if request.path.startswith("/api/") and request.blueprint != "api_reference":
        return request.accept_languages.best_match(list(LANGUAGES)) or "vi"
    # While the database is away the user cannot be loaded: the cookie decides.
    if (
        not g.get("database_away")
        and current_user
        and current_user.is_authenticated
        and current_user.locale in LANGUAGES
    ):
        return current_user.locale
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return "vi"


def unit_label(code: str) -> str:
    """A selling unit's name in the current language (an unknown code as it is)."""
    vi, en = UNITS.get(code, (code, code))
    return en if str(get_locale()) == "en" else vi


def certificate_name(kind: str) -> str:
    """A kind of certificate by its name in the current language (an unknown kind as it is)."""
    return str(CERTIFICATE_NAMES.get(kind, kind))


def format_money(amount: int | None, currency: str = "VND") -> str:
    """``1250000`` → ``1.250.000 ₫``.

    Amounts are whole đồng. VND is shown in the Vietnamese format in both languages:
    every price on the platform is in đồng and buyers compare them with Vietnamese
    invoices, so the English interface keeps the same figures.
    """
    if amount is None:
        return ""
    if currency == "VND" and isinstance(amount, int):
        # The same output as Babel's pattern below, without its parsing on every call (a
        # search result page formats dozens of prices).
        return f"{amount:,}".replace(",", ".") + "\u00a0₫"
    # A no-break space keeps the ₫ on the same line as the figure.
    return format_currency(
        amount, currency, locale="vi_VN", format="#,##0\u00a0¤", currency_digits=True
    )


def amount_in_words(amount: int | None, language: str | None = None) -> str:
    """A whole-đồng amount in words, as invoices and receipts write it: "Một triệu hai trăm
    năm mươi nghìn đồng" (Vietnamese) or "One million, two hundred and fifty thousand
    dong" (English). ``language`` defaults to the page's; legal documents pass "vi"."""
    if amount is None:
        return ""
    language = language or ("en" if has_request_context() and str(get_locale()) == "en" else "vi")
    words = num2words(abs(int(amount)), lang=language)
    if amount < 0:
        words = ("âm " if language == "vi" else "minus ") + words
    words = words[:1].upper() + words[1:]
    return f"{words} đồng" if language == "vi" else f"{words} dong"


def format_number(value) -> str:
    """A number the local way: 12,5 in Vietnamese, 12.5 in English."""
    if value is None:
        return ""
    return babel_format_decimal(value)


def format_day(value: date | datetime | None) -> str:
    """dd/mm/yyyy in Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/yyyy")
    return format_date(value, "dd/MM/yyyy")


def format_moment(value: datetime | None) -> str:
    """dd/mm/yyyy HH:mm in Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/yyyy HH:mm")


def init_app(app: Flask) -> None:
    translations = os.path.join(app.root_path, "translations")
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=translations,
    )
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["iso_day"] = lambda text: format_day(date.fromisoformat(text))
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["in_words"] = amount_in_words
    app.jinja_env.filters["phone"] = format_vn_phone
    app.jinja_env.filters["moment"] = format_moment

    @app.context_processor
    def inject_languages() -> dict:
        return {"LANGUAGES": LANGUAGES, "current_locale": str(get_locale())}
