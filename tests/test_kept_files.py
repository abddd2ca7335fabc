"""A file chosen in a refused form is kept: the page shown again carries it (a signed token
and "Đã giữ tệp: …"), the next submit uses it without choosing it again, and the worker
deletes the temporary copy a day later. Every form of the site with a file field is walked."""

from __future__ import annotations

import importlib
import io
import logging
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import pytest
from flask_wtf.file import FileField, MultipleFileField
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from wtforms import Form

import marketplace.blueprints
from marketplace import unit_of_work
from marketplace.blueprints.common import KeptFileField, KeptMultipleFileField
from marketplace.extensions import db
from marketplace.models import (
    Certificate,
    DealAttachment,
    Delivery,
    Fair,
    Lot,
    Organization,
    OutboxMessage,
    Quote,
    Rfq,
    TransferClaim,
    VerificationStatus,
)
from marketplace.models._types import utcnow
from marketplace.services.deals import deliveries
from marketplace.storage import StorageError
from marketplace.vietnam import today
from tests.factories import (
    PDF_BYTES,
    actor_for,
    invoiced,
    jpeg,
    login,
    make_person,
    post_rfq,
    published_listing,
    quote_on,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
    verified_organiser,
)

SCAN = b"%PDF-1.4\n% giay chung nhan dang ky HTX\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OTHER_SCAN = b"%PDF-1.4\n% ban quet moi\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def summary(page: str) -> str:
    """The error summary's HTML, first in the page's content (as tests/test_form_errors.py
    reads it)."""
    match = re.search(r'<div class="error-summary" id="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no error summary on the page"
    opening = page[match.start() : page.index(">", match.start())]
    assert 'tabindex="-1"' in opening and "autofocus" in opening
    main = page.index('<main id="main"')
    forms = page.find('<form method="post"', main)
    assert main < match.start() < (forms if forms > 0 else len(page))
    return match.group(1)


def linked_fields(page: str) -> list[str]:
    """The ids the summary links to; each is an element of the page."""
    ids = re.findall(r'<a href="#([^"]+)">', summary(page))
    for field_id in ids:
        assert f'id="{field_id}"' in page, f"the summary links to #{field_id}, not on the page"
    return ids


def _storage(app):
    return app.extensions["storage"]


def _tokens(page: str, name: str) -> list[str]:
    return re.findall(rf'<input type="hidden" name="{re.escape(name)}-kept" value="([^"]+)">', page)


def _kept_line(page: str) -> str:
    match = re.search(r'<p class="kept-file" id="[^"]+">([^<]*)</p>', page)
    assert match, "no kept-file line on the page"
    return unescape(match.group(1))


def _key_of(token: str) -> str:
    payload = URLSafeTimedSerializer("x").load_payload(token.split(".")[0].encode())
    return payload["k"]


def _file_input(page: str, name: str) -> str:
    return re.search(rf'<input [^>]*name="{re.escape(name)}" type="file"[^>]*>', page).group(0)


# --- the registration scan on the onboarding identity step ------------------------------------

IDENTITY = {
    "version": "1",
    "name": "HTX Sâm",
    "legal_name": "Hợp tác xã Sâm Núi",
    "registration_number": "6201234567",
    "tax_code": "12345",
}
FIXED = {"tax_code": "6201234567"}


def _identity(app, client):
    owner = make_person(app)
    login(client, owner)
    return owner, f"/orgs/{owner.organization_id}/profile/identity"


def _refused_with_scan(client, url, data=IDENTITY, scan=SCAN, name="giay-dang-ky.pdf"):
    response = client.post(url, data=data | {"registration_document": (io.BytesIO(scan), name)})
    assert response.status_code == 422
    return response.get_data(as_text=True)


def _registration_document(app, owner) -> bytes | None:
    with app.app_context():
        key = db.session.get_one(Organization, owner.organization_id).registration_document_key
        return _storage(app).get(key) if key else None


def test_a_scan_is_kept_across_a_refused_submit_and_saved_by_the_next(app, client):
    owner, url = _identity(app, client)
    page = _refused_with_scan(client, url)
    assert "tax_code" in linked_fields(page)
    (token,) = _tokens(page, "registration_document")
    assert _kept_line(page) == "Đã giữ tệp: giay-dang-ky.pdf — chọn tệp khác để thay"
    assert 'name="registration_document-kept-remove"' in page
    # Nothing makes the browser ask for the file again.
    file_input = _file_input(page, "registration_document")
    assert "required" not in file_input and "registration_document-kept" in file_input
    # Kept privately, as chosen, under a temporary key.
    key = _key_of(token)
    assert key.startswith("tmp/kept/")
    assert _storage(app).get(key) == SCAN

    response = client.post(url, data=IDENTITY | FIXED | {"registration_document-kept": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert _registration_document(app, owner) == SCAN


def test_a_file_refused_twice_is_stored_once_and_keeps_its_token(app, client):
    owner, url = _identity(app, client)
    (token,) = _tokens(_refused_with_scan(client, url), "registration_document")
    with app.app_context():
        deletions = len(_kept_deletions())
    again = client.post(url, data=IDENTITY | {"registration_document-kept": token})
    assert again.status_code == 422
    page = again.get_data(as_text=True)
    assert _tokens(page, "registration_document") == [token]
    assert "giay-dang-ky.pdf" in _kept_line(page)
    with app.app_context():
        assert len(_kept_deletions()) == deletions, "the kept file was stored again"
    client.post(url, data=IDENTITY | FIXED | {"registration_document-kept": token})
    assert _registration_document(app, owner) == SCAN


def test_a_new_file_replaces_the_kept_one(app, client):
    owner, url = _identity(app, client)
    (token,) = _tokens(_refused_with_scan(client, url), "registration_document")
    response = client.post(
        url,
        data=IDENTITY
        | FIXED
        | {
            "registration_document-kept": token,
            "registration_document": (io.BytesIO(OTHER_SCAN), "ban-moi.pdf"),
        },
    )
    assert response.status_code == 302
    assert _registration_document(app, owner) == OTHER_SCAN


def test_a_new_file_chosen_on_a_refused_page_is_kept_instead(app, client):
    _owner, url = _identity(app, client)
    (token,) = _tokens(_refused_with_scan(client, url), "registration_document")
    page = _refused_with_scan(
        client, url, IDENTITY | {"registration_document-kept": token}, OTHER_SCAN, "ban-moi.pdf"
    )
    (newer,) = _tokens(page, "registration_document")
    assert newer != token and "ban-moi.pdf" in _kept_line(page)
    assert _storage(app).get(_key_of(newer)) == OTHER_SCAN


def test_ticking_remove_drops_the_kept_file(app, client):
    owner, url = _identity(app, client)
    (token,) = _tokens(_refused_with_scan(client, url), "registration_document")
    response = client.post(
        url,
        data=IDENTITY
        | FIXED
        | {"registration_document-kept": token, "registration_document-kept-remove": "1"},
    )
    assert response.status_code == 302
    assert _registration_document(app, owner) is None


def _expired(app, token: str) -> str:
    """The same payload, signed as the app signs it but 25 hours ago."""

    class Yesterday(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(utcnow().timestamp() - 25 * 3600)

    payload = URLSafeTimedSerializer("x").load_payload(token.split(".")[0].encode())
    return URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="chohtx.kept-file", signer=Yesterday
    ).dumps(payload)


def _forged(app, token: str) -> str:
    payload = URLSafeTimedSerializer("x").load_payload(token.split(".")[0].encode())
    return URLSafeTimedSerializer("not-the-secret-key", salt="chohtx.kept-file").dumps(payload)


def _another_key(app, token: str) -> str:
    """A well-signed token naming a key outside the kept files (as if the secret leaked)."""
    payload = URLSafeTimedSerializer("x").load_payload(token.split(".")[0].encode())
    payload["k"] = "orgs/1/docs/khac.pdf"
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="chohtx.kept-file").dumps(payload)


@pytest.mark.parametrize(
    "spoil",
    [_expired, _forged, _another_key, lambda app, token: token[:-4] + "AAAA", lambda a, t: "x"],
    ids=["expired", "forged", "outside-kept-files", "tampered", "garbage"],
)
def test_a_bad_token_is_ignored(app, client, spoil):
    owner, url = _identity(app, client)
    (token,) = _tokens(_refused_with_scan(client, url), "registration_document")
    response = client.post(
        url, data=IDENTITY | FIXED | {"registration_document-kept": spoil(app, token)}
    )
    assert response.status_code == 302
    assert _registration_document(app, owner) is None


def test_a_token_from_another_browser_is_ignored(app, client):
    owner, url = _identity(app, client)
    (token,) = _tokens(_refused_with_scan(client, url), "registration_document")
    # The same person signed in elsewhere: another session, another owner id.
    elsewhere = app.test_client()
    login(elsewhere, owner)
    response = elsewhere.post(url, data=IDENTITY | FIXED | {"registration_document-kept": token})
    assert response.status_code == 302
    assert _registration_document(app, owner) is None


def test_a_bad_token_on_a_refused_page_is_not_a_500(app, client):
    _owner, url = _identity(app, client)
    response = client.post(
        url,
        data=IDENTITY
        | {"registration_document-kept": ["x" * 5000, "", "a.b.c"]}
        | {"registration_document-kept-remove": ""},
    )
    assert response.status_code == 422
    assert _tokens(response.get_data(as_text=True), "registration_document") == []


# --- clean-up -------------------------------------------------------------------------------------


def _kept_deletions() -> list[OutboxMessage]:
    return [
        m
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "storage.delete")
        )
        if str(m.payload.get("key", "")).startswith("tmp/kept/")
    ]


