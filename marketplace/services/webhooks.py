"""Signed webhooks: an organisation's endpoints told about chosen events, after the commit.

An event is "thin": its type and the object it is about (``data.object``, ``data.id`` and
the object's ``data.url`` in the API), never the object itself, so a receiver reads the
current state with its key. Events come from one place: when members of an organisation
are notified with a template (``notifications.notify_members``), ``notice`` maps the
template to an event type (``TEMPLATE_EVENTS``) and ``emit`` makes one ``WebhookDelivery``
per active endpoint subscribed to it, each queued in the outbox in the same transaction.
The outbox handler ``deliver`` POSTs it after the commit and after the response.

Each request is signed as Stripe's are: ``Chohtx-Signature: t=<unix seconds>,v1=<hex
HMAC-SHA256(secret, "<t>.<raw body>")>``, with a second ``v1=`` made with the previous
secret for a day after a rotation. ``verify`` checks such a header (receivers copy it).

Only public http(s) addresses are called: an address is checked when it is registered
and again when each request is sent, connecting to the very address that was checked (a
name that re-resolves to 127.0.0.1 between the two cannot slip through).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import OrgKind, Role
from marketplace.models._types import utcnow
from marketplace.models.api import WebhookDelivery, WebhookEndpoint
from marketplace.services import audit, outbox
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.permissions import member_of

log = logging.getLogger("marketplace.webhooks")

TOPIC = "webhook"
#: Tries of one delivery (the outbox spaces them out: 10 s, 20 s, 40 s …) before it is
#: marked failed and its endpoint failing.
MAX_ATTEMPTS = 6
#: Seconds to wait for a receiver (connecting, and each read).
TIMEOUT = 5.0
#: How long the secret replaced by a rotation still signs events.
ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS = 10
SECRET_START = "whsec_"  # noqa: S105 - a prefix, not a secret
USER_AGENT = "ChoHTX-Webhooks/1"
SIGNATURE_HEADER = "Chohtx-Signature"

C, B, ORG = OrgKind.COOP, OrgKind.BUYER, OrgKind.FAIR_ORGANIZER


@dataclass(frozen=True)
class EventType:
    label: Any
    #: The kinds of organisation that can be told about it.
    kinds: frozenset[OrgKind]


#: Every event type, with its label and who can receive it (in the order the form shows).
EVENT_TYPES: dict[str, EventType] = {
    "rfq.posted": EventType(_l("A new request for quotes you may answer"), frozenset({C})),
    "quote.received": EventType(_l("A quote received for your request"), frozenset({B})),
    "quote.countered": EventType(
        _l("A counter-offer or a revised quote from the other side"), frozenset({B, C})
    ),
    "quote.awarded": EventType(_l("Your quote won: a contract to sign"), frozenset({C})),
    "quote.declined": EventType(_l("Your quote was not chosen"), frozenset({C})),
    "contract.to_sign": EventType(_l("A contract waits for your signature"), frozenset({B, C})),
    "contract.signed": EventType(_l("A contract is signed by both sides"), frozenset({B, C})),
    "contract.cancelled": EventType(_l("A contract was cancelled"), frozenset({B, C})),
    "contract.notice_given": EventType(_l("Notice to end a contract"), frozenset({B, C})),
    "contract.amendment_proposed": EventType(
        _l("A change to a contract is proposed"), frozenset({B, C})
    ),
    "contract.amendment_decided": EventType(
        _l("A proposed change was answered"), frozenset({B, C})
    ),
    "delivery.dispatched": EventType(_l("A delivery is on its way"), frozenset({B})),
    "delivery.received": EventType(_l("A delivery was received and checked"), frozenset({C})),
    "delivery.overdue": EventType(_l("A delivery is overdue"), frozenset({B, C})),
    "invoice.issued": EventType(_l("An invoice was issued"), frozenset({B, C})),
    "invoice.voided": EventType(_l("An invoice was voided"), frozenset({B})),
    "payment.received": EventType(_l("A payment arrived"), frozenset({B, C, ORG})),
    "fair_application.received": EventType(
        _l("A co-op applied to one of your fairs"), frozenset({ORG})
    ),
    "fair_application.reviewed": EventType(
        _l("The organiser decided on your fair application"), frozenset({C})
    ),
}

#: Notification template → (event type, object). The object's id is the notice's link value
#: "<object>_id", or the id of the object of that name the notice is about.
TEMPLATE_EVENTS: dict[str, tuple[str, str]] = {
    "rfq_posted": ("rfq.posted", "rfq"),
    "quote_received": ("quote.received", "quote"),
    "quote_version": ("quote.countered", "quote"),
    "quote_awarded": ("quote.awarded", "contract"),
    "quote_declined": ("quote.declined", "quote"),
    "contract_to_sign": ("contract.to_sign", "contract"),
    "contract_active": ("contract.signed", "contract"),
    "contract_cancelled": ("contract.cancelled", "contract"),
    "contract_notice": ("contract.notice_given", "contract"),
    "amendment_proposed": ("contract.amendment_proposed", "contract"),
    "amendment_decided": ("contract.amendment_decided", "contract"),
    "delivery_dispatched": ("delivery.dispatched", "delivery"),
    "delivery_received": ("delivery.received", "delivery"),
    "delivery_overdue": ("delivery.overdue", "delivery"),
    "invoice_issued": ("invoice.issued", "invoice"),
    "invoice_void": ("invoice.voided", "invoice"),
    "payment_received": ("payment.received", "payment"),
}
#: The fair notices share one template; what happened is their "event".
FAIR_EVENTS: dict[str, str] = {
    "applied": "fair_application.received",
    "accept": "fair_application.reviewed",
    "reject": "fair_application.reviewed",
    "waitlist": "fair_application.reviewed",
    "promoted": "fair_application.reviewed",
}

#: Where each kind of object is read in the API.
API_PATHS: dict[str, str] = {
    "rfq": "/api/v1/rfqs/{id}",
    "quote": "/api/v1/quotes/{id}",
    "contract": "/api/v1/contracts/{id}",
    "delivery": "/api/v1/deliveries/{id}",
    "invoice": "/api/v1/invoices/{id}",
    "payment": "/api/v1/payments/{id}",
    "fair_application": "/api/v1/fair-applications/{id}",
}


def event_types_for(kind: OrgKind) -> list[str]:
    """The event types an organisation of this kind can be told about."""
    return [name for name, event in EVENT_TYPES.items() if kind in event.kinds]


# --- addresses ----------------------------------------------------------------------------


class AddressRefused(ValueError):
    """The address is not a public http(s) address."""


#: IPv6 ranges whose last 32 bits are an IPv4 address a gateway or the kernel may reach
#: (NAT64 well-known prefix, IPv4-compatible, IPv4-translated): Python 3.11 counts them
#: global whatever IPv4 address they carry.
_IPV4_IN_IPV6 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96"))
#: Never public receivers, though Python 3.11 counts them global: local-use NAT64 and the
#: deprecated site-local range.
_NOT_PUBLIC_IPV6 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b:1::/48", "fec0::/10"))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _NOT_PUBLIC_IPV6):
            return False
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif any(ip in network for network in _IPV4_IN_IPV6):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # is_global leaves out loopback, private, link-local, CGNAT (100.64/10), reserved and
    # unspecified ranges; some multicast ranges count as global, and are no receivers.
    return ip.is_global and not ip.is_multicast


def _allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def resolve(url: str) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, addresses) of a webhook address; raises AddressRefused unless it
    is http(s) and every address its host resolves to is public (any address when
    ``WEBHOOK_ALLOW_PRIVATE``)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused("malformed address") from exc
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("http", "https") or not host:
        raise AddressRefused("not an http(s) address")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("credentials in the address")
    port = port or (443 if scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused("the host name does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise AddressRefused("the host name does not resolve")
    if not _allow_private() and not all(_public(a) for a in addresses):
        raise AddressRefused("not a public address")
    return scheme, host, port, addresses


def check_url(url: str) -> str:
    """The address, trimmed, if it may be registered; ValidationFailed naming "url" if not."""
    url = (url or "").strip()
    if not url:
        raise ValidationFailed({"url": _l("Enter the address that will receive the events.")})
    if len(url) > 500:
        raise ValidationFailed({"url": _l("At most 500 characters.")})
    try:
        resolve(url)
    except AddressRefused:
        raise ValidationFailed(
            {
                "url": _l(
                    "Use a public http:// or https:// address, like "
                    "https://erp.example.vn/chohtx (not a local or private network address)."
                )
            }
        ) from None
    return url


# --- signing ------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_START + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>" with the secret."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets_: list[str], timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<signature>[,v1=<signature with the next secret>…]``."""
    parts = [f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in secrets_]
    return ",".join(parts)


