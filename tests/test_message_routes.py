"""The messages pages: the "Send a message" buttons on a co-op's and a product's page, the first
message (and logging in on the way), the inbox and a conversation, reading marks, attachments,
the threads on contract, delivery and invoice pages with phone and Zalo, the header's count —
and bad input answered with messages beside the fields, never a 500."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    Contract,
    Conversation,
    ConversationMessage,
    Delivery,
    Listing,
    MessageAttachment,
    Organization,
    Role,
)
from marketplace.services import messages
from tests.factories import (
    PDF_BYTES,
    actor_for,
    add_member,
    coop_with_listing,
    count,
    invoiced,
    jpeg,
    login,
    make_person,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
)


def _slugs(app, coop, listing_id):
    with app.app_context():
        return (
            db.session.get_one(Organization, coop.organization_id).slug,
            db.session.get_one(Listing, listing_id).slug,
        )


def _client(app, person=None):
    client = app.test_client()
    if person is not None:
        login(client, person)
    return client


def _page(response) -> str:
    return response.get_data(as_text=True)


def _unread_in_header(page: str) -> int:
    """The count beside the header's "Messages" link (0 when none is shown)."""
    link = re.search(r'<a [^>]*id="messages-link"[^>]*>(.*?)</a>', page, re.S)
    assert link is not None and "Tin nhắn" in link.group(1)
    count = re.search(r'class="count"[^>]*>(\d+)<', link.group(1))
    return int(count.group(1)) if count else 0


def _files(*pairs):
    return [(io.BytesIO(data), name) for name, data in pairs]