def test_the_kept_file_is_deleted_by_the_worker_a_day_later(app, client):
    _owner, url = _identity(app, client)
    (token,) = _tokens(_refused_with_scan(client, url), "registration_document")
    key = _key_of(token)
    with app.app_context():
        (message,) = [m for m in _kept_deletions() if m.payload["key"] == key]
        message_id = message.id
        # Committed although the page answered 422, due in a day, and left alone by the
        # delivery that ran once the response was closed.
        assert message.delivered_at is None and message.attempts == 0
        wait = message.next_attempt_at - utcnow()
        assert timedelta(hours=23, minutes=59) < wait <= timedelta(hours=24)
        assert unit_of_work.deliver([message_id]) == 0
        unit_of_work.deliver_due()
        assert db.session.get_one(OutboxMessage, message_id).delivered_at is None
    assert _storage(app).exists(key)

    # A day later the worker's pass deletes it.
    with app.app_context():
        message = db.session.get_one(OutboxMessage, message_id)
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        unit_of_work.commit()
        unit_of_work.deliver_due()
        assert db.session.get_one(OutboxMessage, message_id).delivered_at is not None
    assert not _storage(app).exists(key)
    # Its token is then of no use: the field is just empty.
    again = client.post(url, data=IDENTITY | {"registration_document-kept": token})
    assert again.status_code == 422
    assert _tokens(again.get_data(as_text=True), "registration_document") == []


