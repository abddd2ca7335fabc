"""Talking between organisations: a direct conversation with a co-op (started from its page or a
product's page), and one thread per contract, delivery and invoice between the deal's two
parties. Messages carry up to three private attachments; each one is audited and told to every
member of the other organisation, by email and in the app.

Reading is private to the members of the conversation's two organisations (NotFound for anyone
else, admins included). Phone numbers and a Zalo link are shown only once the two organisations
have a deal: a contract (or an accepted spot order) that was signed by both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import (
    Contract,
    ContractStatus,
    Conversation,
    ConversationMessage,
    ConversationRead,
    Delivery,
    Invoice,
    Listing,
    ListingStatus,
    Membership,
    MessageAttachment,
    Organization,
    OrgKind,
    User,
)
from marketplace.models._types import utcnow
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.deals.attachments import stored_attachments
from marketplace.services.deals.rules import Party, party
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.services.notifications import tell
from marketplace.services.permissions import member_of, membership_of, memberships, require_login

#: The longest message, in characters (after surrounding spaces are taken off).
MAX_BODY = 4000
#: What a deal thread is about.
DEAL_KINDS = ("contract", "delivery", "invoice")
#: Contract states that mean the two organisations have done business: signed by both.
DEAL_STATUSES = (ContractStatus.ACTIVE, ContractStatus.TERMINATING, ContractStatus.ENDED)
#: Conversations listed in one inbox.
INBOX_LIMIT = 200


# --- keys and checks ------------------------------------------------------------------------


def orgs_key(first: int, second: int) -> str:
    low, high = sorted((first, second))
    return f"orgs:{low}-{high}"


def _clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationFailed({"body": _l("Write a message.")})
    if len(text) > MAX_BODY:
        raise ValidationFailed(
            {
                "body": _l(
                    "A message can have at most %(max)d characters; this one has %(n)d.",
                    max=MAX_BODY,
                    n=len(text),
                )
            }
        )
    return text


def _verified_sender(membership: Membership) -> Organization:
    organization = membership.organization
    if not organization.is_verified:
        raise ValidationFailed(
            {
                "body": _l(
                    "%(org)s must be verified before it can send messages. Finish its profile "
                    "and send it for verification.",
                    org=organization.name,
                )
            }
        )
    return organization


def messageable_coop(organization_id: int | None) -> Organization:
    """A co-op anyone may write to: verified (NotFound otherwise)."""
    organization = db.session.get(Organization, organization_id) if organization_id else None
    if (
        organization is None
        or organization.kind is not OrgKind.COOP
        or not organization.is_verified
    ):
        raise NotFound("organization")
    return organization


def listing_asked_about(coop_id: int, listing_id: int | None) -> Listing | None:
    """The co-op's published product a message asks about, or None."""
    listing = db.session.get(Listing, listing_id) if listing_id else None
    if listing is None or listing.organization_id != coop_id:
        return None
    if listing.status is not ListingStatus.PUBLISHED:
        return None
    return listing


def get_or_create(key: str, subject_kind: str, subject_id: int | None, a: int, b: int):
    """The conversation with this key, made if missing. Two people starting it at once: one
    insert wins (the unique key), the other's savepoint is undone and it reads the winner."""
    found = db.session.scalar(select(Conversation).where(Conversation.key == key))
    if found is not None:
        return found
    low, high = sorted((a, b))
    conversation = Conversation(
        key=key,
        subject_kind=subject_kind,
        subject_id=subject_id,
        first_org_id=low,
        second_org_id=high,
    )
    try:
        with db.session.begin_nested():
            db.session.add(conversation)
    except IntegrityError:
        found = db.session.scalar(select(Conversation).where(Conversation.key == key))
        if found is None:  # pragma: no cover - the winner's row must be there
            raise
        return found
    return conversation