def verify(
    secret: str, header: str, body: bytes | str, tolerance: int = 300, now: int | None = None
) -> bool:
    """Whether ``header`` (``Chohtx-Signature``) signs ``body`` with ``secret`` and was made
    within ``tolerance`` seconds of ``now``. ``body`` is the raw body as received."""
    if isinstance(body, str):
        body = body.encode()
    timestamp = None
    candidates = []
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value.isascii():  # compare_digest refuses other text
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The secret, then the previous one while it is still valid."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > utcnow():
        found.append(endpoint.previous_secret)
    return found


# --- managing endpoints (owners and managers) ---------------------------------------------


@dataclass(frozen=True)
class NewSecret:
    endpoint: WebhookEndpoint
    #: The signing secret, to show once.
    secret: str


def _events(kind: OrgKind, events: list[str]) -> list[str]:
    allowed = event_types_for(kind)
    chosen = list(dict.fromkeys(events or []))
    if not chosen:
        raise ValidationFailed({"events": _l("Choose at least one event.")})
    if any(e not in allowed for e in chosen):
        raise ValidationFailed({"events": _l("Choose one of the options.")})
    return [e for e in allowed if e in chosen]


def _description(text: str) -> str:
    text = (text or "").strip()
    if len(text) > 200:
        raise ValidationFailed({"description": _l("At most 200 characters.")})
    return text


