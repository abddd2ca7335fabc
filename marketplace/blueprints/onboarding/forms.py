from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.blueprints.common import BaseForm, KeptFileField
from marketplace.blueprints.payments.forms import BankAccountForm
from marketplace.i18n import CERTIFICATE_NAMES


class VersionedForm(BaseForm):
    #: The profile version the form was read at (see services.profiles).
    version = HiddenField()


class IdentityForm(VersionedForm):
    name = StringField(
        _l("Name shown on Chợ HTX"),
        validators=[
            DataRequired(message=_l("Enter the name of your organisation.")),
            Length(max=200),
        ],
    )
    legal_name = StringField(
        _l("Registered (legal) name"),
        validators=[Length(max=200)],
        description=_l("As written on the registration certificate."),
    )
    short_name = StringField(_l("Short name"), validators=[Length(max=80)])
    registration_number = StringField(
        _l("Registration certificate number"), validators=[Length(max=40)]
    )
    tax_code = StringField(
        _l("Tax code"),
        validators=[Length(max=20)],
        description=_l("10 digits, or 13 written like 0101234567-001."),
        render_kw={"inputmode": "numeric"},
    )
    founded_on = DateField(
        _l("Founding date"),
        validators=[Optional()],
    )
    registration_document = KeptFileField(
        _l("Scanned registration certificate"),
        description=_l("PDF, JPEG, PNG or WebP, at most 10 MB."),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"},
    )


class AddressForm(VersionedForm):
    province = StringField(
        _l("Province or city"),
        validators=[Length(max=80)],
        description=_l("One of the 34 provinces and cities; a former province name works too."),
        render_kw={"list": "provinces", "autocomplete": "address-level1"},
    )
    commune = StringField(
        _l("Commune or ward"),
        validators=[Length(max=120)],
        render_kw={"autocomplete": "address-level2"},
    )
    street = StringField(
        _l("Street address"),
        validators=[Length(max=200)],
        render_kw={"autocomplete": "street-address"},
    )


class PeopleForm(VersionedForm):
    representative_name = StringField(_l("Legal representative"), validators=[Length(max=120)])
    representative_position = StringField(
        _l("Position"), validators=[Length(max=80)], description=_l("For example: Giám đốc HTX")
    )
    representative_phone = StringField(
        _l("Representative's phone"),
        validators=[Length(max=30)],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    member_count = StringField(
        _l("Number of members"), validators=[Length(max=10)], render_kw={"inputmode": "numeric"}
    )
    area_hectares = StringField(
        _l("Cultivated area (hectares)"),
        validators=[Length(max=20)],
        render_kw={"inputmode": "decimal"},
    )


class StoryForm(VersionedForm):
    story_vi = TextAreaField(
        _l("Your story (Vietnamese)"), validators=[Length(max=5000)], render_kw={"rows": 6}
    )
    story_en = TextAreaField(
        _l("Your story (English, optional)"), validators=[Length(max=5000)], render_kw={"rows": 6}
    )


class PayoutAccountForm(BankAccountForm):
    """The payout bank account as an onboarding step: the payment pages' form, with the
    version field every step carries (a bank account has no version of its own)."""

    version = HiddenField()


class ImageUploadForm(BaseForm):
    file = KeptFileField(
        _l("Photo"),
        description=_l("JPEG, PNG or WebP, at most 10 MB."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )


def certificate_kind_choices():
    return [SelectChoice(kind, name) for kind, name in CERTIFICATE_NAMES.items()]


class CertificateForm(BaseForm):
    kind = SelectField(_l("Kind of certificate"), choices=certificate_kind_choices)
    number = StringField(
        _l("Certificate or decision number"),
        validators=[Length(max=80)],
    )
    issuer = StringField(
        _l("Issued by"),
        validators=[Length(max=200)],
        description=_l("For example: UBND tỉnh Lai Châu"),
    )
    issued_on = DateField(_l("Date of issue"), validators=[Optional()])
    expires_on = DateField(_l("Valid until"), validators=[Optional()])
    ocop_stars = IntegerField(
        _l("OCOP stars"),
        validators=[
            Optional(),
            NumberRange(min=3, max=5, message=_l("OCOP certificates have 3 to 5 stars.")),
        ],
        description=_l("3, 4 or 5 stars."),
        render_kw={"min": 3, "max": 5, "inputmode": "numeric"},
    )
    product_name = StringField(_l("OCOP product"), validators=[Length(max=200)])
    document = KeptFileField(
        _l("Scanned certificate"),
        description=_l("PDF, JPEG, PNG or WebP, at most 10 MB."),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"},
    )


class LocationForm(BaseForm):
    name = StringField(_l("Name of the place"), validators=[Length(max=120)])
    province = AddressForm.province
    commune = AddressForm.commune
    street = AddressForm.street
