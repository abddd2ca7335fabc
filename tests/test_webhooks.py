"""Signed webhooks: signatures and their rotation, the address rules, delivery to a real
local receiver (and to one that fails or hangs), send again, the event a notice makes, and
the pages of an organisation's webhooks."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, update

from marketplace import unit_of_work
from marketplace.extensions import db
from marketplace.models import OrgKind, OutboxMessage, Role
from marketplace.models._types import utcnow
from marketplace.models.api import WebhookDelivery, WebhookEndpoint
from marketplace.services import fairs, notifications, outbox, webhooks
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import (
    actor_for,
    add_member,
    application,
    audits,
    coop_with_listing,
    invoice_first_delivery,
    login,
    make_person,
    open_fair,
    post_rfq,
    quote_on,
    rfq_form,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
    verified_organiser,
)

PUBLIC_IP = "93.184.216.34"

# --- a real receiver on loopback --------------------------------------------------------------


@dataclass
class Receiver:
    url: str = ""
    #: The path and query string of ``url``.
    path: str = ""
    status: int = 200
    delay: float = 0.0
    received: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.received]


@pytest.fixture
def receiver(app, monkeypatch):
    """An HTTP server in a thread that records each request (the app may call loopback
    addresses only while this fixture is used)."""
    box = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with box.lock:
                box.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
            if box.delay:
                time.sleep(box.delay)
            try:
                self.send_response(box.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the caller gave up waiting

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box.path = "/hooks/chohtx?src=test"
    box.url = f"http://127.0.0.1:{server.server_address[1]}{box.path}"
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    yield box
    server.shutdown()
    server.server_close()


def endpoint_for(app, person, url: str, events: list[str]) -> tuple[int, str]:
    """A webhook endpoint of the person's organisation: (id, secret)."""
    with app.app_context():
        made = webhooks.create_endpoint(actor_for(person), person.organization_id, url, "", events)
        result = (made.endpoint.id, made.secret)
        settle()
    return result


def retry_due_webhooks(app, times: int = 1) -> None:
    """Make the waiting webhook messages due now and run the worker's pass ``times`` times."""
    for _ in range(times):
        with app.app_context():
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.topic == webhooks.TOPIC, OutboxMessage.delivered_at.is_(None))
                .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            unit_of_work.deliver_due()


def deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        rows = list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


# --- signing --------------------------------------------------------------------------------


def test_a_signature_verifies_with_its_secret_only_within_the_tolerance():
    body = b'{"id":"evt_1","type":"quote.received"}'
    now = int(time.time())
    header = webhooks.signature_header(["whsec_a"], now, body)
    assert header.startswith(f"t={now},v1=")
    assert webhooks.verify("whsec_a", header, body)
    assert webhooks.verify("whsec_a", header, body.decode())
    assert not webhooks.verify("whsec_b", header, body)
    assert not webhooks.verify("whsec_a", header, body + b" ")
    assert not webhooks.verify("whsec_a", header, body, now=now + 301)
    assert webhooks.verify("whsec_a", header, body, tolerance=600, now=now + 301)
    for bad in ("", "t=abc,v1=00", f"t={now}", "v1=00", "garbage"):
        assert not webhooks.verify("whsec_a", bad, body)
    # A forged header with a signature that is not ASCII is refused, not an error.
    assert not webhooks.verify("whsec_a", f"t={now},v1=é", body)
    assert webhooks.verify("whsec_a", f"t={now},v1=é,{header.split(',')[1]}", body)


