"""Forms of the contracts pages. Lines of requests and quotes are WTForms field lists; the
per-line forms of deliveries and amendments are read by the routes from named inputs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from marketplace.blueprints.common import BaseForm
from marketplace.validation import bounded_int


def _optional_int(value: object) -> int | None:
    text = str(value or "").strip()
    return bounded_int(text) if text else None


WEEKDAYS = [
    SelectChoice("1", _l("Monday")),
    SelectChoice("2", _l("Tuesday")),
    SelectChoice("3", _l("Wednesday")),
    SelectChoice("4", _l("Thursday")),
    SelectChoice("5", _l("Friday")),
    SelectChoice("6", _l("Saturday")),
    SelectChoice("7", _l("Sunday")),
]
PATTERNS = [
    SelectChoice("one_off", _l("Once")),
    SelectChoice("weekly", _l("Every week")),
    SelectChoice("biweekly", _l("Every two weeks")),
    SelectChoice("monthly", _l("Every month")),
]


class LineSubform(BaseForm):
    class Meta:
        csrf = False

    category_id = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False)
    listing_id = HiddenField()
    specification = StringField(
        _l("What you need"),
        validators=[Length(max=500)],
        description=_l("Variety, size, grade, packing."),
    )
    quantity = StringField(_l("Quantity per delivery"), validators=[Length(max=20)])
    unit = SelectField(_l("Unit"), validate_choice=False)
    target_price = StringField(_l("Target price per unit (optional)"), validators=[Length(max=30)])


class RfqForm(BaseForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    lines = FieldList(FormField(LineSubform), min_entries=1, max_entries=20)
    pattern = SelectField(
        _l("How often"), choices=PATTERNS, default="weekly", validate_choice=False
    )
    weekdays = SelectMultipleField(_l("Delivery days"), choices=WEEKDAYS, validate_choice=False)
    day_of_month = StringField(_l("Day of the month (monthly)"), validators=[Length(max=2)])
    starts_on = DateField(_l("First delivery on or after"), validators=[Optional()])
    ends_on = DateField(_l("Contract ends on"), validators=[Optional()])
    delivery_location_id = SelectField(
        _l("Deliver to"), coerce=_optional_int, validate_choice=False
    )
    required_certificates = SelectMultipleField(
        _l("Certificates required"),
        choices=[
            SelectChoice("vietgap", "VietGAP"),
            SelectChoice("globalgap", "GlobalGAP"),
            SelectChoice("organic", _l("Organic")),
        ],
        validate_choice=False,
    )
    min_ocop_stars = SelectField(
        _l("OCOP rating required"),
        choices=[
            SelectChoice("", _l("Not required")),
            SelectChoice("3", "3★+"),
            SelectChoice("4", "4★+"),
            SelectChoice("5", "5★"),
        ],
        coerce=_optional_int,
        validate_choice=False,
    )
    payment_days = StringField(
        _l("Payment terms: days after delivery"), default="30", validators=[Length(max=4)]
    )
    respond_by_date = DateField(_l("Quotes due by (date)"), validators=[Optional()])
    respond_by_time = TimeField(_l("Quotes due by (time)"), validators=[Optional()], default=None)
    invited_only = BooleanField(_l("Send only to co-ops I choose"))
    invited_coop_ids = SelectMultipleField(
        _l("Co-ops to ask"), coerce=_optional_int, validate_choice=False
    )
    notes = TextAreaField(
        _l("Notes for the co-ops"), validators=[Length(max=4000)], render_kw={"rows": 3}
    )


class QuoteLineSubform(BaseForm):
    class Meta:
        csrf = False

    rfq_line_id = HiddenField()
    include = BooleanField(_l("Quote for this line"), default=True)
    listing_id = SelectField(_l("Our product"), coerce=_optional_int, validate_choice=False)
    unit_price = StringField(_l("Price per unit (₫)"), validators=[Length(max=30)])
    quantity = StringField(_l("Quantity per delivery we commit"), validators=[Length(max=20)])
    vat_rate = SelectField(_l("VAT"), validate_choice=False)


class VersionForm(BaseForm):
    version = HiddenField()
    lines = FieldList(FormField(QuoteLineSubform), min_entries=0, max_entries=20)
    valid_until = DateField(_l("Offer valid until"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=4000)], render_kw={"rows": 3})
    attachments = MultipleFileField(
        _l("Attachments (optional)"),
        description=_l("Up to 3 files: PDF, JPEG, PNG or WebP, at most 10 MB each."),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"},
    )


class MessageForm(BaseForm):
    body = TextAreaField(_l("Message"), validators=[Length(max=4000)], render_kw={"rows": 3})
    attachments = MultipleFileField(
        _l("Attachments (optional)"),
        description=_l("Up to 3 files: PDF, JPEG, PNG or WebP, at most 10 MB each."),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"},
    )


class VersionedForm(BaseForm):
    """A button that changes a contract, delivery or negotiation: CSRF plus the version
    the user saw."""

    version = HiddenField()


class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 2})


class NoticeForm(ReasonForm):
    ends_on = DateField(_l("Last day of the contract"), validators=[Optional()])


class AmendmentForm(VersionedForm):
    reason = TextAreaField(
        _l("Reason for the change"), validators=[Length(max=2000)], render_kw={"rows": 2}
    )
    effective_from = DateField(_l("Change applies from"), validators=[Optional()])


class VoidForm(BaseForm):
    reason = TextAreaField(
        _l("Why is this invoice void?"), validators=[Length(max=2000)], render_kw={"rows": 2}
    )


class SpotOrderForm(BaseForm):
    quantity = StringField(_l("Quantity"), validators=[Length(max=20)])
    delivery_on = DateField(_l("Delivery date"), validators=[Optional()])
    delivery_location_id = SelectField(
        _l("Deliver to"), coerce=_optional_int, validate_choice=False
    )
    payment_days = StringField(
        _l("Payment terms: days after delivery"), default="7", validators=[Length(max=4)]
    )
    note = StringField(_l("Note for the co-op (optional)"), validators=[Length(max=300)])
