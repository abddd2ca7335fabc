"""Platform admin pages."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from marketplace.blueprints.admin import bp
from marketplace.services import admin
from marketplace.web import call_or_abort, current_actor


@bp.route("/")
@login_required
def dashboard():
    overview = call_or_abort(admin.overview, current_actor())
    return render_template("admin/dashboard.html", overview=overview)
