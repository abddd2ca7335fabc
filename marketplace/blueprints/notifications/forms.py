from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.common import BaseForm
from marketplace.services.notifications import EMAIL_KINDS


class EmailChoicesForm(BaseForm):
    """One checkbox per kind of email: ticked means "send me these"."""

    send = SelectMultipleField(
        _l("Send me emails about"),
        choices=[SelectChoice(kind.key, kind.label) for kind in EMAIL_KINDS],
    )
