from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from marketplace.blueprints.common import BaseForm, KeptFileField
from marketplace.validation import bounded_int


class FairForm(BaseForm):
    name_vi = StringField(_l("Name of the fair (Vietnamese)"), validators=[Length(max=200)])
    name_en = StringField(_l("Name (English, optional)"), validators=[Length(max=200)])
    description_vi = TextAreaField(
        _l("Description (Vietnamese)"), validators=[Length(max=5000)], render_kw={"rows": 4}
    )
    description_en = TextAreaField(
        _l("Description (English, optional)"),
        validators=[Length(max=5000)],
        render_kw={"rows": 3},
    )
    venue = StringField(_l("Venue"), validators=[Length(max=200)])
    province = StringField(
        _l("Province or city"), validators=[Length(max=80)], render_kw={"list": "provinces"}
    )
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    applications_open_on = DateField(_l("Applications open on"), validators=[Optional()])
    applications_close_on = DateField(_l("Applications close on"), validators=[Optional()])
    payment_days = IntegerField(
        _l("Days to pay the booth fee after acceptance"), validators=[Optional()], default=7
    )
    full_refund_until = DateField(
        _l("Full refund for cancellations until"),
        validators=[Optional()],
        description=_l("After this date a cancelled booth is not refunded."),
    )
    only_ocop = BooleanField(_l("Only co-ops with a valid OCOP certificate"))
    cover = KeptFileField(
        _l("Cover image (optional)"),
        description=_l("JPEG, PNG or WebP, at most 10 MB."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    eligible_provinces = StringField(
        _l("Only co-ops from these provinces (optional)"),
        validators=[Length(max=800)],
        description=_l("Separate names with commas; leave empty for all provinces."),
    )


class BoothTypeForm(BaseForm):
    name = StringField(
        _l("Booth type"),
        validators=[Length(max=120)],
        description=_l("For example: Tiêu chuẩn 3×3 m"),
    )
    size = StringField(_l("Size"), validators=[Length(max=40)])
    fee = StringField(
        _l("Fee (₫)"), validators=[Length(max=20)], render_kw={"inputmode": "numeric"}
    )
    includes = StringField(
        _l("Included"),
        validators=[Length(max=300)],
        description=_l("For example: 1 bàn, 2 ghế, điện 500 W"),
    )
    staff_badges = IntegerField(
        _l("Staff badges included"),
        validators=[Optional()],
        default=2,
        description=_l("Badges for the co-op's staff, besides the contact person's (0–20)."),
        render_kw={"inputmode": "numeric", "min": 0, "max": 20},
    )


class BoothRowForm(BaseForm):
    letter = StringField(_l("Row letter"), validators=[Length(max=2)])
    count = IntegerField(_l("Number of booths"), validators=[Optional()])
    booth_type_id = SelectField(_l("Booth type"), coerce=bounded_int, validate_choice=False)


class ApplicationForm(BaseForm):
    booth_type_id = SelectField(_l("Booth type"), coerce=bounded_int, validate_choice=False)
    preferred_booth_id = SelectField(
        _l("Preferred booth (optional)"), coerce=bounded_int, validate_choice=False
    )
    listing_ids = SelectMultipleField(
        _l("Products you will show"), coerce=bounded_int, validate_choice=False
    )
    needs = StringField(
        _l("Needs"), validators=[Length(max=500)], description=_l("Extra electricity, tables…")
    )
    contact_name = StringField(_l("Person at the booth"), validators=[Length(max=120)])
    contact_phone = StringField(
        _l("Their phone"), validators=[Length(max=30)], render_kw={"inputmode": "tel"}
    )
    join_waitlist = BooleanField(_l("If no booth is left, put me on the waitlist"))


class ReviewForm(BaseForm):
    note = TextAreaField(
        _l("Note to the co-op"), validators=[Length(max=2000)], render_kw={"rows": 2}
    )
    booth_id = SelectField(_l("Booth"), coerce=bounded_int, validate_choice=False)


class CancelForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 2})
