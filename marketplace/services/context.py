"""Who is acting, passed to every service instead of reading the request."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.models import User


@dataclass(frozen=True)
class Actor:
    user: User | None
    #: Client IP as seen by the web layer, for the audit log.
    ip: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, ip=None)

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None