def test_after_a_rotation_events_are_signed_with_both_secrets_for_a_day(app):
    coop = make_person(app)
    endpoint_id, first = endpoint_for(app, coop, f"https://{PUBLIC_IP}/h", ["rfq.posted"])
    assert first.startswith("whsec_") and len(first) > 40
    with app.app_context():
        second = webhooks.rotate_secret(actor_for(coop), coop.organization_id, endpoint_id).secret
        endpoint = db.session.get_one(WebhookEndpoint, endpoint_id)
        assert second != first and endpoint.previous_secret == first
        assert webhooks.signing_secrets(endpoint) == [second, first]
        body = b"{}"
        header = webhooks.signature_header(webhooks.signing_secrets(endpoint), 1_700_000_000, body)
        assert header.count("v1=") == 2
        for secret in (first, second):
            assert webhooks.verify(secret, header, body, now=1_700_000_000)
        # A day later only the new secret signs.
        endpoint.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
        assert webhooks.signing_secrets(endpoint) == [second]
        assert audits("webhook_endpoint.rotate_secret", endpoint_id) == 1
        settle()


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.5/hook",
        "http://[::1]/hook",
        "http://localhost:8080/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://192.168.1.10/hook",
        "http://172.16.0.1/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        # IPv4 inside IPv6: NAT64, 6to4, IPv4-compatible and -translated forms.
        "http://[64:ff9b::7f00:1]/hook",
        "http://[64:ff9b::a00:5]/hook",
        "http://[64:ff9b:1::a00:5]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://[2002:a9fe:a9fe::1]/hook",
        "http://[::7f00:1]/hook",
        "http://[::ffff:0:a00:5]/hook",
        "http://[fec0::1]/hook",
        # IPv4 written in decimal, octal and hexadecimal.
        "http://2130706433/hook",
        "http://0177.0.0.1/hook",
        "http://0x7f000001/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "ftp://93.184.216.34/hook",
        "https://user:pw@93.184.216.34/hook",
        "https:///nohost",
        "http://[::1/hook",
        "https://93.184.216.34:99999/hook",
    ],
)
def test_only_public_http_addresses_are_accepted(app, url):
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            webhooks.check_url(url)
        assert set(refused.value.errors) == {"url"}


def test_a_public_address_is_accepted_without_calling_it(app):
    with app.app_context():
        assert webhooks.check_url(f"  https://{PUBLIC_IP}/chohtx  ") == (
            f"https://{PUBLIC_IP}/chohtx"
        )
        assert webhooks.check_url(f"http://{PUBLIC_IP}:8443/x?y=1")
        # A public IPv4 address reached through NAT64 is public.
        assert webhooks.check_url("http://[64:ff9b::5db8:d822]/hook")


def test_the_address_is_checked_again_when_sending(app):
    """An address that became private since it was registered (a DNS answer that changed) is
    never called: the try is recorded as refused."""
    buyer = verified_buyer(app)
    endpoint_id, _secret = endpoint_for(app, buyer, f"http://{PUBLIC_IP}/h", ["quote.received"])
    with app.app_context():
        db.session.get_one(WebhookEndpoint, endpoint_id).url = "http://127.0.0.1:9/h"
        webhooks.emit(buyer.organization_id, "quote.received", "quote", 7)
        settle()
    (delivery,) = deliveries(app)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error.startswith("Address refused")


# --- events and delivery ----------------------------------------------------------------------


def test_every_template_mapped_is_a_notice_and_every_event_is_known():
    assert set(webhooks.TEMPLATE_EVENTS) <= set(notifications.TEMPLATE_KINDS)
    emitted = {e for e, _o in webhooks.TEMPLATE_EVENTS.values()} | set(
        webhooks.FAIR_EVENTS.values()
    )
    assert emitted == set(webhooks.EVENT_TYPES)
    objects = {o for _e, o in webhooks.TEMPLATE_EVENTS.values()} | {"fair_application"}
    assert objects <= set(webhooks.API_PATHS)


def test_every_event_names_an_object_the_api_can_read(app):
    adapter = app.url_map.bind("localhost")
    for obj, path in webhooks.API_PATHS.items():
        endpoint, _values = adapter.match(path.format(id=12), method="GET")
        assert endpoint.split(".")[0][:1].isupper(), (obj, endpoint)  # an API operation


