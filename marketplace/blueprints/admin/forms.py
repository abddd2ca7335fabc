from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length

from marketplace.blueprints.common import BaseForm

#: Profile fields an admin can comment on when asking for changes.
REVIEWABLE_FIELDS = (
    "legal_name",
    "registration_number",
    "tax_code",
    "founded_on",
    "province_code",
    "commune",
    "street",
    "representative_name",
    "representative_phone",
    "member_count",
    "area_hectares",
    "story_vi",
    "registration_document_key",
)


class DecisionForm(BaseForm):
    action = HiddenField(validators=[AnyOf(("approve", "request_changes", "reject", "withdraw"))])
    note = TextAreaField(_l("Message to the organisation"), validators=[Length(max=2000)])


class CertificateDecisionForm(BaseForm):
    action = HiddenField(validators=[AnyOf(("approve", "request_changes", "reject"))])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)], render_kw={"rows": 2})


def _bank_choices() -> list[SelectChoice]:
    from marketplace.payments import vietqr

    return [SelectChoice("", _("Choose…"))] + [
        SelectChoice(code, f"{bank.short_name} · {bank.full_name}")
        for code, bank in vietqr.BANKS.items()
    ]


class PlatformAccountForm(BaseForm):
    """The platform's own bank account, which commission invoices are paid to."""

    bin = SelectField(_l("Bank"), choices=_bank_choices, validate_choice=False)
    account = StringField(
        _l("Account number"),
        validators=[Length(max=40)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    holder = StringField(
        _l("Account holder (as the bank shows it)"),
        validators=[Length(max=120)],
        render_kw={"autocapitalize": "characters", "autocomplete": "off"},
    )
