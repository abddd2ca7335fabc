"""Emails rendered in the recipient's language and queued in the outbox; notices to every
member of an organisation, or to the other side of a deal.

Each email a member gets belongs to a kind (``EMAIL_KINDS``, by template in
``TEMPLATE_KINDS``) that the person may turn off: the notice in the app is still left. The
emails in ``ALWAYS_SENT`` cannot be turned off; every template is in one or the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.mail import Email
from marketplace.models import EmailPreference, Membership, Organization, Side, User
from marketplace.services import audit, inbox, outbox, webhooks
from marketplace.services.context import Actor
from marketplace.services.errors import ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.permissions import require_login
from marketplace.urls import external_url, url_path

if TYPE_CHECKING:
    from marketplace.services.deals.rules import Party


@dataclass(frozen=True)
class EmailKind:
    key: str
    label: Any
    description: Any


#: The kinds of email a person can turn off, in the order the page shows them.
EMAIL_KINDS: tuple[EmailKind, ...] = (
    EmailKind(
        "messages",
        _l("Messages"),
        _l("New messages from co-ops, buyers and organisers, and about quotes."),
    ),
    EmailKind(
        "quotes",
        _l("Requests and quotes"),
        _l("New requests for quotes, quotes, counter-offers and which quote was chosen."),
    ),
    EmailKind(
        "contracts",
        _l("Contracts and changes"),
        _l("Contracts to sign, signed, cancelled or given notice, and proposed changes."),
    ),
    EmailKind(
        "deliveries",
        _l("Deliveries"),
        _l("Deliveries dispatched, received or overdue."),
    ),
    EmailKind(
        "payments",
        _l("Invoices and payments"),
        _l("Invoices issued, paid or voided, payments and transfers, bank accounts, fees."),
    ),
    EmailKind(
        "fairs",
        _l("Trade fairs"),
        _l("Booth applications, the organiser's decisions, booth fees and cancelled fairs."),
    ),
    EmailKind(
        "verification",
        _l("Verification and the platform team"),
        _l("Verification of your organisation and certificates, listings taken down."),
    ),
)
KIND_KEYS = tuple(kind.key for kind in EMAIL_KINDS)

#: Every email sent to members, by template, and its kind.
TEMPLATE_KINDS: dict[str, str] = {
    "message_received": "messages",
    "quote_message": "messages",
    "rfq_posted": "quotes",
    "quote_received": "quotes",
    "quote_version": "quotes",
    "quote_withdrawn": "quotes",
    "quote_awarded": "quotes",
    "quote_declined": "quotes",
    "contract_to_sign": "contracts",
    "contract_active": "contracts",
    "contract_cancelled": "contracts",
    "contract_notice": "contracts",
    "amendment_proposed": "contracts",
    "amendment_decided": "contracts",
    "delivery_dispatched": "deliveries",
    "delivery_received": "deliveries",
    "delivery_overdue": "deliveries",
    "invoice_issued": "payments",
    "invoice_paid": "payments",
    "invoice_void": "payments",
    "payment_received": "payments",
    "transfer_claimed": "payments",
    "transfer_not_arrived": "payments",
    "bank_account_asked": "payments",
    "bank_account_added": "payments",
    "commission_invoice": "payments",
    "fair_update": "fairs",
    "fair_changed": "fairs",
    "verification_decision": "verification",
    "certificate_decision": "verification",
    "listing_taken_down": "verification",
}

#: Emails that always go, whatever a person chose: about the account itself, or addressed to
#: an email address rather than to a member.
ALWAYS_SENT: frozenset[str] = frozenset(
    {
        "password_reset",  # the account's own security
        "sign_up_continue",  # confirms a new account
        "sign_up_existing",  # a security notice: someone used this address to sign up
        "invitation",  # addressed to an email, not (yet) a member
        "invitation_reported",  # a report of abuse to the platform's admins
    }
)


def email_kind(template: str) -> str | None:
    """The kind an email belongs to, or None for one that always goes."""
    return TEMPLATE_KINDS.get(template)


def choices_link(kind: str | None = None) -> str:
    """The page where a person chooses their emails (at the kind's checkbox)."""
    link = external_url("notifications.email_choices")
    return f"{link}#kind-{kind}" if kind else link


def queue_email(
    to: str,
    template: str,
    locale: str,
    subject: Any,
    *,
    attach: Sequence[dict[str, Any]] = (),
    **context: Any,
) -> None:
    """Render ``templates/email/<template>.txt`` in ``locale`` and queue it for sending.

    An email of a kind that can be turned off ends with a link to the page that does it.

    ``subject`` is a lazy translatable string, so it is rendered in the same locale.
    ``attach`` names documents to attach (``{"kind": "invoice", "id": 12}``): only that is
    queued; each is made in ``locale`` when the email is sent (``marketplace.mail.deliver``).
    """
    language = locale if locale in ("vi", "en") else "vi"
    kind = email_kind(template)
    with force_locale(language):
        text = render_template(f"email/{template}.txt", **context)
        if kind is not None:
            # Every email that can be turned off says where, as its last line.
            turn_off = render_template("email/_turn_off.txt", link=choices_link(kind))
            text = text.rstrip() + "\n\n" + turn_off.strip() + "\n"
        email = Email(to=to, subject=str(subject), text=text)
    payload = email.to_payload()
    if attach:
        payload["attach"] = [{**spec, "language": language} for spec in attach]
    outbox.enqueue("email", payload)


def notify_members(
    organization_id: int,
    template: str,
    subject: Any,
    *,
    endpoint: str,
    attach: Sequence[dict[str, Any]] = (),
    **context: Any,
) -> None:
    """Email every member of an organisation and leave each a notification in the app.

    The link (to ``endpoint`` with ``context["link_values"]``) goes in both; ``attach`` as
    for ``queue_email``. Members who turned this kind of email off get only the notice.
    """
    values = context.pop("link_values", {})
    link = external_url(endpoint, **values)
    path = url_path(endpoint, **values)
    users = [
        membership.user
        for membership in db.session.scalars(
            select(Membership)
            .where(Membership.organization_id == organization_id)
            .options(selectinload(Membership.user))
        )
    ]
    muted = turned_off(users, template)
    for user in users:
        inbox.notify(user, subject, path)
        if user.id in muted:
            continue
        queue_email(
            user.email,
            template,
            user.locale,
            subject,
            attach=attach,
            user=user,
            link=link,
            **context,
        )
    # The organisation's own systems hear it too, on the webhooks subscribed to its event.
    webhooks.notice(organization_id, template, values, context)


def tell(
    organization: Organization | int,
    template: str,
    subject: Any,
    endpoint: str,
    *,
    attach: Sequence[dict[str, Any]] = (),
    **values,
) -> None:
    """Email and notify every member of the other party (``attach``: documents for the
    email, as for ``queue_email``)."""
    organization_id = organization if isinstance(organization, int) else organization.id
    context = values.pop("context", {})
    notify_members(
        organization_id,
        template,
        subject,
        endpoint=endpoint,
        attach=attach,
        link_values=values,
        **context,
    )


def tell_other(
    who: Party, buyer_id: int, coop_id: int, template: str, subject: Any, endpoint: str, **values
) -> None:
    """``tell`` the party of the deal that is not the actor's."""
    other = coop_id if who.side is Side.BUYER else buyer_id
    tell(other, template, subject, endpoint, **values)


def tell_admins(template: str, subject: Any, endpoint: str, **values) -> None:
    """Email and notify the platform's admins (what is addressed to the platform itself: a
    transfer claimed for a commission invoice)."""
    context = values.pop("context", {})
    link = external_url(endpoint, **values)
    path = url_path(endpoint, **values)
    admins = list(
        db.session.scalars(select(User).where(User.is_admin.is_(True), User.is_enabled.is_(True)))
    )
    muted = turned_off(admins, template)
    for user in admins:
        inbox.notify(user, subject, path)
        if user.id not in muted:
            queue_email(user.email, template, user.locale, subject, user=user, link=link, **context)


# --- a person's choice of emails --------------------------------------------------------------


def turned_off(users: Iterable[User], template: str) -> set[int]:
    """The ids of those ``users`` who turned off the kind ``template`` belongs to (one query
    for all of them; none for an email that always goes)."""
    kind = email_kind(template)
    ids = [user.id for user in users]
    if kind is None or not ids:
        return set()
    return set(
        db.session.scalars(
            select(EmailPreference.user_id).where(
                EmailPreference.user_id.in_(ids),
                EmailPreference.kind == kind,
                EmailPreference.send.is_(False),
            )
        )
    )


@dataclass(frozen=True)
class EmailChoice:
    kind: EmailKind
    send: bool


def email_choices(actor: Actor) -> list[EmailChoice]:
    """The acting person's choice for each kind of email (on unless turned off)."""
    user = require_login(actor)
    off = set(
        db.session.scalars(
            select(EmailPreference.kind).where(
                EmailPreference.user_id == user.id, EmailPreference.send.is_(False)
            )
        )
    )
    return [EmailChoice(kind, kind.key not in off) for kind in EMAIL_KINDS]


def set_email_choices(actor: Actor, choices: Mapping[str, bool]) -> list[EmailChoice]:
    """Turn kinds of email on or off for the acting person (kinds not named stay as they
    are); audited with what changed. Raises ValidationFailed for an unknown kind."""
    user = require_login(actor)
    unknown = [key for key in choices if key not in KIND_KEYS]
    if unknown:
        raise ValidationFailed({"send": _l("Choose one of the options.")})
    lock(User, user.id)  # two saves at once: one after the other, never a duplicate row
    rows = {
        row.kind: row
        for row in db.session.scalars(
            select(EmailPreference).where(EmailPreference.user_id == user.id)
        )
    }
    changed: dict[str, bool] = {}
    for key in KIND_KEYS:
        if key not in choices:
            continue
        send = bool(choices[key])
        row = rows.get(key)
        if row is None:
            if not send:
                db.session.add(EmailPreference(user_id=user.id, kind=key, send=False))
                changed[key] = False
        elif row.send != send:
            row.send = send
            changed[key] = send
    if changed:
        audit.record(actor, "user.email_choices", "user", user.id, details=changed)
    db.session.flush()
    return email_choices(actor)