def test_a_quote_submitted_is_delivered_signed_to_the_buyers_endpoint(app, receiver):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    endpoint_id, secret = endpoint_for(app, buyer, receiver.url, ["quote.received"])
    # Another endpoint of the buyer that wants something else hears nothing.
    endpoint_for(app, buyer, receiver.url + "&other=1", ["invoice.issued"])
    rfq_id = post_rfq(app, buyer)
    quote_id = quote_on(app, coop, rfq_id)

    assert len(receiver.received) == 1
    request = receiver.received[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    event = json.loads(request["body"])
    assert event["type"] == "quote.received" and event["id"].startswith("evt_")
    assert event["organization_id"] == buyer.organization_id
    assert event["data"] == {
        "object": "quote",
        "id": quote_id,
        "url": f"/api/v1/quotes/{quote_id}",
    }
    assert event["created"].endswith("Z")
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "ChoHTX-Webhooks/1"
    assert headers["chohtx-event-id"] == event["id"]
    assert headers["chohtx-event-type"] == "quote.received"
    assert webhooks.verify(secret, headers["chohtx-signature"], request["body"])
    assert not webhooks.verify("whsec_wrong", headers["chohtx-signature"], request["body"])

    (delivery,) = deliveries(app)
    assert delivery.endpoint_id == endpoint_id and delivery.status == "succeeded"
    assert delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.delivered_at is not None and delivery.last_error is None


def _received_by(receiver: Receiver) -> dict[str, list[tuple[str, str]]]:
    """Event types (and objects) each endpoint received, by the endpoint's query string."""
    found: dict[str, list[tuple[str, str]]] = {}
    with receiver.lock:
        for request in receiver.received:
            event = json.loads(request["body"])
            found.setdefault(request["path"], []).append((event["type"], event["data"]["url"]))
    return found


def test_a_whole_deal_tells_each_side_its_own_events(app, receiver):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    endpoint_for(app, buyer, receiver.url + "&who=buyer", webhooks.event_types_for(OrgKind.BUYER))
    endpoint_for(app, coop, receiver.url + "&who=coop", webhooks.event_types_for(OrgKind.COOP))
    contract_id = signed_contract(app, buyer, coop)
    invoice_id, _total = invoice_first_delivery(app, buyer, coop, contract_id)

    received = _received_by(receiver)
    buyer_events = dict(received[receiver.path + "&who=buyer"])
    coop_events = dict(received[receiver.path + "&who=coop"])
    assert {"quote.received", "contract.signed", "delivery.dispatched", "invoice.issued"} <= set(
        buyer_events
    )
    assert {
        "rfq.posted",
        "quote.awarded",
        "contract.to_sign",
        "contract.signed",
        "delivery.received",
        "invoice.issued",
    } <= set(coop_events)
    assert buyer_events["contract.signed"] == f"/api/v1/contracts/{contract_id}"
    assert coop_events["invoice.issued"] == f"/api/v1/invoices/{invoice_id}"
    assert not set(buyer_events) & {"rfq.posted", "quote.awarded", "delivery.received"}


def test_fair_applications_tell_the_organiser_and_the_co_op(app, receiver):
    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Chè Shan Tuyết")
    endpoint_for(app, organiser, receiver.url + "&who=organiser", ["fair_application.received"])
    endpoint_for(app, coop, receiver.url + "&who=coop", ["fair_application.reviewed"])
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        application_id = applied.id
        settle()
    received = _received_by(receiver)
    url = f"/api/v1/fair-applications/{application_id}"
    assert received[receiver.path + "&who=organiser"] == [("fair_application.received", url)]
    assert received[receiver.path + "&who=coop"] == [("fair_application.reviewed", url)]


def test_an_inactive_endpoint_is_not_told(app, receiver):
    buyer = verified_buyer(app)
    endpoint_id, _secret = endpoint_for(app, buyer, receiver.url, ["quote.received"])
    with app.app_context():
        webhooks.update_endpoint(
            actor_for(buyer),
            buyer.organization_id,
            endpoint_id,
            receiver.url,
            "",
            ["quote.received"],
            False,
        )
        assert webhooks.emit(buyer.organization_id, "quote.received", "quote", 1) == []
        settle()
    assert receiver.received == []


def test_a_failing_endpoint_is_retried_then_marked_failing_without_failing_the_request(
    app, receiver
):
    receiver.status = 500
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    endpoint_id, _secret = endpoint_for(app, coop, receiver.url, ["rfq.posted"])
    client = app.test_client()
    login(client, buyer)
    response = client.post(f"/orgs/{buyer.organization_id}/rfqs/new", data=rfq_form(app, buyer))
    assert response.status_code == 302  # the request that caused the event went through

    (delivery,) = deliveries(app)
    assert delivery.event_type == "rfq.posted" and delivery.status == "pending"
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500"
    retry_due_webhooks(app, webhooks.MAX_ATTEMPTS - 2)
    (delivery,) = deliveries(app)
    assert delivery.status == "pending" and delivery.attempts == webhooks.MAX_ATTEMPTS - 1
    retry_due_webhooks(app)
    (delivery,) = deliveries(app)
    assert delivery.status == "failed" and delivery.attempts == webhooks.MAX_ATTEMPTS
    with app.app_context():
        assert db.session.get_one(WebhookEndpoint, endpoint_id).failing_since is not None
        # It stops: nothing is left to try.
        assert outbox.pending(webhooks.TOPIC) == []
    retry_due_webhooks(app)
    assert len(receiver.received) == webhooks.MAX_ATTEMPTS

    # Send again, from the delivery log, once the receiver is back.
    receiver.status = 204
    page = client.get(f"/orgs/{coop.organization_id}/webhooks/{endpoint_id}/deliveries")
    assert page.status_code == 404  # the buyer is no member of the co-op
    client = app.test_client()
    login(client, coop)
    page = client.get(f"/orgs/{coop.organization_id}/webhooks/{endpoint_id}/deliveries")
    assert page.status_code == 200 and "500" in page.text
    response = client.post(
        f"/orgs/{coop.organization_id}/webhooks/{endpoint_id}/deliveries/{delivery.id}/send"
    )
    assert response.status_code == 302
    (delivery,) = deliveries(app)
    assert delivery.status == "succeeded" and delivery.last_status_code == 204
    # While a delivery is still being tried, "send again" queues nothing more.
    with app.app_context():
        db.session.get_one(WebhookDelivery, delivery.id).status = "pending"
        settle()
        webhooks.send_again(actor_for(coop), coop.organization_id, endpoint_id, delivery.id)
        assert outbox.pending(webhooks.TOPIC) == []
        db.session.get_one(WebhookDelivery, delivery.id).status = "succeeded"
        settle()
    assert delivery.attempts == webhooks.MAX_ATTEMPTS + 1
    listing = client.get(f"/orgs/{coop.organization_id}/webhooks")
    assert "<code>rfq.posted</code>" in listing.text and "(204)" in listing.text
    with app.app_context():
        assert db.session.get_one(WebhookEndpoint, endpoint_id).failing_since is None
        assert audits("webhook_delivery.send_again", delivery.id) == 1


def test_a_receiver_that_does_not_answer_in_time_is_tried_again_later(app, receiver):
    receiver.delay = 1.0
    app.config["WEBHOOK_TIMEOUT"] = 0.2
    try:
        buyer = verified_buyer(app)
        endpoint_for(app, buyer, receiver.url, ["quote.received"])
        started = time.monotonic()
        with app.app_context():
            webhooks.emit(buyer.organization_id, "quote.received", "quote", 5)
            settle()
        assert time.monotonic() - started < 1.0
    finally:
        app.config.pop("WEBHOOK_TIMEOUT")
    (delivery,) = deliveries(app)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status_code is None and "timed out" in delivery.last_error
    with app.app_context():
        waiting = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.topic == webhooks.TOPIC)
        )
        assert waiting.delivered_at is None and waiting.next_attempt_at > utcnow()


