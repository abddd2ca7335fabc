"""Uploads are judged by their bytes; images lose their EXIF and get resized variants."""

import io

import pytest
from PIL import Image

from marketplace.storage.uploads import check_upload, new_key, prepare_image, sniff
from marketplace.validation import InvalidValue
from tests.factories import jpeg_with_gps, png_header_only

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_sniffing_by_content():
    assert sniff(jpeg_with_gps(10, 10)) == "jpeg"
    assert sniff(png_header_only(10, 10)) == "png"
    assert sniff(PDF) == "pdf"
    assert sniff(b"MZ\x90\x00 this is a windows program") is None
    assert sniff(b"\x7fELF\x02\x01\x01") is None


def test_a_photo_is_accepted_and_its_exif_is_gone(app):
    data = jpeg_with_gps()
    with app.test_request_context():
        checked = check_upload(data, allow_pdf=False)
        assert (checked.kind, checked.width, checked.height) == ("image", 1200, 900)
        variants = prepare_image(checked)
    assert set(variants) == {"320", "800", "1600", "original"}
    assert variants["320"].width == 320 and variants["800"].width == 800
    assert variants["1600"].width == 1200  # never enlarged
    for variant in variants.values():
        with Image.open(io.BytesIO(variant.data)) as image:
            assert image.format == "WEBP"
            assert not image.getexif(), "EXIF (and GPS) must be stripped"
            assert "exif" not in image.info


@pytest.mark.parametrize(
    ("data", "allow_pdf", "message"),
    [
        (b"", True, "empty"),
        (b"MZ\x90\x00" + b"\0" * 100, True, "JPEG, PNG or WebP) or a PDF"),
        (b"\x7fELF" + b"\0" * 100, True, "or a PDF"),
        (PDF, False, "JPEG, PNG or WebP"),
        (b"%PDF-1.4\nno end marker", True, "damaged"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", True, "damaged"),
        (png_header_only(20_000, 10_000), False, "too large in pixels"),
        (png_header_only(14_142, 14_142), False, "too large in pixels"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(app, data, allow_pdf, message):
    with app.test_request_context(), pytest.raises(InvalidValue) as exc:
        check_upload(data, allow_pdf=allow_pdf)
    assert message in str(exc.value.message)


def test_size_limit(app):
    with app.test_request_context(), pytest.raises(InvalidValue) as exc:
        check_upload(PDF + b" " * 2048, allow_pdf=True, max_bytes=1024)
    assert "too large" in str(exc.value.message)


def test_a_pdf_is_accepted_as_a_document(app):
    with app.test_request_context():
        checked = check_upload(PDF, allow_pdf=True)
    assert (checked.kind, checked.content_type, checked.extension) == (
        "pdf",
        "application/pdf",
        "pdf",
    )


def test_keys_never_come_from_file_names():
    key = new_key("private/orgs/7/docs", "pdf")
    assert key.startswith("private/orgs/7/docs/") and key.endswith(".pdf")
    assert new_key("private/orgs/7/docs", "pdf") != key


def _assert_no_metadata(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif(), "EXIF (and GPS) must be stripped"
        assert "exif" not in image.info
    assert b"PhoneMaker" not in data


def test_private_photos_are_stored_without_their_gps_position(app):
    """A certificate photo and a registration document photographed by a phone are stored
    re-encoded: the bytes read back from storage carry no EXIF and no GPS."""
    from datetime import timedelta

    from marketplace.extensions import db
    from marketplace.models import Certificate, Organization
    from marketplace.services.accounts import certificates, profiles
    from marketplace.vietnam import today
    from tests.factories import actor_for, make_person

    owner = make_person(app)
    with app.app_context():
        me = actor_for(owner)
        certificate = certificates.add_certificate(
            me,
            owner.organization_id,
            certificates.CertificateData(
                kind="vietgap",
                number="VIETGAP-2025-017",
                issuer="Trung tâm Chứng nhận Phù hợp",
                issued_on=today() - timedelta(days=200),
                expires_on=today() + timedelta(days=500),
                ocop_stars=None,
                product_name="",
            ),
            jpeg_with_gps(),
        )
        profiles.save_identity(
            me,
            owner.organization_id,
            None,
            profiles.Identity(name="HTX Ảnh", legal_name="Hợp tác xã Ảnh", tax_code="6201234567"),
            registration_document=jpeg_with_gps(),
        )
        db.session.flush()
        storage = app.extensions["storage"]
        certificate = db.session.get(Certificate, certificate.id)
        _assert_no_metadata(storage.get(certificate.document_key))
        organization = db.session.get(Organization, owner.organization_id)
        _assert_no_metadata(storage.get(organization.registration_document_key))
        db.session.rollback()
