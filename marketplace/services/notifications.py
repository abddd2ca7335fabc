"""Emails rendered in the recipient's language and queued in the outbox."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale

from marketplace.mail import Email
from marketplace.models import OutboxMessage
from marketplace.services import outbox


def queue_email(to: str, template: str, locale: str, subject: Any, **context: Any) -> OutboxMessage:
    """Render ``templates/email/<template>.txt`` in ``locale`` and queue it for sending.

    ``subject`` is a lazy translatable string, so it is rendered in the same locale.
    """
    with force_locale(locale if locale in ("vi", "en") else "vi"):
        text = render_template(f"email/{template}.txt", **context)
        email = Email(to=to, subject=str(subject), text=text)
    return outbox.enqueue("email", email.to_payload())
