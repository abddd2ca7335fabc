"""Co-ops' listings and lots; the public listing, category and traceability pages."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.common import (
    apply_errors,
    category_choices,
    chosen_file,
    handle_form,
    keep_files,
)
from marketplace.blueprints.contracts.shared import wanted_quantity
from marketplace.blueprints.listings import bp
from marketplace.blueprints.listings.forms import (
    ImportForm,
    ListingForm,
    LotForm,
    PhotoForm,
    QuickEditForm,
    TakeDownForm,
)
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.extensions import db
from marketplace.i18n import UNITS, certificate_name, unit_label
from marketplace.models import Listing, Organization, OrgKind, Role
from marketplace.models.catalog import MAX_PRICE_TIERS
from marketplace.qr import qr_png, qr_svg
from marketplace.services.accounts import verification
from marketplace.services.catalogue import listing_csv, listings
from marketplace.services.errors import ValidationFailed
from marketplace.urls import external_url
from marketplace.validation import small_int
from marketplace.vietnam import PROVINCES, province_name
from marketplace.web import (
    call_or_abort,
    current_actor,
    first_submission,
    member_view,
    private_file,
)


@bp.app_context_processor
def listing_helpers() -> dict:
    return {"unit_label": unit_label, "province_name": province_name}


@bp.route("/orgs/<int:org_id>/listings")
@login_required
def dashboard(org_id: int):
    organization, membership = member_view(org_id, OrgKind.COOP)
    return render_template(
        "listings/dashboard.html",
        organization=organization,
        membership=membership,
        listings=call_or_abort(listings.dashboard_listings, current_actor(), org_id),
        can_trade=verification.can_trade(organization),
        quick_form=QuickEditForm(),
        confirm_form=ConfirmForm(),
    )


def _prepare(form: ListingForm, organization: Organization) -> None:
    form.category_id.choices = category_choices(SelectChoice(0, _("— choose —")))
    form.unit.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(code, unit_label(code)) for code in UNITS
    ]
    form.certificate_ids.choices = [
        SelectChoice(c.id, f"{certificate_name(c.kind.value)} {c.number}")
        for c in verification.valid_certificates(organization.id)
    ]


def _data(form: ListingForm) -> listings.ListingData:
    return listings.ListingData(
        title_vi=form.title_vi.data or "",
        title_en=form.title_en.data or "",
        category_id=form.category_id.data or None,
        description_vi=form.description_vi.data or "",
        description_en=form.description_en.data or "",
        origin_province=form.origin_province.data or "",
        unit=form.unit.data or "",
        pack_size=form.pack_size.data or "",
        base_price=form.base_price.data or "",
        min_order_quantity=form.min_order_quantity.data or "",
        monthly_capacity=form.monthly_capacity.data or "",
        lead_time_days=form.lead_time_days.data or "",
        shelf_life_days=form.shelf_life_days.data or "",
        storage_conditions=form.storage_conditions.data or "",
        harvest_months=[
            small_int(str(m)) for m in form.harvest_months.data or [] if small_int(str(m))
        ],
        certificate_ids=list(form.certificate_ids.data or []),
        tiers=[
            (form[f"tier_qty_{n}"].data or "", form[f"tier_price_{n}"].data or "")
            for n in range(1, MAX_PRICE_TIERS + 1)
        ],
    )


def _fill(form: ListingForm, listing: Listing) -> None:
    for name in (
        "title_vi",
        "title_en",
        "description_vi",
        "description_en",
        "unit",
        "pack_size",
        "storage_conditions",
    ):
        form[name].data = getattr(listing, name)
    form.category_id.data = listing.category_id
    form.origin_province.data = province_name(listing.origin_province_code)
    form.base_price.data = f"{listing.base_price:,}".replace(",", ".")
    for name in ("min_order_quantity", "monthly_capacity", "lead_time_days", "shelf_life_days"):
        value = getattr(listing, name)
        form[name].data = "" if value is None else str(value)
    form.harvest_months.data = (
        (listing.harvest_months or "").split(",") if listing.harvest_months else []
    )
    form.certificate_ids.data = [c.id for c in listing.certificates]
    for n, tier in enumerate(listing.tiers, start=1):
        form[f"tier_qty_{n}"].data = str(tier.min_quantity)
        form[f"tier_price_{n}"].data = f"{tier.unit_price:,}".replace(",", ".")


def _tier_errors(form: ListingForm, errors: dict) -> dict:
    """Tier problems go next to the tier table; the rest next to their fields."""
    rest = {}
    for key, message in errors.items():
        if key.startswith("tier_") and small_int(key[5:]):
            form[f"tier_price_{key[5:]}"].errors = [str(message)]
        else:
            rest[key] = message
    return rest


@bp.route("/orgs/<int:org_id>/listings/new", methods=["GET", "POST"])
@login_required
def new(org_id: int):
    organization, membership = member_view(org_id, OrgKind.COOP, Role.MANAGER)
    form = ListingForm()
    _prepare(form, organization)
    tiers_error = None
    if request.method == "GET":
        form.min_order_quantity.data, form.lead_time_days.data = "1", "3"
    if form.validate_on_submit():
        if not first_submission():
            flash(_("This was already saved."), "info")
            return redirect(url_for("listings.dashboard", org_id=org_id))
        try:
            listing = listings.create_listing(current_actor(), org_id, _data(form))
        except ValidationFailed as exc:
            rest = _tier_errors(form, exc.errors)
            tiers_error = rest.pop("tiers", None)
            apply_errors(form, rest)
        else:
            flash(_("Draft saved. Add photos, then publish."), "success")
            return redirect(url_for("listings.edit", org_id=org_id, listing_id=listing.id))
    return _render_form(
        organization, form, None, tiers_error, 422 if request.method == "POST" else 200
    )


def _render_form(organization, form, listing, tiers_error, status):
    return (
        render_template(
            "listings/form.html",
            organization=organization,
            form=form,
            listing=listing,
            tiers_error=tiers_error,
            tier_numbers=range(1, MAX_PRICE_TIERS + 1),
            photo_form=PhotoForm(),
            confirm_form=ConfirmForm(),
            provinces=PROVINCES,
            can_trade=verification.can_trade(organization),
        ),
        status,
    )


@bp.route("/orgs/<int:org_id>/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int, listing_id: int):
    organization, _membership = member_view(org_id, OrgKind.COOP)
    listing = call_or_abort(
        listings.get_own_listing, current_actor(), org_id, listing_id, Role.MANAGER
    )
    form = ListingForm()
    _prepare(form, organization)
    tiers_error = None
    if request.method == "GET":
        _fill(form, listing)
    elif form.validate_on_submit():
        try:
            call_or_abort(listings.update_listing, current_actor(), org_id, listing_id, _data(form))
        except ValidationFailed as exc:
            rest = _tier_errors(form, exc.errors)
            tiers_error = rest.pop("tiers", None)
            if "status" in rest:
                flash(str(rest.pop("status")), "error")
            apply_errors(form, rest)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("listings.edit", org_id=org_id, listing_id=listing_id))
    return _render_form(
        organization, form, listing, tiers_error, 422 if request.method == "POST" else 200
    )


def _back_url(org_id: int, listing_id: int | None = None) -> str:
    if listing_id is None:
        return url_for("listings.dashboard", org_id=org_id)
    return url_for("listings.edit", org_id=org_id, listing_id=listing_id)


def _back(org_id: int, listing_id: int | None = None):
    return redirect(_back_url(org_id, listing_id))


def _flash_errors(exc: ValidationFailed) -> None:
    for message in exc.errors.values():
        flash(str(message), "error")


def _not_in_this_state() -> str:
    return _("This cannot be done in the listing's current state.")


def _saying(message: str, back: str):
    """A ``done`` for handle_form: flash ``message``, then go to ``back``."""

    def done(_result):
        flash(message, "success")
        return redirect(back)

    return done


@bp.route("/orgs/<int:org_id>/listings/<int:listing_id>/state", methods=["POST"])
@login_required
def change_state(org_id: int, listing_id: int):
    action = request.form.get("action", "")
    back = _back_url(org_id, listing_id)
    return handle_form(
        ConfirmForm(),
        lambda: listings.change_state(current_actor(), org_id, listing_id, action),
        done=_saying(_("Listing updated."), back),
        back=back,
        bad_form=400,
        refused=_not_in_this_state(),
    )


@bp.route("/orgs/<int:org_id>/listings/<int:listing_id>/quick", methods=["POST"])
@login_required
def quick(org_id: int, listing_id: int):
    form = QuickEditForm()
    back = _back_url(org_id)
    return handle_form(
        form,
        lambda: listings.quick_update(
            current_actor(),
            org_id,
            listing_id,
            base_price=form.base_price.data or "",
            monthly_capacity=form.monthly_capacity.data or "",
        ),
        done=_saying(_("Price and capacity saved."), back),
        back=back,
        bad_form=400,
    )


@bp.route("/orgs/<int:org_id>/listings/<int:listing_id>/duplicate", methods=["POST"])
@login_required
def duplicate(org_id: int, listing_id: int):
    def copied(copy):
        flash(_("Copy saved as a draft."), "success")
        return _back(org_id, copy.id)

    return handle_form(
        ConfirmForm(),
        lambda: listings.duplicate_listing(current_actor(), org_id, listing_id),
        done=copied,
        back=_back_url(org_id),
        bad_form=400,
        once=True,
    )


@bp.route("/orgs/<int:org_id>/listings/<int:listing_id>/photos", methods=["POST"])
@login_required
def add_photo(org_id: int, listing_id: int):
    form = PhotoForm()
    back = _back_url(org_id, listing_id)
    return handle_form(
        form,
        lambda: listings.add_photo(current_actor(), org_id, listing_id, chosen_file(form.file)),
        done=_saying(_("Photo saved."), back),
        back=back,
        bad_form=400,
    )


@bp.route("/orgs/<int:org_id>/listings/<int:listing_id>/photos/<int:photo_id>", methods=["POST"])
@login_required
def photo_action(org_id: int, listing_id: int, photo_id: int):
    action = request.form.get("action", "")

    def act():
        if action == "delete":
            return listings.remove_photo(current_actor(), org_id, listing_id, photo_id)
        return listings.move_photo(current_actor(), org_id, listing_id, photo_id, action)

    back = _back_url(org_id, listing_id)
    return handle_form(
        ConfirmForm(),
        act,
        done=lambda _result: redirect(back),
        back=back,
        bad_form=400,
    )


@bp.route("/orgs/<int:org_id>/listings/<int:listing_id>/lots", methods=["GET", "POST"])
@login_required
def lots(org_id: int, listing_id: int):
    # Any member sees the lots; recording one is for owners and managers.
    organization, _membership = member_view(
        org_id, OrgKind.COOP, Role.MANAGER if request.method == "POST" else Role.STAFF
    )
    listing = call_or_abort(listings.get_own_listing, current_actor(), org_id, listing_id)
    form = LotForm()
    # The unit beside the number: "120 hũ" is also accepted when hũ is the product's unit.
    form.quantity.description = _(
        "In %(unit)s: a whole number, like 120.", unit=unit_label(listing.unit)
    )
    if form.validate_on_submit():
        try:
            lot = listings.create_lot(
                current_actor(),
                org_id,
                listing_id,
                listings.LotData(
                    code=form.code.data or "",
                    produced_on=form.produced_on.data,
                    quantity=form.quantity.data or "",
                    best_before=form.best_before.data,
                    farm_location=form.farm_location.data or "",
                ),
                chosen_file(form.lab_document),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            if "status" in exc.errors:
                _flash_errors(exc)
            apply_errors(form, {k: v for k, v in exc.errors.items() if k != "status"})
        else:
            flash(
                _("Lot %(code)s recorded. Print its QR code on the packaging.", code=lot.code),
                "success",
            )
            return redirect(url_for("listings.lots", org_id=org_id, listing_id=listing_id))
    if request.method == "POST":
        keep_files(form)
    return (
        render_template(
            "listings/lots.html",
            organization=organization,
            listing=listing,
            lots=listings.lots_of(current_actor(), org_id, listing.id),
            form=form,
        ),
        422 if request.method == "POST" else 200,
    )


@bp.route("/orgs/<int:org_id>/listings.csv")
@login_required
def export(org_id: int):
    content = call_or_abort(listing_csv.export_csv, current_actor(), org_id)
    response = Response(content, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="san-pham-{org_id}.csv"'
    return response


@bp.route("/orgs/<int:org_id>/listings/import", methods=["GET", "POST"])
@login_required
def import_listings(org_id: int):
    organization, membership = member_view(org_id, OrgKind.COOP, Role.MANAGER)
    form = ImportForm()
    results = None
    if form.validate_on_submit():
        content = chosen_file(form.file)
        try:
            if not content:
                raise listing_csv.ImportRefused({"file": _("Choose a CSV file.")})
            results = listing_csv.import_csv(current_actor(), org_id, content)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc.errors)
    if form.errors:
        keep_files(form)
    return (
        render_template(
            "listings/import.html", organization=organization, form=form, results=results
        ),
        422 if form.errors else 200,
    )


# --- public pages ---------------------------------------------------------------------------


@bp.route("/p/<slug>")
def public(slug: str):
    listing = call_or_abort(listings.public_listing, slug)
    return render_template(
        "listings/public.html",
        listing=listing,
        locale=str(get_locale()),
        # The quantity searched for, carried on to "request a quote" and "order once".
        quantity=wanted_quantity(request.args),
    )


@bp.route("/c/<slug>")
def category(slug: str):
    category = call_or_abort(listings.category_by_slug, slug)
    page = min(max(small_int(request.args.get("page", "1")) or 1, 1), 10_000)
    found, total = listings.category_listings(category, limit=48, offset=(page - 1) * 48)
    return render_template(
        "listings/category.html",
        category=category,
        listings=found,
        total=total,
        page=page,
        pages=max((total + 47) // 48, 1),
        locale=str(get_locale()),
    )


@bp.route("/t/<code>")
def trace(code: str):
    trace = call_or_abort(listings.traceability, code)
    return render_template("listings/trace.html", trace=trace, locale=str(get_locale()))


@bp.route("/t/<code>/lab")
def trace_lab(code: str):
    """A lot's lab result, for as long as its traceability page is shown."""
    trace = call_or_abort(listings.traceability, code)
    return private_file(trace.lot.lab_document_key)


