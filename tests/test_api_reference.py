"""The API reference page: the pinned Swagger UI served from the app's own files, started by
its own script, under the site's content security policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import PROJECT_ROOT

ROOT = Path(PROJECT_ROOT)
VENDOR = ROOT / "static" / "vendor" / "swagger-ui"
SERVED = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "swagger-ui-bundle.js.LICENSE.txt"]


def test_the_page_loads_swagger_ui_from_the_app_with_the_site_policy(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">' in html
    assert 'src="/static/vendor/swagger-ui/swagger-ui-bundle.js"' in html
    assert 'src="/static/js/api-reference.js"' in html
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert 'id="guide-link"' in html and "<script>" not in html and "style=" not in html
    assert "//cdn" not in html and "unpkg" not in html
    policy = response.headers["Content-Security-Policy"]
    assert policy == client.get("/").headers["Content-Security-Policy"]
    assert "style-src 'self';" in policy and "script-src 'self';" in policy
    for path in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/js/api-reference.js"):
        assert client.get(path).status_code == 200


def test_a_manager_is_led_to_the_keys_page(app, client):
    from tests.factories import login, make_person

    coop = make_person(app, organization_name="HTX Mật Ong")
    login(client, coop)
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert f'href="/orgs/{coop.organization_id}/integrations"' in html


@pytest.mark.parametrize("name", SERVED)
def test_the_served_swagger_ui_is_the_pinned_package(name):
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/swagger-ui-dist"]["version"]
    assert pinned == "5.35.0"
    assert json.loads((ROOT / "package.json").read_text())["dependencies"]["swagger-ui-dist"] == (
        pinned
    )
    installed = ROOT / "node_modules" / "swagger-ui-dist"
    # `make test` installs node_modules with `npm ci` from the lock file.
    assert json.loads((installed / "package.json").read_text())["version"] == pinned
    assert (VENDOR / name).read_bytes() == (installed / name).read_bytes(), (
        f"static/vendor/swagger-ui/{name} differs from the pinned package: run scripts/vendor_js.sh"
    )


def test_the_guide_is_served_and_problem_types_point_into_it(client):
    """A problem document's type is the guide's address, with the code as its anchor; the
    reference page links to the same guide."""
    problem = client.get("/api/v1/categories").get_json()
    assert problem["type"].endswith("/api/v1/guide#unauthenticated")
    page = client.get("/api/v1/guide")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="unauthenticated"' in html and "<table>" in html and "Chohtx-Signature" in html
    assert 'href="/api/v1/guide"' in client.get("/api/v1/docs").get_data(as_text=True)
