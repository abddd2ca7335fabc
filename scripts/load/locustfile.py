"""Load test of the site with Locust: anonymous visitors, co-op members and buyers.

Every request is named by its page kind ("listing page", "buyer: invoice page", ...), so
Locust's report gives throughput and percentiles per kind rather than per URL. Run by
``scripts/load.sh`` (which makes the catalogue, the deals and this file's data), or by hand:

    LOAD_DATA=load-data.json .venv/bin/locust -f scripts/load/locustfile.py \\
        --host http://127.0.0.1:18090 --headless -u 32 -r 8 -t 40s --csv /tmp/load \\
        Visitor CoopMember BuyerMember

``LOAD_DATA`` names a JSON file with ``listings``, ``coops`` and ``categories`` (slugs),
``queries``, ``active_coops``, ``buyers`` and ``password`` (see ``scripts/load.sh``).
``LOAD_WRITES=1`` adds the state-changing steps (a co-op changes a listing's price, which
queues a search change; buyer and co-op write in a negotiation, which queues emails); the
scale-out run uses them to check the outbox.

The visitor's mix follows the measurement in issue 19: listing, co-op, category and search
pages, the search API and the home page. Logged-in members visit their start page and trade
pages, and also a listing and a search as a logged-in person, to compare with the anonymous
equivalents. There is no think time: each simulated user sends its next request as soon as
the last one is answered, so ``-u`` is the number of concurrent clients.

``BareFloor`` is the HTTP benchmark's floor (``scripts/bench_bare.py``: a Flask route returning
as many bytes as the home page, no database, templates or session) driven by the same load
generator, so the generator's own limit on a shared machine shows in the same table.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import FastHttpUser, constant, task

DATA = json.loads(Path(os.environ["LOAD_DATA"]).read_text(encoding="utf-8"))
WRITES = os.environ.get("LOAD_WRITES", "") == "1"
DOMAIN = DATA.get("domain", "bench.chohtx.vn")

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
ORG_PAGE = re.compile(r"/orgs/(\d+)(?:[/?#]|$)")

# Which known login each new simulated member takes (round robin, shared by the process).
_coop_numbers = itertools.count()
_buyer_numbers = itertools.count()


def _ids(pattern: str, html: str) -> list[int]:
    return sorted({int(m) for m in re.findall(pattern, html)})


def _search_params() -> dict:
    return {"q": random.choice(DATA["queries"])}


class Visitor(FastHttpUser):
    """Anonymous browsing: the mix of issue 19."""

    weight = 6
    wait_time = constant(0)

    @task(4)
    def listing(self):
        self.client.get(f"/p/{random.choice(DATA['listings'])}", name="listing page")

    @task(2)
    def coop(self):
        self.client.get(f"/htx/{random.choice(DATA['coops'])}", name="co-op page")

    @task(2)
    def category(self):
        self.client.get(f"/c/{random.choice(DATA['categories'])}", name="category page")

    @task(2)
    def search_page(self):
        self.client.get("/search", params=_search_params(), name="search page")

    @task(2)
    def search_api(self):
        self.client.get("/api/v1/search", params=_search_params(), name="search API")

    @task(1)
    def home(self):
        self.client.get("/", name="home page")


class _Member(FastHttpUser):
    """A logged-in member of one organisation; subclasses say which logins and pages."""

    abstract = True
    wait_time = constant(0)
    side = ""

    def login_email(self) -> str:
        raise NotImplementedError

    def csrf(self, html: str) -> str:
        found = CSRF.search(html)
        return (found.group(1) or found.group(2)) if found else ""

    def on_start(self) -> None:
        page = self.client.get("/login", name=f"{self.side}: log-in page")
        answer = self.client.post(
            "/login",
            data={
                "email": self.login_email(),
                "password": DATA["password"],
                "csrf_token": self.csrf(page.text or ""),
            },
            name=f"{self.side}: log in",
            allow_redirects=False,
        )
        landing = answer.headers.get("Location", "") if answer.headers else ""
        found = ORG_PAGE.search(landing)
        if answer.status_code != 302 or not found:
            raise RuntimeError(f"log-in as {self.login_email()} failed ({answer.status_code})")
        self.org = int(found.group(1))
        trade = self.client.get(f"/orgs/{self.org}/trade", name=f"{self.side}: trade dashboard")
        html = trade.text or ""
        self.contracts = _ids(r"/contracts/(\d+)", html)
        self.rfqs = _ids(r"/rfqs/(\d+)", html)
        self.quotes = _ids(r"/quotes/(\d+)", html)
        invoices = self.client.get(f"/orgs/{self.org}/invoices", name=f"{self.side}: invoices")
        self.invoices = _ids(r"/invoices/(\d+)", invoices.text or "")

    def _one(self, ids: list[int], path: str, name: str) -> None:
        if ids:
            self.client.get(path.format(random.choice(ids)), name=f"{self.side}: {name}")

    @task(3)
    def start_page(self):
        self.client.get(f"/orgs/{self.org}", name=f"{self.side}: start page")

    @task(3)
    def trade(self):
        self.client.get(f"/orgs/{self.org}/trade", name=f"{self.side}: trade dashboard")

    @task(2)
    def invoice_list(self):
        self.client.get(f"/orgs/{self.org}/invoices", name=f"{self.side}: invoices")

    @task(2)
    def deliveries(self):
        self.client.get(f"/orgs/{self.org}/deliveries", name=f"{self.side}: deliveries")

    @task(3)
    def contract(self):
        self._one(self.contracts, "/contracts/{}", "contract page")

    @task(3)
    def invoice(self):
        self._one(self.invoices, "/invoices/{}", "invoice page")

    @task(2)
    def pay(self):
        self._one(self.invoices, "/pay/invoice/{}", "pay page")

    @task(1)
    def rfq(self):
        self._one(self.rfqs, "/rfqs/{}", "request page")

    @task(1)
    def quote(self):
        self._one(self.quotes, "/quotes/{}", "negotiation page")

    @task(1)
    def notifications(self):
        self.client.get("/notifications", name=f"{self.side}: notifications")

    @task(2)
    def listing(self):
        self.client.get(
            f"/p/{random.choice(DATA['listings'])}", name=f"{self.side}: listing page (logged in)"
        )

    @task(1)
    def search_page(self):
        self.client.get(
            "/search", params=_search_params(), name=f"{self.side}: search page (logged in)"
        )

    @task(2)
    def message(self):
        """A line in a negotiation (queues an email to the other side)."""
        if not WRITES or not self.quotes:
            return
        quote = random.choice(self.quotes)
        page = self.client.get(f"/quotes/{quote}", name=f"{self.side}: negotiation page")
        self.client.post(
            f"/quotes/{quote}/messages",
            data={"body": "Xin xác nhận lịch giao tuần tới.", "csrf_token": self.csrf(page.text)},
            name=f"{self.side}: write in a negotiation",
        )


class CoopMember(_Member):
    """The owner of one of the co-ops with trade (htx00001… up to ``active_coops``)."""

    weight = 2
    side = "co-op"

    def login_email(self) -> str:
        return f"htx{next(_coop_numbers) % DATA['active_coops'] + 1:05d}@{DOMAIN}"

    def on_start(self) -> None:
        super().on_start()
        page = self.client.get(f"/orgs/{self.org}/listings", name="co-op: own listings")
        self.listings = _ids(rf"/orgs/{self.org}/listings/(\d+)/edit", page.text or "")

    @task(2)
    def own_listings(self):
        self.client.get(f"/orgs/{self.org}/listings", name="co-op: own listings")

    @task(1)
    def fair_applications(self):
        self.client.get(f"/orgs/{self.org}/fair-applications", name="co-op: fair applications")

    @task(2)
    def change_price(self):
        """A new price on one of its listings (queues a search change)."""
        if not WRITES or not self.listings:
            return
        page = self.client.get(f"/orgs/{self.org}/listings", name="co-op: own listings")
        self.client.post(
            f"/orgs/{self.org}/listings/{random.choice(self.listings)}/quick",
            data={
                "base_price": str(random.randint(50, 900) * 1000),
                "monthly_capacity": str(random.randint(10, 500) * 10),
                "csrf_token": self.csrf(page.text or ""),
            },
            name="co-op: change a price",
        )


class BuyerMember(_Member):
    """A buyer with contracts (buyer0001… up to ``buyers``)."""

    weight = 2
    side = "buyer"

    def login_email(self) -> str:
        return f"buyer{next(_buyer_numbers) % DATA['buyers'] + 1:04d}@{DOMAIN}"


class BareFloor(FastHttpUser):
    """The bare Flask route of ``scripts/bench_bare.py``, with the home page's size."""

    weight = 1
    wait_time = constant(0)

    @task
    def floor(self):
        self.client.get(f"/bytes/{DATA.get('home_bytes', 14000)}", name="bare Flask floor")
