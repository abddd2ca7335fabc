"""Talking between organisations (services.messages): who may write to whom, the threads of
contracts, deliveries and invoices, attachments, read marks, the notices and emails, phone and
Zalo only once there is a deal, and one conversation when two start it at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text

from marketplace.extensions import db
from marketplace.models import (
    Contract,
    ContractStatus,
    Conversation,
    ConversationMessage,
    Delivery,
    MessageAttachment,
    Notification,
    Organization,
    Role,
)
from marketplace.services import messages
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import (
    PDF_BYTES,
    actor_for,
    add_member,
    audits,
    award_all,
    coop_with_listing,
    count,
    count_queries,
    invoiced,
    jpeg,
    make_person,
    post_rfq,
    quote_on,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
    verified_organiser,
)


def _send(app, person, coop, body="Cho hỏi giá sâm 6 năm tuổi?", files=(), listing_id=None):
    with app.app_context():
        message = messages.start_or_send(
            actor_for(person),
            person.organization_id,
            coop.organization_id,
            body,
            list(files),
            listing_id,
        )
        result = (message.conversation_id, message.id)
        settle()
    return result


def _refused(app, fn, *args) -> dict:
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            fn(*args)
        db.session.rollback()
    return {k: str(v) for k, v in refused.value.errors.items()}


# --- who may write to whom ---------------------------------------------------------------------


def test_a_buyer_asks_a_coop_about_a_product_and_every_coop_member_is_told(app, mailbox):
    buyer = verified_buyer(app)
    coop = verified_coop(app, locale="en")
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    listing_id = coop_with_listing(app, coop)
    mailbox.clear()
    conversation_id, message_id = _send(app, buyer, coop, listing_id=listing_id)
    with app.app_context():
        conversation = db.session.get_one(Conversation, conversation_id)
        low, high = sorted((buyer.organization_id, coop.organization_id))
        assert conversation.key == f"orgs:{low}-{high}"
        assert (conversation.first_org_id, conversation.second_org_id) == (low, high)
        assert conversation.last_message_at is not None
        message = db.session.get_one(ConversationMessage, message_id)
        assert message.listing_id == listing_id and message.organization_id == buyer.organization_id
        assert audits("message.send", conversation_id) == 1
        notices = {
            n.user_id: n
            for n in db.session.scalars(select(Notification).where(Notification.link.is_not(None)))
            if n.link == f"/messages/{conversation_id}"
        }
        assert set(notices) == {coop.id, coop_staff.id}
        assert notices[coop.id].message.startswith("New message from Siêu thị Xanh")
        assert notices[coop_staff.id].message.startswith("Tin nhắn mới từ Siêu thị Xanh")
    english = mailbox.to(coop.email)
    assert len(english) == 1 and english[0]["Subject"] == "New message from Siêu thị Xanh"
    body = mailbox.body(english[0])
    assert "Cho hỏi giá sâm 6 năm tuổi?" in body
    assert f"/messages/{conversation_id}" in body
    assert "About:" in body
    assert "Tin nhắn mới" in mailbox.body(mailbox.to(coop_staff.email)[0])
    assert mailbox.to(buyer.email) == []


def test_the_next_message_goes_into_the_same_conversation_and_the_coop_replies(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    first, _ = _send(app, buyer, coop)
    second, _ = _send(app, buyer, coop, body="Và giá cho 200 chai?")
    assert first == second
    with app.app_context():
        reply = messages.reply(actor_for(coop), first, "  Dạ, 180.000 ₫ một chai.  ", [])
        assert reply.body == "Dạ, 180.000 ₫ một chai."
        assert reply.organization_id == coop.organization_id
        assert count(Conversation) == 1
        # A co-op starts nothing with a buyer: only co-ops are written to from their pages.
        with pytest.raises(NotFound):
            messages.start_or_send(
                actor_for(coop), coop.organization_id, buyer.organization_id, "Chào", []
            )
        settle()


def test_coops_and_organisers_may_write_to_a_coop_and_staff_as_much_as_owners(app):
    coop = verified_coop(app)
    other_coop = verified_coop(app, organization_name="HTX Mật Ong")
    organiser = verified_organiser(app)
    staff = add_member(app, other_coop.organization_id, Role.STAFF)
    _send(app, other_coop, coop)
    _send(app, organiser, coop)
    _send(app, staff, coop, body="Em là nhân viên HTX Mật Ong")
    with app.app_context():
        assert count(Conversation) == 2
        assert count(ConversationMessage) == 3


def test_an_unverified_sender_is_told_verification_is_needed(app):
    coop = verified_coop(app)
    draft = make_person(app, organization_name="HTX Mắc Ca Điện Biên")
    errors = _refused(
        app,
        lambda: messages.start_or_send(
            actor_for(draft), draft.organization_id, coop.organization_id, "Xin chào", []
        ),
    )
    assert errors["body"].startswith("HTX Mắc Ca Điện Biên must be verified before it can send")
    with app.app_context():
        assert count(Conversation) == 0


def test_only_verified_coops_are_written_to_and_only_for_ones_own_organisation(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    draft_coop = make_person(app, organization_name="HTX Chưa Duyệt")
    other_buyer = verified_buyer(app, name="Bếp ăn Kim Đồng")
    stranger = make_person(app, kind=None)
    with app.app_context():
        me = actor_for(buyer)
        for target in (draft_coop.organization_id, other_buyer.organization_id, 999_999):
            with pytest.raises(NotFound):
                messages.start_or_send(me, buyer.organization_id, target, "Chào", [])
        # Writing for an organisation one does not belong to.
        with pytest.raises(NotFound):
            messages.start_or_send(
                actor_for(stranger), buyer.organization_id, coop.organization_id, "Chào", []
            )
        with pytest.raises(PermissionDenied):
            messages.start_or_send(
                actor_for(coop), coop.organization_id, coop.organization_id, "Chào", []
            )
        with pytest.raises(PermissionDenied):
            messages.start_or_send(
                Actor.system(), buyer.organization_id, coop.organization_id, "Chào", []
            )
        # A product of another co-op is not what this co-op is asked about.
        other_listing = coop_with_listing(app, verified_coop(app, organization_name="HTX Khác"))
        with pytest.raises(NotFound):
            messages.start_or_send(
                me, buyer.organization_id, coop.organization_id, "Chào", [], other_listing
            )
        db.session.rollback()
        assert count(ConversationMessage) == 0


def test_a_message_is_needed_and_at_most_4000_characters(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)

    def send(body):
        return lambda: messages.start_or_send(
            actor_for(buyer), buyer.organization_id, coop.organization_id, body, []
        )

    assert _refused(app, send(""))["body"] == "Write a message."
    assert _refused(app, send(" \n\t "))["body"] == "Write a message."
    assert "5000" in _refused(app, send("x" * 5000))["body"]
    assert "4001" in _refused(app, send("x" * 4001))["body"]
    _conversation, message_id = _send(app, buyer, coop, body="  " + "y" * 4000 + "\n")
    with app.app_context():
        assert db.session.get_one(ConversationMessage, message_id).body == "y" * 4000


# --- attachments -------------------------------------------------------------------------------


def test_up_to_three_pdf_or_image_files_kept_private_to_the_two_organisations(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    outsider = verified_buyer(app, name="Bếp ăn Kim Đồng")
    conversation_id, message_id = _send(
        app, buyer, coop, files=[("bang-gia.pdf", PDF_BYTES), ("anh.jpg", jpeg())]
    )
    other_conversation, _ = _send(app, outsider, coop, files=[("khac.pdf", PDF_BYTES)])
    with app.app_context():
        found = list(
            db.session.scalars(
                select(MessageAttachment).where(MessageAttachment.message_id == message_id)
            )
        )
        assert [a.filename for a in found] == ["bang-gia.pdf", "anh.jpg"]
        assert all(
            a.key.startswith(f"private/messages/conversation-{conversation_id}") for a in found
        )
        assert messages.attachment_for(actor_for(coop), conversation_id, found[0].id) == found[0]
        with pytest.raises(NotFound):
            messages.attachment_for(actor_for(outsider), conversation_id, found[0].id)
        foreign = db.session.scalar(
            select(MessageAttachment.id)
            .join(ConversationMessage)
            .where(ConversationMessage.conversation_id == other_conversation)
        )
        # Asked through a conversation it does not belong to.
        with pytest.raises(NotFound):
            messages.attachment_for(actor_for(coop), conversation_id, foreign)

    def send(files):
        return lambda: messages.start_or_send(
            actor_for(buyer), buyer.organization_id, coop.organization_id, "Tệp", files
        )

    four = [(f"f{i}.pdf", PDF_BYTES) for i in range(4)]
    assert "3" in _refused(app, send(four))["attachments"]
    assert "attachments" in _refused(app, send([("setup.exe", b"MZ\x90\x00" + b"\x00" * 200)]))
    with app.app_context():
        assert count(ConversationMessage) == 2


# --- deal threads ------------------------------------------------------------------------------


def test_only_the_two_parties_write_in_a_contract_delivery_or_invoice_thread(app, mailbox):
    buyer, coop, invoice_id, _total = invoiced(app)
    buyer_staff = add_member(app, buyer.organization_id, Role.STAFF)
    # The party of another deal with the same co-op is an outsider to this one.
    other_buyer = verified_buyer(app, name="Bếp ăn Kim Đồng")
    signed_contract(app, other_buyer, coop)
    admin = make_person(app, kind=None, admin=True)
    with app.app_context():
        contract_id = db.session.scalar(
            select(Contract.id).where(Contract.buyer_id == buyer.organization_id)
        )
        delivery_id = db.session.scalar(
            select(Delivery.id).where(Delivery.contract_id == contract_id).order_by(Delivery.id)
        )
        subjects = [("contract", contract_id), ("delivery", delivery_id), ("invoice", invoice_id)]
        for kind, subject_id in subjects:
            written = messages.post_in_deal_thread(
                actor_for(buyer_staff), kind, subject_id, f"Về {kind}", []
            )
            answer = messages.post_in_deal_thread(
                actor_for(coop), kind, subject_id, "Đã rõ", [("hoa-don.pdf", PDF_BYTES)]
            )
            conversation = db.session.get_one(Conversation, written.conversation_id)
            assert conversation.key == f"{kind}:{subject_id}"
            assert answer.conversation_id == conversation.id
            for outsider in (other_buyer, admin):
                with pytest.raises(NotFound):
                    messages.post_in_deal_thread(actor_for(outsider), kind, subject_id, "Xen", [])
                with pytest.raises(NotFound):
                    messages.deal_thread(actor_for(outsider), kind, subject_id)
                with pytest.raises(NotFound):
                    messages.thread(actor_for(outsider), conversation.id)
            # A reply from the conversation page goes through the same party check.
            messages.reply(actor_for(buyer), conversation.id, "Cảm ơn", [])
        for bad in (("quote", contract_id), ("contract", 999_999), ("invoice", 0)):
            with pytest.raises(NotFound):
                messages.post_in_deal_thread(actor_for(buyer), *bad, "Chào", [])
        assert count(Conversation) == 3
        assert audits("message.send") == 9
        settle()
    told = [m for m in mailbox.to(coop.email) if m["Subject"].startswith("Tin nhắn mới từ")]
    # Two messages of the buyer's side in each of the three threads.
    assert len(told) == 6 and "Về contract" in mailbox.body(told[0])


# --- reading -----------------------------------------------------------------------------------


def test_the_inbox_lists_conversations_newest_first_with_unread_marks(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    colleague = add_member(app, coop.organization_id, Role.STAFF)
    other_coop = verified_coop(app, organization_name="HTX Mật Ong")
    first, _ = _send(app, buyer, coop)
    second, _ = _send(app, buyer, other_coop)
    with app.app_context():
        buyer_user = actor_for(buyer).user
        coop_user = actor_for(coop).user
        # What one writes oneself is read.
        assert messages.unread_count(buyer_user) == 0
        assert messages.unread_count(coop_user) == 1
        entries = messages.inbox(actor_for(coop))
        assert [(e.conversation.id, e.unread, e.other.id) for e in entries] == [
            (first, 1, buyer.organization_id)
        ]
        # Reading the page writes nothing; marking it read does.
        view = messages.thread(actor_for(coop), first)
        assert view.unread == 1 and view.contact is None
        assert messages.unread_count(coop_user) == 1
        messages.mark_read(actor_for(coop), first)
        assert messages.unread_count(coop_user) == 0
        # A colleague has their own marks; the co-op's answer is not new to the co-op.
        assert messages.unread_count(actor_for(colleague).user) == 1
        messages.reply(actor_for(coop), first, "Dạ có", [])
        assert messages.unread_count(actor_for(colleague).user) == 1
        assert messages.unread_count(buyer_user) == 1
        # Newest first: the answered conversation is on top.
        assert [e.conversation.id for e in messages.inbox(actor_for(buyer))] == [first, second]
        assert messages.inbox(actor_for(make_person(app, kind=None))) == []
        with pytest.raises(NotFound):
            messages.mark_read(actor_for(other_coop), first)
        settle()


# --- phone and Zalo ----------------------------------------------------------------------------


def test_phone_and_zalo_only_once_the_two_organisations_have_a_deal(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    with app.app_context():
        assert messages.contact_for(actor_for(buyer), coop.organization_id) is None
        assert messages.contact_for(Actor.system(), coop.organization_id) is None
    # An awarded but unsigned draft is no deal yet.
    rfq_id = post_rfq(app, buyer)
    contract_id = award_all(app, buyer, rfq_id, quote_on(app, coop, rfq_id))
    with app.app_context():
        assert db.session.get_one(Contract, contract_id).status is ContractStatus.DRAFT
        assert messages.contact_for(actor_for(buyer), coop.organization_id) is None
        db.session.get_one(Contract, contract_id).status = ContractStatus.CANCELLED
        assert not messages.have_deal(buyer.organization_id, coop.organization_id)
        db.session.rollback()
    signed_contract(app, buyer, coop)
    with app.app_context():
        to_coop = messages.contact_for(actor_for(buyer), coop.organization_id)
        assert to_coop.phone == "+84912345678"
        assert to_coop.zalo_url == "https://zalo.me/0912345678"
        assert to_coop.phone_display == "0912 345 678"
        # The buyer gave no representative's phone: nothing is shown (a member's own
        # sign-up number never is); once its profile gives one, that is.
        assert messages.contact_for(actor_for(coop), buyer.organization_id) is None
        db.session.get_one(
            Organization, buyer.organization_id
        ).representative_phone = "+84987654321"
        to_buyer = messages.contact_for(actor_for(coop), buyer.organization_id)
        assert to_buyer.zalo_url == "https://zalo.me/0987654321"
        # Someone else's deal shows them nothing.
        stranger = verified_buyer(app, name="Bếp ăn Kim Đồng")
        assert messages.contact_for(actor_for(stranger), coop.organization_id) is None
        view = messages.deal_thread(actor_for(coop), "contract", contract_id)
        assert view.contact is not None and view.conversation is None and view.messages == []


# --- two people starting at once ----------------------------------------------------------------


@pytest.fixture
def _truncate_after(app):
    yield
    with app.app_context():
        # The category tree is reference data from migration 0003: later tests need it.
        names = db.session.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        )
        tables = ", ".join(n for n in names if n not in ("categories", "alembic_version"))
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        settle()


@pytest.mark.race
def test_two_people_starting_at_once_get_one_conversation(app, _truncate_after):
    coop = verified_coop(app)
    buyer = verified_buyer(app)
    people = [buyer] + [add_member(app, buyer.organization_id, Role.STAFF) for _ in range(3)]
    barrier = threading.Barrier(len(people))

    def start(i):
        with app.app_context():
            actor = actor_for(people[i])
            barrier.wait()
            message = messages.start_or_send(
                actor, buyer.organization_id, coop.organization_id, f"Người {i} hỏi", []
            )
            conversation_id = message.conversation_id
            settle()
            return conversation_id

    with ThreadPoolExecutor(len(people)) as pool:
        ids = list(pool.map(start, range(len(people))))
    assert len(set(ids)) == 1
    with app.app_context():
        assert count(Conversation) == 1
        assert count(ConversationMessage) == 4
        assert audits("message.send") == 4


def test_the_inbox_reads_the_deals_it_names_in_a_few_queries_however_many_threads(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        delivery_ids = list(
            db.session.scalars(
                select(Delivery.id).where(Delivery.contract_id == contract_id).order_by(Delivery.id)
            )
        )
        assert len(delivery_ids) >= 4
        messages.post_in_deal_thread(actor_for(buyer), "contract", contract_id, "Chào", [])
        messages.post_in_deal_thread(actor_for(buyer), "delivery", delivery_ids[0], "Lần 1", [])
        db.session.commit()

    def inbox_queries() -> tuple[int, list[str]]:
        with app.app_context(), count_queries(app) as statements:
            entries = messages.inbox(actor_for(coop))
            titles = [str(e.title) for e in entries]
        return len(statements), titles

    few, titles = inbox_queries()
    assert len(titles) == 2 and all(titles)
    with app.app_context():
        for n, delivery_id in enumerate(delivery_ids[1:4], start=2):
            messages.post_in_deal_thread(actor_for(buyer), "delivery", delivery_id, f"Lần {n}", [])
        db.session.commit()
    more, titles = inbox_queries()
    assert len(titles) == 5 and all(titles)
    assert more == few, (few, more)
