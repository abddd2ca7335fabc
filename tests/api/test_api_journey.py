"""A whole deal through the API alone, over HTTP, as a supermarket's ERP and a co-op's own
system would do it: request → quote → counter-offer → acceptance → award → both signatures →
dispatch → receipt → invoice → "we have transferred" → transfer recorded → paid.

Each side registered a webhook endpoint (on its integrations page; here through the same
use case); a local HTTP server receives every event, and each one's signature is checked
with the scheme the guide describes.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from marketplace.extensions import db
from marketplace.services import webhooks
from marketplace.vietnam import today
from tests.factories import (
    actor_for,
    api_key,
    category_id,
    coop_with_listing,
    settle,
    verified_buyer,
    verified_coop,
)


class Receiver:
    """A local HTTP server that keeps every webhook it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, path: str) -> list[dict]:
        return [json.loads(body) for p, _h, body in self.received if p == path]

    def wait_for(self, path: str, event_type: str, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events(path):
                if event["type"] == event_type:
                    return event
            time.sleep(0.05)
        seen = [e["type"] for e in self.events(path)]
        raise AssertionError(f"no {event_type} at {path} within {timeout}s (got {seen})")


class Client:
    """One organisation's system: its key, JSON in and out."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token

    def call(self, method: str, path: str, body=None, **headers) -> tuple[int, dict, object]:
        data = None if body is None else json.dumps(body).encode()
        request = Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept-Language", "vi")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if method == "POST":
            request.add_header("Idempotency-Key", str(uuid.uuid4()))
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with urlopen(request) as response:  # noqa: S310 - the loopback test server
                raw = response.read()
                kind = response.headers.get_content_type()
                return response.status, dict(response.headers), _decode(raw, kind)
        except HTTPError as error:
            raw = error.read()
            return error.code, dict(error.headers), _decode(raw, error.headers.get_content_type())

    def get(self, path: str, **headers):
        status, head, body = self.call("GET", path, **headers)
        assert status == 200, (path, status, body)
        return head, body

    def post(self, path: str, body=None, expect: int = 201, **headers):
        status, head, answer = self.call("POST", path, body if body is not None else {}, **headers)
        assert status == expect, (path, status, answer)
        return head, answer


def _decode(raw: bytes, kind: str):
    return json.loads(raw) if kind.endswith("json") and raw else raw


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


def test_a_whole_deal_through_the_api_with_signed_webhooks(api_server, receiver):
    app = api_server.app
    buyer_person = verified_buyer(app, name="Siêu thị ERP")
    coop_person = verified_coop(app, organization_name="HTX Hệ Thống Riêng")
    coop_with_listing(app, coop_person)
    secrets = {}
    with app.app_context():
        for name, person in (("buyer", buyer_person), ("coop", coop_person)):
            org = person.organization_id
            from marketplace.models import Organization

            kind = db.session.get_one(Organization, org).kind
            made = webhooks.create_endpoint(
                actor_for(person),
                org,
                f"{receiver.url}/{name}",
                f"ERP của {name}",
                webhooks.event_types_for(kind),
            )
            secrets[name] = made.secret
        settle()
        wine = category_id("ruou")
    buyer = Client(api_server.url, api_key(app, buyer_person, name="ERP mua hàng"))
    coop = Client(api_server.url, api_key(app, coop_person, name="Website HTX"))

    # The buyer's ERP: where to deliver, then the request.
    _h, locations = buyer.get("/api/v1/delivery-locations")
    start = today() + timedelta(days=7)
    _h, rfq = buyer.post(
        "/api/v1/rfqs",
        {
            "title": "Rượu sâm cho chuỗi cửa hàng",
            "lines": [
                {
                    "category_id": wine,
                    "specification": "Rượu sâm 500 ml",
                    "quantity": 120,
                    "unit": "chai",
                    "target_price": 170000,
                }
            ],
            "pattern": "weekly",
            "weekdays": [1],
            "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=27)).isoformat(),
            "respond_by_date": (today() + timedelta(days=3)).isoformat(),
            "delivery_location_id": locations["data"][0]["id"],
            "payment_days": 30,
        },
    )
    receiver.wait_for("/coop", "rfq.posted")

    # The co-op's system finds it, starts from the template and quotes.
    _h, found = coop.get("/api/v1/rfqs?status=open")
    assert rfq["id"] in [r["id"] for r in found["data"]]
    _h, template = coop.get(f"/api/v1/rfqs/{rfq['id']}/quote-template")
    assert template["lines"], template
    _h, full = coop.get(f"/api/v1/rfqs/{rfq['id']}")
    lines = [
        {"rfq_line_id": line["id"], "unit_price": 180000, "quantity": 120, "vat_rate": "10"}
        for line in full["lines"]
    ]
    valid_until = (today() + timedelta(days=10)).isoformat()
    _h, quote = coop.post(
        f"/api/v1/rfqs/{rfq['id']}/quotes", {"lines": lines, "valid_until": valid_until}
    )
    received = receiver.wait_for("/buyer", "quote.received")
    assert received["data"] == {
        "object": "quote",
        "id": quote["id"],
        "url": f"/api/v1/quotes/{quote['id']}",
    }

    # The buyer counters at 170.000 ₫ on the version it read.
    head, _read = buyer.get(received["data"]["url"])
    countered_lines = [dict(line, unit_price=170000) for line in lines]
    head, countered = buyer.post(
        f"/api/v1/quotes/{quote['id']}/versions",
        {"lines": countered_lines, "valid_until": valid_until, "notes": "170.000 ₫ được không?"},
        If_Match=head["ETag"],
    )
    receiver.wait_for("/coop", "quote.countered")

    # A stale version is refused; the co-op accepts the one it was told about.
    status, _h, stale = coop.call(
        "POST", f"/api/v1/quotes/{quote['id']}/accept", {}, If_Match='"v1"'
    )
    assert status == 412 and stale["code"] == "stale_version"
    head, _q = coop.get(f"/api/v1/quotes/{quote['id']}")
    _h, accepted = coop.post(f"/api/v1/quotes/{quote['id']}/accept", If_Match=head["ETag"])

    # The buyer awards it: a draft contract.
    _h, awarded = buyer.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        {
            "quotes": [
                {
                    "quote_id": quote["id"],
                    "version": accepted["current_version"],
                    "rfq_line_ids": [line["id"] for line in full["lines"]],
                }
            ]
        },
    )
    contract_id = awarded["contract_ids"][0]
    receiver.wait_for("/coop", "quote.awarded")

    # Both sign, each at the version it read.
    for side in (buyer, coop):
        head, contract = side.get(f"/api/v1/contracts/{contract_id}")
        side.post(
            f"/api/v1/contracts/{contract_id}/sign",
            {"confirmed": True},
            expect=200,
            If_Match=head["ETag"],
        )
    signed = receiver.wait_for("/buyer", "contract.signed")
    assert signed["data"]["id"] == contract_id
    receiver.wait_for("/coop", "contract.signed")

    # The co-op dispatches the first delivery; the buyer receives 100 and refuses 20.
    _h, contract = coop.get(f"/api/v1/contracts/{contract_id}")
    assert contract["status"] == "active"
    delivery_id = contract["delivery_plan"]["next_delivery_id"]
    head, planned = coop.get(f"/api/v1/deliveries/{delivery_id}")
    line_id = planned["lines"][0]["id"]
    coop.post(
        f"/api/v1/deliveries/{delivery_id}/dispatch",
        {"lines": [{"line_id": line_id, "quantity": 120}], "early": True},
        expect=200,
        If_Match=head["ETag"],
    )
    receiver.wait_for("/buyer", "delivery.dispatched")
    head, _d = buyer.get(f"/api/v1/deliveries/{delivery_id}")
    _h, received_delivery = buyer.post(
        f"/api/v1/deliveries/{delivery_id}/receive",
        {
            "lines": [{"line_id": line_id, "accepted": 100, "rejected": 20, "reason": "Vỡ 20"}],
            "note": "Kho Láng Hạ",
        },
        expect=200,
        If_Match=head["ETag"],
    )
    invoice_id = received_delivery["invoice_id"]
    assert invoice_id
    issued = receiver.wait_for("/buyer", "invoice.issued")
    assert issued["data"]["id"] == invoice_id
    receiver.wait_for("/coop", "delivery.received")

    # The buyer reads what it owes, with the PDF, and says it has transferred it.
    _h, invoice = buyer.get(f"/api/v1/invoices/{invoice_id}")
    assert invoice["total"] == 100 * 170000 * 110 // 100
    status, head, pdf = buyer.call("GET", f"/api/v1/invoices/{invoice_id}/pdf")
    assert status == 200 and pdf.startswith(b"%PDF")
    payable = f"/api/v1/payables/{invoice['payable']['kind']}/{invoice['payable']['id']}"
    _h, owed = buyer.get(payable)
    assert owed["outstanding"] == invoice["total"]
    buyer.post(payable + "/transfer-claims", {"bank_reference": "FT26340ERP001"})

    # The co-op sees the money in its bank and records it: the invoice is paid.
    _h, payment = coop.post(
        payable + "/transfers",
        {
            "amount": invoice["total"],
            "paid_on": today().isoformat(),
            "bank_reference": "FT26340ERP001",
        },
    )
    assert payment["status"] == "succeeded"
    receiver.wait_for("/coop", "payment.received")
    _h, paid = buyer.get(f"/api/v1/invoices/{invoice_id}")
    assert paid["status"] == "paid" and paid["outstanding"] == 0
    _h, payments = coop.get("/api/v1/payments")
    assert payment["id"] in [p["id"] for p in payments["data"]]

    # Every event each side was sent is signed with its own secret, within the tolerance,
    # names its type in a header, and was sent once.
    for name in ("buyer", "coop"):
        delivered = [(h, b) for p, h, b in receiver.received if p == f"/{name}"]
        assert delivered
        ids = []
        for headers, body in delivered:
            assert webhooks.verify(secrets[name], headers[webhooks.SIGNATURE_HEADER], body)
            other = "coop" if name == "buyer" else "buyer"
            assert not webhooks.verify(secrets[other], headers[webhooks.SIGNATURE_HEADER], body)
            event = json.loads(body)
            assert headers["Chohtx-Event-Type"] == event["type"]
            assert headers["Chohtx-Event-Id"] == event["id"]
            ids.append(event["id"])
        assert len(ids) == len(set(ids)), f"{name} was sent an event twice"
