"""Forms of the webhook pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import Length

from marketplace.blueprints.common import BaseForm


class WebhookEndpointForm(BaseForm):
    """An address and the events it is told about (the choices fit the organisation's kind)."""

    url = StringField(
        _l("Address (URL)"),
        validators=[Length(max=500)],
        description=_l(
            "A public https:// address of your system, like https://erp.example.vn/chohtx."
        ),
        render_kw={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"},
    )
    description = StringField(
        _l("Description (optional)"),
        validators=[Length(max=200)],
        description=_l("What receives the events, for example: our ERP."),
    )
    events = SelectMultipleField(_l("Events to send"), validate_choice=False)
    is_active = BooleanField(_l("On: send events to this address"), default=True)
