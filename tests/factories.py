"""What tests share: the settings of a test app, files, people and their organisations made
through the services (verified co-ops, buyers and organisers), listings, fairs, supply deals,
invoices, Stripe's signed webhook events and the tools of the race tests.

Test modules import from here and never from one another; fixtures live in conftest.py.
"""

from __future__ import annotations

import io
import json
import os
import socket
import struct
import threading
import traceback
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import stripe
from flask import Flask, g
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import create_engine, event, func, make_url, select, text
from sqlalchemy.exc import OperationalError

from marketplace import unit_of_work
from marketplace.blueprints.payments import checkout
from marketplace.extensions import db
from marketplace.models import (
    AuditEntry,
    BuyerType,
    Category,
    Contract,
    Delivery,
    DeliveryLocation,
    LedgerEntry,
    Listing,
    Membership,
    Organization,
    OrgKind,
    PayableKind,
    Role,
    User,
)
from marketplace.services import fairs
from marketplace.services.accounts import accounts, profiles, verification
from marketplace.services.catalogue import listings
from marketplace.services.context import Actor
from marketplace.services.deals import contracts, deliveries, rfqs
from marketplace.services.payments import ledger, transfers
from marketplace.vietnam import today

TEST_PASSWORD = "sau-xanh-mua-thu-2026"
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRIPE_WEBHOOK_SECRET = "whsec_chohtx_test_secret"


# --- the test app's settings and servers -----------------------------------------------------