def test_messages_due_later_are_not_delivered_by_id_but_due_ones_are(app):
    with app.app_context():
        later = OutboxMessage(
            topic="storage.delete",
            payload={"key": "tmp/kept/later"},
            next_attempt_at=utcnow() + timedelta(hours=1),
        )
        now = OutboxMessage(topic="storage.delete", payload={"key": "tmp/kept/now"})
        db.session.add_all([later, now])
        db.session.commit()
        assert unit_of_work.deliver([later.id, now.id]) == 1
        assert db.session.get_one(OutboxMessage, later.id).delivered_at is None
        assert db.session.get_one(OutboxMessage, now.id).delivered_at is not None


def test_a_storage_failure_while_keeping_is_not_a_500(app, client, monkeypatch, caplog):
    _owner, url = _identity(app, client)
    storage = _storage(app)
    real_put = storage.put

    def failing_put(key, *args, **kwargs):
        if key.startswith("tmp/kept/"):
            raise StorageError("the store is away")
        return real_put(key, *args, **kwargs)

    monkeypatch.setattr(storage, "put", failing_put)
    with caplog.at_level(logging.ERROR, logger="marketplace.kept_files"):
        page = _refused_with_scan(client, url)
    assert "tax_code" in linked_fields(page)
    assert _tokens(page, "registration_document") == []
    assert 'class="kept-file"' not in page
    assert any("could not be kept" in r.getMessage() for r in caplog.records)


