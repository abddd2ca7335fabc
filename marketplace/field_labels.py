"""Human names of profile and listing fields, for messages that point at a field (admin
review notes, emails, import reports) instead of showing its code name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIELD_LABELS = {
    "name": _l("Name shown on Chợ HTX"),
    "legal_name": _l("Registered (legal) name"),
    "tax_code": _l("Tax code"),
    "province_code": _l("Province or city"),
    "province": _l("Province or city"),
    "origin_province": _l("Origin province"),
    "commune": _l("Commune or ward"),
    "street": _l("Street address"),
    "registration_number": _l("Registration certificate number"),
    "registration_document_key": _l("Scanned registration certificate"),
    "founded_on": _l("Founding date"),
    "representative_name": _l("Legal representative"),
    "representative_position": _l("Position"),
    "representative_phone": _l("Representative's phone"),
    "member_count": _l("Number of members"),
    "area_hectares": _l("Cultivated area (hectares)"),
    "story_vi": _l("Your story (Vietnamese)"),
    "bank_account": _l("Payout bank account"),
    "title_vi": _l("Product name (Vietnamese)"),
    "category_id": _l("Category"),
    "unit": _l("Selling unit"),
    "base_price": _l("Price per unit (₫)"),
    "tiers": _l("Wholesale price tiers"),
    "min_order_quantity": _l("Minimum order quantity"),
    "monthly_capacity": _l("Monthly supply capacity"),
    "lead_time_days": _l("Lead time (days)"),
    "shelf_life_days": _l("Shelf life (days)"),
    "certificate_ids": _l("Certificates that apply"),
}


def field_label(name: str) -> str:
    """The field's name in the current language; unknown names are shown as they are."""
    if name.startswith("tier_"):
        return str(FIELD_LABELS["tiers"])
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name