def test_the_message_button_shows_for_visitors_and_buyers_not_for_the_coops_own_people(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    staff = add_member(app, coop.organization_id, Role.STAFF)
    listing_id = coop_with_listing(app, coop)
    coop_slug, listing_slug = _slugs(app, coop, listing_id)
    start = f"/orgs/{coop.organization_id}/message"
    for person, shown in ((None, True), (buyer, True), (coop, False), (staff, False)):
        client = _client(app, person)
        coop_page = _page(client.get(f"/htx/{coop_slug}"))
        product_page = _page(client.get(f"/p/{listing_slug}"))
        assert ('id="message-coop"' in coop_page) is shown
        assert (f'href="{start}?listing={listing_id}"' in product_page) is shown
        if shown:
            assert f'href="{start}"' in coop_page and "Nhắn tin" in coop_page


def test_a_visitor_logs_in_and_comes_back_to_ask_about_the_product(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    client = app.test_client()
    url = f"/orgs/{coop.organization_id}/message?listing={listing_id}"
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    back = response.headers["Location"].split("next=", 1)[1]
    response = client.post(
        f"/login?next={back}", data={"email": buyer.email, "password": buyer.password}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == url
    page = _page(client.get(url))
    asked = re.search(r'id="asked-about">(.*?)</p>', page, re.S)
    assert asked is not None and "Rượu sâm Lai Châu" in asked.group(1)
    response = client.post(url, data={"sender": str(buyer.organization_id), "body": "Còn hàng?"})
    assert response.status_code == 302
    with app.app_context():
        message = db.session.scalar(select(ConversationMessage))
        assert message.listing_id == listing_id
        assert response.headers["Location"] == f"/messages/{message.conversation_id}"
    page = _page(client.get(response.headers["Location"]))
    assert "Còn hàng?" in page and "Về sản phẩm:" in page
    assert "Đã gửi tin nhắn." in page


def test_the_coop_sees_the_unread_count_replies_with_a_file_and_marks_it_read(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    buyer_client = _client(app, buyer)
    buyer_client.post(f"/orgs/{coop.organization_id}/message", data={"body": "Giá sỉ?"})
    with app.app_context():
        conversation_id = db.session.scalar(select(Conversation.id))
    coop_client = _client(app, coop)
    home = _page(coop_client.get("/messages"))
    assert _unread_in_header(home) == 1
    assert "Siêu thị Xanh" in home and "Giá sỉ?" in home
    thread = _page(coop_client.get(f"/messages/{conversation_id}"))
    assert "data-mark-read" in thread and "Mới" in thread
    # Showing it writes nothing: still unread until the page says it was read.
    assert _unread_in_header(_page(coop_client.get("/messages"))) == 1
    response = coop_client.post(f"/messages/{conversation_id}/read")
    assert response.status_code == 303
    assert _unread_in_header(_page(coop_client.get("/messages"))) == 0
    response = coop_client.post(
        f"/messages/{conversation_id}",
        data={"body": "Giá sỉ 180.000 ₫", "attachments": _files(("bang-gia.pdf", PDF_BYTES))},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        attachment_id = db.session.scalar(select(MessageAttachment.id))
    thread = _page(buyer_client.get(f"/messages/{conversation_id}"))
    assert "bang-gia.pdf" in thread and "Giá sỉ 180.000 ₫" in thread
    download = f"/messages/{conversation_id}/files/{attachment_id}"
    assert buyer_client.get(download).status_code == 302
    outsider = _client(app, verified_buyer(app, name="Bếp ăn Kim Đồng"))
    assert outsider.get(download).status_code == 404
    assert outsider.get(f"/messages/{conversation_id}").status_code == 404
    assert outsider.post(f"/messages/{conversation_id}", data={"body": "x"}).status_code == 404
    assert outsider.post(f"/messages/{conversation_id}/read").status_code == 404
    # Read with script: a JSON answer.
    response = buyer_client.post(
        f"/messages/{conversation_id}/read", headers={"Accept": "application/json"}
    )
    assert response.status_code == 200 and response.json == {"read": True}


def test_bad_input_is_refused_beside_the_field_keeping_the_text(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    client = _client(app, buyer)
    url = f"/orgs/{coop.organization_id}/message"
    response = client.post(url, data={"body": "   "})
    assert response.status_code == 422 and "Hãy viết tin nhắn." in _page(response)
    long = "Sâm " * 1250
    response = client.post(url, data={"body": long})
    assert response.status_code == 422
    assert long.strip() in _page(response) and "4000" in _page(response)
    four = _files(*[(f"f{i}.pdf", PDF_BYTES) for i in range(4)])
    response = client.post(
        url, data={"body": "Bốn tệp", "attachments": four}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "Bốn tệp" in _page(response)
    exe = _files(("setup.exe", b"MZ\x90\x00" + b"\x00" * 300))
    response = client.post(
        url, data={"body": "Tệp lạ", "attachments": exe}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "Tệp lạ" in _page(response)
    # Bad ids: a product id that is not a number or not this co-op's is ignored; a co-op that
    # does not exist, a conversation or file that does not exist, writing for someone else's
    # organisation: 404.
    assert client.get(url + "?listing=abc").status_code == 200
    assert client.get(url + "?listing=99999999999999999999").status_code == 200
    assert client.get("/orgs/999999/message").status_code == 404
    assert client.get(f"/orgs/{buyer.organization_id}/message").status_code == 404
    assert client.get("/messages/999999").status_code == 404
    assert client.get("/messages/999999/files/1").status_code == 404
    other = verified_buyer(app, name="Bếp ăn Kim Đồng")
    response = client.post(url, data={"sender": str(other.organization_id), "body": "Chào"})
    assert response.status_code == 404
    response = client.post(url, data={"sender": "x", "body": "Chào"})
    assert response.status_code == 302
    with app.app_context():
        assert count(ConversationMessage) == 1


def test_a_draft_organisation_is_told_to_get_verified_and_someone_without_one_to_join(app):
    coop = verified_coop(app)
    draft = make_person(app, organization_name="HTX Mắc Ca Điện Biên")
    client = _client(app, draft)
    url = f"/orgs/{coop.organization_id}/message"
    page = _page(client.get(url))
    assert 'id="needs-verification"' in page and "cần được xác minh" in page
    response = client.post(url, data={"body": "Xin chào"})
    assert response.status_code == 422 and "cần được xác minh" in _page(response)
    loner = _client(app, make_person(app, kind=None))
    assert 'id="needs-organisation"' in _page(loner.get(url))
    assert loner.post(url, data={"body": "Xin chào"}).status_code == 403
    # The co-op's own people are sent to their inbox.
    assert _client(app, coop).get(url).status_code == 302


def test_contract_delivery_and_invoice_pages_carry_the_thread_with_phone_and_zalo(app):
    buyer, coop, invoice_id, _total = invoiced(app)
    buyer_client = _client(app, buyer)
    with app.app_context():
        contract_id = db.session.scalar(
            select(Contract.id).where(Contract.buyer_id == buyer.organization_id)
        )
        delivery_id = db.session.scalar(
            select(Delivery.id).where(Delivery.contract_id == contract_id).order_by(Delivery.id)
        )
    pages = {
        "contract": f"/contracts/{contract_id}",
        "delivery": f"/deliveries/{delivery_id}",
        "invoice": f"/invoices/{invoice_id}",
    }
    for kind, page_url in pages.items():
        page = _page(buyer_client.get(page_url))
        assert 'aria-labelledby="messages"' in page
        # A long page says near its top where the thread is.
        assert page.index('href="#messages"') < page.index('id="messages"')
        assert 'href="https://zalo.me/0912345678"' in page and "0912 345 678" in page
        response = buyer_client.post(f"{page_url}/messages", data={"body": ""})
        assert response.status_code == 422 and "Hãy viết tin nhắn." in _page(response)
        response = buyer_client.post(
            f"{page_url}/messages",
            data={"body": f"Hỏi về {kind}", "attachments": _files(("anh.jpg", jpeg()))},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        assert response.headers["Location"] == f"{page_url}#messages"
        coop_page = _page(_client(app, coop).get(page_url))
        # New to the co-op: the page marks it read (a button without script).
        assert f"Hỏi về {kind}" in coop_page and "data-mark-read" in coop_page
        assert buyer_client.get(f"{page_url}/messages").status_code == 200
    stranger = _client(app, verified_buyer(app, name="Bếp ăn Kim Đồng"))
    for page_url in pages.values():
        assert stranger.get(f"{page_url}/messages").status_code == 404
        assert stranger.post(f"{page_url}/messages", data={"body": "x"}).status_code == 404
    assert buyer_client.post("/contracts/999999/messages", data={"body": "x"}).status_code == 404


def test_phone_and_zalo_appear_in_the_conversation_only_after_a_deal(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    client = _client(app, buyer)
    client.post(f"/orgs/{coop.organization_id}/message", data={"body": "Chào HTX"})
    with app.app_context():
        conversation_id = db.session.scalar(select(Conversation.id))
    page = _page(client.get(f"/messages/{conversation_id}"))
    assert "zalo.me" not in page and "hợp đồng đã ký" in page
    signed_contract(app, buyer, coop)
    page = _page(client.get(f"/messages/{conversation_id}"))
    assert 'href="https://zalo.me/0912345678"' in page and 'href="tel:+84912345678"' in page


def test_an_english_reader_gets_the_pages_and_email_in_english(app, mailbox):
    buyer = verified_buyer(app)
    coop = verified_coop(app, locale="en")
    mailbox.clear()
    with app.app_context():
        messages.start_or_send(
            actor_for(buyer), buyer.organization_id, coop.organization_id, "Hello?", []
        )
        settle()
    [sent] = mailbox.to(coop.email)
    assert sent["Subject"] == "New message from Siêu thị Xanh"
    assert "Read and reply:" in mailbox.body(sent)
    client = _client(app, coop)
    client.post("/lang", data={"lang": "en", "next": "/messages"})
    page = _page(client.get("/messages"))
    assert "Messages" in page and "Hello?" in page


def test_sending_is_limited_per_person_across_every_thread(app):
    """A person who sends too many messages in a short time is told to wait (429); the count
    is shared by every route that sends, and another person is not affected."""
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    client = _client(app, buyer)
    limit = app.config["MESSAGE_RATE_LIMIT"]
    app.config["MESSAGE_RATE_LIMIT"] = "2 per minute"
    try:
        assert (
            client.post(f"/orgs/{coop.organization_id}/message", data={"body": "Một"}).status_code
            == 302
        )
        with app.app_context():
            conversation_id = db.session.scalar(select(Conversation.id))
        assert client.post(f"/messages/{conversation_id}", data={"body": "Hai"}).status_code == 302
        refused = client.post(f"/messages/{conversation_id}", data={"body": "Ba"})
        assert refused.status_code == 429
        # Reading is not limited; the co-op can still answer.
        assert client.get(f"/messages/{conversation_id}").status_code == 200
        answer = _client(app, coop).post(f"/messages/{conversation_id}", data={"body": "Dạ"})
        assert answer.status_code == 302
    finally:
        app.config["MESSAGE_RATE_LIMIT"] = limit