def test_a_kept_file_that_cannot_be_read_back_leaves_the_field_empty(app, client, monkeypatch):
    owner, url = _identity(app, client)
    (token,) = _tokens(_refused_with_scan(client, url), "registration_document")
    storage = _storage(app)

    def failing_get(key):
        raise StorageError("the store is away")

    monkeypatch.setattr(storage, "get", failing_get)
    response = client.post(url, data=IDENTITY | FIXED | {"registration_document-kept": token})
    monkeypatch.undo()
    assert response.status_code == 302
    assert _registration_document(app, owner) is None


def test_a_refused_file_itself_is_not_kept(app, client):
    _owner, url = _identity(app, client)
    page = _refused_with_scan(client, url, scan=b"MZ\x90\x00 not a document", name="virus.pdf")
    assert _tokens(page, "registration_document") == []


# --- every form of the site with a file field ----------------------------------------------------


@dataclass
class Walk:
    form: type
    url: str
    data: dict
    #: field name → (content, file name)
    files: dict[str, tuple[bytes, str]]
    wrong: set[str]
    typed: str
    fixed: dict
    #: After the fixed submit: the stored contents of what arrived.
    arrived: Callable[[], list[bytes]]
    same_bytes: bool = True
    after: int = 302


def _stored(app, keys) -> list[bytes]:
    return [_storage(app).get(k) for k in keys if k]


def _walk_identity(app, client):
    from marketplace.blueprints.onboarding.forms import IdentityForm

    owner, url = _identity(app, client)
    return Walk(
        IdentityForm,
        url,
        dict(IDENTITY),
        {"registration_document": (SCAN, "giay-dang-ky.pdf")},
        {"tax_code"},
        "Hợp tác xã Sâm Núi",
        dict(FIXED),
        lambda: [_registration_document(app, owner) or b""],
    )


CERTIFICATE = {
    "kind": "ocop",
    "number": "QĐ 456/QĐ-UBND",
    "issuer": "UBND tỉnh Lai Châu",
    "issued_on": "2025-01-10",
    "expires_on": "2028-01-10",
    "ocop_stars": "6",
    "product_name": "Rượu sâm Lai Châu",
}


def _certificate_documents(app, org_id) -> list[bytes]:
    with app.app_context():
        keys = db.session.scalars(
            select(Certificate.document_key)
            .where(Certificate.organization_id == org_id, Certificate.number == "QĐ 456/QĐ-UBND")
            .order_by(Certificate.id)
        ).all()
        return _stored(app, keys)


def _walk_new_certificate(app, client):
    from marketplace.blueprints.onboarding.forms import CertificateForm

    coop = verified_coop(app)
    login(client, coop)
    return Walk(
        CertificateForm,
        f"/orgs/{coop.organization_id}/certificates/new",
        dict(CERTIFICATE),
        {"document": (SCAN, "ocop.pdf")},
        {"ocop_stars"},
        "QĐ 456/QĐ-UBND",
        {"ocop_stars": "4"},
        lambda: _certificate_documents(app, coop.organization_id),
    )


def _walk_edit_certificate(app, client):
    from marketplace.blueprints.onboarding.forms import CertificateForm

    coop = verified_coop(app)
    login(client, coop)
    created = client.post(
        f"/orgs/{coop.organization_id}/certificates/new",
        data=CERTIFICATE | {"ocop_stars": "4", "document": (io.BytesIO(PDF_BYTES), "cu.pdf")},
    )
    assert created.status_code == 302
    with app.app_context():
        certificate = db.session.scalars(
            select(Certificate).where(Certificate.organization_id == coop.organization_id)
        ).one()
        # The platform team asked for changes: the co-op may now correct it.
        certificate.status = VerificationStatus.CHANGES_REQUESTED
        cert_id = certificate.id
        settle()
    return Walk(
        CertificateForm,
        f"/orgs/{coop.organization_id}/certificates/{cert_id}/edit",
        dict(CERTIFICATE),
        {"document": (SCAN, "ocop-moi.pdf")},
        {"ocop_stars"},
        "QĐ 456/QĐ-UBND",
        {"ocop_stars": "5"},
        lambda: _certificate_documents(app, coop.organization_id),
    )


