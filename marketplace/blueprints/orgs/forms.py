from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from marketplace.blueprints.common import BaseForm
from marketplace.models.accounts import EMAIL_MAX


def role_choices():
    return [
        SelectChoice("staff", _l("Staff")),
        SelectChoice("manager", _l("Manager")),
        SelectChoice("owner", _l("Owner")),
    ]


class InviteForm(BaseForm):
    email = EmailField(
        _l("Colleague's email"),
        validators=[DataRequired(message=_l("Enter an email address.")), Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(_l("Role"), choices=role_choices, default="staff")


class ConfirmForm(BaseForm):
    """A form with only the CSRF token, for buttons that change state."""


class RoleForm(BaseForm):
    role = SelectField(_l("Role"), choices=role_choices)


class ReportInvitationForm(BaseForm):
    note = TextAreaField(_l("Anything we should know (optional)"), validators=[Length(max=1000)])
