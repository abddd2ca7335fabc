"""Test fixtures: the app on PostgreSQL, per-test rollback, a real SMTP server, factories.

The suite needs PostgreSQL (started by ``scripts/services.sh up``, which ``make test``
runs). Without it the run fails and says so; nothing is skipped.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from marketplace import create_app, unit_of_work
from marketplace.extensions import db, limiter
from marketplace.models import BuyerType, OrgKind, Role
from marketplace.services import accounts
from marketplace.services.context import Actor

TEST_PASSWORD = "sau-xanh-mua-thu-2026"
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _database_url() -> str:
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


# --- a real SMTP server on loopback -------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MailBox:
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        with self.lock:
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message: Message) -> str:
        return message.get_content()


@pytest.fixture(scope="session")
def smtp_server():
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: MailBox) -> MailBox:
    smtp_server.clear()
    return smtp_server


# --- the app -------------------------------------------------------------------------


STRIPE_WEBHOOK_SECRET = "whsec_chohtx_test_secret"


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


@pytest.fixture(scope="session")
def database_url() -> str:
    with fresh_database(_database_url(), "run") as url:
        yield url


@pytest.fixture(scope="session")
def app(smtp_server: MailBox, database_url: str, tmp_path_factory) -> Flask:
    url = database_url
    app = create_app(
        make_test_config(
            url,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_server.port,
            SMTP_STARTTLS=False,
            LOCAL_STORAGE_PATH=str(tmp_path_factory.mktemp("files")),
        )
    )
    with app.app_context():
        upgrade()  # the schema comes from the migrations, not create_all
        db.session.configure(join_transaction_mode="create_savepoint")

    app.test_client_class = ServerLikeClient

    @app.teardown_appcontext
    def _test_code_is_its_own_edge(exc: BaseException | None) -> None:
        # Test code that calls services directly stands where a request or a command would:
        # a block that ends without an error commits once and delivers what it queued.
        # Requests keep their own edge (marketplace.unit_of_work.register).
        if exc is None and not g.get("unit_of_work_request"):
            unit_of_work.complete()

    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(request, app: Flask):
    """Each test runs inside a transaction that is rolled back at the end.

    Services still call commit(): with ``create_savepoint`` that releases a savepoint
    inside the outer transaction. Tests marked ``race`` need real commits from several
    connections and clean up with TRUNCATE instead.
    """
    with app.app_context():
        limiter.reset()
    if request.node.get_closest_marker("race") or request.node.get_closest_marker("browser"):
        yield
        return
    with app.app_context():
        engines = db.engines
        originals = dict(engines)
        connection = originals[None].connect()
        transaction = connection.begin()
        engines[None] = connection
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            engines[None] = originals[None]
        transaction.rollback()
        connection.close()


@pytest.fixture
def ctx(app: Flask):
    """An app context for calling services directly."""
    with app.app_context():
        yield
        db.session.remove()


class ServerLikeClient(FlaskClient):
    """A test client that, like a WSGI server, reads the whole answer and then closes it —
    which is when the request's outbox is delivered. ``buffered=False`` keeps a response
    open, to look at what happens before it is closed."""

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- factories -----------------------------------------------------------------------


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
            db.session.commit()
        org_id = user.memberships[0].organization_id if user.memberships else None
        person = Person(
            id=user.id, email=user.email, password=TEST_PASSWORD, organization_id=org_id
        )
        settle()
    return person


def add_member(app: Flask, organization_id: int, role: Role, **kwargs) -> Person:
    """A person who belongs to an existing organisation with ``role``."""
    from marketplace.models import Membership

    person = make_person(app, kind=None, **kwargs)
    with app.app_context():
        db.session.add(Membership(user_id=person.id, organization_id=organization_id, role=role))
        db.session.commit()
        settle()
    return Person(person.id, person.email, person.password, organization_id)


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


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fill_coop_profile(app: Flask, person: Person, **identity_overrides) -> None:
    """Every step of a co-op profile, filled in with plausible values."""
    from datetime import date

    from marketplace.models import User
    from marketplace.services import profiles

    with app.app_context():
        actor = Actor(user=db.session.get_one(User, person.id), ip="127.0.0.1")
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
        settle()


def admin_actor(app: Flask) -> Person:
    return make_person(app, kind=None, admin=True)


def verified_coop(app: Flask, **kwargs) -> Person:
    """A co-op whose profile is complete and approved by an admin."""
    from marketplace.models import User
    from marketplace.services import verification

    person = make_person(app, **kwargs)
    fill_coop_profile(app, person, name=kwargs.get("organization_name") or "HTX Sâm Lai Châu")
    boss = make_person(app, kind=None, admin=True)
    with app.app_context():
        verification.submit(Actor(user=db.session.get_one(User, person.id)), person.organization_id)
        verification.approve(Actor(user=db.session.get_one(User, boss.id)), person.organization_id)
        settle()
    return person


def settle() -> None:
    """End a block of test code that called services, as an edge would: commit once,
    deliver what it queued, close the session."""
    unit_of_work.complete()
    db.session.remove()


@contextmanager
def count_queries(app: Flask):
    """Count the SQL statements run inside the block (on the test's connection)."""
    from sqlalchemy import event

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


def verified_organiser(app: Flask) -> Person:
    """A verified fair organiser (a co-op alliance)."""
    from datetime import date

    from marketplace.models import User
    from marketplace.services import profiles, verification

    person = make_person(
        app, kind=OrgKind.FAIR_ORGANIZER, organization_name="Liên minh HTX Lai Châu"
    )
    boss = make_person(app, kind=None, admin=True)
    with app.app_context():
        me = Actor(user=db.session.get_one(User, person.id))
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
        verification.submit(me, person.organization_id)
        verification.approve(Actor(user=db.session.get_one(User, boss.id)), person.organization_id)
        settle()
    return person