def _add_message(
    actor: Actor,
    conversation: Conversation,
    sender: Organization,
    text: str,
    files: list[tuple[str, bytes]],
    listing_id: int | None = None,
) -> ConversationMessage:
    with stored_attachments(
        f"private/messages/conversation-{conversation.id}", files, "attachments"
    ) as stored:
        message = ConversationMessage(
            conversation_id=conversation.id,
            organization_id=sender.id,
            author_id=actor.user_id,
            body=text,
            listing_id=listing_id,
        )
        db.session.add(message)
        db.session.flush()
        for values in stored:
            message.attachments.append(MessageAttachment(**values))
        conversation.last_message_at = utcnow()
        _mark_read(actor.user_id, conversation.id, message.id)
        audit.record(
            actor,
            "message.send",
            "conversation",
            conversation.id,
            organization_id=sender.id,
            details={
                "message": message.id,
                "subject": conversation.key,
                "attachments": len(stored),
                **({"listing": listing_id} if listing_id else {}),
            },
        )
        other_id = (
            conversation.second_org_id
            if conversation.first_org_id == sender.id
            else conversation.first_org_id
        )
        listing = db.session.get(Listing, listing_id) if listing_id else None
        tell(
            other_id,
            "message_received",
            _l("New message from %(org)s", org=sender.name),
            "messages.thread",
            conversation_id=conversation.id,
            context={
                "sender": sender,
                "message": message,
                "author_name": actor.user.name if actor.user else "",
                "about": subject_label(conversation),
                "listing": listing,
            },
        )
        db.session.flush()
        return message


# --- writing --------------------------------------------------------------------------------


def start_or_send(
    actor: Actor,
    organization_id_of_actor: int,
    other_org_id: int,
    body: str,
    files: list[tuple[str, bytes]],
    listing_id: int | None = None,
) -> ConversationMessage:
    """A member of a verified organisation writes to a verified co-op (from its page, or a
    product's page with ``listing_id``): into their direct conversation, made if missing.

    Raises NotFound (not a member of the sending organisation; the co-op is not a verified
    co-op), PermissionDenied (writing to one's own organisation), ValidationFailed (an empty
    or too long message, an unverified sender, bad attachments).
    """
    membership = member_of(actor, organization_id_of_actor)
    coop = messageable_coop(other_org_id)
    if coop.id == membership.organization_id:
        raise PermissionDenied("an organisation does not write to itself")
    text = _clean_body(body)
    sender = _verified_sender(membership)
    listing = listing_asked_about(coop.id, listing_id)
    if listing_id and listing is None:
        raise NotFound("listing")
    conversation = get_or_create(orgs_key(sender.id, coop.id), "orgs", None, sender.id, coop.id)
    return _add_message(
        actor, conversation, sender, text, files, listing.id if listing is not None else None
    )


@dataclass
class DealSubject:
    kind: str
    id: int
    buyer_id: int
    coop_id: int
    contract_id: int
    number: str
    sequence: int | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def label(self) -> object:
        """In words, in the reader's language: "HĐ-2026-00042", "Delivery 3 of HĐ-…"."""
        if self.kind == "delivery":
            return _l("Delivery %(n)d of %(number)s", n=self.sequence or 0, number=self.number)
        if self.kind == "invoice":
            return _l("Invoice %(number)s", number=self.number)
        return _l("Contract %(number)s", number=self.number)


def _deal_subject(kind: str, subject_id: int | None) -> DealSubject:
    if kind not in DEAL_KINDS or not subject_id:
        raise NotFound("deal")
    if kind == "contract":
        contract = db.session.get(Contract, subject_id)
        if contract is None:
            raise NotFound("contract")
        return DealSubject(
            kind, contract.id, contract.buyer_id, contract.coop_id, contract.id, contract.number
        )
    if kind == "delivery":
        delivery = db.session.get(Delivery, subject_id)
        if delivery is None:
            raise NotFound("delivery")
        contract = db.session.get_one(Contract, delivery.contract_id)
        return DealSubject(
            kind,
            delivery.id,
            contract.buyer_id,
            contract.coop_id,
            contract.id,
            contract.number,
            delivery.sequence,
        )
    invoice = db.session.get(Invoice, subject_id)
    if invoice is None:
        raise NotFound("invoice")
    return DealSubject(
        kind, invoice.id, invoice.buyer_id, invoice.coop_id, invoice.contract_id, invoice.number
    )


def _deal_party(actor: Actor, kind: str, subject_id: int | None) -> tuple[DealSubject, Party]:
    subject = _deal_subject(kind, subject_id)
    return subject, party(actor, subject.buyer_id, subject.coop_id)