def endpoints_of(actor: Actor, organization_id: int) -> list[WebhookEndpoint]:
    """The organisation's endpoints, oldest first (owner or manager)."""
    member_of(actor, organization_id, Role.MANAGER)
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organization_id == organization_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def get_endpoint(actor: Actor, organization_id: int, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint of the organisation (owner or manager); NotFound for another's."""
    member_of(actor, organization_id, Role.MANAGER)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organization_id != organization_id:
        raise NotFound("webhook endpoint")
    return endpoint


def create_endpoint(
    actor: Actor, organization_id: int, url: str, description: str, events: list[str]
) -> NewSecret:
    """Register an address for the chosen events (owner or manager); its secret is returned
    to show once. Raises ValidationFailed for an address that is not public http(s), no
    event or one the organisation's kind cannot get, a long description, or too many."""
    membership = member_of(actor, organization_id, Role.MANAGER)
    errors: dict[str, object] = {}
    for check in (
        lambda: check_url(url),
        lambda: _description(description),
        lambda: _events(membership.organization.kind, events),
    ):
        try:
            check()
        except ValidationFailed as exc:
            errors.update(exc.errors)
    existing = db.session.scalar(
        select(func.count(WebhookEndpoint.id)).where(
            WebhookEndpoint.organization_id == organization_id
        )
    )
    if (existing or 0) >= MAX_ENDPOINTS:
        errors.setdefault(
            "url", _l("At most %(count)s addresses: delete one first.", count=MAX_ENDPOINTS)
        )
    if errors:
        raise ValidationFailed(errors)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        organization_id=organization_id,
        url=url.strip(),
        description=_description(description),
        events=_events(membership.organization.kind, events),
        secret=secret,
        is_active=True,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        actor,
        "webhook_endpoint.create",
        "webhook_endpoint",
        endpoint.id,
        organization_id=organization_id,
        details={"url": endpoint.url, "events": endpoint.events},
    )
    return NewSecret(endpoint, secret)


def update_endpoint(
    actor: Actor,
    organization_id: int,
    endpoint_id: int,
    url: str,
    description: str,
    events: list[str],
    is_active: bool,
) -> WebhookEndpoint:
    """Change an endpoint's address, description, events or whether it is on (owner or
    manager); audited with what changed. Raises ValidationFailed as ``create_endpoint``."""
    endpoint = get_endpoint(actor, organization_id, endpoint_id)
    kind = endpoint.organization.kind
    errors: dict[str, object] = {}
    values: dict[str, Any] = {}
    for name, check in (
        ("url", lambda: url.strip() if url.strip() == endpoint.url else check_url(url)),
        ("description", lambda: _description(description)),
        ("events", lambda: _events(kind, events)),
    ):
        try:
            values[name] = check()
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    values["is_active"] = bool(is_active)
    changed = {k: v for k, v in values.items() if getattr(endpoint, k) != v}
    for name, value in changed.items():
        setattr(endpoint, name, value)
    if changed:
        audit.record(
            actor,
            "webhook_endpoint.update",
            "webhook_endpoint",
            endpoint.id,
            organization_id=organization_id,
            details=changed,
        )
    return endpoint


