"""In-app notifications, written in the same transaction as the change they announce."""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import func, select, update

from marketplace.extensions import db
from marketplace.models import Notification, User
from marketplace.models._types import utcnow
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound
from marketplace.services.permissions import require_login


def notify(user: User, message: object, link: str | None = None) -> Notification:
    """Add a notification for ``user``; ``message`` is rendered in the user's language."""
    with force_locale(user.locale if user.locale in ("vi", "en") else "vi"):
        text = str(message)[:300]
    notification = Notification(user_id=user.id, message=text, link=link)
    db.session.add(notification)
    return notification


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def latest(actor: Actor, limit: int = 50) -> list[Notification]:
    user = require_login(actor)
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(actor: Actor) -> None:
    user = require_login(actor)
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.flush()


def open_notification(actor: Actor, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications read and return it (its ``link`` is where
    to go next). Raises NotFound for a notification that is not the actor's."""
    user = require_login(actor)
    notification = db.session.scalar(
        select(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user.id)
        .with_for_update()
    )
    if notification is None:
        raise NotFound("notification")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification
