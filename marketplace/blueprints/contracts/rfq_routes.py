"""Requests for quotes: a buyer posts one (from scratch or from a listing), reads the quotes
and awards its lines, or closes it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.common import category_choices, handle_form
from marketplace.blueprints.contracts import bp
from marketplace.blueprints.contracts.forms import (
    NEW_LOCATION,
    AwardForm,
    RfqForm,
    VersionedForm,
)
from marketplace.blueprints.contracts.shared import (
    locale,
    orderable_listing,
    unit_choices,
    wanted_quantity,
)
from marketplace.models import OrgKind, Role, Side
from marketplace.services.accounts.profiles import delivery_locations
from marketplace.services.deals import rfqs, rules
from marketplace.validation import small_int
from marketplace.vietnam import PROVINCES
from marketplace.web import call_or_abort, current_actor, member_view


def _rfq_form_choices(form: RfqForm, buyer_id: int) -> None:
    grouped = category_choices(SelectChoice("", _("Choose…")))
    for entry in form.lines.entries:
        entry.form.category_id.choices = grouped
        entry.form.unit.choices = unit_choices()
    locations = [
        SelectChoice(loc.id, loc.name) for loc in delivery_locations(current_actor(), buyer_id)
    ]
    form.delivery_location_id.choices = [SelectChoice("", _("Choose…")), *locations]
    if locations:
        form.delivery_location_id.choices.append(SelectChoice(NEW_LOCATION, _("A new address…")))
    form.invited_coop_ids.choices = [
        SelectChoice(i, name) for i, name in rfqs.invitable_coops(form.invited_coop_ids.data or [])
    ]


def _only_location_chosen(form: RfqForm) -> None:
    """A buyer with one delivery location has it chosen already (they can still pick a new
    address)."""
    saved = [c for c in form.delivery_location_id.choices if isinstance(c.value, int)]
    if len(saved) == 1:
        form.delivery_location_id.data = saved[0].value


def _prefill_from_listing(form: RfqForm, listing_id: int | None, quantity: int | None) -> None:
    """The first line from a listing: its category, title and unit, and the quantity searched
    for (else the listing's minimum order)."""
    listing = orderable_listing(listing_id)
    if listing is None:
        return
    entry = form.lines.entries[0].form
    entry.category_id.data = listing.category_id
    entry.listing_id.data = str(listing.id)
    entry.specification.data = listing.title(locale())
    entry.unit.data = listing.unit
    entry.quantity.data = str(quantity or listing.min_order_quantity)
    form.title.data = listing.title(locale())
    form.invited_only.data = True
    form.invited_coop_ids.data = [listing.organization_id]


def _has_locations(form: RfqForm) -> bool:
    return len(form.delivery_location_id.choices) > 1


def _rfq_data(form: RfqForm) -> rfqs.RfqData:
    return rfqs.RfqData(
        new_location=form.new_location() if form.wants_new_location(_has_locations(form)) else None,
        title=form.title.data or "",
        lines=[
            rfqs.RfqLineData(
                category_id=e.form.category_id.data,
                specification=e.form.specification.data or "",
                quantity=e.form.quantity.data or "",
                unit=e.form.unit.data or "",
                target_price=e.form.target_price.data or "",
                listing_id=small_int(e.form.listing_id.data),
            )
            for e in form.lines.entries
        ],
        pattern=form.pattern.data or "",
        weekdays=form.weekdays.data or [],
        day_of_month=form.day_of_month.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        respond_by_date=form.respond_by_date.data,
        respond_by_time=form.respond_by_time.data,
        delivery_location_id=form.delivery_location_id.data,
        required_certificates=form.required_certificates.data or [],
        min_ocop_stars=form.min_ocop_stars.data,
        payment_days=form.payment_days.data or "",
        invited_only=bool(form.invited_only.data),
        invited_coop_ids=[i for i in form.invited_coop_ids.data or [] if i],
        notes=form.notes.data or "",
    )


@bp.route("/orgs/<int:org_id>/rfqs/new", methods=["GET", "POST"])
@login_required
def new_rfq(org_id: int):
    organization, _membership = member_view(org_id, OrgKind.BUYER, Role.MANAGER)
    form = RfqForm()

    def page(status: int):
        return (
            render_template(
                "contracts/rfq_new.html",
                organization=organization,
                form=form,
                has_locations=_has_locations(form),
                provinces=PROVINCES,
            ),
            status,
        )

    if request.method == "GET":
        _prefill_from_listing(
            form, small_int(request.args.get("listing")), wanted_quantity(request.args)
        )
    if request.method == "POST" and request.form.get("add_line"):
        # "Add a line" sends the form back to itself: nothing is saved yet.
        if len(form.lines.entries) < form.lines.max_entries:
            form.lines.append_entry()
        else:
            flash(_("A request can have at most %(n)d lines.", n=form.lines.max_entries), "error")
        _rfq_form_choices(form, org_id)
        return page(200)
    _rfq_form_choices(form, org_id)
    if request.method == "GET":
        _only_location_chosen(form)

    def posted(rfq):
        flash(_("Request posted. Matching co-ops have been told."), "success")
        return redirect(url_for("contracts.rfq", rfq_id=rfq.id))

    return handle_form(
        form,
        lambda: rfqs.create_rfq(current_actor(), org_id, _rfq_data(form)),
        done=posted,
        back=url_for("contracts.dashboard", org_id=org_id),
        page=page,
        once=True,
    )


@bp.route("/listings/<int:listing_id>/request-quote")
@login_required
def quote_from_listing(listing_id: int):
    """ "Request a quote" on a listing page: the buyer's request form, pre-filled."""
    if orderable_listing(listing_id) is None:
        abort(404)
    membership = call_or_abort(rules.ordering_buyer, current_actor())
    if membership is None:
        flash(_("Requests for quotes are posted by a manager of a buyer organisation."), "error")
        return redirect(url_for("main.home"))
    return redirect(
        url_for(
            "contracts.new_rfq",
            org_id=membership.organization_id,
            listing=listing_id,
            quantity=wanted_quantity(request.args),
        )
    )


@bp.route("/rfqs/<int:rfq_id>")
@login_required
def rfq(rfq_id: int):
    view = call_or_abort(rfqs.rfq_view, current_actor(), rfq_id)
    award_form = AwardForm()
    award_form.fill(view.rfq.lines, view.quotes)
    return render_template(
        "contracts/rfq.html",
        view=view,
        rfq=view.rfq,
        award_form=award_form,
        cancel_form=VersionedForm(),
        waiting_on=rfqs.waiting_on,
        missing=rfqs.missing_certificates(view.rfq, view.organization.id)
        if view.side is Side.COOP
        else None,
        locale=locale(),
    )


@bp.route("/rfqs/<int:rfq_id>/cancel", methods=["POST"])
@login_required
def cancel_rfq(rfq_id: int):
    def closed(_rfq):
        flash(_("The request is closed. Co-ops that quoted have been told."), "success")
        return redirect(url_for("contracts.rfq", rfq_id=rfq_id))

    return handle_form(
        VersionedForm(),
        lambda: rfqs.cancel_rfq(current_actor(), rfq_id),
        done=closed,
        back=url_for("contracts.rfq", rfq_id=rfq_id),
    )


def _award_choices(form: AwardForm) -> tuple[dict[int, int | None], dict[int, int]]:
    """(request line id → quote id or None, quote id → version seen) as posted."""
    choices = {
        line_id: small_int(line.quote_id.data) for line_id, line in form.lines.by_line().items()
    }
    seen: dict[int, int] = {}
    for entry in form.quotes.entries:
        quote_id, version = small_int(entry.form.quote_id.data), small_int(entry.form.version.data)
        if quote_id is not None and version is not None:
            seen[quote_id] = version
    return choices, seen


@bp.route("/rfqs/<int:rfq_id>/award", methods=["POST"])
@login_required
def award(rfq_id: int):
    form = AwardForm()

    def awarded(made):
        flash(_("Awarded. Sign the contract draft; the co-op signs too."), "success")
        if len(made) == 1:
            return redirect(url_for("contracts.contract", contract_id=made[0].id))
        return redirect(url_for("contracts.rfq", rfq_id=rfq_id))

    return handle_form(
        form,
        lambda: rfqs.award(current_actor(), rfq_id, *_award_choices(form)),
        done=awarded,
        back=url_for("contracts.rfq", rfq_id=rfq_id),
        bad_form=400,
    )
