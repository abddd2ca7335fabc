"""A database restart while people browse: during the gap every answer is 503 with
Retry-After (never a 500 with a traceback), and the app recovers by itself afterwards.

The test runs its own PostgreSQL cluster (Debian's binaries, as scripts/services.sh does)
so that stopping it disturbs nothing else in the suite.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
import traceback

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from marketplace import create_app, unit_of_work
from marketplace.extensions import db
from marketplace.models import OrgKind
from marketplace.services.accounts import accounts
from marketplace.services.context import Actor
from tests.factories import (
    TEST_PASSWORD,
    ServerLikeClient,
    free_port,
    intent_event,
    make_test_config,
    signed,
)


def _pg_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        pytest.fail("PostgreSQL's binaries are missing: run the suite with `make test`.")
    return os.path.dirname(found[-1])


class Cluster:
    """A throw-away PostgreSQL cluster on a free loopback port, run as the postgres user."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = tempfile.mkdtemp(prefix="chohtx-restart-")
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self._as_postgres("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.dir}'\nfsync = off\n"
            )
        self.start()

    def _as_postgres(self, program: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", os.path.join(self.bin, program), *args],
            check=True,
            capture_output=True,
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._as_postgres(
            "pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "start"
        )

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    made = Cluster()
    yield made
    made.remove()


def test_a_database_restart_answers_503_then_recovers(cluster, tmp_path):
    app = create_app(
        make_test_config(
            cluster.url, LOCAL_STORAGE_PATH=str(tmp_path), SEARCH_RATE_LIMIT="100000 per minute"
        )
    )
    app.test_client_class = ServerLikeClient
    with app.app_context():
        upgrade()
        accounts.register(
            Actor.system(),
            accounts.SignUp(
                name="Lò Văn Thắng",
                email="thang@vidu.vn",
                phone="0912 345 678",
                password=TEST_PASSWORD,
                organization_kind=OrgKind.COOP,
                organization_name="HTX Mật Ong Mộc Châu",
            ),
        )
        unit_of_work.commit()

    member = app.test_client()
    assert (
        member.post("/login", data={"email": "thang@vidu.vn", "password": TEST_PASSWORD})
    ).status_code == 302
    visitors = [(app.test_client(), path) for path in ("/", "/search?q=mat+ong", "/fairs")]
    clients = [*visitors, (member, "/orgs/"), (member, "/notifications")]

    answers: list[tuple[float, str, int, str | None]] = []
    failures: list[str] = []
    stop = threading.Event()

    def browse(client, path: str) -> None:
        while not stop.is_set():
            try:
                response = client.get(path)
                answers.append(
                    (
                        time.monotonic(),
                        path,
                        response.status_code,
                        response.headers.get("Retry-After"),
                    )
                )
            except Exception as exc:  # noqa: BLE001 - a traceback is what this test forbids
                failures.append(f"{path}: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            time.sleep(0.02)

    threads = [threading.Thread(target=browse, args=pair, daemon=True) for pair in clients]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        stopped_at = time.monotonic()
        cluster.stop()
        time.sleep(0.5)
        # Stripe's delivery gets 503 too, so Stripe sends the event again later.
        body, header = signed(intent_event("evt_while_away", "payment_intent.succeeded", 1))
        webhook = app.test_client().post(
            "/stripe/webhook",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )
        time.sleep(1.0)
        starting_at = time.monotonic()
        cluster.start()
        started_at = time.monotonic()
        time.sleep(3.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()

    assert failures == [], failures[0]
    assert webhook.status_code == 503 and webhook.headers["Retry-After"] == "5"
    statuses = {status for _at, _path, status, _retry in answers}
    assert 500 not in statuses
    assert statuses <= {200, 503}, statuses
    gap = [a for a in answers if stopped_at + 0.2 < a[0] < starting_at]
    assert gap and all(status == 503 for _at, _path, status, _retry in gap), [
        a for a in gap if a[2] != 503
    ]
    # Every 503 asks the client to come back (the search page's rate limiter may name a later
    # moment than the 5 s the app asks for).
    assert all(retry and int(retry) >= 5 for _at, _path, status, retry in answers if status == 503)
    # Recovered by itself: the last second answers every client's page again.
    recent = [a for a in answers if a[0] > started_at + 2.0]
    assert {path for _at, path, _status, _retry in recent} == {path for _c, path in clients}
    assert all(status == 200 for _at, _path, status, _retry in recent), recent
    # The database holds what it held: nothing was lost or half-written.
    engine = create_engine(cluster.url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 1
    engine.dispose()
