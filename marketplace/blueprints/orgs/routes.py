"""An organisation's members and invitations."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.blueprints.auth.forms import InvitedSignupForm
from marketplace.blueprints.common import apply_errors, handle_form, token_problem
from marketplace.blueprints.orgs import bp
from marketplace.blueprints.orgs.forms import (
    ConfirmForm,
    InviteForm,
    ReportInvitationForm,
    RoleForm,
)
from marketplace.extensions import db, limiter
from marketplace.i18n import select_locale
from marketplace.models import Role
from marketplace.services.accounts import (
    accounts,
    organizations,
    profiles,
    start,
    verification,
)
from marketplace.services.catalogue import listings
from marketplace.services.errors import InvalidToken, PermissionDenied, ValidationFailed
from marketplace.vietnam import province_name
from marketplace.web import call_or_abort, current_actor


@bp.route("/orgs/")
@login_required
def index():
    return render_template(
        "orgs/index.html", memberships=organizations.memberships_of(current_user)
    )


def _render_dashboard(org_id: int, invite_form: InviteForm, status: int = 200):
    page = call_or_abort(organizations.dashboard, current_actor(), org_id)
    return (
        render_template(
            "orgs/dashboard.html",
            organization=page.organization,
            membership=page.membership,
            members=page.members,
            invitations=page.invitations,
            can_manage=page.can_manage,
            is_owner=page.is_owner,
            invite_form=invite_form,
            confirm_form=ConfirmForm(),
            role_form=RoleForm(),
            start=start.checklist(current_actor(), org_id),
        ),
        status,
    )


@bp.route("/orgs/<int:org_id>")
@login_required
def dashboard(org_id: int):
    return _render_dashboard(org_id, InviteForm())


@bp.route("/orgs/<int:org_id>/invitations", methods=["POST"])
@login_required
def invite(org_id: int):
    form = InviteForm()

    def sent(invitation):
        flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
        return redirect(url_for("orgs.dashboard", org_id=org_id))

    return handle_form(
        form,
        lambda: organizations.invite_member(
            current_actor(), org_id, form.email.data, Role(form.role.data)
        ),
        done=sent,
        back=url_for("orgs.dashboard", org_id=org_id),
        page=lambda status: _render_dashboard(org_id, form, status),
    )


@bp.route("/orgs/<int:org_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke(org_id: int, invitation_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    call_or_abort(organizations.revoke_invitation, current_actor(), org_id, invitation_id)
    flash(_("The invitation has been withdrawn."), "info")
    return redirect(url_for("orgs.dashboard", org_id=org_id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    try:
        invitation = organizations.invitation_for_token(token)
    except InvalidToken as exc:
        return render_template("auth/token_problem.html", message=token_problem(exc.reason)), 400
    form = ConfirmForm()
    if request.method == "POST" and current_user.is_authenticated:
        if not form.validate_on_submit():
            abort(400)
        try:
            membership = organizations.accept_invitation(current_actor(), token)
        except InvalidToken as exc:
            return (
                render_template("auth/token_problem.html", message=token_problem(exc.reason)),
                400,
            )
        except PermissionDenied:
            abort(403)
        flash(_("You have joined %(org)s.", org=membership.organization.name), "success")
        return redirect(url_for("orgs.dashboard", org_id=membership.organization_id))
    if request.method == "POST":
        abort(403)
    has_account = accounts.find_user_by_email(invitation.email) is not None
    return render_template(
        "orgs/invitation.html",
        invitation=invitation,
        token=token,
        form=form,
        has_account=has_account,
    )


@bp.route("/invitations/report/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def report_invitation(token: str):
    """The recipient of an unwanted invitation reports it (no account needed)."""
    try:
        invitation = organizations.invitation_to_report(token)
    except InvalidToken as exc:
        return render_template("auth/token_problem.html", message=token_problem(exc.reason)), 400
    form = ReportInvitationForm()

    def reported(_invitation):
        return render_template("orgs/invitation_reported.html")

    return handle_form(
        form,
        lambda: organizations.report_invitation(current_actor(), token, form.note.data or ""),
        done=reported,
        back=url_for("main.home"),
        page=lambda status: (
            render_template("orgs/report_invitation.html", invitation=invitation, form=form),
            status,
        ),
    )


@bp.route("/invitations/<token>/signup", methods=["GET", "POST"])
def invitation_signup(token: str):
    """Create an account for the invited email and join in one step."""
    try:
        invitation = organizations.invitation_for_token(token)
    except InvalidToken as exc:
        return render_template("auth/token_problem.html", message=token_problem(exc.reason)), 400
    if accounts.find_user_by_email(invitation.email) is not None:
        return redirect(url_for("auth.login", next=url_for("orgs.invitation", token=token)))
    form = InvitedSignupForm()
    valid = form.validate_on_submit()
    if form.is_submitted() and not valid:
        # Everything at once: what the service would refuse too, beside what the form found.
        problems = accounts.sign_up_problems(
            accounts.SignUp(
                name=form.name.data or "",
                email=invitation.email,
                phone=form.phone.data or "",
                password=form.password.data or "",
            )
        )
        apply_errors(
            form,
            {k: v for k, v in problems.items() if k in form._fields and not form[k].errors},
        )
    if valid:
        try:
            user = accounts.register(
                current_actor(),
                accounts.SignUp(
                    name=form.name.data,
                    email=invitation.email,
                    phone=form.phone.data or "",
                    password=form.password.data,
                    locale=select_locale(),
                ),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc.errors)
        else:
            if current_user.is_authenticated:
                logout_user()
            login_user(user)
            membership = organizations.accept_invitation(current_actor(), token)
            flash(_("You have joined %(org)s.", org=membership.organization.name), "success")
            return redirect(url_for("orgs.dashboard", org_id=membership.organization_id))
    return (
        render_template("orgs/invitation_signup.html", form=form, invitation=invitation),
        422 if form.errors else 200,
    )


@bp.route("/orgs/<int:org_id>/members/<int:membership_id>/role", methods=["POST"])
@login_required
def change_role(org_id: int, membership_id: int):
    form = RoleForm()
    back = url_for("orgs.dashboard", org_id=org_id)

    def changed(_membership):
        flash(_("Role changed."), "success")
        return redirect(back)

    return handle_form(
        form,
        lambda: organizations.change_role(
            current_actor(), org_id, membership_id, Role(form.role.data)
        ),
        done=changed,
        back=back,
        bad_form=400,
    )


@bp.route("/orgs/<int:org_id>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(org_id: int, membership_id: int):
    back = url_for("orgs.dashboard", org_id=org_id)

    def remove() -> bool:
        """Whether the member removed is the one acting (they leave)."""
        leaving = organizations.get_for_member(current_actor(), org_id)[1].id == membership_id
        organizations.remove_member(current_actor(), org_id, membership_id)
        return leaving

    def removed(leaving: bool):
        if leaving:
            flash(_("You have left the organisation."), "info")
            return redirect(url_for("orgs.index"))
        flash(_("Member removed."), "success")
        return redirect(back)

    return handle_form(ConfirmForm(), remove, done=removed, back=back, bad_form=400)


@bp.route("/htx/<slug>")
def public_profile(slug: str):
    organization = call_or_abort(organizations.public_coop, slug)
    return render_template(
        "orgs/public.html",
        organization=organization,
        photos=profiles.photos_of(organization.id),
        certificates=verification.valid_certificates(organization.id),
        province=province_name(organization.province_code),
        products=listings.coop_cards(organization.id),
        locale=str(get_locale()),
    )
