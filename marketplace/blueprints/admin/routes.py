"""Platform admin pages: overview, verification queue and decisions."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.admin import bp
from marketplace.blueprints.admin.forms import (
    REVIEWABLE_FIELDS,
    CertificateDecisionForm,
    DecisionForm,
    PlatformAccountForm,
)
from marketplace.blueprints.common import handle_form
from marketplace.blueprints.listings.forms import CategoryForm
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.extensions import db
from marketplace.models import Organization
from marketplace.parsing import VAT_RATES
from marketplace.services import admin
from marketplace.services.accounts import organizations, profiles, verification
from marketplace.services.catalogue import categories, listings
from marketplace.services.errors import TransitionNotAllowed, ValidationFailed
from marketplace.services.payments import platform
from marketplace.services.permissions import require_admin
from marketplace.vietnam import province_name
from marketplace.web import call_or_abort, current_actor


@bp.route("/")
@login_required
def dashboard():
    overview = call_or_abort(admin.overview, current_actor())
    return render_template(
        "admin/dashboard.html",
        overview=overview,
        taken_down=listings.taken_down(current_actor()),
        confirm_form=ConfirmForm(),
    )


@bp.route("/verifications")
@login_required
def verification_queue():
    queue = call_or_abort(verification.queue, current_actor())
    return render_template("admin/queue.html", queue=queue)


def _organization_for_admin(org_id: int) -> Organization:
    return call_or_abort(verification.organization_for_review, current_actor(), org_id)


@bp.route("/verifications/<int:org_id>")
@login_required
def review(org_id: int):
    organization = _organization_for_admin(org_id)
    return _render_review(organization, DecisionForm())


def _render_review(organization: Organization, form: DecisionForm, status: int = 200):
    storage = current_app.extensions["storage"]
    max_age = current_app.config["PRIVATE_URL_MAX_AGE"]
    actor = current_actor()
    certificates = verification.certificates_of(actor, organization.id)
    return (
        render_template(
            "admin/review.html",
            organization=organization,
            form=form,
            certificate_form=CertificateDecisionForm(),
            fields=REVIEWABLE_FIELDS,
            registration_url=(
                storage.presigned_url(organization.registration_document_key, max_age)
                if organization.registration_document_key
                else None
            ),
            certificates=[
                (c, storage.presigned_url(c.document_key, max_age)) for c in certificates
            ],
            members=organizations.members(actor, organization.id),
            photos=profiles.photos_of(organization.id),
            review=verification.latest_review(actor, organization.id),
            province_name=province_name,
        ),
        status,
    )


@bp.route("/verifications/<int:org_id>/decide", methods=["POST"])
@login_required
def decide(org_id: int):
    organization = _organization_for_admin(org_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_review(organization, form, 422)
    actor = current_actor()
    note = (form.note.data or "").strip() or None
    try:
        if form.action.data == "approve":
            verification.approve(actor, org_id, note)
        elif form.action.data == "request_changes":
            field_notes = {f: request.form.get(f"field_{f}", "") for f in REVIEWABLE_FIELDS}
            verification.request_changes(actor, org_id, field_notes, note)
        elif form.action.data == "withdraw":
            verification.withdraw(actor, org_id, note or "")
        else:
            verification.reject(actor, org_id, note or "")
    except ValidationFailed as exc:
        db.session.rollback()
        form.note.errors = [str(m) for m in exc.errors.values()]
        return _render_review(organization, form, 422)
    except TransitionNotAllowed:
        db.session.rollback()
        flash(_("This decision is no longer possible: the profile has changed state."), "error")
        return redirect(url_for("admin.review", org_id=org_id))
    flash(_("Decision recorded and sent to the organisation."), "success")
    return redirect(url_for("admin.verification_queue"))


@bp.route("/certificates/<int:cert_id>/decide", methods=["POST"])
@login_required
def decide_certificate(cert_id: int):
    form = CertificateDecisionForm()

    def decided(certificate):
        flash(_("Decision recorded and sent to the organisation."), "success")
        return redirect(url_for("admin.review", org_id=certificate.organization_id))

    return handle_form(
        form,
        lambda: verification.review_certificate(
            current_actor(), cert_id, form.action.data, form.note.data
        ),
        done=decided,
        back=url_for("admin.verification_queue"),
        bad_form=400,
        refused=_("This decision is no longer possible: the certificate has changed state."),
    )


@bp.route("/categories", methods=["GET", "POST"])
@login_required
def category_tree():
    tree = call_or_abort(categories.admin_tree, current_actor())
    form = CategoryForm()
    _category_choices(form, tree)

    def added(_category):
        flash(_("Category added."), "success")
        return redirect(url_for("admin.category_tree"))

    return handle_form(
        form,
        lambda: categories.add_category(
            current_actor(),
            name_vi=form.name_vi.data or "",
            name_en=form.name_en.data or "",
            parent_id=form.parent_id.data or None,
        ),
        done=added,
        back=url_for("admin.category_tree"),
        page=lambda status: (
            render_template("admin/categories.html", form=form, tree=tree, vat_rates=VAT_RATES),
            status,
        ),
    )


def _category_choices(form: CategoryForm, tree) -> None:
    form.parent_id.choices = [SelectChoice(0, _("— none (top level) —"))] + [
        SelectChoice(root.id, root.name_vi) for root, _children in tree
    ]


@bp.route("/categories/<int:category_id>", methods=["POST"])
@login_required
def rename_category(category_id: int):
    form = CategoryForm()
    _category_choices(form, categories.tree())

    def renamed(_category):
        flash(_("Category renamed."), "success")
        return redirect(url_for("admin.category_tree"))

    return handle_form(
        form,
        lambda: categories.rename_category(
            current_actor(),
            category_id,
            name_vi=form.name_vi.data or "",
            name_en=form.name_en.data or "",
            vat_rate=form.vat_rate.data or "",
            commission=form.commission.data if "commission" in request.form else None,
        ),
        done=renamed,
        back=url_for("admin.category_tree"),
        bad_form=400,
    )


@bp.route("/platform-account", methods=["GET", "POST"])
@login_required
def platform_account():
    """The platform's bank account, shown with its VietQR on commission invoices' pay pages."""
    call_or_abort(require_admin, current_actor())
    saved = platform.settings()
    form = PlatformAccountForm(
        bin=saved.bank_bin if saved else None,
        account=saved.bank_account_number if saved else None,
        holder=saved.bank_account_name if saved else None,
    )

    def done(_row):
        flash(_("The platform's bank account is saved."), "success")
        return redirect(url_for("admin.platform_account"))

    return handle_form(
        form,
        lambda: platform.save_bank_account(
            current_actor(),
            bin=form.bin.data or "",
            account=form.account.data or "",
            holder=form.holder.data or "",
        ),
        done=done,
        back=url_for("admin.platform_account"),
        page=lambda status: (render_template("admin/platform_account.html", form=form), status),
    )
