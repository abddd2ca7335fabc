"""Search on the embedded default (the database backend): rules, the page, the API.

The same behaviour against Elasticsearch is checked by the contract suite in tests/search/.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from marketplace import create_app, unit_of_work
from marketplace.blueprints.search.presenters import highlight
from marketplace.extensions import db
from marketplace.models import Listing, SearchDocument, SearchTerm
from marketplace.search.documents import NO_LIMIT, price_ranges
from marketplace.search.folding import exact_tokens, tokens
from marketplace.search.terms import distance_at_most_one, one_edit_variants, parse_text
from marketplace.services.catalogue import listings
from tests.factories import (
    actor_for,
    category_id,
    free_port,
    jpeg,
    listing_data,
    make_person,
    make_test_config,
    published_listing,
    verified_coop,
)

# --- the rules ----------------------------------------------------------------------------


def test_words_are_folded_and_split_like_the_engine_splits_them():
    assert tokens("Sâm ngâm mật-ong 500ml, ĐẶC SẢN!") == [
        "sam", "ngam", "mat", "ong", "500ml", "dac", "san",
    ]  # fmt: skip
    assert exact_tokens("Mật ong RỪNG") == ["mật", "ong", "rừng"]


def test_query_words_are_deduplicated_capped_and_keep_their_marks():
    query = parse_text("Sâm sam SÂM mật ong " + "x " * 50)
    assert [w.term for w in query.words][:3] == ["sam", "mat", "ong"]
    assert query.words[0].exact == "sâm" and query.words[2].exact is None
    assert len(query.words) == 4  # "x" once more, then nothing: duplicates are dropped
    assert len(parse_text(" ".join(f"w{i}" for i in range(40))).words) == 12
    assert parse_text("").empty and parse_text('"*:(\\').empty


def _damerau(a: str, b: str) -> int:
    """Optimal string alignment distance, the slow textbook way."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_one_edit_neighbours_are_exactly_the_strings_at_distance_one():
    rng = random.Random(7)
    for _ in range(300):
        a = "".join(rng.choice("abcn") for _ in range(rng.randint(1, 6)))
        b = "".join(rng.choice("abcn") for _ in range(rng.randint(1, 6)))
        assert distance_at_most_one(a, b) == (_damerau(a, b) <= 1), (a, b)
        assert (b in one_edit_variants(a)) == (_damerau(a, b) <= 1), (a, b)
    variants = one_edit_variants("thanh")
    assert {"thanh", "tahnh", "thnh", "thanhh", "thamh"} <= variants
    assert "htanhh" not in variants


def test_price_ranges_cover_every_quantity():
    listing = Listing(base_price=200, tiers=[])
    assert price_ranges(listing) == [(1, NO_LIMIT, 200)]
    from marketplace.models import PriceTier

    listing = Listing(
        base_price=200,
        tiers=[
            PriceTier(min_quantity=100, unit_price=180),
            PriceTier(min_quantity=500, unit_price=165),
        ],
    )
    assert price_ranges(listing) == [(1, 100, 200), (100, 500, 180), (500, NO_LIMIT, 165)]


def test_highlighting_escapes_what_the_co_op_typed():
    query = parse_text("sam")
    html = str(highlight("<b>Sâm</b> & sấm", query))
    assert html == "&lt;b&gt;<mark>Sâm</mark>&lt;/b&gt; &amp; <mark>sấm</mark>"
    fuzzy = str(highlight("Chè Thanh Sơn", parse_text("thahn")))
    assert "<mark>Thanh</mark>" in fuzzy


# --- the projection follows every change --------------------------------------------------


