"""Admins keep the category tree (seeded by migration 0003) up to date."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Category
from marketplace.parsing import check_vat
from marketplace.services import audit
from marketplace.services.catalogue.search import forget_categories
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.permissions import require_admin
from marketplace.services.slugs import slugify
from marketplace.validation import InvalidValue


def tree() -> list[tuple[Category, list[Category]]]:
    """Top-level categories, each with its children, in display order."""
    everything = list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))
    roots = [c for c in everything if c.parent_id is None]
    return [(root, [c for c in everything if c.parent_id == root.id]) for root in roots]


def admin_tree(actor: Actor) -> list[tuple[Category, list[Category]]]:
    """The tree as the admin's category page shows it (with VAT rates and commissions)."""
    require_admin(actor)
    return tree()


def add_category(actor: Actor, *, name_vi: str, name_en: str, parent_id: int | None) -> Category:
    require_admin(actor)
    name_vi, name_en = " ".join(name_vi.split())[:120], " ".join(name_en.split())[:120]
    errors: dict[str, object] = {}
    if not name_vi:
        errors["name_vi"] = _l("Enter the Vietnamese name.")
    if not name_en:
        errors["name_en"] = _l("Enter the English name.")
    parent = db.session.get(Category, parent_id) if parent_id else None
    if parent_id and (parent is None or parent.parent_id is not None):
        errors["parent_id"] = _l("Choose a top-level category, or none.")
    if errors:
        raise ValidationFailed(errors)
    slug = slugify(name_vi, 70)
    if db.session.scalar(select(Category.id).where(Category.slug == slug)):
        raise ValidationFailed({"name_vi": _l("A category with this name already exists.")})
    position = db.session.scalar(
        select(func.coalesce(func.max(Category.position), -1) + 1).where(
            Category.parent_id.is_(None) if parent is None else Category.parent_id == parent.id
        )
    )
    category = Category(
        slug=slug,
        name_vi=name_vi,
        name_en=name_en,
        parent_id=parent.id if parent else None,
        position=position,
    )
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "category.add", "category", category.id, details={"name": name_vi})
    db.session.flush()
    forget_categories()
    return category


def _commission_bps(text: str) -> int | None:
    """ "2,5" or "2.5" per cent → 250 basis points; empty → None (the platform's rate)."""
    value = (text or "").strip().replace(",", ".").removesuffix("%").strip()
    if not value:
        return None
    try:
        bps = round(float(value) * 100)
    except ValueError:
        bps = -1
    if not value.replace(".", "", 1).isdigit() or not 0 <= bps <= 3000:
        raise ValidationFailed(
            {"commission": _l("Enter a commission from 0 to 30 %, or leave it empty.")}
        )
    return bps


def rename_category(
    actor: Actor,
    category_id: int,
    *,
    name_vi: str,
    name_en: str,
    vat_rate: str = "",
    commission: str | None = None,
) -> Category:
    """Rename (the slug, part of public URLs, stays) and, if given, change the VAT rate that
    quotes for the category start from."""
    require_admin(actor)
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("category")
    name_vi, name_en = " ".join(name_vi.split())[:120], " ".join(name_en.split())[:120]
    if not name_vi or not name_en:
        raise ValidationFailed({"name_vi": _l("Enter both names.")})
    if vat_rate:
        try:
            category.vat_rate = check_vat(vat_rate)
        except InvalidValue as exc:
            raise ValidationFailed({"vat_rate": exc.message}) from exc
    if commission is not None:
        category.commission_bps = _commission_bps(commission)
    category.name_vi, category.name_en = name_vi, name_en
    audit.record(
        actor,
        "category.rename",
        "category",
        category.id,
        details={
            "name": name_vi,
            "vat_rate": category.vat_rate,
            "commission_bps": category.commission_bps,
        },
    )
    db.session.flush()
    forget_categories()
    return category
