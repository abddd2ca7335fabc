"""Editing a fair and its booth types, and laying out its floor plan (organisers)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.common import handle_form
from marketplace.blueprints.fairs import bp
from marketplace.blueprints.fairs.plan_forms import (
    BlockForm,
    BoothTypeEditForm,
    FairEditForm,
    FeatureForm,
    GridForm,
    RemoveForm,
    seen_version,
)
from marketplace.blueprints.fairs.routes import _fair_data
from marketplace.models import Role
from marketplace.services import fair_plan, fairs
from marketplace.vietnam import PROVINCES, province_name
from marketplace.web import call_or_abort, current_actor


@bp.app_template_global()
def floor_plan_drawing(fair, held=None, owners=None):
    """The floor plan's drawing for ``templates/fairs/_map.html``."""
    return fair_plan.drawing(fair, held, owners)


@bp.app_template_global()
def plan_kind_label(kind: str) -> str:
    return str(fair_plan.KIND_LABELS.get(kind, kind))


@bp.app_template_global()
def plan_size_label(kind: str) -> str:
    return str(fair_plan.SIZE_LABELS.get(kind, kind)).capitalize()


def _one_based(value: int | None) -> int | None:
    """A row or column as the organiser counts it (1 = the first) → the grid's (from 0)."""
    return None if value is None else value - 1


# --- editing ----------------------------------------------------------------------------------


@bp.route("/fairs/<int:fair_id>/edit", methods=["GET", "POST"])
@login_required
def edit_fair(fair_id: int):
    fair = call_or_abort(fairs.own_fair, current_actor(), fair_id, Role.MANAGER)
    form = FairEditForm()
    if not form.is_submitted():
        form.process(obj=fair)
        form.province.data = province_name(fair.province_code)
        form.eligible_provinces.data = ", ".join(
            province_name(code) for code in (fair.eligible_provinces or "").split(",") if code
        )
        form.version.data = fair.version
    has_applications = bool(fairs.applications_of_fair(current_actor(), fair.id))

    def save():
        cover = form.cover.data.read() if getattr(form.cover.data, "filename", None) else None
        return fairs.update_fair(
            current_actor(),
            fair_id,
            seen_version(form),
            _fair_data(form),
            cover,
            confirm_exclusion=bool(form.confirm_exclusion.data),
            confirm_badges=bool(form.confirm_badges.data),
        )

    def saved(_fair):
        flash(_("Fair saved."), "success")
        return redirect(url_for("fairs.manage", fair_id=fair_id))

    def page(status: int):
        if status == 422:  # a save after reading the messages goes on from what is there now
            form.version.data = fair.version
        return (
            render_template(
                "fairs/new.html",
                organization=fair.organization,
                form=form,
                provinces=PROVINCES,
                fair=fair,
                editing=True,
                has_applications=has_applications,
            ),
            status,
        )

    return handle_form(
        form,
        save,
        done=saved,
        back=url_for("fairs.manage", fair_id=fair_id),
        page=page,
    )


@bp.route("/booth-types/<int:booth_type_id>/edit", methods=["GET", "POST"])
@login_required
def edit_booth_type(booth_type_id: int):
    view = call_or_abort(fairs.booth_type_for_edit, current_actor(), booth_type_id)
    booth_type, fair, taken = view.booth_type, view.fair, view.taken
    form = BoothTypeEditForm()
    if not form.is_submitted():
        form.process(obj=booth_type)
        form.fee.data = f"{booth_type.fee:,}".replace(",", ".")
        form.booths.data = view.booths
        form.version.data = fair.version

    def save():
        return fairs.update_booth_type(
            current_actor(),
            booth_type_id,
            seen_version(form),
            fairs.BoothTypeData(
                name=form.name.data or "",
                size=form.size.data or "",
                fee=form.fee.data or "",
                includes=form.includes.data or "",
                staff_badges=form.staff_badges.data,
                booths=form.booths.data,
            ),
        )

    def saved(_booth_type):
        flash(_("Booth type saved."), "success")
        return redirect(url_for("fairs.manage", fair_id=fair.id))

    def page(status: int):
        if status == 422:
            form.version.data = fair.version
        return (
            render_template(
                "fairs/booth_type_edit.html",
                fair=fair,
                booth_type=booth_type,
                form=form,
                taken=taken,
                locale=str(get_locale()),
            ),
            status,
        )

    return handle_form(
        form, save, done=saved, back=url_for("fairs.manage", fair_id=fair.id), page=page
    )


