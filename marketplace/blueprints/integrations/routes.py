"""API keys of an organisation (owners and managers).

A new key is shown once, in the answer to the form that made it: it is never put in the
session (a signed, not encrypted, cookie) nor anywhere else to be shown again.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.blueprints.api.core import PREFIX as API_PREFIX
from marketplace.blueprints.common import handle_form
from marketplace.blueprints.integrations import bp
from marketplace.blueprints.integrations.forms import ApiKeyForm
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.models import Role
from marketplace.services import api_keys
from marketplace.urls import public_base_url
from marketplace.web import call_or_abort, current_actor, member_view


def _keys_page(org_id: int, form: ApiKeyForm, status: int = 200):
    organization, membership = member_view(org_id, min_role=Role.MANAGER)
    keys = call_or_abort(api_keys.keys_of, current_actor(), org_id)
    return (
        render_template(
            "integrations/keys.html",
            organization=organization,
            keys=keys,
            form=form,
            confirm_form=ConfirmForm(),
            scope_words=api_keys.SCOPES,
            reference_url=url_for("api_reference.reference"),
        ),
        status,
    )


@bp.route("/orgs/<int:org_id>/integrations")
@login_required
def keys(org_id: int):
    organization, _membership = member_view(org_id, min_role=Role.MANAGER)
    return _keys_page(org_id, ApiKeyForm(organization.kind))


@bp.route("/orgs/<int:org_id>/integrations/keys", methods=["POST"])
@login_required
def create_key(org_id: int):
    # Outsiders get 404 and staff 403 before anything of the form is looked at.
    organization, _membership = member_view(org_id, min_role=Role.MANAGER)
    form = ApiKeyForm(organization.kind)

    def made(new: api_keys.NewKey):
        response = render_template(
            "integrations/new_key.html",
            organization=organization,
            key=new.key,
            token=new.token,
            scope_words=api_keys.SCOPES,
            api_base=public_base_url().rstrip("/") + API_PREFIX,
            reference_url=url_for("api_reference.reference"),
        )
        # The only time the key exists outside its owner's hands: never kept by a cache.
        return response, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}

    return handle_form(
        form,
        lambda: api_keys.create_key(current_actor(), org_id, form.name.data, form.scopes.data),
        done=made,
        back=url_for("integrations.keys", org_id=org_id),
        page=lambda status: _keys_page(org_id, form, status),
        once=True,
    )


@bp.route("/orgs/<int:org_id>/integrations/keys/<int:key_id>/revoke", methods=["POST"])
@login_required
def revoke_key(org_id: int, key_id: int):
    member_view(org_id, min_role=Role.MANAGER)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    key = call_or_abort(api_keys.revoke_key, current_actor(), org_id, key_id)
    flash(
        _(
            "The key “%(name)s” is revoked: requests with it are refused from now on.",
            name=key.name,
        ),
        "success",
    )
    return redirect(url_for("integrations.keys", org_id=org_id))


# The blueprint's other route module, registered on the same ``bp``.
from marketplace.blueprints.integrations import webhook_routes  # noqa: E402, F401
