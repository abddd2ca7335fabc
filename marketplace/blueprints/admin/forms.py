from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
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