def rotate_secret(actor: Actor, organization_id: int, endpoint_id: int) -> NewSecret:
    """A new signing secret, returned to show once (owner or manager); the old one still
    signs events for ``ROTATION_OVERLAP`` so the receiver can switch without losing any."""
    endpoint = get_endpoint(actor, organization_id, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    endpoint.secret = secret
    audit.record(
        actor,
        "webhook_endpoint.rotate_secret",
        "webhook_endpoint",
        endpoint.id,
        organization_id=organization_id,
    )
    return NewSecret(endpoint, secret)


def delete_endpoint(actor: Actor, organization_id: int, endpoint_id: int) -> None:
    """Delete an endpoint and its delivery log (owner or manager); audited."""
    endpoint = get_endpoint(actor, organization_id, endpoint_id)
    audit.record(
        actor,
        "webhook_endpoint.delete",
        "webhook_endpoint",
        endpoint.id,
        organization_id=organization_id,
        details={"url": endpoint.url},
    )
    db.session.execute(db.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.flush()


def deliveries_of(
    actor: Actor, organization_id: int, endpoint_id: int, limit: int = 50
) -> list[WebhookDelivery]:
    """An endpoint's latest deliveries, newest first (owner or manager)."""
    endpoint = get_endpoint(actor, organization_id, endpoint_id)
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def latest_deliveries(
    actor: Actor, organization_id: int, per_endpoint: int = 3
) -> dict[int, list[WebhookDelivery]]:
    """The last few deliveries of each of the organisation's endpoints, newest first, by
    endpoint id (owner or manager)."""
    member_of(actor, organization_id, Role.MANAGER)
    rank = (
        func.row_number()
        .over(partition_by=WebhookDelivery.endpoint_id, order_by=WebhookDelivery.id.desc())
        .label("rank")
    )
    inner = (
        select(WebhookDelivery.id, rank)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.organization_id == organization_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(WebhookDelivery)
        .join(inner, inner.c.id == WebhookDelivery.id)
        .where(inner.c.rank <= per_endpoint)
        .order_by(WebhookDelivery.id.desc())
    )
    found: dict[int, list[WebhookDelivery]] = {}
    for delivery in rows:
        found.setdefault(delivery.endpoint_id, []).append(delivery)
    return found


def send_again(
    actor: Actor, organization_id: int, endpoint_id: int, delivery_id: int
) -> WebhookDelivery:
    """Send a delivery once more, through the outbox, with a fresh set of tries (owner or
    manager); audited. A delivery still being tried is left to its tries (queueing it again
    would send it twice). NotFound for a delivery of another endpoint."""
    endpoint = get_endpoint(actor, organization_id, endpoint_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound("webhook delivery")
    if delivery.status == "pending":
        return delivery
    delivery.status = "pending"
    outbox.enqueue(TOPIC, {"delivery_id": delivery.id, "tries_before": delivery.attempts})
    audit.record(
        actor,
        "webhook_delivery.send_again",
        "webhook_delivery",
        delivery.id,
        organization_id=organization_id,
        details={"event_id": delivery.event_id},
    )
    return delivery


# --- events -------------------------------------------------------------------------------


def emit(organization_id: int, event_type: str, obj_type: str, obj_id: int) -> list:
    """Queue an event for each active endpoint of the organisation subscribed to it: a
    delivery row and an outbox message each, in the caller's transaction."""
    endpoints = [
        e
        for e in db.session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.organization_id == organization_id,
                WebhookEndpoint.is_active.is_(True),
            )
        )
        if event_type in (e.events or [])
    ]
    if not endpoints:
        return []
    path = API_PATHS.get(obj_type)
    payload = {
        "id": "evt_" + secrets.token_urlsafe(18),
        "type": event_type,
        "created": utcnow().isoformat(timespec="seconds").replace("+00:00", "Z"),
        "organization_id": organization_id,
        "data": {
            "object": obj_type,
            "id": obj_id,
            "url": path.format(id=obj_id) if path else None,
        },
    }
    made = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=payload["id"],
            event_type=event_type,
            payload=payload,
            status="pending",
            attempts=0,
        )
        db.session.add(delivery)
        db.session.flush()
        outbox.enqueue(TOPIC, {"delivery_id": delivery.id})
        made.append(delivery)
    return made


