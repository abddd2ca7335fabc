"""Request tests for the profile steps, uploads, documents, admin review and public page."""

import io
import re

from PIL import Image
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Organization, OrganizationPhoto, VerificationStatus
from tests.factories import (
    PDF_BYTES,
    admin_actor,
    fill_coop_profile,
    jpeg_with_gps,
    login,
    make_person,
    png_header_only,
)


def _org(app, person) -> Organization:
    with app.app_context():
        organization = db.session.get_one(Organization, person.organization_id)
        db.session.expunge(organization)
        return organization


def test_identity_step_saves_fields_and_the_private_document(app, client):
    owner = make_person(app)
    login(client, owner)
    url = f"/orgs/{owner.organization_id}/profile/identity"
    page = client.get(url).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "Mã số thuế" in page
    response = client.post(
        url,
        data={
            "version": "1",
            "name": "HTX Sâm Lai Châu",
            "legal_name": "Hợp tác xã Sâm Lai Châu",
            "registration_number": "6201234567",
            "tax_code": "6201234567001",
            "founded_on": "2016-03-08",
            "registration_document": (io.BytesIO(PDF_BYTES), "giay-phep.pdf"),
            "next": "1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile/address")
    organization = _org(app, owner)
    assert organization.tax_code == "6201234567-001"
    assert organization.registration_document_key.startswith(
        f"private/orgs/{owner.organization_id}/"
    )
    assert "giay-phep" not in organization.registration_document_key
    # Members get a short-lived link that works; the bare file URL does not.
    link = client.get(f"/orgs/{owner.organization_id}/registration-document")
    assert link.status_code == 302
    assert client.get(link.headers["Location"]).get_data() == PDF_BYTES
    assert client.get("/media/" + organization.registration_document_key).status_code == 403
    outsider = app.test_client()
    login(outsider, make_person(app))
    assert outsider.get(f"/orgs/{owner.organization_id}/registration-document").status_code == 404


def test_bad_identity_input_keeps_what_was_typed_and_saves_nothing(app, client):
    owner = make_person(app)
    login(client, owner)
    response = client.post(
        f"/orgs/{owner.organization_id}/profile/identity",
        data={
            "version": "1",
            "name": "HTX Sâm",
            "legal_name": "Hợp tác xã Sâm",
            "tax_code": "12345",
            "registration_document": (io.BytesIO(b"MZ\x90\x00 evil.exe"), "giay-phep.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Mã số thuế gồm 10 chữ số" in page
    assert "Hãy tải lên ảnh (JPEG, PNG hoặc WebP) hoặc tệp PDF" in page
    assert 'value="Hợp tác xã Sâm"' in page and 'value="12345"' in page
    assert _org(app, owner).legal_name is None


def test_old_province_name_maps_to_the_new_province(app, client):
    owner = make_person(app)
    login(client, owner)
    response = client.post(
        f"/orgs/{owner.organization_id}/profile/address",
        data={
            "version": "1",
            "province": "Hà Giang",
            "commune": "Xã Hồ Thầu",
            "street": "Thôn Nậm Hồng",
        },
    )
    assert response.status_code == 302
    assert _org(app, owner).province_code == "tuyen-quang"
    page = client.get(f"/orgs/{owner.organization_id}/profile/address").get_data(as_text=True)
    assert 'value="Tuyên Quang"' in page
    bad = client.post(
        f"/orgs/{owner.organization_id}/profile/address",
        data={"version": "2", "province": "Atlantis", "commune": "X", "street": "Y"},
    )
    assert bad.status_code == 422 and 'value="Atlantis"' in bad.get_data(as_text=True)


def test_a_stale_form_says_so_and_keeps_the_typed_values(app, client):
    owner = make_person(app)
    login(client, owner)
    url = f"/orgs/{owner.organization_id}/profile/address"
    assert (
        client.post(
            url, data={"version": "1", "province": "Lai Châu", "commune": "A", "street": "B"}
        ).status_code
        == 302
    )
    stale = client.post(
        url, data={"version": "1", "province": "Sơn La", "commune": "C", "street": "D"}
    )
    assert stale.status_code == 422
    page = stale.get_data(as_text=True)
    assert "Hồ sơ vừa được người khác thay đổi" in page and 'value="Sơn La"' in page
    assert 'name="version" type="hidden" value="2"' in page


def test_photos_are_cleaned_resized_and_public(app, client):
    owner = make_person(app)
    login(client, owner)
    response = client.post(
        f"/orgs/{owner.organization_id}/profile/photos",
        data={"file": (io.BytesIO(jpeg_with_gps()), "IMG_0001.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        photo = db.session.scalar(select(OrganizationPhoto))
        key = photo.key_prefix
    served = app.test_client().get(f"/media/{key}-800.webp")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    with Image.open(io.BytesIO(served.get_data())) as image:
        assert image.width == 800 and not image.getexif()
    page = client.get(f"/orgs/{owner.organization_id}/profile/story").get_data(as_text=True)
    assert f"/media/{key}-320.webp" in page
    bomb = client.post(
        f"/orgs/{owner.organization_id}/profile/photos",
        data={"file": (io.BytesIO(png_header_only(14_142, 14_142)), "bomb.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Ảnh có kích thước điểm ảnh quá lớn" in bomb.get_data(as_text=True)
    too_big = client.post(
        f"/orgs/{owner.organization_id}/profile/photos",
        data={"file": (io.BytesIO(b"\xff\xd8\xff" + b"0" * (11 * 1024 * 1024)), "big.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert too_big.status_code == 200 and "Tệp quá lớn" in too_big.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(OrganizationPhoto)).all()) == 1


def test_overview_lists_what_is_missing_and_submission_works_when_complete(app, client):
    owner = make_person(app)
    login(client, owner)
    page = client.get(f"/orgs/{owner.organization_id}/profile").get_data(as_text=True)
    assert 'id="missing"' in page and "Bên mua cần mã số thuế để xuất hóa đơn" in page
    fill_coop_profile(app, owner)
    page = client.get(f"/orgs/{owner.organization_id}/profile").get_data(as_text=True)
    assert 'id="missing"' not in page and "Gửi xác minh" in page
    response = client.post(f"/orgs/{owner.organization_id}/profile/submit", follow_redirects=True)
    assert "Đã gửi xác minh" in response.get_data(as_text=True)
    assert _org(app, owner).verification_status is VerificationStatus.SUBMITTED


def test_admin_reviews_and_the_public_page_appears(app, client, mailbox):
    owner = make_person(app, organization_name="HTX Sâm Lai Châu")
    boss = admin_actor(app)
    fill_coop_profile(app, owner)
    login(client, owner)
    client.post(f"/orgs/{owner.organization_id}/profile/submit")
    client.post(
        f"/orgs/{owner.organization_id}/certificates/new",
        data={
            "kind": "ocop",
            "number": "QĐ 123/QĐ-UBND",
            "issuer": "UBND tỉnh Lai Châu",
            "issued_on": "2025-01-10",
            "expires_on": "2028-01-10",
            "ocop_stars": "4",
            "product_name": "Rượu sâm Lai Châu",
            "document": (io.BytesIO(PDF_BYTES), "ocop.pdf"),
        },
        content_type="multipart/form-data",
    )
    organization = _org(app, owner)
    assert client.get(f"/htx/{organization.slug}").status_code == 404  # not public before approval

    admin = app.test_client()
    login(admin, boss)
    queue = admin.get("/admin/verifications").get_data(as_text=True)
    assert "HTX Sâm Lai Châu" in queue and 'id="queue-certificates"' in queue
    review = admin.get(f"/admin/verifications/{owner.organization_id}").get_data(as_text=True)
    assert "<iframe" in review and "/media/private/orgs/" in review and "signature=" in review
    empty_reject = admin.post(
        f"/admin/verifications/{owner.organization_id}/decide",
        data={"action": "reject", "note": ""},
    )
    assert empty_reject.status_code == 422 and "Nêu lý do từ chối" in empty_reject.get_data(
        as_text=True
    )
    with app.app_context():
        from marketplace.models import Certificate

        cert_id = db.session.scalar(select(Certificate.id))
    assert (
        admin.post(f"/admin/certificates/{cert_id}/decide", data={"action": "approve"}).status_code
        == 302
    )
    response = admin.post(
        f"/admin/verifications/{owner.organization_id}/decide",
        data={"action": "approve", "note": ""},
    )
    assert response.status_code == 302
    assert "đã được xác minh" in mailbox.to(owner.email)[-1]["Subject"]

    public = app.test_client().get(f"/htx/{organization.slug}")
    assert public.status_code == 200
    page = public.get_data(as_text=True)
    assert 'id="verified-badge"' in page and "Lai Châu" in page
    assert "OCOP ★★★★" in page and "Rượu sâm Lai Châu" in page
    assert '<meta property="og:title" content="HTX Sâm Lai Châu · Lai Châu">' in page
    assert re.search(
        r'<meta property="og:url" content="http://localhost/htx/htx-sam-lai-chau', page
    )


def test_team_roles_from_the_dashboard(app, client):
    owner = make_person(app)
    login(client, owner)
    with app.app_context():
        from marketplace.models import Membership

        own_id = db.session.scalar(select(Membership.id).where(Membership.user_id == owner.id))
    response = client.post(
        f"/orgs/{owner.organization_id}/members/{own_id}/role",
        data={"role": "staff"},
        follow_redirects=True,
    )
    assert "Đơn vị cần có chủ sở hữu" in response.get_data(as_text=True)
    response = client.post(
        f"/orgs/{owner.organization_id}/members/{own_id}/remove", follow_redirects=True
    )
    assert "Đơn vị cần có chủ sở hữu" in response.get_data(as_text=True)


def test_buyer_keeps_several_delivery_locations(app, client):
    from marketplace.models import DeliveryLocation, OrgKind

    buyer = make_person(app, kind=OrgKind.BUYER, organization_name="Xanh Mart")
    login(client, buyer)
    page = client.get(f"/orgs/{buyer.organization_id}/profile").get_data(as_text=True)
    assert "Địa điểm nhận hàng" in page and "Người đại diện" not in page
    url = f"/orgs/{buyer.organization_id}/locations"
    bad = client.post(
        url, data={"name": "Kho Long Biên", "province": "Mars", "commune": "", "street": "Số 5"}
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert (
        "Chọn một trong 34 tỉnh" in text
        and 'value="Kho Long Biên"' in text
        and 'value="Mars"' in text
    )
    for name, province in (("Xanh Mart Cầu Giấy", "Hà Nội"), ("Kho Thủ Đức", "Bình Dương")):
        ok = client.post(
            url, data={"name": name, "province": province, "commune": "Phường A", "street": "Số 1"}
        )
        assert ok.status_code == 302
    with app.app_context():
        codes = sorted(loc.province_code for loc in db.session.scalars(select(DeliveryLocation)))
    assert codes == ["ha-noi", "ho-chi-minh"]
    # The buyer's profile has no co-op steps.
    assert client.get(f"/orgs/{buyer.organization_id}/profile/people").status_code == 404


def test_removed_photos_are_deleted_from_storage_after_the_commit(app, client):
    owner = make_person(app)
    login(client, owner)
    client.post(
        f"/orgs/{owner.organization_id}/profile/photos",
        data={"file": (io.BytesIO(jpeg_with_gps(400, 300)), "a.jpg")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        photo = db.session.scalar(select(OrganizationPhoto))
        photo_id, key = photo.id, photo.key_prefix
        storage = app.extensions["storage"]
        assert storage.exists(f"{key}-320.webp")
    response = client.post(f"/orgs/{owner.organization_id}/profile/photos/{photo_id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(OrganizationPhoto, photo_id) is None
        assert not storage.exists(f"{key}-320.webp") and not storage.exists(f"{key}-1600.webp")


def test_an_image_stored_for_a_refused_change_is_deleted_again(app):
    import os

    from marketplace.extensions import db as _db
    from marketplace.models import User
    from marketplace.services.accounts import profiles, verification
    from marketplace.services.context import Actor
    from marketplace.services.errors import ValidationFailed

    owner = make_person(app)
    fill_coop_profile(app, owner)
    with app.app_context():
        me = Actor(user=_db.session.get_one(User, owner.id))
        verification.submit(me, owner.organization_id)  # under review: no edits
        try:
            profiles.add_photo(me, owner.organization_id, jpeg_with_gps(400, 300))
        except ValidationFailed as exc:
            assert "status" in exc.errors
        else:
            raise AssertionError("a profile under review must refuse new photos")
    # Once the unit of work ends, the files stored for the refused change are deleted.
    root = os.path.join(
        app.extensions["storage"].root, f"public/orgs/{owner.organization_id}/photos"
    )
    left = os.listdir(root) if os.path.isdir(root) else []
    assert left == [], left