def _qr_target(code: str) -> str:
    call_or_abort(listings.traceability, code)
    return external_url("listings.trace", code=code)


@bp.route("/t/<code>/qr.png")
def trace_qr_png(code: str):
    return Response(qr_png(_qr_target(code)), mimetype="image/png")


@bp.route("/t/<code>/qr.svg")
def trace_qr_svg(code: str):
    response = Response(qr_svg(_qr_target(code)), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="lot-{code}.svg"'
    return response


# --- admin ------------------------------------------------------------------------------------


@bp.route("/admin/listings/<int:listing_id>/take-down", methods=["POST"])
@login_required
def take_down(listing_id: int):
    form = TakeDownForm()

    def taken_down(listing):
        flash(_("The listing was taken down and the co-op was told why."), "success")
        return redirect(url_for("orgs.public_profile", slug=listing.organization.slug))

    return handle_form(
        form,
        lambda: listings.take_down(current_actor(), listing_id, form.reason.data or ""),
        done=taken_down,
        back=url_for("admin.dashboard"),
        bad_form=400,
        refused=_not_in_this_state(),
    )


@bp.route("/admin/listings/<int:listing_id>/restore", methods=["POST"])
@login_required
def restore(listing_id: int):
    back = url_for("admin.dashboard")
    return handle_form(
        ConfirmForm(),
        lambda: listings.restore(current_actor(), listing_id),
        done=_saying(_("The listing is back with its co-op as a draft."), back),
        back=back,
        bad_form=400,
        refused=_not_in_this_state(),
    )