# --- the floor plan ---------------------------------------------------------------------------


def _plan_page(fair_id: int, status: int = 200, **forms):
    fair = call_or_abort(fairs.own_fair, current_actor(), fair_id, Role.MANAGER)
    plan = fair_plan.floor_plan(fair)
    applications = fairs.applications_of_fair(current_actor(), fair.id)
    booth_map = fairs.booth_map(fair, applications)
    grid_form = forms.get("grid_form") or GridForm(
        formdata=None, grid_rows=plan.rows, grid_cols=plan.cols
    )
    block_form = forms.get("block_form") or BlockForm(formdata=None)
    block_form.booth_type_id.choices = [SelectChoice(t.id, t.name) for t in fair.booth_types]
    return (
        render_template(
            "fairs/plan.html",
            fair=fair,
            plan=plan,
            held=booth_map.held,
            owner_names=booth_map.owners,
            availability=booth_map.availability,
            grid_form=grid_form,
            block_form=block_form,
            feature_form=forms.get("feature_form") or FeatureForm(formdata=None),
            remove_form=RemoveForm(formdata=None),
            locale=str(get_locale()),
        ),
        status,
    )


@bp.route("/fairs/<int:fair_id>/plan")
@login_required
def plan(fair_id: int):
    return _plan_page(fair_id)


def _plan_saved(message: str):
    def done(_result):
        flash(message, "success")
        return redirect(url_for("fairs.plan", fair_id=request.view_args["fair_id"]) + "#plan")

    return done


@bp.route("/fairs/<int:fair_id>/plan/grid", methods=["POST"])
@login_required
def plan_grid(fair_id: int):
    form = GridForm()
    return handle_form(
        form,
        lambda: fair_plan.set_grid(
            current_actor(), fair_id, rows=form.grid_rows.data, cols=form.grid_cols.data
        ),
        done=_plan_saved(_("Grid size saved.")),
        back=url_for("fairs.plan", fair_id=fair_id),
        page=lambda status: _plan_page(fair_id, status, grid_form=form),
    )


@bp.route("/fairs/<int:fair_id>/plan/blocks", methods=["POST"])
@login_required
def plan_block(fair_id: int):
    form = BlockForm()
    return handle_form(
        form,
        lambda: fair_plan.add_block(
            current_actor(),
            fair_id,
            booth_type_id=form.booth_type_id.data or None,
            row=_one_based(form.row.data),
            col=_one_based(form.col.data),
            rows=form.rows.data,
            cols=form.cols.data,
            size_kind=form.size_kind.data or "",
            letter=form.letter.data or "",
        ),
        done=_plan_saved(_("Booths added to the plan.")),
        back=url_for("fairs.plan", fair_id=fair_id),
        page=lambda status: _plan_page(fair_id, status, block_form=form),
    )


@bp.route("/fairs/<int:fair_id>/plan/features", methods=["POST"])
@login_required
def plan_feature(fair_id: int):
    form = FeatureForm()
    return handle_form(
        form,
        lambda: fair_plan.add_feature(
            current_actor(),
            fair_id,
            kind=form.kind.data or "",
            row=_one_based(form.row.data),
            col=_one_based(form.col.data),
            width=form.width.data,
            height=form.height.data,
            label=form.label.data or "",
        ),
        done=_plan_saved(_("Added to the plan.")),
        back=url_for("fairs.plan", fair_id=fair_id),
        page=lambda status: _plan_page(fair_id, status, feature_form=form),
    )


@bp.route("/fairs/<int:fair_id>/plan/remove", methods=["POST"])
@login_required
def plan_remove(fair_id: int):
    form = RemoveForm()

    def removed(name):
        flash(_("Removed from the plan: %(item)s.", item=name), "success")
        return redirect(url_for("fairs.plan", fair_id=fair_id) + "#plan")

    return handle_form(
        form,
        lambda: fair_plan.remove_item(current_actor(), fair_id, form.item.data or ""),
        done=removed,
        back=url_for("fairs.plan", fair_id=fair_id),
        page=lambda status: _plan_page(fair_id, status),
    )