def post_in_deal_thread(
    actor: Actor, subject_kind: str, subject_id: int, body: str, files: list[tuple[str, bytes]]
) -> ConversationMessage:
    """Any member of the buyer or the co-op of a contract (of a delivery's or an invoice's
    contract) writes in its thread; the other party is told. NotFound for anyone else."""
    subject, who = _deal_party(actor, subject_kind, subject_id)
    text = _clean_body(body)
    conversation = get_or_create(
        subject.key, subject.kind, subject.id, subject.buyer_id, subject.coop_id
    )
    return _add_message(actor, conversation, who.membership.organization, text, files)


def _conversation_member(actor: Actor, conversation_id: int) -> tuple[Conversation, Membership]:
    """The conversation and the actor's membership of one of its two organisations."""
    user = require_login(actor)
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation")
    for organization_id in (conversation.first_org_id, conversation.second_org_id):
        membership = membership_of(user, organization_id)
        if membership is not None and actor.may_act_for(organization_id):
            return conversation, membership
    raise NotFound("conversation")


def reply(
    actor: Actor, conversation_id: int, body: str, files: list[tuple[str, bytes]]
) -> ConversationMessage:
    """A member of either organisation answers in a conversation (a deal's thread is answered
    as its parties write in it)."""
    conversation, membership = _conversation_member(actor, conversation_id)
    if conversation.subject_kind in DEAL_KINDS:
        return post_in_deal_thread(
            actor, conversation.subject_kind, conversation.subject_id or 0, body, files
        )
    text = _clean_body(body)
    sender = _verified_sender(membership)
    return _add_message(actor, conversation, sender, text, files)


# --- reading --------------------------------------------------------------------------------


def _mark_read(user_id: int | None, conversation_id: int, message_id: int) -> None:
    if user_id is None:
        return
    mark = db.session.get(ConversationRead, (conversation_id, user_id))
    if mark is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    ConversationRead(
                        conversation_id=conversation_id,
                        user_id=user_id,
                        last_read_message_id=message_id,
                    )
                )
            return
        except IntegrityError:
            mark = db.session.get(ConversationRead, (conversation_id, user_id))
            if mark is None:  # pragma: no cover
                raise
    if mark.last_read_message_id < message_id:
        mark.last_read_message_id = message_id


def mark_read(actor: Actor, conversation_id: int) -> Conversation:
    """The actor has read the conversation up to its last message."""
    conversation, _membership = _conversation_member(actor, conversation_id)
    last = db.session.scalar(
        select(func.max(ConversationMessage.id)).where(
            ConversationMessage.conversation_id == conversation.id
        )
    )
    if last:
        _mark_read(actor.user_id, conversation.id, last)
        db.session.flush()
    return conversation


@dataclass
class Contact:
    phone: str
    phone_display: str
    zalo_url: str


@dataclass
class ThreadView:
    conversation: Conversation | None
    #: The actor's organisation in it, and the other one.
    mine: Organization
    other: Organization
    messages: list[ConversationMessage]
    #: Messages with an id above this one are new to the actor.
    last_read_id: int
    contact: Contact | None
    subject: DealSubject | None = None
    title: object = ""
    #: The product a direct conversation was last asked about.
    listings: list[Listing] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(
            1
            for m in self.messages
            if m.id > self.last_read_id and m.organization_id != self.mine.id
        )


def _messages_of(conversation_id: int) -> list[ConversationMessage]:
    return list(
        db.session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.conversation_id == conversation_id)
            .options(
                selectinload(ConversationMessage.attachments),
                selectinload(ConversationMessage.author),
                selectinload(ConversationMessage.listing),
            )
            .order_by(ConversationMessage.id)
        )
    )


def _last_read(user_id: int | None, conversation_id: int) -> int:
    if user_id is None:
        return 0
    mark = db.session.get(ConversationRead, (conversation_id, user_id))
    return mark.last_read_message_id if mark is not None else 0


def subject_label(conversation: Conversation) -> object:
    """What a conversation is about, in words ("Contract HĐ-2026-00042", "Delivery 3 of …");
    empty for a direct conversation."""
    if conversation.subject_kind in DEAL_KINDS:
        try:
            return _deal_subject(conversation.subject_kind, conversation.subject_id).label
        except NotFound:
            return ""
    return ""


