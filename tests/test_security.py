"""CSRF, security headers, cookie settings, error pages that never leak a 500."""

import io
import re

import pytest

from marketplace import create_app
from marketplace.extensions import db
from tests.factories import login, make_person, make_test_config, verified_coop


@pytest.fixture
def csrf_app(app):
    """The same database and services, with CSRF checks on as in production."""
    csrf_app = create_app(
        make_test_config(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    )
    with app.app_context():
        connection = db.engines[None]  # the per-test connection from the rollback fixture
    with csrf_app.app_context():
        db.engines[None] = connection
        db.session.configure(join_transaction_mode="create_savepoint")
    return csrf_app


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_forms_without_or_with_a_forged_csrf_token_get_a_translated_400(csrf_app):
    client = csrf_app.test_client()
    client.get("/login")
    for token in (None, "forged-token"):
        data = {"email": "a@vidu.vn", "password": "x"}
        if token:
            data["csrf_token"] = token
        response = client.post("/login", data=data)
        assert response.status_code == 400
        assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    for path in ("/logout", "/lang", "/signup", "/password/forgot"):
        assert client.post(path, data={}).status_code == 400


def test_a_real_csrf_token_is_accepted(csrf_app):
    client = csrf_app.test_client()
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": "a@vidu.vn", "password": "sai", "csrf_token": token}
    )
    assert response.status_code == 422  # reached the form validation, not refused as forged


def test_login_renews_the_session_so_an_earlier_csrf_token_stops_working(app, csrf_app):
    person = make_person(app)
    client = csrf_app.test_client()
    planted = _token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": person.email, "password": person.password, "csrf_token": planted},
    )
    assert response.status_code == 302
    profile = {"name": "Kẻ Gian", "phone": "", "locale": "vi"}
    refused = client.post("/account", data={**profile, "csrf_token": planted})
    assert refused.status_code == 400
    fresh = _token(client.get("/account").get_data(as_text=True))
    assert fresh != planted
    assert client.post("/account", data={**profile, "csrf_token": fresh}).status_code == 302


def test_security_headers_on_every_page(client):
    for path in ("/", "/login", "/khong-co", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_use_no_inline_script_or_style_and_no_cdn(client):
    page = client.get("/signup").get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    assert not re.search(r'(src|href)="https?://', page)


def test_session_cookie_flags(client):
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:1/x")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://chohtx.vn")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/static/css/app.css")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/abc",
        "/orgs/99999999999999999999999",
        "/password/reset/" + "x" * 3000,
        "/search?q=" + "%FF" * 50,
        "/search?q=%00",
        "/search?kind=nonsense&q=a",
        "/invitations/%00",
    ],
)
def test_odd_urls_never_give_a_500(client, path):
    assert client.get(path).status_code < 500


def test_internal_errors_get_a_translated_page_without_details(app):
    broken = create_app(make_test_config(app.config["SQLALCHEMY_DATABASE_URI"]))
    broken.config["PROPAGATE_EXCEPTIONS"] = False

    @broken.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = broken.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Đã xảy ra lỗi" in page and "secret detail" not in page


def test_nul_and_control_characters_in_forms_never_give_a_500(app, client):
    data = {
        "account_kind": "coop",
        "organization_name": "HTX\x00 Nul",
        "name": "An\x00\x07",
        "email": "nul\x00@vidu.vn",
        "phone": "09\x0012",
        "password": "p\x00" * 6,
        "confirm": "p\x00" * 6,
    }
    assert client.post("/signup", data=data).status_code == 422
    assert client.post("/login", data={"email": "\x00", "password": "\x00"}).status_code == 422
    assert client.post("/password/forgot", data={"email": "a\x00@b.vn"}).status_code < 500


def test_a_request_larger_than_the_limit_gets_a_translated_413(app, client):
    owner = make_person(app)
    login(client, owner)
    big = b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        f"/orgs/{owner.organization_id}/profile/photos",
        data={"file": (io.BytesIO(big), "big.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.get_data(as_text=True)


def test_form_fields_carry_no_empty_aria_attributes(client):
    page = client.get("/signup").get_data(as_text=True)
    assert 'aria-invalid="None"' not in page and 'aria-describedby="None"' not in page
    assert 'aria-describedby="password-help"' in page


def test_huge_and_unicode_numbers_never_give_a_500(app, client):
    coop = verified_coop(app)
    login(client, coop)
    # Ids nobody has are not found; a page number that is no number shows the first page.
    for path, status in (
        ("/orgs/99999999999", 404),
        (f"/orgs/{coop.organization_id}/listings/99999999999/edit", 404),
        ("/c/ruou?page=99999999999999999999", 200),
        ("/c/ruou?page=²", 200),
    ):
        assert client.get(path).status_code == status, path
    response = client.post(
        f"/orgs/{coop.organization_id}/listings/new",
        data={
            "title_vi": "X",
            "category_id": "99999999999999999999",
            "unit": "kg",
            "base_price": "1000",
            "monthly_capacity": "①",
            "min_order_quantity": "²",
            "lead_time_days": "1",
            "harvest_months": ["13", "²"],
            "certificate_ids": ["99999999999999"],
        },
    )
    assert response.status_code == 422
    response = client.post(
        f"/orgs/{coop.organization_id}/profile/people",
        data={
            "version": "²",
            "member_count": "²",
            "representative_name": "A",
            "representative_position": "B",
            "representative_phone": "",
            "area_hectares": "",
        },
    )
    assert response.status_code == 422
