"""Listings: prices and tiers, states, photos, certificates, lots and QR codes, public pages."""

import io
import json
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditEntry, Listing, ListingStatus, Lot, OrgKind, Role
from marketplace.parsing import parse_vnd
from marketplace.services.accounts import certificates, verification
from marketplace.services.catalogue import listings
from marketplace.services.catalogue.listings import ListingTransitionNotAllowed
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.validation import InvalidValue
from marketplace.vietnam import today
from tests.factories import (
    PDF_BYTES,
    actor_for,
    add_member,
    admin_actor,
    category_id,
    count_queries,
    jpeg,
    jpeg_with_gps,
    listing_data,
    login,
    make_person,
    published_listing,
    verified_coop,
)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("180000", 180000),
        ("180.000", 180000),
        ("180,000 ₫", 180000),
        ("1 250 000", 1250000),
        ("1.250.000đ", 1250000),
        (95000, 95000),
    ],
)
def test_prices_as_people_type_them(typed, value):
    assert parse_vnd(typed) == value


@pytest.mark.parametrize("typed", ["180.5", "180,50", "-5", "0", "abc", "", "2.000.000.000"])
def test_bad_prices(app, typed):
    with app.test_request_context(), pytest.raises(InvalidValue):
        parse_vnd(typed)


@pytest.mark.parametrize(
    ("typed", "words"),
    [("abc", "Nhập số tiền bằng đồng"), ("12,5", "Số tiền bằng đồng không có phần thập phân")],
)
def test_a_sum_of_money_is_called_an_amount_not_a_price(app, typed, words):
    from marketplace.parsing import amount_of

    with app.test_request_context(), pytest.raises(InvalidValue) as refused:
        amount_of(typed, at_most=10_000_000)
    assert words in str(refused.value)
    with app.test_request_context(), pytest.raises(InvalidValue) as refused:
        parse_vnd(typed)
    assert "Giá" in str(refused.value) or "giá" in str(refused.value)


def test_the_listing_state_table():
    S = ListingStatus
    assert listings.next_listing_status(S.DRAFT, "publish") is S.PUBLISHED
    assert listings.next_listing_status(S.PAUSED, "publish") is S.PUBLISHED
    assert listings.next_listing_status(S.TAKEN_DOWN, "restore") is S.DRAFT
    for action in ("publish", "pause", "take_down", "restore"):
        with pytest.raises(ListingTransitionNotAllowed):
            listings.next_listing_status(S.ARCHIVED, action)


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([("100", "190.000"), ("500", "195.000")], "phải giảm"),  # price rises with quantity
        ([("10", "190.000")], "tối thiểu"),  # below the minimum order of 24
        ([("100", "200.000")], "phải giảm"),  # not below the base price
        ([("100", "180.000"), ("100", "170.000")], "cùng một số lượng"),
        ([("100", "180,5")], "thập phân"),
    ],
)
def test_inconsistent_tiers_are_refused_and_nothing_is_saved(app, tiers, message):
    coop = make_person(app)
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            listings.create_listing(
                actor_for(coop), coop.organization_id, listing_data(tiers=tiers)
            )
        text = " ".join(str(v) for v in exc.value.errors.values())
        assert message in text
        assert db.session.scalar(select(Listing.id)) is None


def test_unverified_co_op_drafts_but_cannot_publish(app):
    coop = make_person(app)
    with app.app_context():
        me = actor_for(coop)
        # No province on the profile yet: the form must name one (an old name works).
        with pytest.raises(ValidationFailed) as exc:
            listings.create_listing(me, coop.organization_id, listing_data(origin_province=""))
        assert "origin_province" in exc.value.errors
        listing = listings.create_listing(
            me, coop.organization_id, listing_data(origin_province="Hà Giang")
        )
        assert listing.status is ListingStatus.DRAFT
        assert listing.origin_province_code == "tuyen-quang"
        listings.add_photo(me, coop.organization_id, listing.id, jpeg())
        with pytest.raises(ValidationFailed) as exc:
            listings.change_state(me, coop.organization_id, listing.id, "publish")
        assert "đã xác minh" in str(exc.value.errors["status"])


