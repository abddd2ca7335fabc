"""Request tests for sign-up, log-in, log-out, password reset, profile and password change."""

import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Membership, OrgKind, User
from tests.factories import TEST_PASSWORD, login, make_person

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


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _emailed_path(mailbox, email: str) -> str:
    messages = mailbox.to(email)
    assert messages, f"no email was sent to {email}"
    return re.search(r"http://localhost(/\S+)", mailbox.body(messages[-1])).group(1)


@pytest.mark.parametrize(
    ("kind", "buyer_type"),
    [("coop", ""), ("buyer", "canteen"), ("fair_organizer", "")],
)
def test_sign_up_as_each_kind_continues_from_the_email_and_lands_on_the_organisation(
    app, client, mailbox, kind, buyer_type
):
    data = {**SIGNUP, "account_kind": kind, "buyer_type": buyer_type}
    response = client.post("/signup", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/signup/sent"
    page = client.get("/signup/sent").get_data(as_text=True)
    assert "Hãy kiểm tra email" in page and "thang@vidu.vn" in page
    path = _emailed_path(mailbox, "thang@vidu.vn")
    assert client.get(path).status_code == 200  # a button; GET does not log in
    assert client.get("/account").status_code == 302
    response = client.post(path)
    with app.app_context():
        membership = db.session.scalar(select(Membership))
        assert membership.organization.kind is OrgKind(kind)
        assert membership.role.value == "owner"
        org_id = membership.organization_id
    # The new member lands on their organisation's own page, its first steps listed.
    assert response.status_code == 302 and response.headers["Location"] == f"/orgs/{org_id}"
    page = client.get(f"/orgs/{org_id}").get_data(as_text=True)
    assert "HTX Mật Ong Mộc Châu" in page and 'id="start-checklist"' in page
    client.post("/logout")
    again = client.post(path)  # the link works once
    assert again.status_code == 400 and "đã được sử dụng" in again.get_data(as_text=True)


def test_sign_up_page_preselects_the_kind(client):
    page = client.get("/signup?as=buyer").get_data(as_text=True)
    assert re.search(r'value="buyer"[^>]*checked|checked[^>]*value="buyer"', page)


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    return match.group(1).strip() if match else ""


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "123", "confirm": "123"}, "password", "ít nhất 10 ký tự"),
        ({"password": "1234567890", "confirm": "1234567890"}, "password", "quá dễ đoán"),
        ({"confirm": "khac-hoan-toan-2026"}, "confirm", "không giống nhau"),
        ({"phone": "12345"}, "phone", "số điện thoại Việt Nam"),
        ({"phone": "+1 650 253 0000"}, "phone", "số điện thoại Việt Nam"),
        ({"email": "khong-phai-email"}, "email", "email hợp lệ"),
        ({"name": "x" * 500}, "name", "Không nhập quá 120 ký tự"),
        ({"email": "a" * 300 + "@vidu.vn"}, "email", "Không nhập quá 254 ký tự"),
        ({"organization_name": ""}, "organization_name", "tên đơn vị"),
        ({"account_kind": "buyer", "buyer_type": ""}, "buyer_type", "loại đơn vị thu mua"),
        ({"account_kind": "hacker"}, "account_kind", "Hãy chọn một trong các lựa chọn"),
    ],
)
def test_bad_sign_up_input_is_explained_next_to_the_field_and_keeps_what_was_typed(
    app, client, changes, field, message
):
    data = {**SIGNUP, **changes}
    response = client.post("/signup", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = _field_error(page, field)
    assert error, f"no error shown for {field}"
    assert message in error
    # What the person typed is still there (but never the password).
    if field != "organization_name":
        assert 'value="HTX Mật Ong Mộc Châu"' in page
    if field != "email":
        assert 'value="thang@vidu.vn"' in page
    assert TEST_PASSWORD not in page
    assert count_users(app) == 0


def test_sign_up_with_a_taken_email_answers_as_a_new_one_and_emails_the_owner(app, client, mailbox):
    new = client.post("/signup", data={**SIGNUP, "email": "moi@vidu.vn"})
    new_page = client.get("/signup/sent").get_data(as_text=True)
    owner = make_person(app, email="thang@vidu.vn", locale="en")
    mailbox.clear()
    taken = client.post("/signup", data={**SIGNUP, "email": "THANG@Vidu.VN"})
    taken_page = client.get("/signup/sent").get_data(as_text=True)
    assert (taken.status_code, taken.headers["Location"]) == (
        new.status_code,
        new.headers["Location"],
    )

    # Signed tokens on the page (CSRF) carry the second they were made: compare without them.
    def unsigned(page: str) -> str:
        return re.sub(r'value="[\w.-]{40,}"', 'value="…"', page)

    assert unsigned(taken_page.replace("THANG@Vidu.VN", "moi@vidu.vn")) == unsigned(new_page)
    assert count_users(app) == 2
    messages = mailbox.to(owner.email)
    assert len(messages) == 1
    assert messages[0]["Subject"] == "Someone tried to sign up with your email"
    body = mailbox.body(messages[0])
    assert "http://localhost/login" in body and "http://localhost/password/forgot" in body
    assert "/signup/continue/" not in body
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == owner.email)).name == (
            "Nguyễn Văn An"
        )


