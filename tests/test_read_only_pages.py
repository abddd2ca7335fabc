"""GET never writes: every page a visitor or a member of each kind can reach, opened in a
transaction PostgreSQL itself makes read-only.

The demo data (every state of listings, fairs, requests, contracts, deliveries, invoices and
payments) is seeded into a database of its own; each demo account logs in (a POST, which may
write), then every page it can reach by following links is opened with
``SET TRANSACTION READ ONLY`` at the start of each transaction: one INSERT, UPDATE or DELETE
on a GET fails that page.
"""

from __future__ import annotations

import re
from collections import deque
from contextlib import contextmanager
from urllib.parse import urldefrag, urlsplit

import pytest
from flask_migrate import upgrade
from sqlalchemy import event

from marketplace import create_app, unit_of_work
from marketplace.demo import ADMIN_EMAIL, DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from marketplace.extensions import db
from tests.factories import ServerLikeClient, fresh_database, make_test_config, postgres_url

#: Pages per account; links of one shape (numbers replaced) are followed a few times only.
MAX_PAGES = 160
PER_SHAPE = 2
SKIP = ("/static/", "/media/", "/logout")

HREF = re.compile(r'href="([^"#]+)"')


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    with fresh_database(postgres_url(), "readonly") as url:
        app = create_app(
            make_test_config(
                url,
                LOCAL_STORAGE_PATH=str(tmp_path_factory.mktemp("demo-files")),
                # Emails wait in the outbox; nothing here is about sending them.
                OUTBOX_DELIVER_IMMEDIATELY=False,
            )
        )
        app.test_client_class = ServerLikeClient
        with app.app_context():
            upgrade()
            seed_demo()
            _make_lapsed_states()
            unit_of_work.commit()
        yield app
        with app.app_context():
            db.engine.dispose()


def _make_lapsed_states() -> None:
    """States the daily sweeps have not reached yet, which a page that wrote on GET would
    "fix": issued invoices and unpaid booth holds whose due date passed yesterday."""
    from datetime import timedelta

    from sqlalchemy import select

    from marketplace.models import ApplicationStatus, FairApplication, Invoice, InvoiceStatus
    from marketplace.vietnam import today

    yesterday = today() - timedelta(days=1)
    issued = db.session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.ISSUED))
    lapsed = 0
    for invoice in issued:
        invoice.due_on = min(invoice.due_on, yesterday)
        lapsed += 1
    holds = db.session.scalars(
        select(FairApplication).where(FairApplication.status == ApplicationStatus.ACCEPTED)
    )
    for application in holds:
        application.fee_due_on = yesterday
        lapsed += 1
    assert lapsed >= 2, "the demo has no issued invoice or unpaid booth hold to let lapse"


@contextmanager
def read_only(app):
    """Every transaction begun inside the block is read-only (PostgreSQL refuses writes)."""
    with app.app_context():
        engine = db.engine

    def begin(connection):
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")

    event.listen(engine, "begin", begin)
    try:
        yield
    finally:
        event.remove(engine, "begin", begin)


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _crawl(client, starts: list[str]) -> tuple[int, list[str]]:
    """Open pages breadth first from ``starts``; returns (pages opened, problems)."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = deque(starts)
    problems: list[str] = []
    opened = 0
    while queue and opened < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        shape = _shape(urlsplit(url).path)
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        try:
            response = client.get(url)
        except Exception as exc:  # noqa: BLE001 - a write on GET surfaces here in tests
            problems.append(f"{url}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            continue
        opened += 1
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
            continue
        if response.status_code in (301, 302, 303):
            location = response.headers.get("Location", "")
            if location.startswith("/"):
                queue.append(location)
            continue
        if "text/html" not in response.content_type:
            continue
        for href in HREF.findall(response.get_data(as_text=True)):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            if href.startswith("/") and not href.startswith("//") and not href.startswith(SKIP):
                queue.append(href)
    return opened, problems


def test_public_pages_never_write(demo_app):
    client = demo_app.test_client()
    with read_only(demo_app):
        opened, problems = _crawl(client, ["/", "/search?q=sam", "/fairs", "/login", "/signup"])
    assert problems == []
    assert opened > 20  # the crawl did reach the catalogue, co-ops and fairs


@pytest.mark.parametrize(
    "email", [account[1] for account in DEMO_ACCOUNTS] + [ADMIN_EMAIL], ids=lambda e: e[:12]
)
def test_member_pages_never_write(demo_app, email):
    client = demo_app.test_client()
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, email
    with read_only(demo_app):
        opened, problems = _crawl(client, ["/", "/orgs", "/notifications", "/account"])
    assert problems == []
    assert opened > 10