def thread(actor: Actor, conversation_id: int) -> ThreadView:
    """One conversation for a member of either organisation (NotFound for anyone else). GET
    never writes: reading it is recorded by ``mark_read``."""
    conversation, membership = _conversation_member(actor, conversation_id)
    mine = membership.organization
    other_id = (
        conversation.second_org_id
        if conversation.first_org_id == mine.id
        else conversation.first_org_id
    )
    other = db.session.get_one(Organization, other_id)
    subject = None
    if conversation.subject_kind in DEAL_KINDS:
        try:
            subject = _deal_subject(conversation.subject_kind, conversation.subject_id)
        except NotFound:
            subject = None
    return ThreadView(
        conversation=conversation,
        mine=mine,
        other=other,
        messages=_messages_of(conversation.id),
        last_read_id=_last_read(actor.user_id, conversation.id),
        contact=_contact_between(mine.id, other),
        subject=subject,
        title=subject.label if subject else other.name,
    )


def deal_thread(actor: Actor, subject_kind: str, subject_id: int) -> ThreadView:
    """The thread of a contract, delivery or invoice for either party (it may have no
    messages yet); NotFound for anyone else."""
    subject, who = _deal_party(actor, subject_kind, subject_id)
    mine = who.membership.organization
    other_id = subject.coop_id if mine.id == subject.buyer_id else subject.buyer_id
    other = db.session.get_one(Organization, other_id)
    conversation = db.session.scalar(select(Conversation).where(Conversation.key == subject.key))
    return ThreadView(
        conversation=conversation,
        mine=mine,
        other=other,
        messages=_messages_of(conversation.id) if conversation else [],
        last_read_id=_last_read(actor.user_id, conversation.id) if conversation else 0,
        contact=_contact_between(mine.id, other),
        subject=subject,
        title=subject.label,
    )


def attachment_for(actor: Actor, conversation_id: int, attachment_id: int) -> MessageAttachment:
    """A message's attachment, for members of the conversation's organisations only."""
    conversation, _membership = _conversation_member(actor, conversation_id)
    attachment = db.session.get(MessageAttachment, attachment_id)
    if attachment is None:
        raise NotFound("attachment")
    message = db.session.get(ConversationMessage, attachment.message_id)
    if message is None or message.conversation_id != conversation.id:
        raise NotFound("attachment")
    return attachment


# --- the inbox ------------------------------------------------------------------------------


@dataclass
class InboxEntry:
    conversation: Conversation
    mine: Organization
    other: Organization
    last: ConversationMessage | None
    unread: int
    title: object


def _my_org_ids(user: User):
    return select(Membership.organization_id).where(Membership.user_id == user.id)


def _unread_condition(user: User):
    read_up_to = (
        select(ConversationRead.last_read_message_id)
        .where(
            ConversationRead.conversation_id == ConversationMessage.conversation_id,
            ConversationRead.user_id == user.id,
        )
        .scalar_subquery()
    )
    return and_(
        ConversationMessage.id > func.coalesce(read_up_to, 0),
        ConversationMessage.organization_id.not_in(_my_org_ids(user)),
    )


def _mine(user: User):
    org_ids = _my_org_ids(user)
    return or_(Conversation.first_org_id.in_(org_ids), Conversation.second_org_id.in_(org_ids))


def unread_count(user: User) -> int:
    """How many of the person's conversations hold messages from the other side they have
    not read (the header's count)."""
    return (
        db.session.scalar(
            select(func.count(Conversation.id)).where(
                _mine(user),
                exists().where(
                    ConversationMessage.conversation_id == Conversation.id, _unread_condition(user)
                ),
            )
        )
        or 0
    )


def inbox(actor: Actor) -> list[InboxEntry]:
    """The conversations of every organisation the person belongs to, newest first, each with
    its last message and how many of the other side's messages are unread."""
    user = require_login(actor)
    conversations = list(
        db.session.scalars(
            select(Conversation)
            .where(_mine(user))
            .options(selectinload(Conversation.first_org), selectinload(Conversation.second_org))
            .order_by(
                func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(),
                Conversation.id.desc(),
            )
            .limit(INBOX_LIMIT)
        )
    )
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    unread = dict(
        db.session.execute(
            select(ConversationMessage.conversation_id, func.count())
            .where(ConversationMessage.conversation_id.in_(ids), _unread_condition(user))
            .group_by(ConversationMessage.conversation_id)
        ).all()
    )
    last_ids = (
        select(func.max(ConversationMessage.id))
        .where(ConversationMessage.conversation_id.in_(ids))
        .group_by(ConversationMessage.conversation_id)
    )
    last = {
        m.conversation_id: m
        for m in db.session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.id.in_(last_ids))
            .options(selectinload(ConversationMessage.organization))
        )
    }
    my_orgs = set(db.session.scalars(_my_org_ids(user)))
    # The deals the threads are about, in a query per kind; held here because the session
    # only keeps weak references, and each label below reads them from the session.
    _subjects = _load_subjects(conversations)
    entries = []
    for conversation in conversations:
        if conversation.first_org_id in my_orgs:
            mine, other = conversation.first_org, conversation.second_org
        else:
            mine, other = conversation.second_org, conversation.first_org
        entries.append(
            InboxEntry(
                conversation=conversation,
                mine=mine,
                other=other,
                last=last.get(conversation.id),
                unread=unread.get(conversation.id, 0),
                title=subject_label(conversation) or other.name,
            )
        )
    return entries


