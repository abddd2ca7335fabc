"""The permission matrix over the API: every operation of the document × every kind of key.

The rows are read from the OpenAPI document itself, so an operation added later is covered
without anyone remembering to: each operation names its scope (``requires`` writes "Scope:
`x`" in its description), and every path parameter must have an object of the cast below.

- no key: 401; a key of the right organisation without the scope: 403;
- a key of an organisation that has nothing to do with the cast's private objects (another
  co-op, buyer or organiser, each with every scope its kind may have): never a 2xx on them —
  404 (their existence is private) or 403 (the kind of organisation may not do this);
- the owners' keys read their own objects (200).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Contract, Delivery, Invoice, ListingPhoto, Lot, PayableKind
from marketplace.services import api_keys, fairs
from marketplace.services.payments import transfers
from marketplace.vietnam import today
from tests.factories import (
    actor_for,
    api_key,
    application,
    coop_with_listing,
    invoiced,
    open_fair,
    settle,
    verified_buyer,
    verified_coop,
    verified_organiser,
)

METHODS = ("get", "post", "put", "patch", "delete")
#: Operations anyone with the scope may read (the public catalogue and published fairs).
PUBLIC = {
    ("get", "/api/v1/categories"),
    ("get", "/api/v1/listings"),
    ("get", "/api/v1/listings/{listing_id}"),
    ("get", "/api/v1/coops"),
    ("get", "/api/v1/coops/{coop_id}"),
    ("get", "/api/v1/lots/{public_code}"),
    ("get", "/api/v1/fairs"),
    ("get", "/api/v1/fairs/{fair_id}"),
}


@dataclass
class Cast:
    ids: dict[str, object]
    #: kind → key of the organisation that owns the cast's objects of that side
    owners: dict[str, str]
    #: kind → key of an unrelated organisation of that kind
    strangers: dict[str, str]
    #: a co-op key with only "catalogue:read"
    narrow: str


def _call(base: str, method: str, path: str, token: str | None) -> tuple[int, object]:
    body = b"{}" if method in ("post", "put", "patch") else None
    request = Request(f"{base}{path}", data=body, method=method.upper())  # noqa: S310
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urlopen(request) as response:  # noqa: S310 - the loopback test server
            raw = response.read()
            return response.status, raw
    except HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw


@pytest.fixture(scope="module")
def cast(api_server) -> Cast:
    app = api_server.app
    buyer, coop, invoice_id, _total = invoiced(app)
    listing_id = coop_with_listing(app, coop, title_vi="Mật ong bạc hà")
    organiser = verified_organiser(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        from marketplace.services.catalogue import listings

        me = actor_for(coop)
        applied = fairs.apply(me, coop.organization_id, fair_id, application(type_id))
        lot = listings.create_lot(
            me,
            coop.organization_id,
            listing_id,
            listings.LotData(code="MATRIX-1", produced_on=today(), quantity="10"),
            None,
        )
        invoice = db.session.get_one(Invoice, invoice_id)
        contract = db.session.get_one(Contract, invoice.contract_id)
        delivery = db.session.get_one(Delivery, invoice.delivery_id)
        photo = db.session.scalar(select(ListingPhoto).where(ListingPhoto.listing_id == listing_id))
        payment = transfers.record_transfer(
            actor_for(coop),
            PayableKind.INVOICE,
            invoice_id,
            amount="1.000",
            paid_on=today(),
            bank_reference="FT26340MATRIX",
            partial=True,
        )
        ids = {
            "listing_id": listing_id,
            "photo_id": photo.id if photo else 999999,
            "public_code": lot.public_code,
            "lot_id": lot.id,
            "coop_id": coop.organization_id,
            "rfq_id": contract.rfq_id,
            "quote_id": contract.quote_id,
            "contract_id": contract.id,
            "amendment_id": 999999,
            "delivery_id": delivery.id,
            "invoice_id": invoice.id,
            "payment_id": payment.id,
            "kind": "invoice",
            "payable_id": invoice.id,
            "fair_id": fair_id,
            "application_id": applied.id,
        }
        settle()
        assert db.session.scalar(select(Lot.id).where(Lot.id == ids["lot_id"]))
    owners = {
        "coop": api_key(app, coop, name="matrix"),
        "buyer": api_key(app, buyer, name="matrix"),
        "organiser": api_key(app, organiser, name="matrix"),
    }
    strangers = {
        "coop": api_key(app, verified_coop(app, organization_name="HTX Người Lạ"), name="x"),
        "buyer": api_key(app, verified_buyer(app, name="Người Mua Lạ"), name="x"),
        "organiser": api_key(app, verified_organiser(app), name="x"),
    }
    narrow = api_key(app, coop, ["catalogue:read"], name="narrow")
    return Cast(ids, owners, strangers, narrow)


def _operations(base: str) -> list[tuple[str, str, str]]:
    with urlopen(f"{base}/api/v1/openapi.json") as response:  # noqa: S310 - loopback
        document = json.load(response)
    found = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                scopes = re.findall(r"`([a-z]+(?::[a-z]+)?)`", _scope_line(item[method]))
                assert scopes, f"{method.upper()} {path} does not say its scope"
                found.append((method, path, tuple(scopes)))
    return found


def _scope_line(operation: dict) -> str:
    for line in operation.get("description", "").splitlines():
        if line.startswith("Scope:"):
            return line
    return ""


#: ``{action}`` in a path: one each resource allows (the matrix only checks who may call it).
ACTIONS = {"/api/v1/amendments/": "withdraw", "/api/v1/own/listings/": "pause"}


def _fill(path: str, ids: dict[str, object]) -> str:
    ids = dict(ids)
    for start, action in ACTIONS.items():
        if path.startswith(start):
            ids["action"] = action
    missing = [name for name in re.findall(r"{(\w+)}", path) if name not in ids]
    assert not missing, f"{path}: the matrix has no object for {missing}"
    return re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)


def _kinds_with(scopes: tuple[str, ...]) -> list[str]:
    """The kinds of organisation whose keys may have one of these scopes."""
    names = {"coop": "coop", "buyer": "buyer", "fair_organizer": "organiser"}
    return [
        names[kind.value]
        for kind, allowed in api_keys.SCOPES_BY_KIND.items()
        if set(scopes) & set(allowed)
    ]


def test_every_operation_without_a_key_is_401(api_server, cast):
    for method, path, _scope in _operations(api_server.url):
        status, body = _call(api_server.url, method, _fill(path, cast.ids), None)
        assert status == 401, f"{method.upper()} {path}: {status} {body}"


def test_every_operation_refuses_a_key_without_its_scope(api_server, cast):
    for method, path, scope in _operations(api_server.url):
        if "catalogue:read" in scope:
            continue  # the narrow key has it
        status, body = _call(api_server.url, method, _fill(path, cast.ids), cast.narrow)
        assert status == 403, f"{method.upper()} {path}: {status} {body}"


def test_strangers_never_reach_private_objects(api_server, cast):
    """Keys of other co-ops, buyers and organisers (with every scope their kind may have) on
    the cast's ids: never a success, except on the public catalogue."""
    checked = 0
    for method, path, scope in _operations(api_server.url):
        if (method, path) in PUBLIC or "{" not in path:
            continue
        for kind in _kinds_with(scope):
            status, body = _call(
                api_server.url, method, _fill(path, cast.ids), cast.strangers[kind]
            )
            # A write's body is checked before the object is looked up, so an empty body may
            # be refused as such (422): what matters is that nothing succeeds.
            allowed = (403, 404) if method == "get" else (403, 404, 409, 422)
            assert status in allowed, f"{kind}: {method.upper()} {path}: {status} {body}"
            checked += 1
    assert checked > 10


def test_owners_read_their_own_objects(api_server, cast):
    for method, path, scope in _operations(api_server.url):
        if method != "get":
            continue
        readers = [k for k in _kinds_with(scope) if k in cast.owners]
        answers = {
            kind: _call(api_server.url, method, _fill(path, cast.ids), cast.owners[kind])[0]
            for kind in readers
        }
        assert 200 in answers.values(), f"GET {path}: {answers}"