def _walk_lot(app, client):
    from marketplace.blueprints.listings.forms import LotForm

    coop = verified_coop(app)
    login(client, coop)
    listing_id, _ = published_listing(app, coop)

    def arrived():
        with app.app_context():
            key = db.session.scalar(select(Lot.lab_document_key).where(Lot.code == "LO-2026-07"))
            return _stored(app, [key])

    return Walk(
        LotForm,
        f"/orgs/{coop.organization_id}/listings/{listing_id}/lots",
        {"code": "LO-2026-07", "produced_on": "", "quantity": "120 thùng"},
        {"lab_document": (SCAN, "kiem-nghiem.pdf")},
        {"quantity"},
        "LO-2026-07",
        {"produced_on": "2026-01-05", "quantity": "120"},
        arrived,
    )


def _walk_fair(app, client):
    from marketplace.blueprints.fairs.forms import FairForm

    organiser = verified_organiser(app)
    login(client, organiser)
    day = today()

    def arrived():
        with app.app_context():
            key = db.session.scalar(select(Fair.cover_key).where(Fair.name_vi == "Hội chợ Xuân"))
            return _stored(app, [f"{key}-320.webp"] if key else [])

    return Walk(
        FairForm,
        f"/orgs/{organiser.organization_id}/fairs/new",
        {
            "name_vi": "Hội chợ Xuân",
            "venue": "Nhà văn hóa tỉnh",
            "province": "Hà Giang",
            "starts_on": str(day + timedelta(days=10)),
            "ends_on": str(day + timedelta(days=5)),
            "applications_open_on": str(day),
            "applications_close_on": str(day + timedelta(days=3)),
            "payment_days": "7",
        },
        {"cover": (jpeg(), "bia-hoi-cho.jpg")},
        {"ends_on"},
        "Nhà văn hóa tỉnh",
        {"ends_on": str(day + timedelta(days=12))},
        arrived,
        same_bytes=False,  # re-encoded into public variants
    )


def _walk_claim(app, client):
    from marketplace.blueprints.payments.forms import ClaimForm

    buyer, _coop, invoice_id, _total = invoiced(app)
    login(client, buyer)

    def arrived():
        with app.app_context():
            key = db.session.scalar(
                select(TransferClaim.receipt_key).where(TransferClaim.payable_id == invoice_id)
            )
            return _stored(app, [key])

    return Walk(
        ClaimForm,
        f"/pay/invoice/{invoice_id}/transferred",
        {"amount": "mấy triệu", "paid_on": today().isoformat(), "bank_reference": "FT2634001"},
        {"receipt": (jpeg(), "bien-lai.jpg")},
        {"amount"},
        "FT2634001",
        {"amount": ""},
        arrived,
        same_bytes=False,  # re-encoded without its metadata
    )


def _rfq_line(app, rfq_id):
    with app.app_context():
        return db.session.get_one(Rfq, rfq_id).lines[0].id


def _quote_data(line_id) -> dict:
    return {
        "lines-0-rfq_line_id": str(line_id),
        "lines-0-include": "y",
        "lines-0-unit_price": "181.500",
        "lines-0-quantity": "nhiều",
        "lines-0-vat_rate": "10",
        "valid_until": (today() + timedelta(days=10)).isoformat(),
    }


def _attachments(app, **where) -> list[bytes]:
    with app.app_context():
        keys = db.session.scalars(
            select(DealAttachment.key)
            .filter_by(**where)
            .where(DealAttachment.filename.like("bang-gia%"))
            .order_by(DealAttachment.id)
        ).all()
        return _stored(app, keys)