def _load_subjects(conversations: list[Conversation]) -> list[object]:
    """Load the contracts, deliveries (with their contracts) and invoices that these
    conversations are about, one query per kind."""
    ids: dict[str, set[int]] = {kind: set() for kind in DEAL_KINDS}
    for conversation in conversations:
        if conversation.subject_kind in DEAL_KINDS and conversation.subject_id:
            ids[conversation.subject_kind].add(conversation.subject_id)
    loaded: list[object] = []
    if ids["delivery"]:
        deliveries = list(
            db.session.scalars(select(Delivery).where(Delivery.id.in_(ids["delivery"])))
        )
        loaded += deliveries
        ids["contract"] |= {d.contract_id for d in deliveries}
    if ids["contract"]:
        loaded += db.session.scalars(select(Contract).where(Contract.id.in_(ids["contract"])))
    if ids["invoice"]:
        loaded += db.session.scalars(select(Invoice).where(Invoice.id.in_(ids["invoice"])))
    return loaded


def existing_direct(actor: Actor, organization_id: int, other_org_id: int) -> Conversation | None:
    """The direct conversation between one of the actor's organisations and another, if any."""
    member_of(actor, organization_id)
    return db.session.scalar(
        select(Conversation).where(Conversation.key == orgs_key(organization_id, other_org_id))
    )


def sender_memberships(actor: Actor, other_org_id: int) -> list[Membership]:
    """The memberships the actor may write to ``other_org_id`` for (any organisation but that
    one), verified ones first."""
    require_login(actor)
    found = [m for m in memberships(actor) if m.organization_id != other_org_id]
    return sorted(found, key=lambda m: (not m.organization.is_verified, m.id))


# --- phone and Zalo once there is a deal ----------------------------------------------------


def have_deal(first_org_id: int, second_org_id: int) -> bool:
    """Whether the two organisations have done business: a contract between them (a spot
    order too) that both signed, active, under notice or ended."""
    pair = or_(
        and_(Contract.buyer_id == first_org_id, Contract.coop_id == second_org_id),
        and_(Contract.buyer_id == second_org_id, Contract.coop_id == first_org_id),
    )
    return bool(db.session.scalar(select(exists().where(pair, Contract.status.in_(DEAL_STATUSES)))))


def _phone_of(organization: Organization) -> str | None:
    """The organisation's phone: its representative's, as its profile gives it for contact.
    A member's own sign-up number is never shown to another organisation."""
    return organization.representative_phone or None


def _contact(phone: str | None) -> Contact | None:
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = "".join(ch for ch in national if ch.isdigit())
    if not digits:
        return None
    if not digits.startswith("0"):
        digits = "0" + digits
    return Contact(phone=phone, phone_display=national, zalo_url=f"https://zalo.me/{digits}")


def _contact_between(my_org_id: int, other: Organization) -> Contact | None:
    if not have_deal(my_org_id, other.id):
        return None
    return _contact(_phone_of(other))


def contact_for(actor: Actor, other_org: Organization | int) -> Contact | None:
    """The other organisation's phone and a Zalo link, once one of the actor's organisations
    has a deal with it; None otherwise (and for anyone not logged in)."""
    if actor.user is None:
        return None
    other = (
        other_org
        if isinstance(other_org, Organization)
        else db.session.get(Organization, other_org)
    )
    if other is None:
        return None
    for membership in memberships(actor):
        if membership.organization_id != other.id and have_deal(
            membership.organization_id, other.id
        ):
            return _contact(_phone_of(other))
    return None