def test_non_utf8_bytes_in_a_form_do_not_break_anything(app, client):
    body = (
        b"account_kind=coop&organization_name=HTX+%FF%FE+test&name=%C3%28&email=a%FF%40vidu.vn"
        b"&phone=%FF&password=x&confirm=x"
    )
    response = client.post("/signup", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert count_users(app) == 0


def test_login_and_logout(app, client):
    person = make_person(app)
    response = client.post(
        "/login", data={"email": person.email.upper(), "password": person.password}
    )
    assert response.status_code == 302
    assert "Đăng xuất" in client.get("/").get_data(as_text=True)
    response = client.post("/logout")
    assert response.status_code == 302
    assert "Đăng nhập" in client.get("/").get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_wrong_password_keeps_the_email_and_says_what_is_wrong(app, client):
    person = make_person(app)
    response = client.post("/login", data={"email": person.email, "password": "sai-mat-khau-roi"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Email hoặc mật khẩu không đúng" in page
    assert f'value="{person.email}"' in page
    assert "sai-mat-khau-roi" not in page


def test_login_redirects_only_to_local_next(app, client):
    person = make_person(app)
    response = client.post(
        "/login?next=/account", data={"email": person.email, "password": person.password}
    )
    assert response.headers["Location"] == "/account"
    client.post("/logout")
    for evil in ["https://evil.example/", "//evil.example", "/\\evil.example"]:
        response = client.post(
            "/login",
            query_string={"next": evil},
            data={"email": person.email, "password": person.password},
        )
        assert response.headers["Location"] == f"/orgs/{person.organization_id}"
        client.post("/logout")


def test_remember_me_sets_a_long_lived_http_only_cookie(app, client):
    person = make_person(app)
    response = login(client, person, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "Expires=" in remember[0]
    response = login(app.test_client(), person, remember=False)
    assert not [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    ]


def test_login_is_rate_limited(app, client):
    person = make_person(app)
    statuses = [
        client.post(
            "/login", data={"email": person.email, "password": "wrong-one-2026"}
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    page = client.post("/login", data={"email": person.email, "password": "x"}).get_data(
        as_text=True
    )
    assert "Thử quá nhiều lần" in page


def test_login_limit_counts_every_spelling_of_the_email_as_one_account(app, client):
    person = make_person(app)
    # Each attempt from another address, so only the per-account limit can stop them.
    for i in range(10):
        client.post(
            "/login",
            data={"email": person.email, "password": "wrong-one-2026"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{i + 1}"},
        )
    # The form strips control characters and the lookup ignores case and spaces, so these
    # reach the same account: they must not start a fresh count.
    for i, email in enumerate((person.email + "\x01", " " + person.email.upper() + "\x7f ")):
        response = client.post(
            "/login",
            data={"email": email, "password": person.password},
            environ_base={"REMOTE_ADDR": f"198.51.100.{i + 1}"},
        )
        assert response.status_code == 429, email
    assert client.get("/account").status_code == 302


def test_logout_ends_copied_session_and_remember_me_cookies(app, client):
    person = make_person(app)
    login(client, person, remember=True)
    session = client.get_cookie("session").value
    remember = client.get_cookie("remember_token").value
    copies = [app.test_client(), app.test_client()]
    copies[0].set_cookie("session", session)
    copies[1].set_cookie("remember_token", remember)
    for copy in copies:
        assert copy.get("/account").status_code == 200  # each copy works before logout
    client.post("/logout")
    for copy in copies:
        response = copy.get("/account")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, person)  # logging in again works
    assert client.get("/account").status_code == 200


def _reset_link(mailbox, email: str) -> str:
    messages = mailbox.to(email)
    assert messages, f"no email was sent to {email}"
    body = mailbox.body(messages[-1])
    return re.search(r"http://localhost(/password/reset/\S+)", body).group(1)


def test_password_reset_by_email_end_to_end(app, client, mailbox):
    person = make_person(app, locale="en")
    response = client.post("/password/forgot", data={"email": person.email}, buffered=False)
    assert response.status_code == 302
    assert mailbox.to(person.email) == []  # sent only once the answer has gone out...
    response.close()  # ...which a WSGI server signals by closing the response
    message = mailbox.to(person.email)[-1]
    assert message["Subject"] == "Reset your Chợ HTX password"  # in the person's language
    path = _reset_link(mailbox, person.email)
    assert client.get(path).status_code == 200
    bad = client.post(path, data={"password": "123", "confirm": "123"})
    assert bad.status_code == 422 and "ít nhất 10 ký tự" in bad.get_data(as_text=True)
    response = client.post(
        path, data={"password": "mot-mat-khau-moi-2026", "confirm": "mot-mat-khau-moi-2026"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    again = client.get(path)
    assert again.status_code == 400 and "đã được sử dụng" in again.get_data(as_text=True)
    assert (
        client.post(
            "/login", data={"email": person.email, "password": "mot-mat-khau-moi-2026"}
        ).status_code
        == 302
    )


def test_forgot_password_does_not_reveal_who_has_an_account(app, client, mailbox):
    response = client.post(
        "/password/forgot", data={"email": "khong-ai@vidu.vn"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Nếu có tài khoản dùng khong-ai@vidu.vn" in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_tampered_reset_link_gets_a_400_page_with_an_explanation(client):
    response = client.get("/password/reset/not-a-real-token")
    assert response.status_code == 400
    assert "Liên kết không hợp lệ" in response.get_data(as_text=True)
    response = client.post(
        "/password/reset/not-a-real-token", data={"password": "x", "confirm": "x"}
    )
    assert response.status_code == 400


def test_expired_reset_link_says_so(app, client, mailbox):
    person = make_person(app)
    client.post("/password/forgot", data={"email": person.email}).close()
    path = _reset_link(mailbox, person.email)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1  # every token is now older than allowed
    try:
        response = client.get(path)
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600
    assert response.status_code == 400
    assert "Liên kết này đã hết hạn" in response.get_data(as_text=True)


def test_password_reset_is_rate_limited(app, client):
    statuses = [
        client.post("/password/forgot", data={"email": f"a{i}@vidu.vn"}).status_code
        for i in range(6)
    ]
    assert statuses[:5] == [302] * 5 and statuses[5] == 429


def test_profile_edit(app, client):
    person = make_person(app)
    login(client, person)
    page = client.get("/account").get_data(as_text=True)
    assert 'value="0912 345 678"' in page
    response = client.post(
        "/account", data={"name": "Nguyễn Thị Bình", "phone": "abc", "locale": "vi"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Nguyễn Thị Bình"' in page and 'value="abc"' in page
    response = client.post(
        "/account", data={"name": "Nguyễn Thị Bình", "phone": "0987654321", "locale": "en"}
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, person.id)
        assert (user.name, user.phone, user.locale) == ("Nguyễn Thị Bình", "+84987654321", "en")


def test_change_password_logs_out_other_browsers(app, client):
    person = make_person(app)
    other = app.test_client()
    login(client, person)
    login(other, person, remember=True)
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "sai",
            "new_password": "mat-khau-moi-2026",
            "confirm": "mat-khau-moi-2026",
        },
    )
    assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng" in wrong.get_data(
        as_text=True
    )
    response = client.post(
        "/account/password",
        data={
            "current_password": person.password,
            "new_password": "mat-khau-moi-2026",
            "confirm": "mat-khau-moi-2026",
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this browser stays logged in
    assert other.get("/account").status_code == 302  # the other one (and its remember-me) is out


def test_too_long_login_fields_are_refused_politely(client):
    response = client.post(
        "/login", data={"email": "a" * 5000 + "@vidu.vn", "password": "p" * 5000}
    )
    assert response.status_code == 422