def test_the_projection_follows_publishing_editing_and_pausing(app):
    coop = verified_coop(app, organization_name="HTX Mận Hậu Mộc Châu")
    with app.app_context():
        me = actor_for(coop)
        listing = listings.create_listing(
            me,
            coop.organization_id,
            listing_data(title_vi="Mận hậu sấy dẻo", category_id=category_id("trai-cay")),
        )
        listings.add_photo(me, coop.organization_id, listing.id, jpeg(64, 48))
        unit_of_work.complete()  # the projection is rebuilt when a unit of work commits
        assert db.session.get(SearchDocument, listing.id) is None  # a draft is not searchable
        listings.change_state(me, coop.organization_id, listing.id, "publish")
        unit_of_work.complete()
        document = db.session.get(SearchDocument, listing.id)
        assert document.folded_title == "man hau say deo"
        assert "moc" in document.folded_coop and document.province_code == "lai-chau"
        terms = dict(
            db.session.execute(
                select(SearchTerm.term, SearchTerm.weight).where(
                    SearchTerm.listing_id == listing.id
                )
            ).all()
        )
        assert terms["man"] == 20 and terms["=mận"] == 0 and terms["hau"] == 20
        listings.quick_update(
            me, coop.organization_id, listing.id, base_price="250000", monthly_capacity="10"
        )
        unit_of_work.complete()
        assert db.session.get(SearchDocument, listing.id).base_price == 250000
        listings.change_state(me, coop.organization_id, listing.id, "pause")
        unit_of_work.complete()
        assert db.session.get(SearchDocument, listing.id) is None
        assert not db.session.scalars(
            select(SearchTerm).where(SearchTerm.listing_id == listing.id)
        ).all()


def test_an_unverified_co_op_is_never_found(app):
    coop = make_person(app, organization_name="HTX Chưa Xác Minh")
    with app.app_context():
        me = actor_for(coop)
        listing = listings.create_listing(
            me, coop.organization_id, listing_data(title_vi="Mận hậu chưa xác minh")
        )
        listing.status = listing.status.__class__.PUBLISHED  # even if it were published
        db.session.commit()
        assert db.session.get(SearchDocument, listing.id) is None


# --- the page and the API -------------------------------------------------------------------


@pytest.fixture
def catalogue(app):
    coop = verified_coop(app, organization_name="HTX Sâm Lai Châu")
    published_listing(app, coop, title_vi="Rượu sâm Lai Châu")
    with app.app_context():
        me = actor_for(coop)
        honey = listings.create_listing(
            me,
            coop.organization_id,
            listing_data(
                title_vi="Sâm ngâm mật ong",
                category_id=category_id("sam"),
                base_price="900.000",
                tiers=[],
                min_order_quantity="5",
            ),
        )
        listings.add_photo(me, coop.organization_id, honey.id, jpeg(64, 48))
        listings.change_state(me, coop.organization_id, honey.id, "publish")
    return coop


def test_search_page_finds_highlights_and_keeps_filters_in_the_url(client, catalogue):
    page = client.get("/search?q=sam+ngam+mat+ong&sort=price_asc")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<mark>Sâm</mark> <mark>ngâm</mark> <mark>mật</mark> <mark>ong</mark>" in html
    assert '<option value="price_asc" selected>' in html
    assert 'value="sam ngam mat ong"' in html
    assert "900.000\u00a0₫" in html
    # Facet options with counts, and a chip to remove an active filter.
    page = client.get("/search?q=sam&province=lai-chau")
    html = page.get_data(as_text=True)
    assert '<option value="lai-chau" selected>Lai Châu (2)</option>' in html
    assert 'href="/search?q=sam"' in html  # removes the province


def test_search_page_without_tone_marks_and_in_english(client, catalogue):
    client.set_cookie("lang", "en")
    html = client.get("/search?q=ruou+sam").get_data(as_text=True)
    assert "<mark>Rượu</mark> <mark>sâm</mark> Lai Châu" in html
    assert "1 product" in html and "Search products" in html


