"""API area: webhooks.

Webhook endpoints are registered by an owner or manager on the organisation's pages
(``integrations.webhooks``), where the signing secret is shown once; no key scope fits
managing them, so this area has no operation of its own. Its description in the OpenAPI
document tells a receiver what it gets and how to check it.
"""

from __future__ import annotations

from marketplace.blueprints.api.core import area
from marketplace.services import webhooks

DESCRIPTION = (
    "Events sent to the addresses an organisation registers on its Webhooks page (owners "
    "and managers; the signing secret is shown once, and again once after each rotation). "
    "Each is a `POST` with `Content-Type: application/json` and a thin body: "
    '`{"id": "evt_…", "type": "quote.received", "created": "2026-01-01T00:00:00Z", '
    '"organization_id": 12, "data": {"object": "quote", "id": 345, '
    '"url": "/api/v1/quotes/345"}}` — read the object itself at `data.url` with a key. '
    "Headers: `Chohtx-Event-Id` (the same for every try; deduplicate on it), "
    "`Chohtx-Event-Type`, and `Chohtx-Signature: t=<unix seconds>,v1=<hex>` where `v1` is "
    "HMAC-SHA256 with the secret of `<t>.<raw body>`; for 24 hours after a rotation a second "
    "`v1` is made with the previous secret. Refuse a `t` more than five minutes away. "
    "Answer with a 2xx status within 5 seconds; anything else (redirects are not followed) "
    f"is tried again with growing delays, {webhooks.MAX_ATTEMPTS} tries in all, after which "
    "the address is shown as failing and the event can be sent again from its delivery log. "
    "Event types: " + ", ".join(f"`{name}`" for name in webhooks.EVENT_TYPES) + "."
)

bp = area("Webhooks", DESCRIPTION)
