"""Talking to the other side: the inbox, a conversation and its reply form, the first message
to a co-op (from its page or a product's), the threads of contracts, deliveries and invoices,
and the attachments of messages."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.common import chosen_files, handle_form
from marketplace.blueprints.messages import bp
from marketplace.blueprints.messages.forms import ConfirmForm, MessageForm, StartForm
from marketplace.extensions import limiter
from marketplace.services import messages
from marketplace.services.errors import NotFound, PermissionDenied
from marketplace.validation import small_int
from marketplace.web import call_or_abort, current_actor, private_file

#: The page each deal thread belongs to, and the name of its id there.
DEAL_PAGES = {
    "contract": ("contracts.contract", "contract_id"),
    "delivery": ("contracts.delivery", "delivery_id"),
    "invoice": ("contracts.invoice", "invoice_id"),
}


@bp.app_context_processor
def message_helpers() -> dict:
    """The header's count of conversations with unread messages, and the thread shown on
    contract, delivery and invoice pages."""
    if (
        not has_request_context()
        or g.get("database_away")
        or not current_user
        or not current_user.is_authenticated
    ):
        return {"unread_messages": 0, "deal_thread_for": _deal_thread_for}
    return {
        "unread_messages": messages.unread_count(current_user),
        "deal_thread_for": _deal_thread_for,
    }


def _deal_thread_for(kind: str, subject_id: int):
    """(thread, empty form) for a deal page's thread section; None when not a party."""
    try:
        view = messages.deal_thread(current_actor(), kind, subject_id)
    except (NotFound, PermissionDenied):
        return None
    return view, MessageForm(formdata=None)


def _deal_page_url(kind: str, subject_id: int, anchor: str = "messages") -> str:
    endpoint, name = DEAL_PAGES[kind]
    return url_for(endpoint, **{name: subject_id}, _anchor=anchor)


def _thread_action(view: messages.ThreadView) -> str:
    if view.subject is not None:
        kind = view.subject.kind
        return url_for(f"messages.{kind}_thread", **{f"{kind}_id": view.subject.id})
    return url_for("messages.thread", conversation_id=view.conversation.id)


# --- the inbox and one conversation ---------------------------------------------------------


def _message_limit() -> str:
    return current_app.config["MESSAGE_RATE_LIMIT"]


def _sender_key() -> str:
    # Per person (every sending route needs a login), so a shared office address is not
    # one count and one person cannot spread messages over addresses.
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else "anonymous"


#: One count per person across every route that sends a message.
_sending = limiter.shared_limit(
    _message_limit, scope="messages", methods=["POST"], key_func=_sender_key
)


@bp.route("/messages")
@login_required
def inbox():
    return render_template("messages/inbox.html", entries=messages.inbox(current_actor()))


def _thread_page(view: messages.ThreadView, form: MessageForm, status: int = 200):
    return (
        render_template(
            "messages/thread.html",
            view=view,
            form=form,
            action=_thread_action(view),
            read_form=ConfirmForm(formdata=None),
            deal_page=(
                _deal_page_url(view.subject.kind, view.subject.id, "")
                if view.subject is not None
                else None
            ),
        ),
        status,
    )


@bp.route("/messages/<int:conversation_id>", methods=["GET", "POST"])
@login_required
@_sending
def thread(conversation_id: int):
    view = call_or_abort(messages.thread, current_actor(), conversation_id)
    form = MessageForm()

    def sent(message):
        flash(_("Message sent. %(org)s has been told.", org=view.other.name), "success")
        return redirect(url_for("messages.thread", conversation_id=conversation_id))

    return handle_form(
        form,
        lambda: messages.reply(
            current_actor(), conversation_id, form.body.data or "", chosen_files(form.attachments)
        ),
        done=sent,
        back=url_for("messages.thread", conversation_id=conversation_id),
        page=lambda status: _thread_page(view, form, status),
    )


