"""Forms of the badges and the gate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length

from marketplace.blueprints.common import BaseForm


class StaffBadgeForm(BaseForm):
    name = StringField(
        _l("Full name"),
        validators=[Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    phone = StringField(
        _l("Phone (optional)"),
        validators=[Length(max=30)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )


class GateScanForm(BaseForm):
    """A typed code (or the badge page's button); the gate page's script sends the same
    fields as JSON."""

    code = StringField(
        _l("Badge code"),
        validators=[Length(max=2000)],
        description=_l("The 7 characters under the QR code, like ABC-DEFG."),
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "enterkeyhint": "go",
        },
    )
    device = StringField(
        _l("This gate's name"),
        validators=[Length(max=60)],
        description=_l("For example: Cổng 1. Kept on this phone."),
        render_kw={"autocomplete": "off"},
    )
    allow_outside = BooleanField(_l("Allow check-in outside the fair's days"))
    client_scan_id = HiddenField(validators=[Length(max=64)])
    scanned_at = HiddenField(validators=[Length(max=40)])
