"""Emails rendered in the recipient's language and queued in the outbox; notices to every
member of an organisation, or to the other side of a deal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.mail import Email
from marketplace.models import Membership, Organization, Side
from marketplace.services import inbox, outbox
from marketplace.urls import external_url, url_path

if TYPE_CHECKING:
    from marketplace.services.deals.rules import Party


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

    ``subject`` is a lazy translatable string, so it is rendered in the same locale.
    ``attach`` names documents to attach (``{"kind": "invoice", "id": 12}``): only that is
    queued; each is made in ``locale`` when the email is sent (``marketplace.mail.deliver``).
    """
    language = locale if locale in ("vi", "en") else "vi"
    with force_locale(language):
        text = render_template(f"email/{template}.txt", **context)
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
    for ``queue_email``.
    """
    values = context.pop("link_values", {})
    link = external_url(endpoint, **values)
    path = url_path(endpoint, **values)
    for membership in db.session.scalars(
        select(Membership)
        .where(Membership.organization_id == organization_id)
        .options(selectinload(Membership.user))
    ):
        user = membership.user
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
        inbox.notify(user, subject, path)


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
    from marketplace.models import User

    context = values.pop("context", {})
    link = external_url(endpoint, **values)
    path = url_path(endpoint, **values)
    for user in db.session.scalars(
        select(User).where(User.is_admin.is_(True), User.is_enabled.is_(True))
    ):
        queue_email(user.email, template, user.locale, subject, user=user, link=link, **context)
        inbox.notify(user, subject, path)
