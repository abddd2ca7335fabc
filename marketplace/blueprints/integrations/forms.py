"""Forms of an organisation's integrations page: making an API key."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from marketplace.blueprints.common import BaseForm
from marketplace.models import OrgKind
from marketplace.services import api_keys


class ApiKeyForm(BaseForm):
    """A named key and its permissions; the choices are the organisation's kind's scopes."""

    name = StringField(
        _l("Name of the key"),
        validators=[
            DataRequired(
                message=_l("Give the key a name, for example the system that will use it.")
            ),
            Length(max=80),
        ],
        description=_l("Which system uses it, e.g. “ERP kho Hà Nội” — to recognise it later."),
        render_kw={"autocomplete": "off", "maxlength": 80},
    )
    scopes = SelectMultipleField(_l("What the key may do"))

    def __init__(self, kind: OrgKind, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scopes.choices = [
            SelectChoice(scope, str(api_keys.SCOPES[scope])) for scope in api_keys.scopes_for(kind)
        ]