def _walk_new_quote(app, client):
    from marketplace.blueprints.contracts.forms import VersionForm

    buyer, coop = verified_buyer(app), verified_coop(app)
    published_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    login(client, coop)

    def arrived():
        with app.app_context():
            quote_id = db.session.scalar(select(Quote.id).where(Quote.rfq_id == rfq_id))
        return _attachments(app, quote_id=quote_id)

    return Walk(
        VersionForm,
        f"/rfqs/{rfq_id}/quote",
        _quote_data(_rfq_line(app, rfq_id)),
        {"attachments": (SCAN, "bang-gia.pdf")},
        {"lines-0-quantity"},
        "181.500",
        {"lines-0-quantity": "120"},
        arrived,
    )


def _walk_quote_version(app, client):
    from marketplace.blueprints.contracts.forms import VersionForm

    buyer, coop = verified_buyer(app), verified_coop(app)
    published_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    quote_id = quote_on(app, coop, rfq_id)
    with app.app_context():
        version = db.session.get_one(Quote, quote_id).current_version
    login(client, coop)
    return Walk(
        VersionForm,
        f"/quotes/{quote_id}/versions",
        _quote_data(_rfq_line(app, rfq_id)) | {"version": str(version)},
        {"attachments": (SCAN, "bang-gia-2.pdf")},
        {"lines-0-quantity"},
        "181.500",
        {"lines-0-quantity": "120"},
        lambda: _attachments(app, quote_id=quote_id),
    )


def _walk_quote_message(app, client):
    from marketplace.blueprints.contracts.forms import MessageForm

    buyer, coop = verified_buyer(app), verified_coop(app)
    published_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    quote_id = quote_on(app, coop, rfq_id)
    login(client, buyer)
    words = "Xin gửi lại bảng giá có phí vận chuyển. "
    return Walk(
        MessageForm,
        f"/quotes/{quote_id}/messages",
        {"body": words * 120},
        {"attachments": (SCAN, "bang-gia-van-chuyen.pdf")},
        {"body"},
        (words * 120).rstrip(),
        {"body": words},
        lambda: _attachments(app, quote_id=quote_id),
    )


def _walk_receipt(app, client):
    from marketplace.blueprints.contracts.forms import ReceiptLineSubform

    buyer, coop = verified_buyer(app), verified_coop(app)
    published_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        first = db.session.scalars(
            select(Delivery)
            .where(Delivery.contract_id == contract_id)
            .order_by(Delivery.scheduled_on)
        ).first()
        line_id = first.lines[0].id
        delivery_id = first.id
        deliveries.dispatch(
            actor_for(coop),
            first.id,
            first.version,
            {line_id: deliveries.DispatchLine("120")},
            early=True,
        )
        settle()
    with app.app_context():
        version = db.session.get_one(Delivery, delivery_id).version
    login(client, buyer)

    def arrived():
        with app.app_context():
            delivery = db.session.get_one(Delivery, delivery_id)
            keys = (delivery.lines[0].rejection_photos or "").split("\n")
            return _stored(app, keys)

    return Walk(
        ReceiptLineSubform,
        f"/deliveries/{delivery_id}/receive",
        {
            "version": str(version),
            "lines-0-line_id": str(line_id),
            "lines-0-accepted": "100",
            "lines-0-rejected": "20",
            "lines-0-reason": "",
            "note": "Xe đến lúc 7 giờ",
        },
        {"lines-0-photos": (jpeg(), "hang-dap.jpg")},
        {"lines-0-reason"},
        "Xe đến lúc 7 giờ",
        {"lines-0-reason": "20 chai vỡ nắp"},
        arrived,
        same_bytes=False,
    )


WALKS = [
    _walk_identity,
    _walk_new_certificate,
    _walk_edit_certificate,
    _walk_lot,
    _walk_fair,
    _walk_claim,
    _walk_new_quote,
    _walk_quote_version,
    _walk_quote_message,
    _walk_receipt,
]

#: Forms whose only field is the file: a refusal is about the file itself, which must be
#: chosen again (a file refused is never kept), and photo forms answer with a redirect.
ONLY_A_FILE = {"StatementForm", "ImportForm", "PhotoForm", "ImageUploadForm"}


