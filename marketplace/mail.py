"""Sending email: a ``Mailer`` protocol with an SMTP implementation and a log implementation.

The log mailer is the embedded default: the whole message, links included, is written to
the application log so a developer can follow a password-reset link without a mail server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

log = logging.getLogger("marketplace.mail")


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Email:
        return cls(to=payload["to"], subject=payload["subject"], text=payload["text"])

    def to_payload(self) -> dict[str, Any]:
        return {"to": self.to, "subject": self.subject, "text": self.text}


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
