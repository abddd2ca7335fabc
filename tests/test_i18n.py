import os
import subprocess
import sys
from datetime import UTC, date, datetime

from babel.messages.pofile import read_po

from marketplace.i18n import format_day, format_moment, format_money
from tests.factories import PROJECT_ROOT, login, make_person


def test_money_is_shown_the_vietnamese_way(app):
    with app.test_request_context():
        assert format_money(1_250_000) == "1.250.000\u00a0₫"  # no-break space
        assert format_money(0) == "0\u00a0₫"
        assert format_money(None) == ""


def test_dates_are_dd_mm_yyyy_in_ho_chi_minh_time(app):
    # 18:30 UTC on 25 November is already 26 November in Hà Nội (UTC+7).
    moment = datetime(2026, 11, 25, 18, 30, tzinfo=UTC)
    with app.test_request_context():
        assert format_day(moment) == "26/11/2026"
        assert format_moment(moment) == "26/11/2026 01:30"
        assert format_day(date(2026, 1, 5)) == "05/01/2026"


def test_every_message_has_a_vietnamese_translation(tmp_path):
    """Extract every user-visible string and check the Vietnamese catalogue covers it."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    with open(pot, "rb") as f:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    po_path = f"{PROJECT_ROOT}/marketplace/translations/vi/LC_MESSAGES/messages.po"
    with open(po_path, "rb") as f:
        catalogue = read_po(f, locale="vi")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id
        and m.string
        and "fuzzy" not in m.flags
        and (isinstance(m.string, str) or all(m.string))
    }
    missing = sorted(extracted - translated)
    assert not missing, f"untranslated strings (run `make translations-update`): {missing}"


def test_vietnamese_is_the_default_and_english_is_one_click_away(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Sản phẩm mới" in page
    response = client.post("/lang", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "lang=en" in response.headers["Set-Cookie"]
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "New products" in page


def test_language_choice_is_saved_on_the_account(app, client):
    person = make_person(app)
    login(client, person)
    client.post("/lang", data={"lang": "en"})
    other_browser = app.test_client()
    login(other_browser, person)
    assert "New products" in other_browser.get("/").get_data(as_text=True)


def test_unknown_language_and_foreign_redirect_are_ignored(client):
    response = client.post("/lang", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]


def test_error_pages_are_translated(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert "Page not found" in client.get("/nope").get_data(as_text=True)


def test_numbers_follow_the_language(app):
    from decimal import Decimal

    from marketplace.i18n import format_number

    with app.test_request_context():
        assert format_number(Decimal("12.50")) == "12,5"
        assert format_number(1250000) == "1.250.000"
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert format_number(Decimal("12.50")) == "12.5"