def test_only_co_ops_managers_edit_and_other_co_ops_get_404(app):
    coop = verified_coop(app)
    staff = add_member(app, coop.organization_id, Role.STAFF)
    other = make_person(app)
    buyer = make_person(app, kind=OrgKind.BUYER)
    with app.app_context():
        listing = listings.create_listing(actor_for(coop), coop.organization_id, listing_data())
        with pytest.raises(PermissionDenied):
            listings.update_listing(
                actor_for(staff), coop.organization_id, listing.id, listing_data()
            )
        with pytest.raises(NotFound):
            listings.update_listing(
                actor_for(other), coop.organization_id, listing.id, listing_data()
            )
        with pytest.raises(NotFound):  # another co-op's listing through one's own organisation
            listings.update_listing(
                actor_for(other), other.organization_id, listing.id, listing_data()
            )
        with pytest.raises(NotFound):
            listings.create_listing(actor_for(buyer), buyer.organization_id, listing_data())


def test_certificates_must_be_ones_own_verified_and_valid(app):
    coop = verified_coop(app)
    other = verified_coop(app, organization_name="HTX Khác")
    boss = admin_actor(app)
    with app.app_context():

        def add_cert(person, number, approve=True, expires=date(2030, 1, 1)):
            cert = certificates.add_certificate(
                actor_for(person),
                person.organization_id,
                certificates.CertificateData(
                    kind="ocop",
                    number=number,
                    issuer="UBND tỉnh",
                    issued_on=date(2024, 1, 1),
                    expires_on=expires,
                    ocop_stars=4,
                    product_name="Rượu sâm",
                ),
                PDF_BYTES,
            )
            if approve:
                verification.review_certificate(actor_for(boss), cert.id, "approve")
            return cert.id

        mine = add_cert(coop, "QĐ-1")
        pending = add_cert(coop, "QĐ-2", approve=False)
        theirs = add_cert(other, "QĐ-3")
        for bad in ([theirs], [pending], [mine, 99999]):
            with pytest.raises(ValidationFailed) as exc:
                listings.create_listing(
                    actor_for(coop), coop.organization_id, listing_data(certificate_ids=bad)
                )
            assert "certificate_ids" in exc.value.errors
        listing = listings.create_listing(
            actor_for(coop), coop.organization_id, listing_data(certificate_ids=[mine])
        )
        assert [c.id for c in listing.certificates] == [mine]


def test_photos_order_main_and_the_eleventh_is_refused(app):
    coop = verified_coop(app)
    with app.app_context():
        me = actor_for(coop)
        listing = listings.create_listing(me, coop.organization_id, listing_data())
        photos = [
            listings.add_photo(me, coop.organization_id, listing.id, jpeg(color=(i * 20, 80, 80)))
            for i in range(10)
        ]
        with pytest.raises(ValidationFailed) as exc:
            listings.add_photo(me, coop.organization_id, listing.id, jpeg())
        assert "Tối đa 10 ảnh" in str(exc.value.errors["file"])
        listings.move_photo(me, coop.organization_id, listing.id, photos[3].id, "main")
        assert listing.main_photo.id == photos[3].id
        listings.move_photo(me, coop.organization_id, listing.id, photos[3].id, "down")
        assert [p.id for p in listing.photos][:2] == [photos[0].id, photos[3].id]
        listings.remove_photo(me, coop.organization_id, listing.id, photos[0].id)
        assert [p.position for p in listing.photos] == list(range(9))


