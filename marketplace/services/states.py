"""One way to run the workflows' state machines: a table of allowed transitions per workflow
(verification, listings, fair applications), looked up here."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from marketplace.services.errors import TransitionNotAllowed

S = TypeVar("S", bound=Enum)


def step(
    table: dict[tuple[S, str], S],
    current: S,
    action: str,
    error: type[TransitionNotAllowed] = TransitionNotAllowed,
) -> S:
    """The state ``action`` leads to from ``current``, or ``error`` if the table has none."""
    try:
        return table[(current, action)]
    except KeyError:
        raise error(current, action) from None
