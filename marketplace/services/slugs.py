"""Readable, unique URL parts made from Vietnamese names."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Organization
from marketplace.search.folding import fold

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 60) -> str:
    """ "HTX Sâm Lai Châu" → "htx-sam-lai-chau"."""
    slug = _NOT_ALNUM.sub("-", fold(text)).strip("-")
    return slug[:max_length].rstrip("-") or "to-chuc"


def unique_organization_slug(name: str) -> str:
    base = slugify(name)
    taken = db.session.scalar(select(Organization.id).where(Organization.slug == base))
    # A short random suffix rather than counting: two sign-ups with one name cannot collide.
    return base if taken is None else f"{base}-{secrets.token_hex(3)}"
