"""Both search backends over one catalogue: the demo data in its own database, indexed in a
real Elasticsearch node (started by scripts/services.sh) under an alias of this run.

The catalogue is committed once for the session; tests that change it put it back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from flask import Flask
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db
from marketplace.search.query import SearchPage, SearchQuery, parse
from marketplace.services.catalogue import search as search_service
from marketplace.vietnam import today
from tests.factories import fresh_database, make_test_config, postgres_url, settle


def elasticsearch_url() -> str:
    url = os.environ.get("TEST_ELASTICSEARCH_URL")
    if not url:
        pytest.exit(
            "TEST_ELASTICSEARCH_URL is not set: run the suite with `make test`, which starts "
            "an Elasticsearch node through scripts/services.sh.",
            returncode=1,
        )
    return url


@pytest.fixture(scope="session")
def search_app(tmp_path_factory) -> Flask:
    url = elasticsearch_url()
    with fresh_database(postgres_url(), "search") as database_url:
        app = create_app(
            make_test_config(
                database_url,
                ELASTICSEARCH_URL=url,
                ELASTICSEARCH_INDEX=f"chohtx-test-{os.getpid()}",
                LOCAL_STORAGE_PATH=str(tmp_path_factory.mktemp("search-files")),
                # Tests check the fallback and the recovery one after the other.
                SEARCH_RETRY_SECONDS=0,
            )
        )
        with app.app_context():
            upgrade()
            engine = app.extensions["search"].engine
            try:
                engine.client.cluster.health(timeout="5s")
            except Exception as exc:  # noqa: BLE001
                pytest.exit(f"Elasticsearch is not reachable at {url}: {exc}", returncode=1)
            from marketplace.demo import seed_demo

            seed_demo()  # builds the projection and reindexes the engine
            # The demo holds its emails back; these tests deliver what they change.
            app.config["OUTBOX_DELIVER_IMMEDIATELY"] = True
            engine.refresh()
            settle()
        yield app
        with app.app_context():
            app.extensions["search"].engine.drop()
            settle()
            db.engine.dispose()


@dataclass
class Runner:
    """One backend, called directly (no fallback), with URL-style arguments."""

    app: Flask
    name: str

    @property
    def backend(self):
        service = self.app.extensions["search"]
        return service.engine if self.name == "elasticsearch" else service.database

    def query(self, **args) -> SearchQuery:
        day = args.pop("day", None) or today()
        return parse(
            {k: str(v) for k, v in args.items()},
            categories=search_service.category_filters(),
            day=day,
        )

    def search(self, **args) -> SearchPage:
        return self.backend.search(self.query(**args))

    def titles(self, **args) -> list[str]:
        return [hit.document["title_vi"] for hit in self.search(**args).hits]


@pytest.fixture(params=["database", "elasticsearch"])
def backend(request, search_app) -> Runner:
    with search_app.app_context():
        yield Runner(search_app, request.param)
        settle()