@pytest.mark.parametrize("make", WALKS, ids=lambda f: f.__name__.removeprefix("_walk_"))
def test_every_form_with_a_file_keeps_it_across_a_refusal(app, client, make):
    walk = make(app, client)
    files = {
        name: (io.BytesIO(content), filename) for name, (content, filename) in walk.files.items()
    }
    response = client.post(walk.url, data=walk.data | files, content_type="multipart/form-data")
    assert response.status_code == 422, response.get_data(as_text=True)[:400]
    page = response.get_data(as_text=True)
    assert walk.wrong <= set(linked_fields(page))
    assert "cần sửa" in unescape(summary(page))
    typed = unescape(page)
    assert f'value="{walk.typed}"' in typed or re.search(
        rf"<textarea[^>]*>\s*{re.escape(walk.typed)}\s*</textarea>", typed
    ), "what was typed is lost"
    kept: dict[str, list[str]] = {}
    for name, (_content, filename) in walk.files.items():
        kept[name] = _tokens(page, name)
        assert len(kept[name]) == 1, f"{name} was not kept"
        assert filename in unescape(page[page.index(f'name="{name}-kept"') :][:2000])
        assert "required" not in _file_input(page, name)

    fixed = walk.data | walk.fixed | {f"{name}-kept": tokens for name, tokens in kept.items()}
    again = client.post(walk.url, data=fixed, content_type="multipart/form-data")
    assert again.status_code == walk.after, again.get_data(as_text=True)[:600]
    arrived = walk.arrived()
    assert arrived and all(arrived), "the kept file did not arrive"
    if walk.same_bytes:
        assert arrived[-1] == next(iter(walk.files.values()))[0]


def _declared_file_fields() -> dict[type, list[str]]:
    """Each form class of the blueprints with the file fields it declares itself."""
    found: dict[type, list[str]] = {}
    for module in pkgutil.iter_modules(marketplace.blueprints.__path__):
        try:
            forms = importlib.import_module(f"marketplace.blueprints.{module.name}.forms")
        except ModuleNotFoundError:
            continue
        for value in vars(forms).values():
            if not (isinstance(value, type) and issubclass(value, Form)):
                continue
            names = [
                name
                for name, unbound in vars(value).items()
                if getattr(unbound, "field_class", None) is not None
                and issubclass(unbound.field_class, (FileField, MultipleFileField))
            ]
            if names:
                found[value] = names
    return found


def test_every_file_field_keeps_its_file_and_every_form_with_one_is_walked():
    declared = _declared_file_fields()
    assert declared, "no file fields found"
    for form, names in declared.items():
        for name in names:
            assert issubclass(
                vars(form)[name].field_class, (KeptFileField, KeptMultipleFileField)
            ), f"{form.__name__}.{name} drops its file when the form is refused"
    walked = {make.__name__: make for make in WALKS}
    covered = {
        "IdentityForm": "_walk_identity",
        "CertificateForm": "_walk_new_certificate",
        "LotForm": "_walk_lot",
        "FairForm": "_walk_fair",
        "ClaimForm": "_walk_claim",
        "VersionForm": "_walk_new_quote",
        "MessageForm": "_walk_quote_message",
        "ReceiptLineSubform": "_walk_receipt",
    }
    for form in declared:
        name = form.__name__
        assert name in ONLY_A_FILE or covered.get(name) in walked, f"{name} is not walked"


def test_several_files_of_one_field_are_kept_together(app, client):
    walk = _walk_quote_message(app, client)
    chosen = {
        "attachments": [
            (io.BytesIO(SCAN), "bang-gia-1.pdf"),
            (io.BytesIO(OTHER_SCAN), "bang-gia-2.pdf"),
        ]
    }
    response = client.post(walk.url, data=walk.data | chosen, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    tokens = _tokens(page, "attachments")
    assert len(tokens) == 2
    assert _kept_line(page) == (
        "Đã giữ các tệp: bang-gia-1.pdf, bang-gia-2.pdf — chọn tệp khác để thay"
    )
    assert "Bỏ các tệp đã giữ" in page
    again = client.post(walk.url, data=walk.data | walk.fixed | {"attachments-kept": tokens})
    assert again.status_code == 302
    assert walk.arrived() == [SCAN, OTHER_SCAN]