def test_publish_pause_archive_duplicate_quick_edit(app):
    coop = verified_coop(app)
    with app.app_context():
        me = actor_for(coop)
        listing = listings.create_listing(me, coop.organization_id, listing_data())
        with pytest.raises(ValidationFailed) as exc:
            listings.change_state(me, coop.organization_id, listing.id, "publish")
        assert "ít nhất một ảnh" in str(exc.value.errors["status"])
        listings.add_photo(me, coop.organization_id, listing.id, jpeg())
        listings.change_state(me, coop.organization_id, listing.id, "publish")
        assert listing.status is ListingStatus.PUBLISHED and listing.published_at
        listings.change_state(me, coop.organization_id, listing.id, "pause")
        listings.change_state(me, coop.organization_id, listing.id, "publish")
        with pytest.raises(ValidationFailed) as exc:
            listings.quick_update(
                me, coop.organization_id, listing.id, base_price="170.000", monthly_capacity="100"
            )
        assert "base_price" in exc.value.errors  # below the first tier's price
        listings.quick_update(
            me, coop.organization_id, listing.id, base_price="210.000", monthly_capacity="3000"
        )
        assert (listing.base_price, listing.monthly_capacity) == (210000, 3000)
        copy = listings.duplicate_listing(me, coop.organization_id, listing.id)
        assert copy.status is ListingStatus.DRAFT and copy.slug != listing.slug
        assert [(t.min_quantity, t.unit_price) for t in copy.tiers] == [
            (100, 180000),
            (500, 165000),
        ]
        listings.change_state(me, coop.organization_id, listing.id, "archive")
        with pytest.raises(ListingTransitionNotAllowed):
            listings.change_state(me, coop.organization_id, listing.id, "publish")
        with pytest.raises(NotFound):
            listings.change_state(me, coop.organization_id, copy.id, "take_down")


def test_admin_takes_down_with_a_reason_and_the_co_op_is_told(app, mailbox):
    coop = verified_coop(app)
    boss = admin_actor(app)
    with app.app_context():
        me = actor_for(coop)
        listing = listings.create_listing(me, coop.organization_id, listing_data())
        listings.add_photo(me, coop.organization_id, listing.id, jpeg())
        listings.change_state(me, coop.organization_id, listing.id, "publish")
        with pytest.raises(PermissionDenied):
            listings.take_down(me, listing.id, "tự gỡ")
        with pytest.raises(ValidationFailed):
            listings.take_down(actor_for(boss), listing.id, " ")
        listings.take_down(actor_for(boss), listing.id, "Ảnh không đúng sản phẩm")
        assert listing.status is ListingStatus.TAKEN_DOWN
        with pytest.raises(ValidationFailed):
            listings.update_listing(me, coop.organization_id, listing.id, listing_data())
        with pytest.raises(NotFound):
            listings.public_listing(listing.slug)
        listings.restore(actor_for(boss), listing.id)
        assert listing.status is ListingStatus.DRAFT
    message = mailbox.to(coop.email)[-1]
    assert "bị gỡ" in message["Subject"] and "Ảnh không đúng sản phẩm" in mailbox.body(message)


def test_public_listing_page(app, client):
    coop = verified_coop(app, organization_name="HTX Sâm Lai Châu")
    _, slug = published_listing(app, coop)
    page = client.get(f"/p/{slug}").get_data(as_text=True)
    assert "Rượu sâm Lai Châu" in page
    assert re.search(r"Từ 100 chai</th><td>180\.000\s₫/chai", page)
    assert re.search(r"Từ 24 chai</th><td>200\.000\s₫/chai", page)
    assert '<meta property="og:type" content="product">' in page
    assert "zalo.me/share" in page and "facebook.com/sharer" in page
    data_ld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    )
    assert data_ld["@type"] == "Product" and data_ld["offers"]["lowPrice"] == 165000
    assert data_ld["offers"]["priceCurrency"] == "VND" and data_ld["image"][0].startswith("http")
    assert "Rượu sâm Lai Châu" in client.get("/").get_data(as_text=True)
    assert "Rượu sâm Lai Châu" in client.get("/c/ruou-do-uong").get_data(as_text=True)
    assert client.get("/p/khong-co").status_code == 404


