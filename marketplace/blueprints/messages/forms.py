"""Forms of the messages pages: a message (text and up to three files), and the first message
to a co-op, which says which organisation writes when the person belongs to several."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField

from marketplace.blueprints.contracts.forms import MessageForm
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.validation import small_int


class StartForm(MessageForm):
    sender = SelectField(_l("Write as"), coerce=small_int, validate_choice=False)
    listing = HiddenField()


__all__ = ["ConfirmForm", "MessageForm", "StartForm"]
