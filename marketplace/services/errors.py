"""Errors raised by services; blueprints turn them into form errors or HTTP answers."""

from __future__ import annotations

from enum import Enum
from typing import Any


class ServiceError(Exception):
    """Base class for expected failures of a use case."""


class ValidationFailed(ServiceError):
    """Input was refused. ``errors`` maps a field name to a (translatable) message."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__("invalid: " + ", ".join(errors))
        self.errors = errors


class DealChanged(ValidationFailed):
    """Someone else changed the negotiation or contract since the page was loaded."""

    def __init__(self, message: object):
        super().__init__({"version": message})


class TransitionNotAllowed(ServiceError):
    """The action cannot be taken from the object's current state."""

    def __init__(self, current: Enum, action: str):
        super().__init__(f"cannot {action} from {current.value}")
        self.current = current
        self.action = action


class PermissionDenied(ServiceError):
    """The acting user may not do this."""


class NotFound(ServiceError):
    """The object does not exist, or its existence is private to the acting user."""


class InvalidToken(ServiceError):
    """A signed link is tampered with, expired or already used; ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expired" | "invalid" | "used"
