"""Contracts: the page, its print view and PDF, signatures, cancelling a draft, notice,
amendments (proposed, accepted, rejected, withdrawn) and spot orders from a listing."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.common import handle_form
from marketplace.blueprints.contracts import bp
from marketplace.blueprints.contracts.forms import (
    AmendmentForm,
    NoticeForm,
    ReasonForm,
    SignForm,
    SpotOrderForm,
    VersionedForm,
)
from marketplace.blueprints.contracts.shared import (
    locale,
    orderable_listing,
    seen_version,
    wanted_quantity,
)
from marketplace.documents import contract_pdf as render_contract_pdf
from marketplace.documents import pdf_response
from marketplace.models import ContractStatus
from marketplace.parsing import parse_quantity
from marketplace.services.accounts.profiles import delivery_locations
from marketplace.services.deals import contracts, deliveries, rules
from marketplace.validation import InvalidValue, small_int
from marketplace.vietnam import today
from marketplace.web import call_or_abort, current_actor


def _contract_page(contract_id: int, status: int = 200, **forms):
    view = call_or_abort(contracts.contract_view, current_actor(), contract_id)
    version = str(view.contract.version)
    action_form = VersionedForm()
    action_form.version.data = version
    notice_form = forms.get("notice_form") or NoticeForm()
    notice_form.version.data = version
    cancel_form = forms.get("cancel_form") or ReasonForm()
    cancel_form.version.data = version
    sign_form = forms.get("sign_form") or SignForm()
    # Refused or not, the page shows the terms as they are now: that is what a tick signs.
    sign_form.version.data = version
    sign_form.confirm.label.text = _(
        "I have read the contract and sign for %(org)s",
        org=view.party.membership.organization.name,
    )
    return (
        render_template(
            "contracts/contract.html",
            view=view,
            contract=view.contract,
            action_form=action_form,
            notice_form=notice_form,
            cancel_form=cancel_form,
            sign_form=sign_form,
            is_overdue=deliveries.is_overdue,
            is_late=deliveries.is_late,
            is_partial=deliveries.is_partial,
            locale=locale(),
        ),
        status,
    )


def _to_contract(contract_id: int):
    return redirect(url_for("contracts.contract", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>")
@login_required
def contract(contract_id: int):
    return _contract_page(contract_id)


@bp.route("/contracts/<int:contract_id>/print")
@login_required
def print_contract(contract_id: int):
    view = call_or_abort(contracts.contract_view, current_actor(), contract_id)
    return render_template(
        "contracts/print.html", view=view, contract=view.contract, locale=locale()
    )


@bp.route("/contracts/<int:contract_id>/pdf")
@login_required
def contract_pdf(contract_id: int):
    view = call_or_abort(contracts.contract_view, current_actor(), contract_id)
    filename, data = render_contract_pdf(view)
    return pdf_response(data, filename)


@bp.route("/contracts/<int:contract_id>/sign", methods=["POST"])
@login_required
def sign(contract_id: int):
    form = SignForm()

    def signed(result):
        if result.status is ContractStatus.ACTIVE:
            flash(
                _("Signed by both sides: the contract is active and its deliveries are planned."),
                "success",
            )
        else:
            flash(_("Signed. The other side has been asked to sign."), "success")
        return _to_contract(contract_id)

    def refused(status: int):
        # The box left unticked: the page again, its message by the box. Anything else was
        # flashed, and the contract is shown as it is now.
        if form.confirm.errors:
            return _contract_page(contract_id, status, sign_form=form)
        return _to_contract(contract_id)

    return handle_form(
        form,
        lambda: contracts.sign(
            current_actor(), contract_id, seen_version(form), confirmed=bool(form.confirm.data)
        ),
        done=signed,
        back=url_for("contracts.contract", contract_id=contract_id),
        page=refused,
        bad_form="back",
        # Only the tick's message sits by its box; the rest (the contract changed, already
        # signed) are flashed.
        error_names=lambda errors: {
            (name if name == "confirm" else f"sign-{name}"): message
            for name, message in errors.items()
        },
    )


@bp.route("/contracts/<int:contract_id>/cancel", methods=["POST"])
@login_required
def cancel_contract(contract_id: int):
    form = ReasonForm()

    def cancelled(_contract):
        flash(_("The draft is cancelled. The other side has been told."), "success")
        return _to_contract(contract_id)

    return handle_form(
        form,
        lambda: contracts.cancel_draft(
            current_actor(), contract_id, seen_version(form), form.reason.data or ""
        ),
        done=cancelled,
        back=url_for("contracts.contract", contract_id=contract_id),
        page=lambda status: _contract_page(contract_id, status, cancel_form=form),
        bad_form="back",
    )


@bp.route("/contracts/<int:contract_id>/notice", methods=["POST"])
@login_required
def notice(contract_id: int):
    form = NoticeForm()

    def given(_contract):
        flash(_("Notice given. The other side has been told."), "success")
        return _to_contract(contract_id)

    return handle_form(
        form,
        lambda: contracts.give_notice(
            current_actor(),
            contract_id,
            seen_version(form),
            form.reason.data or "",
            form.ends_on.data,
        ),
        done=given,
        back=url_for("contracts.contract", contract_id=contract_id),
        page=lambda status: _contract_page(contract_id, status, notice_form=form),
        bad_form="back",
    )


def _amendment_data(form: AmendmentForm) -> contracts.AmendmentData:
    return contracts.AmendmentData(
        reason=form.reason.data or "",
        effective_from=form.effective_from.data,
        lines={
            line_id: (row.price.data or "", row.quantity.data or "")
            for line_id, row in form.lines.by_line().items()
        },
        extra=[
            (
                extra.form.on.data,
                {
                    line_id: row.quantity.data or ""
                    for line_id, row in extra.form.lines.by_line().items()
                },
            )
            for extra in form.extras.entries
        ],
    )


@bp.route("/contracts/<int:contract_id>/amend", methods=["GET", "POST"])
@login_required
def propose_amendment(contract_id: int):
    view = call_or_abort(contracts.contract_view, current_actor(), contract_id)
    if not view.party.can_decide:
        abort(403)
    contract = view.contract
    form = AmendmentForm()
    if not form.is_submitted():
        form.version.data = str(contract.version)
    form.match(contract)

    def page(status: int):
        return (
            render_template(
                "contracts/amend.html",
                view=view,
                contract=contract,
                form=form,
                rows=list(zip(contract.lines, form.lines.entries, strict=True)),
                locale=locale(),
            ),
            status,
        )

    def proposed(_amendment):
        flash(_("Change proposed. The other side has been asked to accept it."), "success")
        return _to_contract(contract_id)

    return handle_form(
        form,
        lambda: contracts.propose_amendment(
            current_actor(), contract_id, seen_version(form), _amendment_data(form)
        ),
        done=proposed,
        back=url_for("contracts.contract", contract_id=contract_id),
        page=page,
        error_names=form.field_errors,
    )


@bp.route(
    "/contracts/<int:contract_id>/amendments/<int:amendment_id>/"
    "<any(accept, reject, withdraw):action>",
    methods=["POST"],
)
@login_required
def decide_amendment(contract_id: int, amendment_id: int, action: str):
    form = VersionedForm()

    def decided(_amendment):
        flash(
            {
                "accept": _(
                    "Change accepted: the contract and its planned deliveries are updated."
                ),
                "reject": _("Change rejected."),
                "withdraw": _("Proposal withdrawn."),
            }[action],
            "success",
        )
        return _to_contract(contract_id)

    return handle_form(
        form,
        lambda: contracts.decide_amendment(
            current_actor(), contract_id, amendment_id, action, seen_version(form)
        ),
        done=decided,
        back=url_for("contracts.contract", contract_id=contract_id),
    )


# --- spot orders ------------------------------------------------------------------------------


@bp.route("/listings/<int:listing_id>/order", methods=["GET", "POST"])
@login_required
def spot_order(listing_id: int):
    listing = orderable_listing(listing_id)
    if listing is None:
        abort(404)
    membership = call_or_abort(rules.ordering_buyer, current_actor())
    if membership is None:
        flash(_("Orders are placed by a manager of a buyer organisation."), "error")
        return redirect(url_for("listings.public", slug=listing.slug))
    buyer_id = membership.organization_id
    form = SpotOrderForm()
    form.delivery_location_id.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(loc.id, loc.name) for loc in delivery_locations(current_actor(), buyer_id)
    ]
    if not form.is_submitted():
        form.quantity.data = str(wanted_quantity(request.args) or listing.min_order_quantity)
        form.delivery_on.data = date.fromordinal(
            today().toordinal() + max(listing.lead_time_days, 1)
        )

    def page(status: int):
        # The same reading of "2.000" or "2 000" as the order itself, so the price shown is
        # the one the order is checked against.
        try:
            quantity = parse_quantity(form.quantity.data or "")
        except InvalidValue:
            quantity = listing.min_order_quantity
        unit_price = listing.unit_price_for(quantity)
        # What this page shows is what an order from it is held to.
        form.seen_unit_price.data = str(unit_price)
        return (
            render_template(
                "contracts/spot_order.html",
                listing=listing,
                form=form,
                buyer=membership.organization,
                unit_price=unit_price,
                quantity=quantity,
                locale=locale(),
            ),
            status,
        )

    def placed(order):
        flash(_("Order placed. The co-op has been asked to accept it."), "success")
        return redirect(url_for("contracts.contract", contract_id=order.id))

    return handle_form(
        form,
        lambda: contracts.place_spot_order(
            current_actor(),
            buyer_id,
            listing.id,
            contracts.SpotOrderData(
                quantity=form.quantity.data or "",
                delivery_on=form.delivery_on.data,
                delivery_location_id=form.delivery_location_id.data,
                payment_days=form.payment_days.data or "",
                note=form.note.data or "",
                seen_unit_price=small_int(form.seen_unit_price.data),
            ),
        ),
        done=placed,
        back=url_for("contracts.dashboard", org_id=buyer_id),
        page=page,
        once=True,
    )