def postgres_url() -> str:
    """The PostgreSQL server the suite runs on; the run stops, saying why, without it."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.exit(
            "TEST_DATABASE_URL is not set. Run the suite with `make test`, which starts "
            "PostgreSQL through scripts/services.sh.",
            returncode=1,
        )
    return url


@contextmanager
def fresh_database(base_url: str, purpose: str):
    """A new, empty PostgreSQL database for this run, dropped at the end.

    Its name carries the process id, so two runs on one machine never share tables.
    """
    base = make_url(base_url)
    name = f"{base.database}_{purpose}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.exit(f"PostgreSQL is not reachable at {base_url}: {exc}", returncode=1)
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_test_config(database_url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "http://localhost",
        "SMTP_HOST": None,
        # Same algorithm, lower cost: hundreds of accounts are made in a run.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        # Pages show each change at once in tests; the cache has a test of its own.
        "HOME_CACHE_SECONDS": 0,
        # Tests add and rename categories; search reads the tree fresh each time.
        "SEARCH_CATEGORY_CACHE_SECONDS": 0,
        # Cards go to the real stripe-mock started by scripts/services.sh (tests of payments
        # fail, naming it, when it is not there).
        "STRIPE_SECRET_KEY": "sk_test_chohtx",
        "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
        "STRIPE_API_BASE": os.environ.get("TEST_STRIPE_API_BASE", "http://127.0.0.1:9"),
    }
    config.update(overrides)
    return config


def s3_settings() -> dict[str, str]:
    """The real S3 server of scripts/services.sh; the run stops, saying why, without it."""
    endpoint = os.environ.get("TEST_S3_ENDPOINT_URL")
    if not endpoint:
        pytest.exit(
            "TEST_S3_ENDPOINT_URL is not set: run the suite with `make test`, which starts "
            "the S3 server (versitygw) through scripts/services.sh.",
            returncode=1,
        )
    return {
        "endpoint_url": endpoint,
        "access_key": os.environ["TEST_S3_ACCESS_KEY_ID"],
        "secret_key": os.environ["TEST_S3_SECRET_ACCESS_KEY"],
    }


class ServerLikeClient(FlaskClient):
    """A test client that, like a WSGI server, reads the whole answer and then closes it —
    which is when the request's outbox is delivered. ``buffered=False`` keeps a response
    open, to look at what happens before it is closed."""

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


def as_test_app(app: Flask) -> Flask:
    """Make ``app`` behave for test code as the edges behave in production.

    Test code that calls services directly stands where a request or a command would: an
    app-context block that ends without an error commits once and delivers what it queued
    (requests keep their own edge, ``marketplace.unit_of_work.register``). The test client
    reads and closes each answer as a WSGI server does.
    """
    app.test_client_class = ServerLikeClient

    @app.teardown_appcontext
    def _test_code_is_its_own_edge(exc: BaseException | None) -> None:
        if exc is None and not g.get("unit_of_work_request"):
            unit_of_work.complete()

    return app


def settle() -> None:
    """End a block of test code that called services, as an edge would: commit once,
    deliver what it queued, close the session."""
    unit_of_work.complete()
    db.session.remove()


@contextmanager
def count_queries(app: Flask):
    """Count the SQL statements run inside the block (on the test's connection)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        bind = db.engines[None]
    event.listen(bind, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", record)


# --- files -----------------------------------------------------------------------------------


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg(width=800, height=600, color=(200, 120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()


def jpeg_with_gps(width=1200, height=900) -> bytes:
    image = Image.new("RGB", (width, height), (30, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (21.0, 2.0, 0.0), 3: "E", 4: (105.0, 50.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions: the start of a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# --- people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    password: str
    organization_id: int | None


_counter = iter(range(1, 1_000_000))


def make_person(
    app: Flask,
    *,
    kind: OrgKind | None = OrgKind.COOP,
    email: str | None = None,
    name: str = "Nguyễn Văn An",
    organization_name: str | None = None,
    buyer_type: BuyerType | None = None,
    admin: bool = False,
    locale: str = "vi",
) -> Person:
    """A person who signed up, with an organisation of ``kind`` that they own (none when
    ``kind`` is None)."""
    n = next(_counter)
    email = email or f"nguoi{n}@vidu.vn"
    with app.app_context():
        user = accounts.register(
            Actor.system(),
            accounts.SignUp(
                name=name,
                email=email,
                phone="0912 345 678",
                password=TEST_PASSWORD,
                locale=locale,
                organization_kind=kind,
                organization_name=organization_name or f"HTX Thử Nghiệm {n}",
                buyer_type=buyer_type
                or (BuyerType.SUPERMARKET_CHAIN if kind is OrgKind.BUYER else None),
            ),
        )
        if admin:
            user.is_admin = True
        org_id = user.memberships[0].organization_id if user.memberships else None
        person = Person(
            id=user.id, email=user.email, password=TEST_PASSWORD, organization_id=org_id
        )
        settle()
    return person


def add_member(app: Flask, organization_id: int, role: Role, **kwargs) -> Person:
    """A person who belongs to an existing organisation with ``role``."""
    person = make_person(app, kind=None, **kwargs)
    with app.app_context():
        db.session.add(Membership(user_id=person.id, organization_id=organization_id, role=role))
        settle()
    return Person(person.id, person.email, person.password, organization_id)


def admin_actor(app: Flask) -> Person:
    """A platform admin."""
    return make_person(app, kind=None, admin=True)


def actor_for(person: Person) -> Actor:
    """The person as the services see them (inside an app context)."""
    return Actor(user=db.session.get_one(User, person.id), ip="127.0.0.1")


def login(client: FlaskClient, person: Person, remember: bool = False):
    response = client.post(
        "/login",
        data={
            "email": person.email,
            "password": person.password,
            "remember": "y" if remember else "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


# --- organisations, verified through the real path --------------------------------------------


def fill_coop_profile(app: Flask, person: Person, **identity_overrides) -> None:
    """Every step of a co-op profile, filled in with plausible values (the payout bank account
    too)."""
    with app.app_context():
        actor = actor_for(person)
        identity = {
            "name": "HTX Sâm Lai Châu",
            "legal_name": "Hợp tác xã Sâm Lai Châu Mường Tè",
            "registration_number": "6201234567",
            "tax_code": "6201234567",
            "founded_on": date(2016, 3, 8),
        } | identity_overrides
        org_id = person.organization_id
        profiles.save_identity(
            actor, org_id, None, profiles.Identity(**identity), registration_document=PDF_BYTES
        )
        profiles.save_address(
            actor, org_id, None, province="Lai Châu", commune="Xã Mường Tè", street="Bản Nậm Khao"
        )
        profiles.save_people(
            actor,
            org_id,
            None,
            representative_name="Vàng A Sính",
            representative_position="Giám đốc",
            representative_phone="0912 345 678",
            member_count="27",
            area_hectares="3,5",
        )
        profiles.save_story(
            actor, org_id, None, story_vi="Sâm Lai Châu trồng dưới tán rừng.", story_en=""
        )
        transfers.save_bank_account(
            actor, org_id, bin="970405", account="8800205123456", holder="HTX SAM LAI CHAU"
        )
        settle()


def _submit_and_approve(app: Flask, person: Person) -> None:
    """The organisation's manager sends its profile; an admin approves it."""
    boss = admin_actor(app)
    with app.app_context():
        verification.submit(actor_for(person), person.organization_id)
        verification.approve(actor_for(boss), person.organization_id)
        settle()


def verified_coop(app: Flask, **kwargs) -> Person:
    """A co-op whose profile is complete and approved by an admin."""
    person = make_person(app, **kwargs)
    fill_coop_profile(app, person, name=kwargs.get("organization_name") or "HTX Sâm Lai Châu")
    _submit_and_approve(app, person)
    return person


def verified_buyer(
    app: Flask, name: str = "Siêu thị Xanh", location: str = "Cửa hàng Láng Hạ", **kwargs
) -> Person:
    """A supermarket chain whose profile is complete and approved by an admin, with one store
    to deliver to."""
    person = make_person(app, kind=OrgKind.BUYER, organization_name=name, **kwargs)
    with app.app_context():
        me = actor_for(person)
        org_id = person.organization_id
        profiles.save_identity(
            me,
            org_id,
            None,
            profiles.Identity(name=name, legal_name=f"Công ty TNHH {name}", tax_code="0101234567"),
        )
        profiles.save_address(
            me, org_id, None, province="Hà Nội", commune="Phường Láng", street="12 Láng Hạ"
        )
        profiles.save_people(
            me,
            org_id,
            None,
            representative_name="Trần Thị Mua",
            representative_position="Giám đốc mua hàng",
            representative_phone="",
            member_count="",
            area_hectares="",
        )
        profiles.add_delivery_location(
            me, org_id, name=location, province="Hà Nội", commune="Phường Láng", street="12 Láng Hạ"
        )
        settle()
    _submit_and_approve(app, person)
    return person


def location_id(buyer: Person) -> int:
    """The buyer's (first) delivery location."""
    return db.session.scalar(
        select(DeliveryLocation.id)
        .where(DeliveryLocation.organization_id == buyer.organization_id)
        .order_by(DeliveryLocation.id)
    )


def verified_organiser(app: Flask) -> Person:
    """A verified fair organiser (a co-op alliance)."""
    person = make_person(
        app, kind=OrgKind.FAIR_ORGANIZER, organization_name="Liên minh HTX Lai Châu"
    )
    with app.app_context():
        me = actor_for(person)
        profiles.save_identity(
            me,
            person.organization_id,
            None,
            profiles.Identity(
                name="Liên minh HTX Lai Châu",
                legal_name="Liên minh Hợp tác xã tỉnh Lai Châu",
                tax_code="6200901234",
                founded_on=date(2010, 1, 1),
            ),
        )
        profiles.save_address(
            me,
            person.organization_id,
            None,
            province="Lai Châu",
            commune="Phường Tân Phong",
            street="Số 25",
        )
        transfers.save_bank_account(
            me,
            person.organization_id,
            bin="970415",
            account="106870123456",
            holder="LIEN MINH HTX TINH LAI CHAU",
        )
        settle()
    _submit_and_approve(app, person)
    return person


# --- listings --------------------------------------------------------------------------------


def category_id(slug="ruou") -> int:
    return db.session.scalar(select(Category.id).where(Category.slug == slug))


def rfq_form(app: Flask, buyer: Person, **changes) -> dict:
    """The request-for-quotes form as a buyer fills it in (one line of 120 bottles, weekly for
    four weeks from next week), with ``changes``."""
    start = today() + timedelta(days=7)
    with app.app_context():
        values = {
            "title": "Rượu sâm cho 12 cửa hàng",
            "lines-0-category_id": str(category_id("ruou")),
            "lines-0-specification": "Rượu sâm 500 ml",
            "lines-0-quantity": "120",
            "lines-0-unit": "chai",
            "lines-0-target_price": "170.000",
            "pattern": "weekly",
            "weekdays": "1",
            "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=27)).isoformat(),
            "delivery_location_id": str(location_id(buyer)),
            "payment_days": "30",
            "respond_by_date": (today() + timedelta(days=3)).isoformat(),
            "respond_by_time": "17:00",
        }
    values.update(changes)
    return values


def listing_data(**overrides) -> listings.ListingData:
    """Rượu sâm Lai Châu by the bottle: base price 200.000 ₫ from 24, tiers 100+ and 500+."""
    values = {
        "title_vi": "Rượu sâm Lai Châu",
        "category_id": category_id(),
        "unit": "chai",
        "pack_size": "500 ml",
        "base_price": "200.000",
        "monthly_capacity": "2.000",
        "min_order_quantity": "24",
        "lead_time_days": "5",
        "tiers": [("100", "180.000"), ("500", "165.000")],
        "origin_province": "Lai Châu",
    }
    values.update(overrides)
    return listings.ListingData(**values)


def published_listing(app: Flask, coop: Person, photos=1, **overrides) -> tuple[int, str]:
    """A published listing of the (verified) co-op with ``photos`` photos: (id, slug)."""
    with app.app_context():
        me = actor_for(coop)
        listing = listings.create_listing(me, coop.organization_id, listing_data(**overrides))
        for i in range(photos):
            listings.add_photo(me, coop.organization_id, listing.id, jpeg(64, 48, (i * 20, 90, 90)))
        listings.change_state(me, coop.organization_id, listing.id, "publish")
        return listing.id, listing.slug


def tier_price(listing_id: int, quantity: int) -> int:
    """The unit price a listing's page shows for ``quantity`` (what a spot order is held to)."""
    return db.session.get_one(Listing, listing_id).unit_price_for(quantity)


def coop_with_listing(app: Flask, coop: Person, **overrides) -> int:
    """Publish the default wine listing (category "ruou", tiers 24+/100+/500+)."""
    listing_id, _slug = published_listing(app, coop, photos=1, **overrides)
    return listing_id


# --- fairs -----------------------------------------------------------------------------------


def fair_data(**overrides) -> fairs.FairData:
    day = today()
    values = {
        "name_vi": "Hội chợ OCOP Lai Châu 2026",
        "venue": "Quảng trường Nhân dân",
        "province": "Lai Châu",
        "starts_on": day + timedelta(days=30),
        "ends_on": day + timedelta(days=34),
        "applications_open_on": day - timedelta(days=1),
        "applications_close_on": day + timedelta(days=20),
        "full_refund_until": day + timedelta(days=15),
        "payment_days": 7,
    }
    values.update(overrides)
    return fairs.FairData(**values)


def open_fair(app: Flask, organiser: Person, booths: int = 2, **overrides) -> tuple[int, int]:
    """A published fair with one booth type and ``booths`` booths; returns (fair id, type id)."""
    with app.app_context():
        me = actor_for(organiser)
        fair = fairs.create_fair(me, organiser.organization_id, fair_data(**overrides))
        booth_type = fairs.add_booth_type(
            me, fair.id, name="Tiêu chuẩn 3×3 m", size="3×3 m", fee="2.000.000"
        )
        fairs.add_booth_row(me, fair.id, letter="A", count=booths, booth_type_id=booth_type.id)
        fairs.publish_fair(me, fair.id)
        return fair.id, booth_type.id


def application(type_id, **overrides) -> fairs.ApplicationData:
    """A co-op's application for a booth of the type ``type_id``."""
    values = {
        "booth_type_id": type_id,
        "contact_name": "Vàng A Sính",
        "contact_phone": "0912 345 678",
    }
    values.update(overrides)
    return fairs.ApplicationData(**values)


# --- supply deals ----------------------------------------------------------------------------


def rfq_data(buyer: Person, **changes) -> rfqs.RfqData:
    """120 bottles of rượu sâm every Monday for four weeks from next week, to the buyer's
    store; quotes due in three days."""
    start = today() + timedelta(days=7)
    values = {
        "title": "Rượu sâm cho 12 cửa hàng",
        "lines": [
            rfqs.RfqLineData(
                category_id=category_id("ruou"),
                specification="Rượu sâm 500 ml, chai thủy tinh",
                quantity="120",
                unit="chai",
                target_price="170.000",
            )
        ],
        "pattern": "weekly",
        "weekdays": ["1"],
        "starts_on": start,
        "ends_on": start + timedelta(days=27),
        "respond_by_date": today() + timedelta(days=3),
        "delivery_location_id": location_id(buyer),
        "payment_days": "30",
    }
    values.update(changes)
    return rfqs.RfqData(**values)


def post_rfq(app: Flask, buyer: Person, **changes) -> int:
    with app.app_context():
        rfq = rfqs.create_rfq(actor_for(buyer), buyer.organization_id, rfq_data(buyer, **changes))
        return rfq.id


def quote_on(
    app: Flask, coop: Person, rfq_id: int, price: str = "175.000", quantity: str = "120"
) -> int:
    with app.app_context():
        rfq = db.session.get_one(rfqs.Rfq, rfq_id)
        lines = [
            rfqs.QuoteLineData(
                rfq_line_id=line.id, unit_price=price, quantity=quantity, vat_rate="10"
            )
            for line in rfq.lines
        ]
        quote = rfqs.submit_quote(
            actor_for(coop),
            rfq_id,
            coop.organization_id,
            rfqs.VersionData(lines=lines, valid_until=today() + timedelta(days=10)),
        )
        return quote.id


def award_all(app: Flask, buyer: Person, rfq_id: int, quote_id: int) -> int:
    """Every line of the request to the quote: the draft contract's id."""
    with app.app_context():
        rfq = db.session.get_one(rfqs.Rfq, rfq_id)
        quote = db.session.get_one(rfqs.Quote, quote_id)
        made = rfqs.award(
            actor_for(buyer),
            rfq_id,
            {line.id: quote_id for line in rfq.lines},
            {quote_id: quote.current_version},
        )
        return made[0].id


def signed_contract(app: Flask, buyer: Person, coop: Person, **rfq_changes) -> int:
    """A request, a quote, the award and both signatures: an active contract's id."""
    rfq_id = post_rfq(app, buyer, **rfq_changes)
    quote_id = quote_on(app, coop, rfq_id)
    contract_id = award_all(app, buyer, rfq_id, quote_id)
    with app.app_context():
        for person in (buyer, coop):
            version = db.session.get_one(Contract, contract_id).version
            contracts.sign(actor_for(person), contract_id, version, confirmed=True)
            settle()
    return contract_id


def invoice_first_delivery(
    app: Flask, buyer: Person, coop: Person, contract_id: int, accepted: str = "120"
):
    """Dispatch the contract's first delivery in full and receive ``accepted`` of it:
    (invoice id, total)."""
    with app.app_context():
        first = db.session.scalars(
            select(Delivery)
            .where(Delivery.contract_id == contract_id)
            .order_by(Delivery.scheduled_on)
        ).first()
        line = first.lines[0].id
        deliveries.dispatch(
            actor_for(coop),
            first.id,
            first.version,
            {line: deliveries.DispatchLine("120")},
            early=True,
        )
        _delivery, invoice = deliveries.receive(
            actor_for(buyer), first.id, first.version, {line: deliveries.ReceiptLine(accepted)}
        )
        result = (invoice.id, invoice.total)
        settle()
    return result


def invoiced(app: Flask, *, accepted: str = "120"):
    """An issued invoice of a fresh contract: (buyer, coop, invoice id, total)."""
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    invoice_id, total = invoice_first_delivery(app, buyer, coop, contract_id, accepted)
    return buyer, coop, invoice_id, total


# --- payments: Stripe's signed webhook events, the ledger --------------------------------------


def signed(event: dict, *, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None):
    """The event's body and a Stripe-Signature header for it, made by Stripe's SDK."""
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return body, header


def post_event(client: FlaskClient, event: dict, **kwargs):
    body, header = signed(event, **kwargs)
    return client.post(
        "/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def intent_event(event_id: str, kind: str, payment_id: int, intent: str = "pi_test_1") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {
            "object": {
                "id": intent,
                "object": "payment_intent",
                "metadata": {"payment_id": str(payment_id)},
                "status": "succeeded" if kind.endswith("succeeded") else "requires_payment_method",
            }
        },
    }


def start_card(app: Flask, buyer: Person, invoice_id: int) -> int:
    """The buyer starts paying the invoice by card: the pending payment's id."""
    with app.app_context():
        payment, url = checkout.start_card_payment(
            actor_for(buyer), PayableKind.INVOICE, invoice_id, locale="vi"
        )
        assert url.startswith("https://")
        return payment.id


def ledger_ok(app: Flask) -> None:
    """The ledger check passes and all entries sum to zero."""
    with app.app_context():
        report = ledger.check()
        assert report.ok, report.problems
        assert db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))) == 0


# --- races: several clients at once, over real commits ----------------------------------------

# What the pages say, in Vietnamese (marketplace/translations/vi/LC_MESSAGES/messages.po).
PAYMENT_RECORDED = "Đã ghi nhận khoản chuyển khoản."
ALREADY_PAID = "Khoản này đã được thanh toán, hoặc không thể thanh toán nữa."


def logged_in(app: Flask, people: list[Person]) -> list[FlaskClient]:
    """One test client per person, each logged in (before any race starts)."""
    clients = []
    for person in people:
        client = app.test_client()
        login(client, person)
        with client.session_transaction() as session:
            session.pop("_flashes", None)  # "you are logged in": not what the race says
        clients.append(client)
    return clients


def post_together(requests: list[tuple[FlaskClient, str, dict]]):
    """POST every (client, url, form) at once: threads wait on a barrier, then all post.

    Returns the responses in order. An exception escaping the app (a 500: the tests run with
    exceptions propagated) fails the test with its traceback.
    """
    barrier = threading.Barrier(len(requests))

    def worker(i):
        client, url, data = requests[i]
        barrier.wait()
        try:
            return client.post(url, data=data)
        except Exception:  # noqa: BLE001 - reported below as a server error
            return traceback.format_exc()

    with ThreadPoolExecutor(len(requests)) as pool:
        results = list(pool.map(worker, range(len(requests))))
    errors = [r for r in results if isinstance(r, str)]
    assert not errors, "a request failed with a server error:\n" + "\n".join(errors)
    for response in results:
        assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    return results


def flashes(client: FlaskClient) -> list[tuple[str, str]]:
    """The messages flashed to this client and not shown yet: (category, text)."""
    with client.session_transaction() as session:
        return [(str(c), str(m)) for c, m in session.get("_flashes", [])]


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(action: str, object_id: int | None = None) -> int:
    conditions = [AuditEntry.action == action]
    if object_id is not None:
        conditions.append(AuditEntry.object_id == str(object_id))
    return count(AuditEntry, *conditions)


def api_key(app: Flask, person: Person, scopes: list[str] | None = None, name="ERP") -> str:
    """A new API key of the person's organisation (every scope its kind may have unless
    ``scopes``); returns the key to send as ``Authorization: Bearer``."""
    from marketplace.services import api_keys

    with app.app_context():
        organization = db.session.get_one(Organization, person.organization_id)
        chosen = scopes if scopes is not None else list(api_keys.scopes_for(organization.kind))
        made = api_keys.create_key(actor_for(person), person.organization_id, name, chosen)
        token = made.token
        settle()
    return token


def bearer(token: str, **headers) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}
