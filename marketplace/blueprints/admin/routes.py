"""Platform admin pages: overview, verification queue and decisions."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.blueprints.admin import bp
from marketplace.blueprints.admin.forms import (
    REVIEWABLE_FIELDS,
    CertificateDecisionForm,
    DecisionForm,
)
from marketplace.extensions import db
from marketplace.models import Organization
from marketplace.services import admin, organizations, profiles, verification
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.permissions import require_admin
from marketplace.services.verification import TransitionNotAllowed
from marketplace.vietnam import province_name
from marketplace.web import call_or_abort, current_actor


@bp.route("/")
@login_required
def dashboard():
    overview = call_or_abort(admin.overview, current_actor())
    return render_template("admin/dashboard.html", overview=overview)


@bp.route("/verifications")
@login_required
def verification_queue():
    queue = call_or_abort(verification.queue, current_actor())
    return render_template("admin/queue.html", queue=queue)


def _organization_for_admin(org_id: int) -> Organization:
    call_or_abort(require_admin, current_actor())
    organization = db.session.get(Organization, org_id)
    if organization is None:
        abort(404)
    return organization


@bp.route("/verifications/<int:org_id>")
@login_required
def review(org_id: int):
    organization = _organization_for_admin(org_id)
    return _render_review(organization, DecisionForm())


def _render_review(organization: Organization, form: DecisionForm, status: int = 200):
    storage = current_app.extensions["storage"]
    max_age = current_app.config["PRIVATE_URL_MAX_AGE"]
    certificates = verification.certificates_of(organization.id)
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
            members=organizations.members(organization),
            photos=profiles.photos_of(organization.id),
            review=verification.latest_review(organization.id),
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
        else:
            verification.reject(actor, org_id, note or "")
    except ValidationFailed as exc:
        form.note.errors = [str(m) for m in exc.errors.values()]
        return _render_review(organization, form, 422)
    except TransitionNotAllowed:
        flash(_("This decision is no longer possible: the profile has changed state."), "error")
        return redirect(url_for("admin.review", org_id=org_id))
    flash(_("Decision recorded and sent to the organisation."), "success")
    return redirect(url_for("admin.verification_queue"))


@bp.route("/certificates/<int:cert_id>/decide", methods=["POST"])
@login_required
def decide_certificate(cert_id: int):
    form = CertificateDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        certificate = call_or_abort(
            verification.review_certificate,
            current_actor(),
            cert_id,
            form.action.data,
            form.note.data,
        )
    except NotFound:
        abort(404)
    except ValidationFailed as exc:
        for message in exc.errors.values():
            flash(str(message), "error")
        return redirect(url_for("admin.verification_queue"))
    except TransitionNotAllowed:
        flash(_("This decision is no longer possible: the certificate has changed state."), "error")
        return redirect(url_for("admin.verification_queue"))
    flash(_("Decision recorded and sent to the organisation."), "success")
    return redirect(url_for("admin.review", org_id=certificate.organization_id))
