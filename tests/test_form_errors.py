"""Request tests for refused forms: the error summary first on the page with a link to each
field, what was typed kept, every problem reported at once, messages that say the rule."""

from __future__ import annotations

import re
from html import unescape

from tests.factories import TEST_PASSWORD

SIGNUP = {
    "account_kind": "coop",
    "organization_name": "HTX Mật Ong Mộc Châu",
    "buyer_type": "",
    "name": "Lò Văn Thắng",
    "email": "thang@vidu.vn",
    "phone": "0356 112 233",
    "password": TEST_PASSWORD,
    "confirm": TEST_PASSWORD,
}


def summary(page: str) -> str:
    """The error summary's HTML, which must come before the page's own content."""
    match = re.search(r'<div class="error-summary" id="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no error summary on the page"
    opening = page[match.start() : page.index(">", match.start())]
    assert 'tabindex="-1"' in opening and "autofocus" in opening
    main = page.index('<main id="main"')
    forms = page.find('<form method="post"', main)
    first_form = forms if forms > 0 else len(page)
    assert main < match.start() < first_form, "the summary is not first in the page's content"
    return match.group(1)


def linked_fields(page: str) -> list[str]:
    """The ids the summary links to; each must be an element of the page."""
    ids = re.findall(r'<a href="#([^"]+)">', summary(page))
    for field_id in ids:
        assert f'id="{field_id}"' in page, f"the summary links to #{field_id}, not on the page"
    return ids


def test_sign_up_reports_email_phone_length_and_match_at_once(app, client):
    data = {
        **SIGNUP,
        "email": "thang@",
        "phone": "123",
        "password": "ngan",
        "confirm": "khac han",
    }
    response = client.post("/signup", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert set(linked_fields(page)) == {"email", "phone", "password", "confirm"}
    box = unescape(summary(page))
    assert "Có 4 chỗ cần sửa" in box
    assert "ít nhất 10 ký tự" in box
    # What was typed stays (never the password).
    assert 'value="thang@"' in page and 'value="123"' in page
    assert 'value="HTX Mật Ong Mộc Châu"' in page
    assert "ngan" not in re.findall(r'name="password"[^>]*', page)[0]
    assert page.index("<title>Lỗi: ") > 0


def test_a_good_form_page_has_no_summary(client):
    page = client.get("/signup").get_data(as_text=True)
    assert "error-summary" not in page
    assert "<title>Lỗi" not in page
