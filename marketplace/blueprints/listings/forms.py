from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from marketplace.blueprints.common import BaseForm, KeptFileField
from marketplace.models.catalog import MAX_PRICE_TIERS
from marketplace.validation import bounded_int

MONTHS = [SelectChoice(str(m), str(m)) for m in range(1, 13)]


class ListingForm(BaseForm):
    title_vi = StringField(_l("Product name (Vietnamese)"), validators=[Length(max=160)])
    title_en = StringField(_l("Product name (English, optional)"), validators=[Length(max=160)])
    category_id = SelectField(_l("Category"), coerce=bounded_int, validate_choice=False)
    description_vi = TextAreaField(
        _l("Description (Vietnamese)"), validators=[Length(max=5000)], render_kw={"rows": 5}
    )
    description_en = TextAreaField(
        _l("Description (English, optional)"), validators=[Length(max=5000)], render_kw={"rows": 4}
    )
    origin_province = StringField(
        _l("Origin province"),
        validators=[Length(max=80)],
        description=_l("Leave empty to use your co-op's province."),
        render_kw={"list": "provinces"},
    )
    unit = SelectField(_l("Selling unit"), validate_choice=False)
    pack_size = StringField(
        _l("Pack size"), validators=[Length(max=80)], description=_l("For example: 500 ml, 200 g")
    )
    base_price = StringField(
        _l("Price per unit (₫)"),
        validators=[Length(max=20)],
        description=_l("Whole đồng, like 180.000."),
        render_kw={"inputmode": "numeric"},
    )
    min_order_quantity = StringField(
        _l("Minimum order quantity"),
        validators=[Length(max=12)],
        render_kw={"inputmode": "numeric"},
    )
    monthly_capacity = StringField(
        _l("Monthly supply capacity"),
        validators=[Length(max=12)],
        description=_l("Units you can deliver each month."),
        render_kw={"inputmode": "numeric"},
    )
    lead_time_days = StringField(
        _l("Lead time (days)"), validators=[Length(max=6)], render_kw={"inputmode": "numeric"}
    )
    shelf_life_days = StringField(
        _l("Shelf life (days)"), validators=[Length(max=6)], render_kw={"inputmode": "numeric"}
    )
    storage_conditions = StringField(_l("Storage conditions"), validators=[Length(max=200)])
    harvest_months = SelectMultipleField(
        _l("Harvest months"), choices=MONTHS, validate_choice=False
    )
    certificate_ids = SelectMultipleField(
        _l("Certificates that apply"), coerce=bounded_int, validate_choice=False
    )


for _n in range(1, MAX_PRICE_TIERS + 1):
    setattr(
        ListingForm,
        f"tier_qty_{_n}",
        StringField(
            _l("From quantity"), validators=[Length(max=12)], render_kw={"inputmode": "numeric"}
        ),
    )
    setattr(
        ListingForm,
        f"tier_price_{_n}",
        StringField(
            _l("Unit price (₫)"), validators=[Length(max=20)], render_kw={"inputmode": "numeric"}
        ),
    )


class QuickEditForm(BaseForm):
    base_price = StringField(_l("Price per unit (₫)"), validators=[Length(max=20)])
    monthly_capacity = StringField(_l("Monthly supply capacity"), validators=[Length(max=12)])


class PhotoForm(BaseForm):
    file = KeptFileField(
        _l("Photo"),
        description=_l("JPEG, PNG or WebP, at most 10 MB."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )


class LotForm(BaseForm):
    code = StringField(_l("Lot code"), validators=[Length(max=40)])
    produced_on = DateField(_l("Production or harvest date"), validators=[Optional()])
    quantity = StringField(
        _l("Quantity"), validators=[Length(max=12)], render_kw={"inputmode": "numeric"}
    )
    best_before = DateField(_l("Best before"), validators=[Optional()])
    farm_location = StringField(
        _l("Where it was grown or made"),
        validators=[Length(max=300)],
        description=_l("For example: đồi chè thôn Nậm Hồng, 1.200 m"),
    )
    lab_document = KeptFileField(
        _l("Lab test (optional)"),
        description=_l("PDF, JPEG, PNG or WebP, at most 10 MB."),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"},
    )


class TakeDownForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 2})


class CategoryForm(BaseForm):
    parent_id = SelectField(_l("Parent category"), coerce=bounded_int, validate_choice=False)
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=120)])
    #: Only when renaming: the VAT rate quotes for the category start from.
    vat_rate = StringField(_l("VAT rate"), validators=[Length(max=4)])
    #: Only when renaming: the platform's commission on sales in the category, in per cent.
    commission = StringField(_l("Commission in per cent"), validators=[Length(max=6)])


class ImportForm(BaseForm):
    file = KeptFileField(
        _l("CSV file"),
        description=_l("The columns of the exported file; leave id empty for a new product."),
        render_kw={"accept": ".csv,text/csv"},
    )