def test_api_returns_items_facets_and_applied_filters(client, catalogue):
    response = client.get("/api/v1/search?q=ruou+sam&quantity=100&ocop=")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["title"] == "Rượu sâm Lai Châu"
    assert item["price"] == {
        "amount": 180000, "currency": "VND", "quantity": 100, "formatted": "180.000\u00a0₫",
    }  # fmt: skip
    assert item["unit"]["code"] == "chai"
    assert item["coop"]["name"] == "HTX Sâm Lai Châu"
    assert item["province"] == {"code": "lai-chau", "name": "Lai Châu"}
    assert item["url"].startswith("http://localhost/")
    assert item["photo_url"].endswith("-320.webp")
    assert body["filters"] == {"quantity": 100}
    assert {f["value"] for f in body["facets"]["province"]} == {"lai-chau"}
    assert body["engine"] == "database" and body["degraded"] is False


@pytest.mark.parametrize(
    ("query", "argument"),
    [
        ("price_min=-5", "price_min"),
        ("price_max=nhieu", "price_max"),
        ("page=1000000", "page"),
        ("category=khong-co", "category"),
        ("ocop=7", "ocop"),
        ("sort=%27%3B+drop", "sort"),
        ("quantity=%C2%B2", "quantity"),
        ("page=--1", "page"),
        ("price_min=" + "9" * 5000, "price_min"),
        ("quantity=2,5", "quantity"),
        ("per_page=500", "per_page"),
    ],
)
def test_bad_arguments_get_a_clear_400(client, query, argument):
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["argument"] == argument
    page = client.get(f"/search?q=sam&{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert 'id="search-error"' in html and 'value="sam"' in html
    # The form still offers every choice, and marks the field at fault.
    assert '<option value="lai-chau">Lai Châu</option>' in html
    if argument not in ("page", "per_page"):
        assert 'aria-invalid="true" aria-describedby="search-error' in html


@pytest.mark.parametrize(
    "text", ['"', "\\", "*", ":", "(", "sam AND (ong OR", "a" * 5000, "%00", "\u0000sam", "🍯"]
)
def test_odd_queries_never_fail(client, catalogue, text):
    for url in ("/search", "/api/v1/search", "/api/v1/search/suggest"):
        assert client.get(url, query_string={"q": text}).status_code == 200


def test_swapped_price_bounds_are_put_right(client, catalogue):
    body = client.get("/api/v1/search?price_min=950000&price_max=150000").get_json()
    assert body["filters"] == {"price_min": 150000, "price_max": 950000}
    assert body["total"] == 2


def test_nothing_found_offers_a_spelling_and_categories(client, catalogue):
    html = client.get("/search?q=sma+ngam").get_data(as_text=True)
    assert 'class="no-results"' in html
    assert 'id="spelling"' in html and ">sam ngam<" in html
    html = client.get("/search?q=xyzq+ruou").get_data(as_text=True)
    assert 'href="/c/ruou"' in html  # "ruou" names a category


def test_suggestions_while_typing(client, catalogue):
    body = client.get("/api/v1/search/suggest?q=sam+ng").get_json()
    assert body["products"] == ["Sâm ngâm mật ong"]
    assert client.get("/api/v1/search/suggest?q=htx+s").get_json()["coops"] == ["HTX Sâm Lai Châu"]
    assert client.get("/api/v1/search/suggest?q=").get_json() == {"products": [], "coops": []}


def test_search_answers_from_the_database_when_the_engine_is_unreachable(app):
    broken = create_app(
        make_test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            ELASTICSEARCH_URL=f"http://127.0.0.1:{free_port()}",
            ELASTICSEARCH_TIMEOUT=1,
            HEALTH_TOKEN="search-health-token-0123456789",
        )
    )
    client = broken.test_client()
    response = client.get("/api/v1/search?q=ruou+sam")
    assert response.status_code == 200
    assert response.get_json()["degraded"] is True
    assert response.get_json()["engine"] == "database"
    health = client.get(
        "/readyz", headers={"Authorization": "Bearer search-health-token-0123456789"}
    )
    assert health.status_code == 200
    assert health.get_json()["checks"]["search"]["status"] == "degraded"
    with broken.app_context():
        db.engine.dispose()