def test_a_redirect_is_not_followed(app, receiver):
    receiver.status = 302
    buyer = verified_buyer(app)
    endpoint_for(app, buyer, receiver.url, ["quote.received"])
    with app.app_context():
        webhooks.emit(buyer.organization_id, "quote.received", "quote", 5)
        settle()
    (delivery,) = deliveries(app)
    assert delivery.status == "pending" and delivery.last_status_code == 302
    assert len(receiver.received) == 1


# --- managing endpoints -----------------------------------------------------------------------


def test_only_owners_and_managers_manage_endpoints(app):
    coop = make_person(app)
    staff = add_member(app, coop.organization_id, Role.STAFF)
    other = make_person(app, organization_name="HTX Khác")
    with app.app_context():
        with pytest.raises(PermissionDenied):
            webhooks.endpoints_of(actor_for(staff), coop.organization_id)
        with pytest.raises(NotFound):
            webhooks.endpoints_of(actor_for(other), coop.organization_id)
    endpoint_id, _secret = endpoint_for(app, coop, f"https://{PUBLIC_IP}/h", ["rfq.posted"])
    with app.app_context():
        with pytest.raises(NotFound):
            webhooks.get_endpoint(actor_for(other), other.organization_id, endpoint_id)
        with pytest.raises(ValidationFailed) as refused:
            webhooks.create_endpoint(
                actor_for(coop),
                coop.organization_id,
                f"https://{PUBLIC_IP}/",
                "",
                ["quote.received"],
            )
        assert set(refused.value.errors) == {"events"}  # a buyer's event, not a co-op's
        assert audits("webhook_endpoint.create", endpoint_id) == 1


