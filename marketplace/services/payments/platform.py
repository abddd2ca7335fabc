"""The platform's own settings (one row): the bank account its commission invoices are paid to,
set by a platform admin and audited."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.models import PlatformSettings
from marketplace.models._types import utcnow
from marketplace.parsing import text_of
from marketplace.payments import vietqr
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.permissions import require_admin

#: The one row.
ROW_ID = 1


def settings() -> PlatformSettings | None:
    """The platform's settings as saved (None before an admin saved any)."""
    return db.session.get(PlatformSettings, ROW_ID)


def has_bank_account() -> bool:
    found = settings()
    return bool(found and found.bank_bin and found.bank_account_number)


def locked_row() -> PlatformSettings:
    """The row, made if missing (two admins at once: one insert wins, both then lock it)."""
    if settings() is None:
        try:
            with db.session.begin_nested():
                db.session.add(PlatformSettings(id=ROW_ID))
        except IntegrityError:
            pass
    return lock(PlatformSettings, ROW_ID)


def save_bank_account(actor: Actor, *, bin: str, account: str, holder: str) -> PlatformSettings:
    """A platform admin sets the account commission invoices are paid to (shown with its
    VietQR on their pay pages). Raises ValidationFailed, PermissionDenied."""
    require_admin(actor)
    errors: dict[str, object] = {}
    if bin not in vietqr.BANKS:
        errors["bin"] = _l("Choose the bank.")
    # Spaces, dots and dashes between the digits, as banks print them, are taken out.
    number = re.sub(r"[\s.\-]", "", account or "")
    if not (number.isascii() and number.isdigit() and 6 <= len(number) <= 19):
        errors["account"] = _l("An account number has 6 to 19 digits.")
    name = text_of(holder, 120)
    if not name:
        errors["holder"] = _l("Enter the account holder's name as the bank shows it.")
    if errors:
        raise ValidationFailed(errors)
    row = locked_row()
    before = {"bin": row.bank_bin, "account": (row.bank_account_number or "")[-4:]}
    row.bank_bin, row.bank_account_number, row.bank_account_name = bin, number, name
    row.updated_by_id, row.updated_at = actor.user_id, utcnow()
    audit.record(
        actor,
        "platform.bank_account",
        "platform_settings",
        ROW_ID,
        details={"before": before, "bin": bin, "account": number[-4:]},
    )
    db.session.flush()
    return row
