"""Emails rendered in the recipient's language and queued in the outbox; notices to every
member of an organisation, or to the other side of a deal."""

from __future__ import annotations

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


def queue_email(to: str, template: str, locale: str, subject: Any, **context: Any) -> None:
    """Render ``templates/email/<template>.txt`` in ``locale`` and queue it for sending.

    ``subject`` is a lazy translatable string, so it is rendered in the same locale.
    """
    with force_locale(locale if locale in ("vi", "en") else "vi"):
        text = render_template(f"email/{template}.txt", **context)
        email = Email(to=to, subject=str(subject), text=text)
    outbox.enqueue("email", email.to_payload())


def notify_members(
    organization_id: int, template: str, subject: Any, *, endpoint: str, **context: Any
) -> None:
    """Email every member of an organisation and leave each a notification in the app.

    The link (to ``endpoint`` with ``context["link_values"]``) goes in both.
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
        queue_email(user.email, template, user.locale, subject, user=user, link=link, **context)
        inbox.notify(user, subject, path)


def tell(
    organization: Organization | int, template: str, subject: Any, endpoint: str, **values
) -> None:
    """Email and notify every member of the other party."""
    organization_id = organization if isinstance(organization, int) else organization.id
    context = values.pop("context", {})
    notify_members(
        organization_id, template, subject, endpoint=endpoint, link_values=values, **context
    )


def tell_other(
    who: Party, buyer_id: int, coop_id: int, template: str, subject: Any, endpoint: str, **values
) -> None:
    """``tell`` the party of the deal that is not the actor's."""
    other = coop_id if who.side is Side.BUYER else buyer_id
    tell(other, template, subject, endpoint, **values)
