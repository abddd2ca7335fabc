"""Absolute links (canonical, Open Graph, QR codes, emails): the configured address in
production, the served host and port on a laptop, never a forged Host header in production."""

import re
from datetime import date

import pytest

from marketplace import create_app
from marketplace.blueprints.listings import routes as listing_routes
from marketplace.config import ConfigError, Settings, check_production_safety
from marketplace.extensions import db
from marketplace.services.catalogue import listings
from tests.factories import PDF_BYTES, actor_for, published_listing, verified_coop


def _production(monkeypatch, **env):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:1/x")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("value", [None, "", "chohtx.vn", "ftp://chohtx.vn"])
def test_production_refuses_to_start_without_a_public_base_url(monkeypatch, value):
    _production(monkeypatch, **({} if value is None else {"PUBLIC_BASE_URL": value}))
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        create_app()


def test_production_starts_with_a_public_base_url(monkeypatch):
    _production(monkeypatch, PUBLIC_BASE_URL="https://chohtx.vn")
    assert create_app().config["PUBLIC_BASE_URL"] == "https://chohtx.vn"


def test_without_public_base_url_outside_a_request_the_flask_run_address_is_used():
    values = Settings.from_env(
        {"SECRET_KEY": "k" * 40, "FLASK_RUN_HOST": "0.0.0.0", "FLASK_RUN_PORT": "5102"}  # noqa: S104
    ).values
    assert values["PUBLIC_BASE_URL"] is None
    assert values["LOCAL_BASE_URL"] == "http://127.0.0.1:5102"
    plain = Settings.from_env({"SECRET_KEY": "k" * 40}).values
    assert plain["LOCAL_BASE_URL"] == "http://127.0.0.1:5000"
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        check_production_safety(
            plain
            | {"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x/y"}
        )


@pytest.fixture
def traced(app):
    coop = verified_coop(app)
    listing_id, slug = published_listing(app, coop)
    with app.app_context():
        me = actor_for(coop)
        lot = listings.create_lot(
            me,
            coop.organization_id,
            listing_id,
            listings.LotData(code="L-2026-1", produced_on=date(2026, 1, 5), quantity="10"),
            PDF_BYTES,
        )
        code = lot.public_code
        db.session.commit()
    return coop, slug, code


def _links(client, slug: str, code: str, monkeypatch, **headers) -> dict[str, str]:
    payloads = []
    monkeypatch.setattr(listing_routes, "qr_svg", lambda url: payloads.append(url) or b"<svg/>")
    page = client.get(f"/p/{slug}", headers=headers).get_data(as_text=True)
    found = {
        "canonical": re.search(r'<link rel="canonical" href="([^"]+)"', page).group(1),
        "og:url": re.search(r'<meta property="og:url" content="([^"]+)"', page).group(1),
        "og:image": re.search(r'<meta property="og:image" content="([^"]+)"', page).group(1),
    }
    assert client.get(f"/t/{code}/qr.svg", headers=headers).status_code == 200
    found["qr"] = payloads[-1]
    return found


def test_on_a_laptop_links_follow_the_served_host_and_port(app, traced, monkeypatch):
    _coop, slug, code = traced
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    client = app.test_client()
    links = _links(client, slug, code, monkeypatch, Host="192.168.1.5:5102")
    for name, url in links.items():
        assert url.startswith("http://192.168.1.5:5102/"), (name, url)
    assert links["qr"] == f"http://192.168.1.5:5102/t/{code}"
    assert links["canonical"] == links["og:url"]
    other = _links(client, slug, code, monkeypatch, Host="127.0.0.1:5000")
    assert all(url.startswith("http://127.0.0.1:5000/") for url in other.values())


def test_in_production_a_forged_host_header_does_not_change_the_links(app, traced, monkeypatch):
    _coop, slug, code = traced
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://chohtx.vn")
    client = app.test_client()
    links = _links(client, slug, code, monkeypatch, Host="evil.example:8080")
    for name, url in links.items():
        assert url.startswith("https://chohtx.vn/"), (name, url)
    assert links["qr"] == f"https://chohtx.vn/t/{code}"
    # Even a production app without the address (only possible under TESTING) never takes it
    # from the request.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    links = _links(client, slug, code, monkeypatch, Host="evil.example:8080")
    assert not any("evil.example" in url for url in links.values())


def test_an_explicit_public_base_url_wins_on_a_laptop_too(app, traced, monkeypatch):
    _coop, slug, code = traced
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://staging.chohtx.vn/")
    links = _links(app.test_client(), slug, code, monkeypatch, Host="127.0.0.1:5102")
    assert all(url.startswith("https://staging.chohtx.vn/") for url in links.values())
