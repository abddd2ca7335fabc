"""Who is acting, passed to every service instead of reading the request."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.models import ApiKey, User


@dataclass(frozen=True)
class Actor:
    user: User | None
    #: Client IP as seen by the web layer, for the audit log.
    ip: str | None = None
    #: Set when the request came with an API key: the key acts as the person who made it,
    #: only within the key's organisation and never as a platform admin.
    api_key: ApiKey | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, ip=None)

    def may_act_for(self, organization_id: int) -> bool:
        """Whether this actor may act for the organisation at all (an API key: only its
        own); membership and role are checked separately."""
        return self.api_key is None or self.api_key.organization_id == organization_id

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.is_admin and self.api_key is None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None
