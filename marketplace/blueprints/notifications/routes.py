"""The bell: a person's in-app notifications."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.blueprints.common import handle_form
from marketplace.blueprints.notifications import bp
from marketplace.blueprints.notifications.forms import EmailChoicesForm
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.services import inbox, notifications
from marketplace.web import call_or_abort, current_actor


@bp.route("/notifications")
@login_required
def index():
    return render_template(
        "notifications/index.html",
        notifications=inbox.latest(current_actor()),
        confirm_form=ConfirmForm(),
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    inbox.mark_all_read(current_actor())
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notice(notification_id: int):
    """Opening a notice marks it read and goes where it leads (or back to the list)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notification = call_or_abort(inbox.open_notification, current_actor(), notification_id)
    link = notification.link
    # Only paths on this site (they are written by the services, but never trust a link).
    if not link or not link.startswith("/") or link.startswith("//"):
        link = url_for("notifications.index")
    return redirect(link)


@bp.route("/account/emails", methods=["GET", "POST"])
@login_required
def email_choices():
    """One checkbox per kind of email; the notices in the app always stay."""
    choices = notifications.email_choices(current_actor())
    form = EmailChoicesForm()
    if request.method == "GET":
        form.send.data = [choice.kind.key for choice in choices if choice.send]

    def saved(_choices):
        flash(_("Your email choices have been saved."), "success")
        return redirect(url_for("notifications.email_choices"))

    return handle_form(
        form,
        lambda: notifications.set_email_choices(
            current_actor(),
            {kind: kind in (form.send.data or []) for kind in notifications.KIND_KEYS},
        ),
        done=saved,
        back=url_for("notifications.email_choices"),
        page=lambda status: (
            render_template("notifications/emails.html", form=form, choices=choices),
            status,
        ),
    )
