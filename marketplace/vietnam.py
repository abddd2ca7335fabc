"""Facts about Vietnam the product relies on: the 34 provinces since 1 July 2025, the
provinces they absorbed (old names still appear in addresses and searches), tax codes."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from marketplace.search.folding import fold

#: code → official name of the 34 provincial units (provinces and centrally-run cities).
PROVINCES: dict[str, str] = {
    "ha-noi": "Hà Nội",
    "hue": "Huế",
    "lai-chau": "Lai Châu",
    "dien-bien": "Điện Biên",
    "son-la": "Sơn La",
    "lang-son": "Lạng Sơn",
    "quang-ninh": "Quảng Ninh",
    "thanh-hoa": "Thanh Hóa",
    "nghe-an": "Nghệ An",
    "ha-tinh": "Hà Tĩnh",
    "cao-bang": "Cao Bằng",
    "tuyen-quang": "Tuyên Quang",
    "lao-cai": "Lào Cai",
    "thai-nguyen": "Thái Nguyên",
    "phu-tho": "Phú Thọ",
    "bac-ninh": "Bắc Ninh",
    "hung-yen": "Hưng Yên",
    "hai-phong": "Hải Phòng",
    "ninh-binh": "Ninh Bình",
    "quang-tri": "Quảng Trị",
    "da-nang": "Đà Nẵng",
    "quang-ngai": "Quảng Ngãi",
    "gia-lai": "Gia Lai",
    "khanh-hoa": "Khánh Hòa",
    "lam-dong": "Lâm Đồng",
    "dak-lak": "Đắk Lắk",
    "ho-chi-minh": "Hồ Chí Minh",
    "dong-nai": "Đồng Nai",
    "tay-ninh": "Tây Ninh",
    "can-tho": "Cần Thơ",
    "vinh-long": "Vĩnh Long",
    "dong-thap": "Đồng Tháp",
    "ca-mau": "Cà Mau",
    "an-giang": "An Giang",
}

#: Former provinces (merged on 1 July 2025) → the code of the province they are part of now.
FORMER_PROVINCES: dict[str, str] = {
    "Hà Giang": "tuyen-quang",
    "Yên Bái": "lao-cai",
    "Bắc Kạn": "thai-nguyen",
    "Vĩnh Phúc": "phu-tho",
    "Hòa Bình": "phu-tho",
    "Bắc Giang": "bac-ninh",
    "Thái Bình": "hung-yen",
    "Hải Dương": "hai-phong",
    "Hà Nam": "ninh-binh",
    "Nam Định": "ninh-binh",
    "Quảng Bình": "quang-tri",
    "Quảng Nam": "da-nang",
    "Kon Tum": "quang-ngai",
    "Bình Định": "gia-lai",
    "Ninh Thuận": "khanh-hoa",
    "Đắk Nông": "lam-dong",
    "Bình Thuận": "lam-dong",
    "Phú Yên": "dak-lak",
    "Bình Dương": "ho-chi-minh",
    "Bà Rịa–Vũng Tàu": "ho-chi-minh",
    "Bình Phước": "dong-nai",
    "Long An": "tay-ninh",
    "Sóc Trăng": "can-tho",
    "Hậu Giang": "can-tho",
    "Bến Tre": "vinh-long",
    "Trà Vinh": "vinh-long",
    "Tiền Giang": "dong-thap",
    "Bạc Liêu": "ca-mau",
    "Kiên Giang": "an-giang",
}

# Other ways people write them: with a prefix, an old spelling, or the city's common name.
_ALIASES: dict[str, str] = {
    "thua thien hue": "hue",
    "tp hcm": "ho-chi-minh",
    "tphcm": "ho-chi-minh",
    "hcm": "ho-chi-minh",
    "sai gon": "ho-chi-minh",
    "saigon": "ho-chi-minh",
    "thanh pho ho chi minh": "ho-chi-minh",
    "ba ria vung tau": "ho-chi-minh",
    "vung tau": "ho-chi-minh",
    "dac lac": "dak-lak",
    "dak nong": "lam-dong",
    "hanoi": "ha-noi",
    "danang": "da-nang",
}
_PREFIX = re.compile(r"^(tinh|thanh pho|tp\.?)\s+")


def _key(text: str) -> str:
    folded = fold(text).replace("–", " ").replace("-", " ").replace(".", " ")
    folded = " ".join(folded.split())
    return _PREFIX.sub("", folded)


_LOOKUP: dict[str, str] = {
    **{_key(name): code for code, name in PROVINCES.items()},
    **{_key(name): code for name, code in FORMER_PROVINCES.items()},
    **{_key(alias): code for alias, code in _ALIASES.items()},
    **{code.replace("-", " "): code for code in PROVINCES},
}


def resolve_province(text: str | None) -> str | None:
    """The code of the current province for a name as people type it, or None.

    "Hà Giang" → "tuyen-quang" (merged), "tinh lai chau" → "lai-chau", "TP.HCM" → "ho-chi-minh".
    """
    if not text:
        return None
    if text in PROVINCES:
        return text
    return _LOOKUP.get(_key(text))


def province_name(code: str | None) -> str:
    return PROVINCES.get(code or "", "")


TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


def normalise_tax_code(raw: str | None) -> str | None:
    """``0101234567`` or, for a dependent unit, ``0101234567-001``; None if malformed.

    Spaces are dropped and a 13-digit code typed without its dash gets one.
    """
    value = "".join((raw or "").split())
    if re.fullmatch(r"\d{13}", value):
        value = f"{value[:10]}-{value[10:]}"
    return value if TAX_CODE.match(value) else None


VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    """Today's date in Vietnam (certificates expire on Vietnamese calendar days)."""
    return datetime.now(VN_TZ).date()