def test_the_projection_follows_the_co_op_its_certificates_and_photos(app):
    from datetime import timedelta

    from marketplace.models import Certificate, CertificateKind, Organization, VerificationStatus
    from marketplace.vietnam import today

    coop = verified_coop(app, organization_name="HTX Chè Tân Cương")
    listing_id, _ = published_listing(app, coop, title_vi="Chè búp Tân Cương", photos=2)
    with app.app_context():
        # A certificate approved for the co-op and linked to the listing.
        certificate = Certificate(
            organization_id=coop.organization_id,
            kind=CertificateKind.OCOP,
            number="QĐ 1/QĐ-UBND",
            issuer="UBND tỉnh Thái Nguyên",
            issued_on=today() - timedelta(days=30),
            expires_on=today() + timedelta(days=700),
            ocop_stars=4,
            document_key="private/x.pdf",
            document_type="application/pdf",
            status=VerificationStatus.APPROVED,
        )
        db.session.add(certificate)
        listing = db.session.get(Listing, listing_id)
        listing.certificates.append(certificate)
        db.session.commit()
        assert db.session.get(SearchDocument, listing_id).ocop_stars == 4
        certificate.status = VerificationStatus.REJECTED
        db.session.commit()
        assert db.session.get(SearchDocument, listing_id).ocop_stars is None

        organization = db.session.get(Organization, coop.organization_id)
        organization.name = "HTX Chè Đặc Sản Tân Cương"
        db.session.commit()
        assert db.session.get(SearchDocument, listing_id).folded_coop == "htx che dac san tan cuong"

        me = actor_for(coop)
        photos = db.session.get(Listing, listing_id).photos
        first, second = photos[0].id, photos[1].key_prefix
        listings.remove_photo(me, coop.organization_id, listing_id, first)
        unit_of_work.complete()
        assert db.session.get(SearchDocument, listing_id).photo_key == second


def test_links_keep_the_page_size(client, catalogue):
    html = client.get("/search?q=sam&per_page=1").get_data(as_text=True)
    assert 'href="/search?q=sam&amp;per_page=1&amp;page=2"' in html


def test_a_second_certificate_counts_once_the_first_has_ended(app):
    from datetime import timedelta

    from marketplace.models import Certificate, CertificateKind, VerificationStatus
    from marketplace.search import indexing
    from marketplace.vietnam import today

    coop = verified_coop(app, organization_name="HTX Mật Ong Bắc Hà")
    listing_id, _ = published_listing(app, coop, title_vi="Mật ong bạc hà")
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        for stars, days in ((5, 10), (4, 700)):
            certificate = Certificate(
                organization_id=coop.organization_id,
                kind=CertificateKind.OCOP,
                number=f"QĐ {stars}",
                issuer="UBND tỉnh Lào Cai",
                issued_on=today() - timedelta(days=30),
                expires_on=today() + timedelta(days=days),
                ocop_stars=stars,
                document_key="private/x.pdf",
                document_type="application/pdf",
                status=VerificationStatus.APPROVED,
            )
            db.session.add(certificate)
            listing.certificates.append(certificate)
        db.session.commit()
        document = db.session.get(SearchDocument, listing_id)
        assert (document.ocop_stars, document.ocop_until) == (5, today() + timedelta(days=10))
        later = today() + timedelta(days=11)
        assert indexing.refresh_expired(today()) == 0
        # Eleven days on, the 5-star one has ended; the 4-star one takes its place.
        from unittest import mock

        with mock.patch("marketplace.search.documents.today", return_value=later):
            assert indexing.refresh_expired(later) == 1
        document = db.session.get(SearchDocument, listing_id)
        db.session.refresh(document)
        assert (document.ocop_stars, document.ocop_until) == (4, today() + timedelta(days=700))
