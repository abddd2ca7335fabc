"""Emails rendered in the recipient's language and queued in the outbox."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.mail import Email
from marketplace.models import Membership, OutboxMessage
from marketplace.services import outbox


def queue_email(to: str, template: str, locale: str, subject: Any, **context: Any) -> OutboxMessage:
    """Render ``templates/email/<template>.txt`` in ``locale`` and queue it for sending.

    ``subject`` is a lazy translatable string, so it is rendered in the same locale.
    """
    with force_locale(locale if locale in ("vi", "en") else "vi"):
        text = render_template(f"email/{template}.txt", **context)
        email = Email(to=to, subject=str(subject), text=text)
    return outbox.enqueue("email", email.to_payload())


def notify_members(
    organization_id: int, template: str, subject: Any, *, endpoint: str, **context: Any
) -> list[int]:
    """Email every member of an organisation and leave each a notification in the app.

    The link (to ``endpoint`` with ``context["link_values"]``) goes in both. Returns the
    queued messages' ids, to deliver after the commit.
    """
    from marketplace.services import inbox
    from marketplace.urls import external_url, url_path

    values = context.pop("link_values", {})
    link = external_url(endpoint, **values)
    path = url_path(endpoint, **values)
    messages = []
    for membership in db.session.scalars(
        select(Membership)
        .where(Membership.organization_id == organization_id)
        .options(selectinload(Membership.user))
    ):
        user = membership.user
        messages.append(
            queue_email(user.email, template, user.locale, subject, user=user, link=link, **context)
        )
        inbox.notify(user, subject, path)
    db.session.flush()
    return [m.id for m in messages]
