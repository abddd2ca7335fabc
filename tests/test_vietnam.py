import pytest

from marketplace.vietnam import (
    FORMER_PROVINCES,
    PROVINCES,
    normalise_tax_code,
    resolve_province,
)


def test_there_are_34_provinces_and_every_former_one_maps_to_one_of_them():
    assert len(PROVINCES) == 34
    assert len(FORMER_PROVINCES) == 29
    for old, new in FORMER_PROVINCES.items():
        assert resolve_province(old) == new, old


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Lai Châu", "lai-chau"),
        ("tinh lai chau", "lai-chau"),
        ("Hà Giang", "tuyen-quang"),
        ("ha giang", "tuyen-quang"),
        ("Tỉnh Bắc Giang", "bac-ninh"),
        ("TP.HCM", "ho-chi-minh"),
        ("Thành phố Hồ Chí Minh", "ho-chi-minh"),
        ("Bà Rịa - Vũng Tàu", "ho-chi-minh"),
        ("Thừa Thiên Huế", "hue"),
        ("ĐẮK NÔNG", "lam-dong"),
        ("lam-dong", "lam-dong"),
    ],
)
def test_provinces_as_people_type_them(typed, code):
    assert resolve_province(typed) == code


@pytest.mark.parametrize("typed", ["", None, "Atlantis", "Hà", "Quận 1"])
def test_unknown_provinces(typed):
    assert resolve_province(typed) is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("0101234567", "0101234567"),
        (" 0101 234 567 ", "0101234567"),
        ("0101234567-001", "0101234567-001"),
        ("0101234567001", "0101234567-001"),
        ("010123456", None),
        ("01012345678", None),
        ("0101234567-01", None),
        ("abcdefghij", None),
        ("", None),
    ],
)
def test_tax_codes(raw, clean):
    assert normalise_tax_code(raw) == clean
