"""Keeping the index right: changes reach both backends, an engine outage loses nothing, and
a reindex swaps indices while search goes on. Real commits on the search catalogue; each
test puts the catalogue back as it found it."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import select

from marketplace import unit_of_work
from marketplace.extensions import db
from marketplace.models import Category, Listing, OutboxMessage, SearchDocument, User
from marketplace.search import documents, indexing
from marketplace.search.elastic import to_source
from marketplace.services.accounts import verification
from marketplace.services.catalogue import categories, listings
from marketplace.services.context import Actor
from tests.factories import PROJECT_ROOT, settle
from tests.search.conftest import Runner


def _listing(title: str) -> Listing:
    return db.session.scalars(select(Listing).where(Listing.title_vi == title)).one()


def _owner(listing: Listing) -> Actor:
    from marketplace.models import Membership

    user_id = db.session.scalar(
        select(Membership.user_id).where(Membership.organization_id == listing.organization_id)
    )
    return Actor(user=db.session.get_one(User, user_id))


def _admin() -> Actor:
    return Actor(user=db.session.scalars(select(User).where(User.is_admin.is_(True))).first())


def _settle(app) -> None:
    """End the unit of work (commit, hand its changes to the engine), make them searchable."""
    unit_of_work.complete()
    app.extensions["search"].engine.refresh()


def _found(app, **args) -> dict[str, list[int]]:
    return {
        name: [h.listing_id for h in Runner(app, name).search(**args).hits]
        for name in ("database", "elasticsearch")
    }


def assert_index_equals_projection(app) -> None:
    """Document by document: what Elasticsearch holds is what the database says."""
    engine = app.extensions["search"].engine
    engine.refresh()
    indexed = engine.all_sources()
    expected = {}
    for row, prices in documents.stream(batch=200):
        expected[row["listing_id"]] = to_source(row, prices)
    assert sorted(indexed) == sorted(expected)
    for listing_id, source in expected.items():
        assert indexed[listing_id] == source, listing_id


def test_pausing_and_publishing_reach_both_backends(search_app):
    with search_app.app_context():
        listing = _listing("Mật ong rừng bạc hà")
        owner, org_id, listing_id = _owner(listing), listing.organization_id, listing.id
        assert _found(search_app, q="bac ha") == {
            "database": [listing_id],
            "elasticsearch": [listing_id],
        }
        listings.change_state(owner, org_id, listing_id, "pause")
        try:
            _settle(search_app)
            assert _found(search_app, q="bac ha") == {"database": [], "elasticsearch": []}
        finally:
            listings.change_state(owner, org_id, listing_id, "publish")
            _settle(search_app)
        assert _found(search_app, q="bac ha") == {
            "database": [listing_id],
            "elasticsearch": [listing_id],
        }
        settle()


def test_a_new_price_reaches_the_price_filter(search_app):
    with search_app.app_context():
        listing = _listing("Sáp ong nguyên chất")
        owner, org_id, listing_id = _owner(listing), listing.organization_id, listing.id
        before = listing.base_price
        try:
            listings.quick_update(
                owner, org_id, listing_id, base_price="123456", monthly_capacity="500"
            )
            _settle(search_app)
            assert _found(search_app, price_min=123456, price_max=123456) == {
                "database": [listing_id],
                "elasticsearch": [listing_id],
            }
        finally:
            listings.quick_update(
                owner, org_id, listing_id, base_price=str(before), monthly_capacity="500"
            )
            _settle(search_app)
        assert _found(search_app, price_min=123456, price_max=123456)["elasticsearch"] == []
        settle()


def test_withdrawing_a_verification_hides_every_listing_of_the_coop(search_app):
    with search_app.app_context():
        listing = _listing("Chả mực giã tay Hạ Long")
        owner, org_id = _owner(listing), listing.organization_id
        count = len(_found(search_app, province="quang-ninh")["database"])
        assert count == 5
        verification.withdraw(_admin(), org_id, "Giấy phép kinh doanh đã hết hạn.")
        try:
            _settle(search_app)
            assert _found(search_app, province="quang-ninh") == {
                "database": [],
                "elasticsearch": [],
            }
            assert _found(search_app, q="ha long") == {"database": [], "elasticsearch": []}
        finally:
            verification.submit(owner, org_id)
            verification.approve(_admin(), org_id)
            _settle(search_app)
        found = _found(search_app, province="quang-ninh")
        assert len(found["database"]) == 5
        assert found["database"] == found["elasticsearch"]
        settle()


def test_renaming_a_category_reaches_its_listings(search_app):
    with search_app.app_context():
        category = db.session.scalars(select(Category).where(Category.slug == "mac-ca")).one()
        names = (category.name_vi, category.name_en)
        try:
            categories.rename_category(
                _admin(), category.id, name_vi="Mắc ca Tây Nguyên", name_en="Macadamia"
            )
            _settle(search_app)
            found = _found(search_app, q="tay nguyen")
            assert found["database"] == found["elasticsearch"] != []
        finally:
            categories.rename_category(_admin(), category.id, name_vi=names[0], name_en=names[1])
            _settle(search_app)
        assert _found(search_app, q="tay nguyen") == {"database": [], "elasticsearch": []}
        settle()


def _readiness(app, client):
    """/readyz with its details (the HEALTH_TOKEN bearer sees each dependency)."""
    app.config["HEALTH_TOKEN"] = "search-tests-health-token-0123456789"
    return client.get(
        "/readyz", headers={"Authorization": "Bearer search-tests-health-token-0123456789"}
    )


def _engine(action: str) -> None:
    script = os.path.join(PROJECT_ROOT, "scripts", "elasticsearch.sh")
    subprocess.run(["bash", script, action], check=True, timeout=300)


@pytest.fixture
def engine_restarted():
    """Whatever happens in the test, the node runs again afterwards."""
    yield
    _engine("up")


def test_an_engine_outage_loses_nothing(search_app, engine_restarted):
    client = search_app.test_client()
    with search_app.app_context():
        service = search_app.extensions["search"]
        rice = _listing("Gạo lứt ST25")
        nuts = _listing("Hạt mắc ca sấy nứt vỏ")
        rice_owner, nuts_owner = _owner(rice), _owner(nuts)
        assert unit_of_work.commit() == []  # nothing waits to be handed over

        _engine("down")
        # Buyers still get answers, from the database; health says "degraded", not "down".
        response = client.get("/api/v1/search?q=gao+lut")
        assert response.status_code == 200
        assert response.get_json()["degraded"] is True
        assert response.get_json()["items"][0]["title"] == "Gạo lứt ST25"
        health = _readiness(search_app, client)
        assert health.status_code == 200
        assert health.get_json()["checks"]["search"]["status"] == "degraded"

        # Changes made meanwhile (two units of work) succeed and wait in the outbox.
        listings.change_state(rice_owner, rice.organization_id, rice.id, "pause")
        assert unit_of_work.complete() == 0
        listings.quick_update(
            nuts_owner, nuts.organization_id, nuts.id, base_price="330000", monthly_capacity="900"
        )
        assert unit_of_work.complete() == 0
        waiting = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.topic == indexing.TOPIC, OutboxMessage.delivered_at.is_(None)
            )
        ).all()
        assert len(waiting) == 2 and all(m.last_error for m in waiting)
        assert _found_database(search_app, q="gao lut") == []

        _engine("up")
        applied, failed = indexing.sync()
        assert (applied, failed) == (2, 0)
        assert_index_equals_projection(search_app)
        assert _found(search_app, q="gao lut")["elasticsearch"] == []
        service.reset()
        assert client.get("/api/v1/search?q=gao").get_json()["degraded"] is False

        # Put the catalogue back.
        listings.change_state(rice_owner, rice.organization_id, rice.id, "publish")
        listings.quick_update(
            nuts_owner, nuts.organization_id, nuts.id, base_price="320000", monthly_capacity="1200"
        )
        _settle(search_app)
        assert_index_equals_projection(search_app)
        settle()


def _found_database(app, **args) -> list[int]:
    return [h.listing_id for h in Runner(app, "database").search(**args).hits]


def test_reindex_swaps_the_alias_and_replays_changes_made_meanwhile(
    search_app, bean_published_again
):
    with search_app.app_context():
        engine = search_app.extensions["search"].engine
        old = engine.current_indices()
        total = db.session.query(SearchDocument).count()
        # The stream goes in id order: this listing is copied early, then paused while
        # the rest is copied. The pause is not handed over to the engine here, so only the
        # replay after the swap can take it out of the new index.
        bean = db.session.scalars(select(Listing).order_by(Listing.id)).first()
        owner = _owner(bean)
        seen = []

        def progress(n: int) -> None:
            seen.append(n)
            if len(seen) == 10:
                # Mid-way: search still answers from the old index, and a change happens.
                assert Runner(search_app, "elasticsearch").search().total == total
                listings.change_state(owner, bean.organization_id, bean.id, "pause")
                unit_of_work.commit()  # committed, left in the outbox, not delivered

        try:
            result = indexing.reindex(progress=progress, batch=5)
        finally:
            db.session.rollback()
        assert len(seen) == total  # copied before it was paused
        assert result["replaced"] == old
        assert engine.current_indices() == [result["index"]]
        assert not engine.client.indices.exists(index=old[0])
        engine.refresh()
        assert engine.count() == total - 1
        assert bean.id not in engine.all_sources()
        assert_index_equals_projection(search_app)

        settle()


@pytest.fixture
def bean_published_again(search_app):
    yield
    with search_app.app_context():
        bean = db.session.scalars(select(Listing).order_by(Listing.id)).first()
        if bean.status.value != "published":
            listings.change_state(_owner(bean), bean.organization_id, bean.id, "publish")
            _settle(search_app)
        assert search_app.extensions["search"].engine.count() == (
            db.session.query(SearchDocument).count()
        )
        settle()


def test_a_change_made_in_a_request_reaches_the_engine_after_the_response(search_app):
    from marketplace.demo import DEMO_PASSWORD

    client = search_app.test_client()
    with search_app.app_context():
        listing = _listing("Nếp cái hoa vàng")
        org_id, listing_id = listing.organization_id, listing.id
        settle()
    assert (
        client.post(
            "/login", data={"email": "gao.st25@demo.chohtx.vn", "password": DEMO_PASSWORD}
        ).status_code
        == 302
    )
    url = f"/orgs/{org_id}/listings/{listing_id}/state"
    try:
        response = client.post(url, data={"action": "pause"})
        assert response.status_code == 302
        response.close()  # the server hands the change over once the response is sent
        with search_app.app_context():
            search_app.extensions["search"].engine.refresh()
            assert _found(search_app, q="nep cai hoa vang") == {
                "database": [],
                "elasticsearch": [],
            }
            assert not db.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.topic == indexing.TOPIC, OutboxMessage.delivered_at.is_(None)
                )
            ).all()
            settle()
    finally:
        client.post(url, data={"action": "publish"}).close()
        with search_app.app_context():
            search_app.extensions["search"].engine.refresh()
            assert _found(search_app, q="nep cai hoa vang")["elasticsearch"] == [listing_id]
            settle()


def test_search_leaves_the_engine_while_changes_wait_to_reach_it(search_app):
    from datetime import timedelta

    from marketplace.models._types import utcnow

    client = search_app.test_client()
    with search_app.app_context():
        late = OutboxMessage(
            topic=indexing.TOPIC,
            payload={"ids": []},
            created_at=utcnow() - timedelta(minutes=5),
            next_attempt_at=utcnow() + timedelta(minutes=5),
        )
        db.session.add(late)
        db.session.commit()
        search_app.extensions["search"].reset()
        try:
            body = client.get("/api/v1/search?q=mat+ong").get_json()
            assert body["degraded"] is True and body["engine"] == "database"
            health = _readiness(search_app, client).get_json()["checks"]["search"]
            assert health["status"] == "degraded" and "sync" in health["error"]
            assert indexing.sync() == (1, 0)
        finally:
            search_app.extensions["search"].reset()
        body = client.get("/api/v1/search?q=mat+ong").get_json()
        assert body["degraded"] is False and body["engine"] == "elasticsearch"
        settle()
