"""An organisation's profile, step by step; certificates; sending for verification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from marketplace.blueprints.common import apply_errors, chosen_file, handle_form, keep_files
from marketplace.blueprints.onboarding import bp
from marketplace.blueprints.onboarding.forms import (
    AddressForm,
    CertificateForm,
    IdentityForm,
    ImageUploadForm,
    LocationForm,
    PayoutAccountForm,
    PeopleForm,
    StoryForm,
)
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.extensions import db
from marketplace.models import Organization, OrgKind, Role
from marketplace.services.accounts import certificates, profiles, verification
from marketplace.services.context import Actor
from marketplace.services.errors import TransitionNotAllowed, ValidationFailed
from marketplace.services.payments import transfers
from marketplace.validation import format_vn_phone, small_int
from marketplace.vietnam import PROVINCES, province_name
from marketplace.web import (
    call_or_abort,
    current_actor,
    member_view,
    private_file,
)


def _version(form) -> int | None:
    raw = form.version.data
    return small_int(str(raw)) if raw else None


@dataclass(frozen=True)
class Step:
    key: str
    title: object
    form: type
    save: Callable[[Actor, Organization, object], None]
    coop_only: bool = False
    #: Only for organisations that are paid (co-ops and fair organisers), not buyers.
    payee_only: bool = False
    #: One sentence under the title saying why the step is asked for.
    intro: Callable[[Organization], object] | None = None


def _save_identity(actor: Actor, org: Organization, form) -> None:
    profiles.save_identity(
        actor,
        org.id,
        _version(form),
        profiles.Identity(
            name=form.name.data or "",
            legal_name=form.legal_name.data or "",
            short_name=form.short_name.data or "",
            registration_number=form.registration_number.data or "",
            tax_code=form.tax_code.data or "",
            founded_on=form.founded_on.data,
        ),
        registration_document=chosen_file(form.registration_document),
    )


def _save_address(actor: Actor, org: Organization, form) -> None:
    profiles.save_address(
        actor,
        org.id,
        _version(form),
        province=form.province.data or "",
        commune=form.commune.data or "",
        street=form.street.data or "",
    )


def _save_people(actor: Actor, org: Organization, form) -> None:
    profiles.save_people(
        actor,
        org.id,
        _version(form),
        representative_name=form.representative_name.data or "",
        representative_position=form.representative_position.data or "",
        representative_phone=form.representative_phone.data or "",
        member_count=form.member_count.data or "",
        area_hectares=form.area_hectares.data or "",
    )


def _save_story(actor: Actor, org: Organization, form) -> None:
    profiles.save_story(
        actor, org.id, _version(form), story_vi=form.story_vi.data, story_en=form.story_en.data
    )


def _save_bank_account(actor: Actor, org: Organization, form) -> None:
    transfers.save_bank_account(
        actor,
        org.id,
        bin=form.bin.data or "",
        account=form.account.data or "",
        holder=form.holder.data or "",
    )


STEPS = [
    Step("identity", _l("Legal details"), IdentityForm, _save_identity),
    Step("address", _l("Address"), AddressForm, _save_address),
    Step("people", _l("Representative and size"), PeopleForm, _save_people, coop_only=True),
    Step("story", _l("Story and photos"), StoryForm, _save_story, coop_only=True),
    Step(
        "bank",
        _l("Payout bank account"),
        PayoutAccountForm,
        _save_bank_account,
        payee_only=True,
        intro=verification.why_bank_account,
    ),
]

#: The step where each thing a submission needs is filled in
#: (verification.missing_for_submission names them).
FIELD_STEPS = {
    "legal_name": "identity",
    "tax_code": "identity",
    "registration_number": "identity",
    "registration_document_key": "identity",
    "founded_on": "identity",
    "province_code": "address",
    "commune": "address",
    "street": "address",
    "representative_name": "people",
    "representative_position": "people",
    "representative_phone": "people",
    "member_count": "people",
    "area_hectares": "people",
    "story_vi": "story",
    verification.BANK_ACCOUNT: "bank",
}

#: Form fields of a step that are stored under another name on the organisation.
_COLUMNS = {"bin": "bank_bin", "account": "bank_account_number", "holder": "bank_account_name"}


def steps_for(org: Organization) -> list[Step]:
    return [
        s
        for s in STEPS
        if (not s.coop_only or org.kind is OrgKind.COOP) and (not s.payee_only or org.is_payee)
    ]


def _member_view(org_id: int, min_role: Role = Role.STAFF):
    return member_view(org_id, min_role=min_role)


@bp.route("/orgs/<int:org_id>/profile")
@login_required
def overview(org_id: int):
    return _render_overview(org_id, LocationForm())


def _render_overview(org_id: int, location_form: LocationForm, status: int = 200):
    organization, membership = _member_view(org_id)
    actor = current_actor()
    page = render_template(
        "onboarding/overview.html",
        organization=organization,
        membership=membership,
        steps=steps_for(organization),
        missing=verification.missing_for_submission(organization),
        field_steps=FIELD_STEPS,
        review=verification.latest_review(actor, organization.id),
        certificates=verification.certificates_of(actor, organization.id),
        locations=profiles.delivery_locations(actor, organization.id),
        can_manage=membership.role.at_least(Role.MANAGER),
        confirm_form=ConfirmForm(),
        location_form=location_form,
        province_name=province_name,
        provinces=PROVINCES,
    )
    return page, status


def _fill_form(form, organization: Organization, step: Step) -> None:
    for name, field in form._fields.items():
        if name in ("csrf_token", "registration_document"):
            continue
        if name == "version":
            field.data = organization.version
        elif name == "province":
            field.data = province_name(organization.province_code)
        elif name == "area_hectares" and organization.area_hectares is not None:
            field.data = str(organization.area_hectares).replace(".", ",")
        elif name == "representative_phone":
            field.data = format_vn_phone(organization.representative_phone)
        elif name == "member_count" and organization.member_count is not None:
            field.data = str(organization.member_count)
        else:
            field.data = getattr(organization, _COLUMNS.get(name, name))


@bp.route("/orgs/<int:org_id>/profile/<step_key>", methods=["GET", "POST"])
@login_required
def step(org_id: int, step_key: str):
    organization, _membership = _member_view(org_id, Role.MANAGER)
    steps = steps_for(organization)
    step = next((s for s in steps if s.key == step_key), None)
    if step is None:
        abort(404)
    form = step.form()
    if request.method == "GET":
        _fill_form(form, organization, step)
    elif form.validate_on_submit():
        try:
            call_or_abort(step.save, current_actor(), organization, form)
        except profiles.StaleForm as exc:
            db.session.rollback()
            form.version.data = exc.current_version
            flash(str(exc.errors["version"]), "error")
        except ValidationFailed as exc:
            db.session.rollback()
            if "status" in exc.errors:
                flash(str(exc.errors["status"]), "error")
                return redirect(url_for("onboarding.overview", org_id=org_id))
            apply_errors(form, exc.errors)
        else:
            flash(_("Saved."), "success")
            position = steps.index(step)
            if request.form.get("next") and position + 1 < len(steps):
                return redirect(
                    url_for("onboarding.step", org_id=org_id, step_key=steps[position + 1].key)
                )
            return redirect(url_for("onboarding.overview", org_id=org_id))
    if request.method == "POST":
        keep_files(form)
    images = ImageUploadForm()
    return (
        render_template(
            "onboarding/step.html",
            organization=organization,
            step=step,
            steps=steps,
            form=form,
            image_form=images,
            photos=profiles.photos_of(organization.id) if step.key == "story" else [],
            provinces=PROVINCES,
        ),
        422 if form.errors or request.method == "POST" else 200,
    )


def _image_action(org_id: int, action: Callable[[bytes | None], object]):
    form = ImageUploadForm()
    back = url_for("onboarding.step", org_id=org_id, step_key="story")

    def saved(_result):
        flash(_("Photo saved."), "success")
        return redirect(back)

    return handle_form(
        form, lambda: action(chosen_file(form.file)), done=saved, back=back, bad_form=400
    )


@bp.route("/orgs/<int:org_id>/profile/logo", methods=["POST"])
@login_required
def upload_logo(org_id: int):
    return _image_action(org_id, lambda data: profiles.upload_logo(current_actor(), org_id, data))


@bp.route("/orgs/<int:org_id>/profile/photos", methods=["POST"])
@login_required
def add_photo(org_id: int):
    return _image_action(org_id, lambda data: profiles.add_photo(current_actor(), org_id, data))


@bp.route("/orgs/<int:org_id>/profile/photos/<int:photo_id>/delete", methods=["POST"])
@login_required
def remove_photo(org_id: int, photo_id: int):
    back = url_for("onboarding.step", org_id=org_id, step_key="story")
    return handle_form(
        ConfirmForm(),
        lambda: profiles.remove_photo(current_actor(), org_id, photo_id),
        done=lambda _result: redirect(back),
        back=back,
        bad_form=400,
    )


@bp.route("/orgs/<int:org_id>/profile/submit", methods=["POST"])
@login_required
def submit(org_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        call_or_abort(verification.submit, current_actor(), org_id)
    except ValidationFailed:
        db.session.rollback()
        flash(_("Some information is still missing; see the list below."), "error")
    except TransitionNotAllowed:
        db.session.rollback()
        flash(_("The profile cannot be sent for verification in its current state."), "error")
    else:
        flash(_("Sent for verification. We will email you the decision."), "success")
    return redirect(url_for("onboarding.overview", org_id=org_id))


@bp.route("/orgs/<int:org_id>/registration-document")
@login_required
def registration_document(org_id: int):
    organization, _membership = _member_view(org_id)
    return private_file(organization.registration_document_key)


# --- certificates -----------------------------------------------------------------------------


def _certificate_data(form) -> certificates.CertificateData:
    return certificates.CertificateData(
        kind=form.kind.data or "",
        number=form.number.data or "",
        issuer=form.issuer.data or "",
        issued_on=form.issued_on.data,
        expires_on=form.expires_on.data,
        ocop_stars=form.ocop_stars.data,
        product_name=form.product_name.data or "",
    )


@bp.route("/orgs/<int:org_id>/certificates/new", methods=["GET", "POST"])
@login_required
def new_certificate(org_id: int):
    organization, _membership = _member_view(org_id, Role.MANAGER)
    form = CertificateForm()

    def added(_certificate):
        flash(_("Certificate added. It will be checked by the platform team."), "success")
        return redirect(url_for("onboarding.overview", org_id=org_id))

    return handle_form(
        form,
        lambda: certificates.add_certificate(
            current_actor(), org_id, _certificate_data(form), chosen_file(form.document)
        ),
        done=added,
        back=url_for("onboarding.overview", org_id=org_id),
        page=lambda status: (
            render_template(
                "onboarding/certificate.html",
                organization=organization,
                form=form,
                certificate=None,
            ),
            status,
        ),
    )


@bp.route("/orgs/<int:org_id>/certificates/<int:cert_id>/edit", methods=["GET", "POST"])
@login_required
def edit_certificate(org_id: int, cert_id: int):
    organization, _membership = _member_view(org_id)
    certificate = call_or_abort(
        certificates.get_certificate, current_actor(), org_id, cert_id, Role.MANAGER
    )
    form = CertificateForm(obj=certificate if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = certificate.kind.value
    if form.validate_on_submit():
        try:
            certificates.update_certificate(
                current_actor(),
                org_id,
                cert_id,
                _certificate_data(form),
                chosen_file(form.document),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            if "status" in exc.errors:
                flash(str(exc.errors["status"]), "error")
                return redirect(url_for("onboarding.overview", org_id=org_id))
            apply_errors(form, exc.errors)
        else:
            flash(_("Certificate saved. It will be checked again."), "success")
            return redirect(url_for("onboarding.overview", org_id=org_id))
    if form.is_submitted():
        keep_files(form)
    return (
        render_template(
            "onboarding/certificate.html",
            organization=organization,
            form=form,
            certificate=certificate,
        ),
        422 if form.errors else 200,
    )


@bp.route("/orgs/<int:org_id>/certificates/<int:cert_id>/document")
@login_required
def certificate_document(org_id: int, cert_id: int):
    certificate = call_or_abort(certificates.get_certificate, current_actor(), org_id, cert_id)
    return redirect(certificates.document_url(current_actor(), certificate))


# --- buyers' delivery locations -------------------------------------------------------------


@bp.route("/orgs/<int:org_id>/locations", methods=["POST"])
@login_required
def add_location(org_id: int):
    form = LocationForm()
    back = url_for("onboarding.overview", org_id=org_id)

    def added(_location):
        flash(_("Delivery location added."), "success")
        return redirect(back)

    return handle_form(
        form,
        lambda: profiles.add_delivery_location(
            current_actor(),
            org_id,
            name=form.name.data or "",
            province=form.province.data or "",
            commune=form.commune.data or "",
            street=form.street.data or "",
        ),
        done=added,
        back=back,
        page=lambda status: _render_overview(org_id, form, status),
        once=True,
    )


@bp.route("/orgs/<int:org_id>/locations/<int:location_id>/delete", methods=["POST"])
@login_required
def remove_location(org_id: int, location_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    call_or_abort(profiles.remove_delivery_location, current_actor(), org_id, location_id)
    return redirect(url_for("onboarding.overview", org_id=org_id))
