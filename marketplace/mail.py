"""Sending email: a ``Mailer`` protocol with an SMTP implementation and a log implementation.

The log mailer is the embedded default: the whole message, links included, is written to
the application log so a developer can follow a password-reset link without a mail server.

An email queued in the outbox names its attachments (``{"kind": "invoice", "id": 12,
"language": "vi"}``) instead of holding their bytes; ``deliver`` has each made at sending time
by the attachment maker registered for its kind, and sends the email without an attachment
that could not be made (logged).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

log = logging.getLogger("marketplace.mail")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    #: Made when the email is sent (``deliver``); never part of the queued payload.
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Email:
        return cls(to=payload["to"], subject=payload["subject"], text=payload["text"])

    def to_payload(self) -> dict[str, Any]:
        return {"to": self.to, "subject": self.subject, "text": self.text}


#: Makes the attachment a queued email names: its spec (``kind``, ``id``, ``language``) →
#: the file. Registered by kind in ``app.extensions["attachment_makers"]``.
AttachmentMaker = Callable[[dict[str, Any]], Attachment]


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


class LogMailer:
    """Writes each email to the log instead of sending it."""

    def __init__(self, sender: str):
        self.sender = sender

    def send(self, email: Email) -> None:
        log.warning(
            "EMAIL (not sent: SMTP_HOST is not set)\nFrom: %s\nTo: %s\nSubject: %s\n\n%s",
            self.sender,
            email.to,
            email.subject,
            email.text,
        )
        for attachment in email.attachments:
            log.warning(
                "  attached: %s (%s, %d bytes)",
                attachment.filename,
                attachment.content_type,
                len(attachment.data),
            )


class SmtpMailer:
    """Sends through an SMTP server, with STARTTLS and login when configured."""

    def __init__(
        self,
        *,
        sender: str,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: int = 10,
    ):
        self.sender = sender
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(self, email: Email) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Message-ID"] = make_msgid(domain="chohtx")
        message.set_content(email.text)
        for attachment in email.attachments:
            maintype, _slash, subtype = attachment.content_type.partition("/")
            message.add_attachment(
                attachment.data,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def mailer_from_config(config: dict[str, Any]) -> Mailer:
    if config.get("SMTP_HOST"):
        return SmtpMailer(
            sender=config["MAIL_FROM"],
            host=config["SMTP_HOST"],
            port=config["SMTP_PORT"],
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            starttls=config.get("SMTP_STARTTLS", True),
            timeout=config.get("SMTP_TIMEOUT", 10),
        )
    return LogMailer(config["MAIL_FROM"])


def deliver(payload: dict[str, Any], mailer: Mailer, makers: Mapping[str, AttachmentMaker]) -> None:
    """Send a queued email (the outbox's ``email`` topic), its attachments made now.

    An attachment that cannot be made (its maker fails, its kind is unknown) is left out and
    logged: the email itself still goes. A failure to send raises, so the outbox retries."""
    email = Email.from_payload(payload)
    attachments = []
    for spec in payload.get("attach") or ():
        try:
            attachments.append(makers[spec["kind"]](spec))
        except Exception:  # noqa: BLE001 - the email matters more than its attachment
            log.exception("attachment %r could not be made; the email is sent without it", spec)
    mailer.send(replace(email, attachments=tuple(attachments)))