def test_the_pages_add_change_rotate_and_delete_an_endpoint(app):
    buyer = make_person(app, kind=OrgKind.BUYER, organization_name="Xanh Mart")
    org = buyer.organization_id
    client = app.test_client()
    login(client, buyer)
    page = client.get(f"/orgs/{org}/webhooks")
    assert page.status_code == 200 and f"/orgs/{org}/webhooks/new" in page.text
    assert f"/orgs/{org}/integrations" in page.text
    form = client.get(f"/orgs/{org}/webhooks/new")
    assert 'value="quote.received"' in form.text and 'value="rfq.posted"' not in form.text

    # A private address is refused next to the field, keeping what was typed and ticked.
    refused = client.post(
        f"/orgs/{org}/webhooks/new",
        data={"url": "http://10.0.0.5/erp", "description": "ERP", "events": ["invoice.issued"]},
    )
    assert refused.status_code == 422
    assert 'value="http://10.0.0.5/erp"' in refused.text and 'value="ERP"' in refused.text
    assert 'value="invoice.issued" checked' in refused.text
    assert 'id="url-error"' in refused.text

    made = client.post(
        f"/orgs/{org}/webhooks/new",
        data={"url": f"https://{PUBLIC_IP}/erp", "events": ["quote.received", "invoice.issued"]},
    )
    assert made.status_code == 200
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint))
        endpoint_id, secret = endpoint.id, endpoint.secret
        assert endpoint.events == ["quote.received", "invoice.issued"]
    assert secret in made.text
    listing = client.get(f"/orgs/{org}/webhooks")
    assert f"https://{PUBLIC_IP}/erp" in listing.text and secret not in listing.text

    edited = client.post(
        f"/orgs/{org}/webhooks/{endpoint_id}",
        data={"url": f"https://{PUBLIC_IP}/erp2", "events": ["payment.received"]},
    )
    assert edited.status_code == 302
    with app.app_context():
        endpoint = db.session.get_one(WebhookEndpoint, endpoint_id)
        assert endpoint.url.endswith("/erp2") and endpoint.events == ["payment.received"]
        assert endpoint.is_active is False  # the box was not ticked
    rotated = client.post(f"/orgs/{org}/webhooks/{endpoint_id}/rotate")
    assert rotated.status_code == 200
    with app.app_context():
        endpoint = db.session.get_one(WebhookEndpoint, endpoint_id)
        assert endpoint.previous_secret == secret and endpoint.secret in rotated.text
    assert client.get(f"/orgs/{org}/webhooks/{endpoint_id}/deliveries").status_code == 200
    deleted = client.post(f"/orgs/{org}/webhooks/{endpoint_id}/delete")
    assert deleted.status_code == 302
    with app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id) is None
        assert audits("webhook_endpoint.delete", endpoint_id) == 1


def test_another_organisations_endpoint_is_not_found_on_the_pages(app):
    coop = make_person(app)
    other = make_person(app, organization_name="HTX Khác")
    endpoint_id, _secret = endpoint_for(app, coop, f"https://{PUBLIC_IP}/h", ["rfq.posted"])
    client = app.test_client()
    login(client, other)
    org = other.organization_id
    assert client.get(f"/orgs/{org}/webhooks/{endpoint_id}").status_code == 404
    assert client.get(f"/orgs/{org}/webhooks/{endpoint_id}/deliveries").status_code == 404
    assert client.post(f"/orgs/{org}/webhooks/{endpoint_id}/rotate").status_code == 404
    assert client.post(f"/orgs/{org}/webhooks/{endpoint_id}/delete").status_code == 404
    assert client.get(f"/orgs/{coop.organization_id}/webhooks").status_code == 404


def test_an_address_with_a_vietnamese_path_is_sent_percent_encoded(app, receiver):
    """Such an address is accepted when registered, so its events must reach it (http.client
    takes only ASCII: unencoded, every try failed without a word in the delivery log)."""
    buyer = verified_buyer(app)
    url = receiver.url.replace("/hooks/chohtx", "/hooks/nhận hàng")
    endpoint_for(app, buyer, url, ["quote.received"])
    with app.app_context():
        webhooks.emit(buyer.organization_id, "quote.received", "quote", 5)
        settle()
    (delivery,) = deliveries(app)
    assert delivery.status == "succeeded" and delivery.last_status_code == 200
    (request,) = receiver.received
    assert request["path"] == "/hooks/nh%E1%BA%ADn%20h%C3%A0ng?src=test"