def test_cards_show_the_bulk_range_and_a_change_at_once(app, client):
    """Cards on the category, co-op and home pages are read from the search projection,
    which changes with the listing in the same transaction."""
    coop = verified_coop(app, organization_name="HTX Sâm Lai Châu")
    listing_id, slug = published_listing(app, coop)

    def card_price(path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        card = re.search(rf'href="/p/{slug}".*?<span class="price">(.*?)</span>', page, re.S)
        return re.sub(r"\s+", " ", card.group(1))

    with app.app_context():
        coop_slug = db.session.get_one(Listing, listing_id).organization.slug
    for path in ("/c/ruou-do-uong", f"/htx/{coop_slug}"):
        assert card_price(path) == "165.000 ₫ – 200.000 ₫ / chai", path
    with app.app_context():
        listings.update_listing(
            actor_for(coop), coop.organization_id, listing_id,
            listing_data(base_price="210.000", tiers=[]),
        )  # fmt: skip
        db.session.commit()
    for path in ("/c/ruou-do-uong", f"/htx/{coop_slug}"):
        assert card_price(path) == "210.000 ₫ / chai", path


def test_listing_and_category_pages_run_a_constant_number_of_queries(app, client):
    coop = verified_coop(app)
    small_id, small = published_listing(app, coop, photos=1, tiers=[("100", "180.000")])
    big_id, big = published_listing(
        app,
        coop,
        photos=6,
        tiers=[
            ("100", "190.000"),
            ("200", "185.000"),
            ("300", "180.000"),
            ("400", "175.000"),
            ("500", "170.000"),
        ],
    )
    client.get(f"/p/{small}")  # warm up
    with count_queries(app) as few:
        client.get(f"/p/{small}")
    with count_queries(app) as many:
        client.get(f"/p/{big}")
    assert len(few) == len(many), (few, many)
    with count_queries(app) as two:
        assert client.get("/c/ruou-do-uong").status_code == 200
    for _ in range(46):
        published_listing(app, coop, photos=2)
    with count_queries(app) as full_page:
        page = client.get("/c/ruou-do-uong").get_data(as_text=True)
    assert page.count('class="card listing-card"') == 48
    assert len(two) == len(full_page), (two, full_page)


def test_lots_qr_codes_and_traceability(app, client):
    coop = verified_coop(app, organization_name="HTX Sâm Lai Châu")
    boss = admin_actor(app)
    listing_id, _ = published_listing(app, coop)
    with app.app_context():
        me = actor_for(coop)
        cert = certificates.add_certificate(
            me,
            coop.organization_id,
            certificates.CertificateData(
                kind="vietgap",
                number="VG-7",
                issuer="Trung tâm",
                issued_on=date(2024, 1, 1),
                expires_on=date(2030, 1, 1),
            ),
            PDF_BYTES,
        )
        verification.review_certificate(actor_for(boss), cert.id, "approve")
        lot_data = listings.LotData(
            code="L-2026-01",
            produced_on=today() - timedelta(days=3),
            quantity="500",
            best_before=today() + timedelta(days=700),
            farm_location="Vườn sâm bản Nậm Khao, 1.800 m",
        )
        for bad, field in (
            (
                listings.LotData(code="", produced_on=today() + timedelta(days=1), quantity="0"),
                {"code", "produced_on", "quantity"},
            ),
            (
                listings.LotData(
                    code="X",
                    produced_on=today(),
                    quantity="5",
                    best_before=today() - timedelta(days=1),
                ),
                {"best_before"},
            ),
        ):
            with pytest.raises(ValidationFailed) as exc:
                listings.create_lot(me, coop.organization_id, listing_id, bad, None)
            assert set(exc.value.errors) == field
        with pytest.raises(ValidationFailed) as exc:
            listings.create_lot(me, coop.organization_id, listing_id, lot_data, b"MZ\x90 exe")
        assert "lab_document" in exc.value.errors
        lot = listings.create_lot(me, coop.organization_id, listing_id, lot_data, PDF_BYTES)
        code = lot.public_code
        with pytest.raises(ValidationFailed):
            listings.create_lot(
                me, coop.organization_id, listing_id, lot_data, None
            )  # same code twice
        assert db.session.scalar(select(Lot.id).where(Lot.public_code == code)) == lot.id
    page = client.get(f"/t/{code}").get_data(as_text=True)
    assert "Rượu sâm Lai Châu" in page and 'id="verified-badge"' in page and "Lai Châu" in page
    assert "Vườn sâm bản Nậm Khao" in page and "VG-7" in page and f"/t/{code}/lab" in page
    # The lab result is a private file, reached through the traceability page's link.
    with app.app_context():
        key = db.session.scalar(select(Lot.lab_document_key).where(Lot.public_code == code))
    assert key.startswith("private/lots/")
    assert client.get(f"/media/{key}").status_code == 403  # no way around the link
    lab = client.get(f"/t/{code}/lab")
    assert lab.status_code == 302
    assert client.get(lab.headers["Location"]).get_data() == PDF_BYTES
    png = client.get(f"/t/{code}/qr.png")
    assert png.mimetype == "image/png"
    with Image.open(io.BytesIO(png.get_data())) as image:
        assert image.width >= 200
    svg = client.get(f"/t/{code}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.get_data()
    assert client.get("/t/khong-co-lo-nay").status_code == 404
    assert client.get("/t/khong-co-lo-nay/qr.png").status_code == 404


def test_listing_form_keeps_what_was_typed_and_explains_tiers(app, client):
    coop = verified_coop(app)
    login(client, coop)
    with app.app_context():
        cat = category_id()
    form = {
        "title_vi": "Rượu sâm",
        "category_id": str(cat),
        "unit": "chai",
        "base_price": "200000,5",
        "min_order_quantity": "24",
        "monthly_capacity": "2000",
        "lead_time_days": "5",
        "tier_qty_1": "100",
        "tier_price_1": "210.000",
    }
    response = client.post(f"/orgs/{coop.organization_id}/listings/new", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (
        "không có phần thập phân" in page
        and 'value="Rượu sâm"' in page
        and 'value="210.000"' in page
    )
    form["base_price"] = "200.000"
    response = client.post(f"/orgs/{coop.organization_id}/listings/new", data=form)
    assert response.status_code == 422 and "Đơn giá phải giảm" in response.get_data(as_text=True)
    form["tier_price_1"] = "180.000"
    response = client.post(f"/orgs/{coop.organization_id}/listings/new", data=form)
    assert response.status_code == 302
    other = app.test_client()
    login(other, make_person(app))
    listing_url = response.headers["Location"]
    assert other.get(listing_url).status_code == 404


def test_csv_export_and_import_with_a_per_row_report(app, client):
    coop = verified_coop(app)
    listing_id, _ = published_listing(app, coop)
    login(client, coop)
    exported = client.get(f"/orgs/{coop.organization_id}/listings.csv")
    assert exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert (
        text.startswith("\ufeff")
        and "Rượu sâm Lai Châu" in text
        and "100:180000;500:165000" in text
    )
    rows = text.lstrip("\ufeff").splitlines()
    header, first = rows[0], rows[1]
    changed = first.replace("200000", "210000")
    new_good = ",Mật ong rừng,,mat-ong,chai,500 ml,190.000,100:170000,24,500,3,730,,,Sơn La,,,draft"
    new_bad = ",Mật ong giả,,mat-ong,chai,,150.000,100:160000,24,500,3,,,,Sơn La,,,draft"
    not_mine = "999999,Của người khác,,mat-ong,chai,,150000,,1,10,1,,,,Sơn La,,,draft"
    upload = "\n".join([header, changed, new_good, new_bad, not_mine]).encode("utf-8")
    response = client.post(
        f"/orgs/{coop.organization_id}/listings/import",
        data={"file": (io.BytesIO(upload), "san-pham.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    report = response.get_data(as_text=True)
    assert report.count('class="row--updated"') == 1
    assert report.count('class="row--created"') == 1
    assert report.count('class="row--error"') == 2 and "phải giảm" in report
    with app.app_context():
        titles = set(db.session.scalars(select(Listing.title_vi)))
        assert titles == {"Rượu sâm Lai Châu", "Mật ong rừng"}
        assert db.session.get(Listing, listing_id).base_price == 210000
    bad_file = client.post(
        f"/orgs/{coop.organization_id}/listings/import",
        data={"file": (io.BytesIO("tên;giá\n".encode("utf-16")), "x.csv")},
        content_type="multipart/form-data",
    )
    assert bad_file.status_code == 422 and "mã UTF-8" in bad_file.get_data(as_text=True)


def test_updating_a_listing_with_the_same_tiers_works(app):
    coop = verified_coop(app)
    with app.app_context():
        me = actor_for(coop)
        listing = listings.create_listing(me, coop.organization_id, listing_data())
        listings.update_listing(me, coop.organization_id, listing.id, listing_data())
        listings.update_listing(
            me, coop.organization_id, listing.id, listing_data(tiers=[("100", "185.000")])
        )
        assert [(t.min_quantity, t.unit_price) for t in listing.tiers] == [(100, 185000)]


def test_admin_sees_taken_down_listings_and_gives_them_back(app, client):
    coop = verified_coop(app)
    boss = admin_actor(app)
    listing_id, slug = published_listing(app, coop)
    admin = app.test_client()
    login(admin, boss)
    page = admin.get(f"/p/{slug}").get_data(as_text=True)
    assert "Gỡ sản phẩm này" in page
    assert "Gỡ sản phẩm này" not in client.get(f"/p/{slug}").get_data(as_text=True)
    response = admin.post(
        f"/admin/listings/{listing_id}/take-down", data={"reason": "Sai danh mục"}
    )
    assert response.status_code == 302
    assert client.get(f"/p/{slug}").status_code == 404
    dashboard = admin.get("/admin/").get_data(as_text=True)
    assert "Sai danh mục" in dashboard
    assert admin.post(f"/admin/listings/{listing_id}/restore").status_code == 302
    with app.app_context():
        assert db.session.get(Listing, listing_id).status is ListingStatus.DRAFT


def test_expired_certificates_stop_showing_on_listings_and_are_not_copied(app, client):
    from marketplace.models import Certificate

    coop = verified_coop(app)
    boss = admin_actor(app)
    with app.app_context():
        cert = certificates.add_certificate(
            actor_for(coop),
            coop.organization_id,
            certificates.CertificateData(
                kind="ocop",
                number="QĐ-9",
                issuer="UBND",
                issued_on=date(2024, 1, 1),
                expires_on=today() + timedelta(days=30),
                ocop_stars=5,
                product_name="Rượu",
            ),
            PDF_BYTES,
        )
        verification.review_certificate(actor_for(boss), cert.id, "approve")
        cert_id = cert.id
    listing_id, slug = published_listing(app, coop, certificate_ids=[cert_id])
    assert "OCOP ★★★★★" in client.get(f"/p/{slug}").get_data(as_text=True)
    with app.app_context():
        db.session.get(Certificate, cert_id).expires_on = today()
        db.session.commit()
        copy = listings.duplicate_listing(actor_for(coop), coop.organization_id, listing_id)
        assert copy.certificates == []
    assert "★★★★★" not in client.get(f"/p/{slug}").get_data(as_text=True)
    assert "★★★★★" not in client.get("/").get_data(as_text=True)


def test_csv_import_refuses_a_broken_file_whole_and_exports_are_formula_safe(app, client):
    coop = verified_coop(app)
    login(client, coop)
    url = f"/orgs/{coop.organization_id}/listings/import"
    header = "id,title_vi,category,unit,base_price,monthly_capacity,origin_province"
    good = ",Mật ong,mat-ong,chai,190000,500,Sơn La"
    too_many = "\n".join([header] + [good] * 501).encode()
    response = client.post(
        url, data={"file": (io.BytesIO(too_many), "a.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "Tối đa 500 dòng" in response.get_data(as_text=True)
    with_nul = (
        header + "\n" + good + "\n,\x00Bad,mat-ong,chai,1,1,Sơn La\n²,X,mat-ong,chai,1,1,Sơn La"
    ).encode()
    response = client.post(
        url, data={"file": (io.BytesIO(with_nul), "b.csv")}, content_type="multipart/form-data"
    )
    # Row by row: the NUL is dropped from the title; an id that is no number is no listing.
    assert response.status_code == 200
    with app.app_context():
        assert sorted(db.session.scalars(select(Listing.title_vi))) == ["Bad", "Mật ong"]
    assert "Không có sản phẩm nào của bạn mang id này." in response.get_data(as_text=True)
    formula = (header + "\n" + ',=HYPERLINK("http://x"),mat-ong,chai,190000,500,Sơn La').encode()
    client.post(
        url, data={"file": (io.BytesIO(formula), "c.csv")}, content_type="multipart/form-data"
    )
    exported = client.get(f"/orgs/{coop.organization_id}/listings.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in exported and ",=HYPERLINK" not in exported


def test_photographed_lab_tests_lose_their_exif(app):
    from PIL import Image as PILImage

    coop = verified_coop(app)
    listing_id, _ = published_listing(app, coop)
    with app.app_context():
        lot = listings.create_lot(
            actor_for(coop),
            coop.organization_id,
            listing_id,
            listings.LotData(code="L9", produced_on=today(), quantity="5"),
            jpeg_with_gps(),
        )
        data = app.extensions["storage"].get(lot.lab_document_key)
    with PILImage.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP" and not image.getexif()


def test_a_double_tap_on_save_creates_one_listing(app, client):
    coop = verified_coop(app)
    login(client, coop)
    url = f"/orgs/{coop.organization_id}/listings/new"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    with app.app_context():
        cat = category_id()
    form = {
        "submission": token,
        "title_vi": "Mật ong",
        "category_id": str(cat),
        "unit": "chai",
        "base_price": "190000",
        "min_order_quantity": "1",
        "monthly_capacity": "100",
        "lead_time_days": "1",
        "origin_province": "Sơn La",
    }
    assert client.post(url, data=form).status_code == 302
    again = client.post(url, data=form, follow_redirects=True)
    assert "đã được lưu" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Listing)) == 1
    # A form shown again after a mistake carries a new token, so the corrected one goes through.
    bad = client.post(url, data=form | {"submission": "t2", "base_price": "abc"})
    fresh = re.search(r'name="submission" value="([^"]+)"', bad.get_data(as_text=True)).group(1)
    assert fresh not in ("t2", token)
    assert (
        client.post(url, data=form | {"submission": fresh, "title_vi": "Mật ong 2"}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Listing)) == 2


def test_home_page_product_cards_are_reused_for_a_short_while_per_language(app, client):
    coop = verified_coop(app)
    published_listing(app, coop, title_vi="Mật ong đầu tiên")
    app.config["HOME_CACHE_SECONDS"] = 30
    cache = app.extensions.setdefault("home_product_cache", {})
    cache.clear()
    try:
        assert "Mật ong đầu tiên" in client.get("/").get_data(as_text=True)
        published_listing(app, coop, title_vi="Mật ong thứ hai")
        assert "Mật ong thứ hai" not in client.get("/").get_data(as_text=True)  # cached
        english = app.test_client()
        english.set_cookie("lang", "en")
        assert "Mật ong thứ hai" in english.get("/").get_data(as_text=True)  # own cache
        cache.clear()
        assert "Mật ong thứ hai" in client.get("/").get_data(as_text=True)
    finally:
        app.config["HOME_CACHE_SECONDS"] = 0
        cache.clear()


def test_a_refusal_answered_with_a_redirect_keeps_nothing_the_use_case_flushed(
    app, client, monkeypatch
):
    """The request edge commits a redirect; what a refused use case flushed must not go with it."""
    coop = verified_coop(app)
    listing_id, _slug = published_listing(app, coop)
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        before = (listing.base_price, listing.monthly_capacity)
    real = listings.quick_update

    def flushes_then_refuses(*args, **kwargs):
        real(*args, **kwargs)  # changes the listing, writes its audit entry and flushes
        raise ValidationFailed({"base_price": "Refused after the flush."})

    monkeypatch.setattr(listings, "quick_update", flushes_then_refuses)
    login(client, coop)
    response = client.post(
        f"/orgs/{coop.organization_id}/listings/{listing_id}/quick",
        data={"base_price": "250.000", "monthly_capacity": "4000"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/orgs/{coop.organization_id}/listings")
    assert "Refused after the flush." in client.get(response.location).get_data(as_text=True)
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert (listing.base_price, listing.monthly_capacity) == before
        assert not db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "listing.quick_update")
        )


def test_nothing_of_an_unverified_co_op_is_public_and_public_files_are_not_immutable(app, client):
    """A never-verified co-op's lot has no traceability page and no QR code (404) until the
    co-op is verified; a public file that can be taken down is not cached for a year."""
    from marketplace.models import Organization, VerificationStatus

    coop = make_person(app, organization_name="HTX Chưa Duyệt")
    with app.app_context():
        me = actor_for(coop)
        listing = listings.create_listing(me, coop.organization_id, listing_data())
        photo = listings.add_photo(me, coop.organization_id, listing.id, jpeg(64, 48))
        lot = listings.create_lot(
            me,
            coop.organization_id,
            listing.id,
            listings.LotData(code="L1", produced_on=date(2026, 1, 5), quantity="10"),
            PDF_BYTES,
        )
        code, document = lot.public_code, f"{photo.key_prefix}-320.webp"
        db.session.commit()
    for path in (f"/t/{code}", f"/t/{code}/qr.png", f"/t/{code}/qr.svg", f"/t/{code}/lab"):
        assert client.get(path).status_code == 404, path

    with app.app_context():
        db.session.get_one(
            Organization, coop.organization_id
        ).verification_status = VerificationStatus.APPROVED
        db.session.commit()
    assert client.get(f"/t/{code}").status_code == 200
    assert client.get(f"/t/{code}/qr.png").status_code == 200
    assert client.get(f"/t/{code}/lab").status_code == 302
    served = client.get(f"/media/{document}")
    assert served.status_code == 200
    cache = served.headers["Cache-Control"]
    assert "immutable" not in cache and "max-age=3600" in cache, cache


def test_a_parent_category_pages_its_subcategories_newest_first(app):
    """A parent category's pages merge its subcategories' listings newest first, page after
    page, without repeating or skipping one (each subcategory read from its own index range)."""
    from marketplace.models import Category

    coop = verified_coop(app)
    with app.app_context():
        parent = db.session.scalar(
            select(Category).where(
                Category.id.in_(select(Category.parent_id).where(Category.parent_id.is_not(None)))
            )
        )
        children = list(
            db.session.scalars(select(Category.id).where(Category.parent_id == parent.id))
        )
        parent_id, slugs = parent.id, [parent.id, *children]
    made = []
    for i in range(7):
        listing_id, _slug = published_listing(
            app, coop, photos=1, title_vi=f"Sản phẩm {i}", category_id=slugs[i % len(slugs)]
        )
        made.append(listing_id)
    with app.app_context():
        parent = db.session.get_one(Category, parent_id)
        pages = [listings.category_listings(parent, limit=3, offset=o) for o in (0, 3, 6)]
        totals = [total for _page, total in pages]
        seen = [listing.id for page, _total in pages for listing in page]
    assert totals == [7, 7, 7]
    assert seen == list(reversed(made))