def _object_id(name: str, values: dict[str, Any], context: dict[str, Any]) -> int | None:
    value = values.get(f"{name}_id")
    if value is None:
        value = getattr(context.get(name), "id", None)
    if value is None and name == "fair_application":
        value = getattr(context.get("application"), "id", None)
    return value if isinstance(value, int) else None


def notice(
    organization_id: int, template: str, values: dict[str, Any], context: dict[str, Any]
) -> list:
    """The webhook event, if any, of a notice sent to an organisation's members with
    ``template`` (its link ``values`` and email ``context`` name the object)."""
    if template == "fair_update":
        event_type = FAIR_EVENTS.get(str(context.get("event")))
        obj_type = "fair_application"
    else:
        event_type, obj_type = TEMPLATE_EVENTS.get(template, (None, ""))
    if event_type is None:
        return []
    obj_id = _object_id(obj_type, values, context)
    if obj_id is None:
        return []
    return emit(organization_id, event_type, obj_type, obj_id)


# --- delivery (the outbox handler) --------------------------------------------------------


class DeliveryFailed(RuntimeError):
    """The receiver did not take the event; the outbox tries again later."""


def _pinned(scheme: str, host: str, port: int, address: str, timeout: float):
    """An HTTP(S) connection to ``host`` that connects to ``address`` (the one checked),
    keeping the host name for the Host header and TLS."""
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = cls(host, port, timeout=timeout)

    def connect_to_checked(_address, timeout_=None, source_address=None):
        return socket.create_connection((address, port), timeout_, source_address)

    connection._create_connection = connect_to_checked  # type: ignore[attr-defined]
    return connection


#: Characters of a request target sent as they are (reserved ones, and "%" of escapes
#: already made).
_SAFE = "/?&=%:@!$'()*+,;~"


def post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> int:
    """POST the delivery's event, signed, to the endpoint; the answer's status code. Raises
    AddressRefused or OSError (timeouts included) when it cannot be sent."""
    scheme, host, port, addresses = resolve(endpoint.url)
    parts = urlsplit(endpoint.url)
    # A path or query in Vietnamese (or with a space) is sent percent-encoded, as a
    # browser sends it; http.client refuses anything but printable ASCII.
    target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_SAFE)
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(signing_secrets(endpoint), timestamp, body),
        "Chohtx-Event-Id": delivery.event_id,
        "Chohtx-Event-Type": delivery.event_type,
    }
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT") or TIMEOUT)
    connection = _pinned(scheme, host, port, addresses[0], timeout)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # a receiver's answer is not kept; redirects not followed
        return response.status
    finally:
        connection.close()


def deliver(payload: dict[str, Any]) -> None:
    """Outbox handler: send one delivery. A 2xx answer marks it succeeded (and the endpoint
    healthy); anything else is recorded and raised, so the outbox tries again, until
    ``MAX_ATTEMPTS`` tries: then the delivery is failed, the endpoint failing, and it stops."""
    delivery = db.session.get(WebhookDelivery, payload.get("delivery_id"))
    if delivery is None or delivery.status == "succeeded":
        return
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.status = "failed"
        delivery.last_error = "The endpoint is turned off."
        return
    delivery.attempts += 1
    delivery.last_attempt_at = utcnow()
    tries = delivery.attempts - int(payload.get("tries_before") or 0)
    try:
        status = post(endpoint, delivery)
    except AddressRefused as exc:
        delivery.last_status_code = None
        delivery.last_error = f"Address refused: {exc}"
    except (OSError, ValueError, http.client.HTTPException) as exc:
        delivery.last_status_code = None
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:1000] or type(exc).__name__
    else:
        delivery.last_status_code = status
        if 200 <= status < 300:
            delivery.status = "succeeded"
            delivery.last_error = None
            delivery.delivered_at = utcnow()
            endpoint.failing_since = None
            return
        delivery.last_error = f"HTTP {status}"
    if tries >= MAX_ATTEMPTS:
        delivery.status = "failed"
        if endpoint.failing_since is None:
            endpoint.failing_since = utcnow()
        log.warning("webhook delivery %s failed after %s tries", delivery.id, tries)
        return
    raise DeliveryFailed(delivery.last_error)
