"""The API guide (docs/api.md) cannot rot: its Python signature check runs against signatures
made by hand and by the app's own webhook sender, its request-for-quotes example is accepted
by the API, and every problem code the API's core answers has its entry in the guide."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

from marketplace.services import webhooks
from marketplace.vietnam import today
from tests.factories import (
    PROJECT_ROOT,
    api_key,
    bearer,
    category_id,
    location_id,
    verified_buyer,
)

GUIDE = (Path(PROJECT_ROOT) / "docs" / "api.md").read_text(encoding="utf-8")
SECRET = "whsec_guide-test-secret"
BODY = json.dumps(
    {"id": "evt_1", "type": "quote.received", "data": {"object": "quote", "id": 41}},
    ensure_ascii=False,
    separators=(",", ":"),
).encode()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", GUIDE, re.S | re.M)


@pytest.fixture(scope="module")
def verify():
    """The guide's own function, defined by running its code block as it stands."""
    (block,) = [b for b in _blocks("python") if "def verify_chohtx_signature" in b]
    namespace: dict = {}
    exec(compile(block, "docs/api.md", "exec"), namespace)  # noqa: S102 - our own guide
    return namespace["verify_chohtx_signature"]


def _by_hand(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_the_guides_check_accepts_a_signature_made_by_hand(verify):
    now = int(time.time())
    header = f"t={now},v1={_by_hand(SECRET, now, BODY)}"
    assert verify(SECRET, header, BODY)
    assert verify(SECRET, header.replace(",", ", "), BODY)  # spaces after commas


def test_the_guides_check_refuses_what_it_must(verify):
    now = int(time.time())
    good = _by_hand(SECRET, now, BODY)
    assert not verify("whsec_another", f"t={now},v1={good}", BODY)  # another secret
    assert not verify(SECRET, f"t={now},v1={good}", BODY.replace(b"41", b"42"))  # changed body
    assert not verify(SECRET, f"t={now + 1},v1={good}", BODY)  # another time
    old = now - 5 * 60 - 1
    assert not verify(SECRET, f"t={old},v1={_by_hand(SECRET, old, BODY)}", BODY)  # too old
    recent = now - 5 * 60 + 5
    assert verify(SECRET, f"t={recent},v1={_by_hand(SECRET, recent, BODY)}", BODY)
    for header in ("", "garbage", f"v1={good}", f"t={now}", f"t=²,v1={good}", f"t=abc,v1={good}"):
        assert not verify(SECRET, header, BODY), header
    assert not verify(SECRET, f"t={now},v1=é", BODY)  # not ASCII: refused, not an error


def test_during_a_rotation_either_secret_is_accepted(verify):
    now = int(time.time())
    new, old = "whsec_new", "whsec_old"
    header = f"t={now},v1={_by_hand(new, now, BODY)},v1={_by_hand(old, now, BODY)}"
    assert verify(new, header, BODY) and verify(old, header, BODY)
    assert not verify("whsec_neither", header, BODY)


def test_the_guides_check_accepts_what_the_app_sends(verify):
    now = int(time.time())
    header = webhooks.signature_header([SECRET, "whsec_previous"], now, BODY)
    assert verify(SECRET, header, BODY) and verify("whsec_previous", header, BODY)
    # The guide names the headers the app sends.
    for name in (webhooks.SIGNATURE_HEADER, "Chohtx-Event-Id", "Chohtx-Event-Type"):
        assert f"`{name}`" in GUIDE


def test_the_guides_request_for_quotes_is_accepted_by_the_api(app, client):
    (example,) = [b for b in _blocks("sh") if '"$CHOHTX/rfqs"' in b and "-d '" in b]
    assert "Idempotency-Key: " in example
    body = json.loads(re.search(r"-d '(.*?)'", example, re.S).group(1))
    buyer = verified_buyer(app)
    token = api_key(app, buyer, ["procurement"])
    start = today() + timedelta(days=7)
    with app.app_context():
        # The guide's ids and dates are examples: today's real ones, the same fields.
        body["lines"][0]["category_id"] = category_id("rau")
        body["delivery_location_id"] = location_id(buyer)
    body |= {
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=60)).isoformat(),
        "respond_by_date": (today() + timedelta(days=3)).isoformat(),
    }
    headers = bearer(token, **{"Idempotency-Key": "guide-example-1"})
    response = client.post("/api/v1/rfqs", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    again = client.post("/api/v1/rfqs", json=body, headers=headers)
    assert again.status_code == 201 and again.get_json()["id"] == response.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_every_problem_code_of_the_core_is_explained():
    core = (Path(PROJECT_ROOT) / "marketplace" / "blueprints" / "api" / "core.py").read_text()
    codes = set(re.findall(r'code="([a-z_]+)"', core)) | {"unauthenticated", "revoked_key"}
    # Codes named after the HTTP status (core.problem's default).
    codes |= {"bad_request", "not_found", "method_not_allowed", "too_many_requests"}
    missing = sorted(c for c in codes if f'<a id="{c}"></a>' not in GUIDE)
    assert not missing, f"docs/api.md has no entry for {missing}"


def test_the_readme_links_the_guide():
    assert "(docs/api.md)" in (Path(PROJECT_ROOT) / "README.md").read_text(encoding="utf-8")
