"""Form submissions already handled, so a double tap on "Save" does not create two things."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models._types import UTCDateTime, utcnow


class FormSubmission(db.Model):
    __tablename__ = "form_submissions"

    #: The random token a create form carries; its primary key makes a second use fail.
    token: Mapped[str] = mapped_column(String(48), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
