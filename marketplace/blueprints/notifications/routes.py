"""The bell: a person's in-app notifications."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import login_required

from marketplace.blueprints.notifications import bp
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.services import inbox
from marketplace.web import current_actor


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
