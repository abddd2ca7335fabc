"""Sign up, log in and out, passwords, profile."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace import unit_of_work
from marketplace.blueprints.auth import bp
from marketplace.blueprints.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from marketplace.blueprints.common import BaseForm, apply_errors, handle_form, token_problem
from marketplace.extensions import db, limiter
from marketplace.i18n import select_locale
from marketplace.models import BuyerType, OrgKind
from marketplace.services.accounts import accounts, organizations
from marketplace.services.errors import InvalidToken, ValidationFailed
from marketplace.urls import is_safe_next
from marketplace.validation import format_vn_phone, strip_control
from marketplace.web import current_actor


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _email_key() -> str:
    # Normalised the way the form and the account lookup see it (control characters gone,
    # spaces trimmed, case folded), so no spelling of an email gets a fresh count.
    email = strip_control(request.form.get("email") or "") or ""
    return "email:" + email.strip().casefold()[:254]


def _start_session(user, remember: bool = False) -> None:
    """Log ``user`` in on a fresh session: nothing planted in the session before (a CSRF
    token above all) survives the log-in. The site keeps nothing else there (the language
    is the user's own or a separate cookie; the next URL travels in the form)."""
    session.clear()
    login_user(user, remember=remember)


def _next_url(default: str = "main.home") -> str:
    target = request.args.get("next") or request.form.get("next")
    return target if is_safe_next(target) else url_for(default)


def _landing(user) -> str:
    """Where a member starts: their organisation's own page (its first steps), the list of
    their organisations when they have several, the home page when they have none."""
    memberships = organizations.memberships_of(user)
    if len(memberships) == 1:
        return url_for("orgs.dashboard", org_id=memberships[0].organization_id)
    return url_for("orgs.index") if memberships else url_for("main.home")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignupForm()
    if request.method == "GET" and request.args.get("as") in {"coop", "buyer", "fair_organizer"}:
        form.account_kind.data = request.args["as"]
    if form.is_submitted() and not form.validate():
        # Everything at once: what the service would refuse too, beside what the form found.
        _also_service_problems(form)
    elif form.is_submitted():
        try:
            accounts.sign_up(current_actor(), _sign_up_data(form))
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc.errors)
        else:
            # The same answer whether or not the email already had an account, so sign-up
            # cannot be used to find out who has one (log-in and reset say nothing either).
            # That is why a new account is not logged in here: it continues from the link
            # emailed to it, and the owner of a taken email is emailed instead.
            flash(
                _(
                    "We have sent a message to %(email)s. Open the link in it to continue.",
                    email=form.email.data.strip(),
                ),
                "info",
            )
            return redirect(url_for("auth.sign_up_sent"))
    return render_template("auth/signup.html", form=form), 200 if not form.errors else 422


def _sign_up_data(form: SignupForm) -> accounts.SignUp:
    kind = form.account_kind.data
    buyer = form.buyer_type.data
    return accounts.SignUp(
        name=form.name.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        password=form.password.data or "",
        locale=select_locale(),
        organization_kind=OrgKind(kind) if kind in {k.value for k in OrgKind} else None,
        organization_name=form.organization_name.data or "",
        buyer_type=BuyerType(buyer) if buyer in {b.value for b in BuyerType} else None,
    )


def _also_service_problems(form: SignupForm) -> None:
    """Add the service's messages to the fields the form itself found nothing wrong with."""
    problems = accounts.sign_up_problems(_sign_up_data(form))
    apply_errors(
        form,
        {
            name: message
            for name, message in problems.items()
            if name in form._fields and not form[name].errors
        },
    )


@bp.route("/signup/sent")
def sign_up_sent():
    return render_template("auth/sign_up_sent.html")


@bp.route("/signup/continue/<token>", methods=["GET", "POST"])
def continue_sign_up(token: str):
    # GET only shows the button (it never writes); the POST logs in and uses up the link.
    try:
        accounts.user_for_sign_up_token(token)
    except InvalidToken as exc:
        return render_template("auth/token_problem.html", message=token_problem(exc.reason)), 400
    form = BaseForm()
    if form.validate_on_submit():
        try:
            user = accounts.continue_sign_up(current_actor(), token)
        except InvalidToken as exc:
            return (
                render_template("auth/token_problem.html", message=token_problem(exc.reason)),
                400,
            )
        _start_session(user)
        flash(_("Welcome to Chợ HTX, %(name)s!", name=user.name), "success")
        return redirect(_landing(user))
    return render_template("auth/sign_up_continue.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_email_key)
def login():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(current_actor(), form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=bool(form.remember.data))
            flash(_("You are logged in."), "success")
            target = request.args.get("next") or request.form.get("next")
            return redirect(target if is_safe_next(target) else _landing(user))
        unit_of_work.keep()  # the failed attempt stays in the audit log
        form.password.errors = [_("The email or password is not right.")]
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form, next=request.args.get("next")), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.record_logout(current_actor())
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(current_actor(), form.email.data)
        flash(
            _(
                "If an account uses %(email)s, we have sent it a link to choose a new password.",
                email=form.email.data.strip(),
            ),
            "info",
        )
        # The email goes out once the answer has (as every outgoing message does), so the
        # response time is the same whether or not the address has an account.
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    try:
        accounts.user_for_reset_token(token)
    except InvalidToken as exc:
        return render_template("auth/token_problem.html", message=token_problem(exc.reason)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(current_actor(), token, form.password.data)
        except InvalidToken as exc:
            return (
                render_template("auth/token_problem.html", message=token_problem(exc.reason)),
                400,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc.errors)
        else:
            logout_user()
            flash(_("Your password has been changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 422 if form.errors else 200


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        form.phone.data = format_vn_phone(current_user.phone)

    def saved(_user):
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("auth.profile"))

    return handle_form(
        form,
        lambda: accounts.update_profile(
            current_actor(),
            name=form.name.data,
            phone=form.phone.data or "",
            locale=form.locale.data,
        ),
        done=saved,
        back=url_for("auth.profile"),
        page=lambda status: (render_template("auth/profile.html", form=form), status),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()

    def changed(user):
        # The session nonce changed; log this browser in again with the new one.
        login_user(user)
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("auth.profile"))

    return handle_form(
        form,
        lambda: accounts.change_password(
            current_actor(), form.current_password.data, form.new_password.data
        ),
        done=changed,
        back=url_for("auth.change_password"),
        page=lambda status: (render_template("auth/password.html", form=form), status),
    )
