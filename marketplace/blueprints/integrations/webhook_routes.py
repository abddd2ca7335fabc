"""Webhook endpoints of an organisation and their delivery log (owners and managers)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.blueprints.common import handle_form
from marketplace.blueprints.integrations import bp
from marketplace.blueprints.integrations.webhook_forms import WebhookEndpointForm
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.models import Organization, Role
from marketplace.services import webhooks
from marketplace.web import call_or_abort, current_actor, member_view


def _manager_view(org_id: int) -> Organization:
    organization, _membership = member_view(org_id, min_role=Role.MANAGER)
    return organization


def _event_choices(organization: Organization) -> list[tuple[str, object]]:
    return [
        (name, webhooks.EVENT_TYPES[name].label)
        for name in webhooks.event_types_for(organization.kind)
    ]


def _form(organization: Organization, endpoint=None) -> WebhookEndpointForm:
    form = WebhookEndpointForm(obj=endpoint if request.method == "GET" else None)
    form.events.choices = _event_choices(organization)
    if request.method == "GET" and endpoint is None:
        form.events.data = []
    return form


def _secret_page(organization: Organization, made: webhooks.NewSecret, rotated: bool):
    return render_template(
        "integrations/webhooks_secret.html",
        organization=organization,
        endpoint=made.endpoint,
        secret=made.secret,
        rotated=rotated,
        overlap_hours=int(webhooks.ROTATION_OVERLAP.total_seconds() // 3600),
    )


# Named "integrations.webhooks": the API keys page links to it.
@bp.route("/orgs/<int:org_id>/webhooks", endpoint="webhooks")
@login_required
def webhooks_list(org_id: int):
    organization = _manager_view(org_id)
    endpoints = call_or_abort(webhooks.endpoints_of, current_actor(), org_id)
    return render_template(
        "integrations/webhooks.html",
        organization=organization,
        endpoints=endpoints,
        latest=webhooks.latest_deliveries(current_actor(), org_id),
        labels={name: event.label for name, event in webhooks.EVENT_TYPES.items()},
    )


@bp.route("/orgs/<int:org_id>/webhooks/new", methods=["GET", "POST"])
@login_required
def new_webhook(org_id: int):
    organization = _manager_view(org_id)
    form = _form(organization)
    back = url_for("integrations.webhooks", org_id=org_id)
    return handle_form(
        form,
        lambda: webhooks.create_endpoint(
            current_actor(),
            org_id,
            form.url.data or "",
            form.description.data or "",
            list(form.events.data or []),
        ),
        done=lambda made: _secret_page(organization, made, rotated=False),
        back=back,
        once=True,
        page=lambda status: (
            render_template(
                "integrations/webhooks_form.html",
                organization=organization,
                form=form,
                endpoint=None,
            ),
            status,
        ),
    )


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@login_required
def edit_webhook(org_id: int, endpoint_id: int):
    organization = _manager_view(org_id)
    endpoint = call_or_abort(webhooks.get_endpoint, current_actor(), org_id, endpoint_id)
    form = _form(organization, endpoint)
    back = url_for("integrations.webhooks", org_id=org_id)

    def saved(_endpoint):
        flash(_("The webhook address has been saved."), "success")
        return redirect(back)

    return handle_form(
        form,
        lambda: webhooks.update_endpoint(
            current_actor(),
            org_id,
            endpoint_id,
            form.url.data or "",
            form.description.data or "",
            list(form.events.data or []),
            bool(form.is_active.data),
        ),
        done=saved,
        back=back,
        page=lambda status: (
            render_template(
                "integrations/webhooks_form.html",
                organization=organization,
                form=form,
                endpoint=endpoint,
                confirm_form=ConfirmForm(),
            ),
            status,
        ),
    )


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>/rotate", methods=["POST"])
@login_required
def rotate_webhook_secret(org_id: int, endpoint_id: int):
    organization = _manager_view(org_id)
    form = ConfirmForm()
    return handle_form(
        form,
        lambda: webhooks.rotate_secret(current_actor(), org_id, endpoint_id),
        done=lambda made: _secret_page(organization, made, rotated=True),
        back=url_for("integrations.webhooks", org_id=org_id),
    )


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>/delete", methods=["POST"])
@login_required
def delete_webhook(org_id: int, endpoint_id: int):
    _manager_view(org_id)
    back = url_for("integrations.webhooks", org_id=org_id)

    def deleted(_none):
        flash(_("The webhook address has been deleted."), "success")
        return redirect(back)

    return handle_form(
        ConfirmForm(),
        lambda: webhooks.delete_endpoint(current_actor(), org_id, endpoint_id),
        done=deleted,
        back=back,
    )


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>/deliveries")
@login_required
def webhook_deliveries(org_id: int, endpoint_id: int):
    organization = _manager_view(org_id)
    actor = current_actor()
    endpoint = call_or_abort(webhooks.get_endpoint, actor, org_id, endpoint_id)
    deliveries = call_or_abort(webhooks.deliveries_of, actor, org_id, endpoint_id)
    return render_template(
        "integrations/webhooks_deliveries.html",
        organization=organization,
        endpoint=endpoint,
        deliveries=deliveries,
        confirm_form=ConfirmForm(),
        max_attempts=webhooks.MAX_ATTEMPTS,
    )


@bp.route(
    "/orgs/<int:org_id>/webhooks/<int:endpoint_id>/deliveries/<int:webhook_delivery_id>/send",
    methods=["POST"],
)
@login_required
def send_webhook_again(org_id: int, endpoint_id: int, webhook_delivery_id: int):
    _manager_view(org_id)
    back = url_for("integrations.webhook_deliveries", org_id=org_id, endpoint_id=endpoint_id)

    def queued(_delivery):
        flash(_("The event will be sent again in a moment."), "success")
        return redirect(back)

    return handle_form(
        ConfirmForm(),
        lambda: webhooks.send_again(current_actor(), org_id, endpoint_id, webhook_delivery_id),
        done=queued,
        back=back,
    )