@bp.route("/messages/<int:conversation_id>/read", methods=["POST"])
@login_required
def mark_read(conversation_id: int):
    """Reading a conversation (the page posts this once shown; a button without script)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    call_or_abort(messages.mark_read, current_actor(), conversation_id)
    if request.accept_mimetypes.best == "application/json":
        return {"read": True}
    return redirect(url_for("messages.thread", conversation_id=conversation_id), 303)


@bp.route("/messages/<int:conversation_id>/files/<int:file_id>")
@login_required
def attachment(conversation_id: int, file_id: int):
    found = call_or_abort(messages.attachment_for, current_actor(), conversation_id, file_id)
    return private_file(found.key)


# --- the first message to a co-op -----------------------------------------------------------


@bp.route("/orgs/<int:org_id>/message", methods=["GET", "POST"])
@login_required
@_sending
def start(org_id: int):
    """Write to a verified co-op, from its page or a product's page (``?listing=<id>``)."""
    actor = current_actor()
    coop = call_or_abort(messages.messageable_coop, org_id)
    listing = messages.listing_asked_about(
        coop.id, small_int(request.values.get("listing", "").strip())
    )
    memberships = messages.sender_memberships(actor, coop.id)
    if not memberships and any(m.organization_id == coop.id for m in current_user.memberships):
        # The co-op's own people: its messages are in their inbox.
        return redirect(url_for("messages.inbox"))
    verified = [m for m in memberships if m.organization.is_verified]
    form = StartForm()
    form.sender.choices = [
        SelectChoice(m.organization_id, m.organization.name) for m in verified or memberships
    ]
    if not form.is_submitted():
        form.sender.data = form.sender.choices[0].value if form.sender.choices else None
    if listing is not None:
        form.listing.data = str(listing.id)
    sender_id = form.sender.data if form.sender.data else None
    if sender_id is None and memberships:
        sender_id = (verified or memberships)[0].organization_id

    def page(status: int):
        earlier = None
        if sender_id is not None and any(m.organization_id == sender_id for m in memberships):
            earlier = messages.existing_direct(actor, sender_id, coop.id)
        return (
            render_template(
                "messages/start.html",
                coop=coop,
                listing=listing,
                form=form,
                memberships=memberships,
                verified=verified,
                earlier=earlier,
            ),
            status,
        )

    def sent(message):
        flash(_("Message sent. %(org)s has been told.", org=coop.name), "success")
        return redirect(url_for("messages.thread", conversation_id=message.conversation_id))

    if not memberships:
        if form.is_submitted():
            abort(403)
        return page(200)
    return handle_form(
        form,
        lambda: messages.start_or_send(
            actor,
            sender_id,
            coop.id,
            form.body.data or "",
            chosen_files(form.attachments),
            listing.id if listing is not None else None,
        ),
        done=sent,
        back=url_for("messages.start", org_id=coop.id),
        page=page,
    )


# --- the threads of contracts, deliveries and invoices ---------------------------------------


def _deal_thread(kind: str, subject_id: int):
    view = call_or_abort(messages.deal_thread, current_actor(), kind, subject_id)
    form = MessageForm()

    def sent(message):
        flash(_("Message sent. %(org)s has been told.", org=view.other.name), "success")
        return redirect(_deal_page_url(kind, subject_id))

    return handle_form(
        form,
        lambda: messages.post_in_deal_thread(
            current_actor(), kind, subject_id, form.body.data or "", chosen_files(form.attachments)
        ),
        done=sent,
        back=_deal_page_url(kind, subject_id),
        page=lambda status: _thread_page(view, form, status),
    )


@bp.route("/contracts/<int:contract_id>/messages", methods=["GET", "POST"])
@login_required
@_sending
def contract_thread(contract_id: int):
    return _deal_thread("contract", contract_id)


@bp.route("/deliveries/<int:delivery_id>/messages", methods=["GET", "POST"])
@login_required
@_sending
def delivery_thread(delivery_id: int):
    return _deal_thread("delivery", delivery_id)


@bp.route("/invoices/<int:invoice_id>/messages", methods=["GET", "POST"])
@login_required
@_sending
def invoice_thread(invoice_id: int):
    return _deal_thread("invoice", invoice_id)
