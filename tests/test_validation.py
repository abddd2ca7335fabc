import pytest

from marketplace.search.folding import fold
from marketplace.validation import (
    InvalidValue,
    check_password_strength,
    format_vn_phone,
    normalise_email,
    normalise_vn_phone,
)


@pytest.mark.parametrize(
    "raw",
    ["0912345678", "0912 345 678", "+84 912 345 678", "84912345678", "(+84) 912-345-678"],
)
def test_vietnamese_mobile_numbers_normalise_to_e164(raw):
    assert normalise_vn_phone(raw) == "+84912345678"


def test_landline_with_area_code():
    assert normalise_vn_phone("024 3825 1234") == "+842438251234"


@pytest.mark.parametrize("raw", ["", "12345", "0912", "abc", "+1 650 253 0000", "+44 20 7946 0958"])
def test_bad_or_foreign_numbers_are_refused(raw):
    with pytest.raises(InvalidValue):
        normalise_vn_phone(raw)


def test_phone_display_is_national():
    assert format_vn_phone("+84912345678") == "0912 345 678"
    assert format_vn_phone(None) == ""


def test_email_is_lower_cased_and_checked():
    assert normalise_email("  An.Nguyen@VIDU.vn ") == "an.nguyen@vidu.vn"
    for bad in ["", "an", "an@", "@vidu.vn", "an nguyen@vidu.vn"]:
        with pytest.raises(InvalidValue):
            normalise_email(bad)


@pytest.mark.parametrize("password", ["short", "1234567890", "aaaaaaaaaaaa", "matkhau123"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(InvalidValue):
        check_password_strength(password)


def test_password_must_not_contain_the_email():
    with pytest.raises(InvalidValue):
        check_password_strength("hoangmai-2026!", email="hoangmai@vidu.vn")
    check_password_strength("sau-xanh-mua-thu", email="hoangmai@vidu.vn")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Sâm Lai Châu", "sam lai chau"),
        ("Rượu sâm", "ruou sam"),
        ("ĐÔNG TRÙNG HẠ THẢO  Đà Lạt", "dong trung ha thao da lat"),
        ("Chè Shan Tuyết", "che shan tuyet"),
        ("", ""),
        (None, ""),
    ],
)
def test_folding_ignores_tone_marks_and_d_stroke(text, folded):
    assert fold(text) == folded


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def test_bidirectional_overrides_are_stripped_from_names_and_file_names(app):
    """A right-to-left override makes "gpj.exe" read as "exe.jpg": typed names and the names
    of attached files come back without any bidirectional control."""
    from wtforms import StringField

    from marketplace.blueprints.common import BaseForm
    from marketplace.services.deals.attachments import store_attachments
    from marketplace.validation import strip_control
    from tests.factories import jpeg_with_gps

    assert strip_control(f"HTX{BIDI} Sâm\u202egpj.exe") == "HTX Sâmgpj.exe"

    class NameForm(BaseForm):
        class Meta:
            csrf = False

        name = StringField()

    with app.test_request_context("/", method="POST", data={"name": "HTX Chè\u202e gnaoL"}):
        form = NameForm()
        assert form.name.data == "HTX Chè gnaoL"

    with app.app_context():
        stored = store_attachments(
            "private/tests/attachments",
            [("hoa-don\u202egpj.exe", jpeg_with_gps(40, 30))],
            "attachments",
        )
        app.extensions["storage"].delete(stored[0]["key"])
    assert stored[0]["filename"] == "hoa-dongpj.exe"
