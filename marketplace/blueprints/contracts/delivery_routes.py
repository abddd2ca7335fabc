"""Deliveries: the month calendar, a delivery's page and its delivery note (PDF), the co-op's
dispatch and the buyer's receipt (accepted and rejected quantities, photos of what was
rejected)."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.blueprints.common import chosen_files, handle_form
from marketplace.blueprints.contracts import bp
from marketplace.blueprints.contracts.forms import DispatchForm, ReceiptForm
from marketplace.blueprints.contracts.shared import locale, seen_version
from marketplace.documents import delivery_note_pdf, pdf_response
from marketplace.models import DeliveryStatus, Side
from marketplace.services.deals import deliveries, documents, invoices, rules
from marketplace.validation import small_int
from marketplace.vietnam import today
from marketplace.web import call_or_abort, current_actor, private_file


def _month(text: str) -> date:
    """The first day of a "YYYY-MM" month (2000–2100), this month for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if match and 2000 <= int(match[1]) <= 2100 and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    return today().replace(day=1)


@bp.route("/orgs/<int:org_id>/deliveries")
@login_required
def calendar(org_id: int):
    _membership = call_or_abort(rules.trading_member, current_actor(), org_id)
    organization = _membership.organization
    first = _month(request.args.get("month", ""))
    last = first.replace(day=monthrange(first.year, first.month)[1])
    items = deliveries.deliveries_between(current_actor(), org_id, first, last)
    by_day: dict[date, list] = {}
    for item in items:
        by_day.setdefault(item.scheduled_on, []).append(item)
    previous = date.fromordinal(first.toordinal() - 1).replace(day=1)
    following = date.fromordinal(last.toordinal() + 1)
    return render_template(
        "contracts/calendar.html",
        organization=organization,
        first=first,
        weeks=deliveries.month_grid(first.year, first.month),
        by_day=by_day,
        items=items,
        previous=previous,
        following=following,
        is_overdue=deliveries.is_overdue,
        is_partial=deliveries.is_partial,
        locale=locale(),
    )


def _lines_form(delivery, who) -> DispatchForm | ReceiptForm:
    """The form of the side that acts next, filled from the delivery: the co-op dispatches what
    was planned, the buyer accepts what was dispatched."""
    if who.side is Side.COOP:
        form = DispatchForm()
        form.lines.fill(
            {"line_id": str(line.id), "quantity": line.quantity} for line in delivery.lines
        )
        return form
    form = ReceiptForm()
    form.lines.fill(
        {"line_id": str(line.id), "accepted": line.dispatched_quantity, "rejected": 0}
        for line in delivery.lines
    )
    return form


def _delivery_page(delivery_id: int, status: int = 200, form=None):
    delivery, who = call_or_abort(deliveries.delivery_view, current_actor(), delivery_id)
    if form is None:
        form = _lines_form(delivery, who)
    # Also after a refusal: what was typed stays, and it can be sent again against the
    # delivery as it now stands.
    form.version.data = str(delivery.version)
    return (
        render_template(
            "contracts/delivery.html",
            delivery=delivery,
            contract=delivery.contract,
            who=who,
            form=form,
            lots=deliveries.lots_for(delivery)
            if who.side is Side.COOP and delivery.status is DeliveryStatus.PLANNED
            else {},
            overdue=deliveries.is_overdue(delivery),
            late=deliveries.is_late(delivery),
            partial=deliveries.is_partial(delivery),
            days_early=deliveries.days_early(delivery),
            early_tick=deliveries.needs_early_tick(delivery),
            invoice=invoices.invoice_of_delivery(delivery.id),
            locale=locale(),
        ),
        status,
    )


def _to_delivery(delivery_id: int):
    return redirect(url_for("contracts.delivery", delivery_id=delivery_id))


@bp.route("/deliveries/<int:delivery_id>")
@login_required
def delivery(delivery_id: int):
    return _delivery_page(delivery_id)


@bp.route("/deliveries/<int:delivery_id>/pdf")
@login_required
def delivery_pdf(delivery_id: int):
    delivery, invoice = call_or_abort(documents.delivery_note, current_actor(), delivery_id)
    filename, data = delivery_note_pdf(delivery, invoice)
    return pdf_response(data, filename)


@bp.route("/deliveries/<int:delivery_id>/dispatch", methods=["POST"])
@login_required
def dispatch(delivery_id: int):
    form = DispatchForm()
    found, _who = call_or_abort(deliveries.delivery_view, current_actor(), delivery_id)
    form.lines.match([line.id for line in found.lines])

    def dispatch_lines() -> dict[int, deliveries.DispatchLine]:
        return {
            line_id: deliveries.DispatchLine(
                quantity=row.quantity.data or "", lot_id=small_int(row.lot.data)
            )
            for line_id, row in form.lines.by_line().items()
        }

    def dispatched(_delivery):
        flash(_("Marked as dispatched. The buyer has been told."), "success")
        return _to_delivery(delivery_id)

    return handle_form(
        form,
        lambda: deliveries.dispatch(
            current_actor(),
            delivery_id,
            seen_version(form),
            dispatch_lines(),
            form.note.data or "",
            early=bool(form.early.data),
        ),
        done=dispatched,
        back=url_for("contracts.delivery", delivery_id=delivery_id),
        page=lambda status: _delivery_page(delivery_id, status, form=form),
        bad_form=400,
        error_names=form.field_errors,
    )


@bp.route("/deliveries/<int:delivery_id>/receive", methods=["POST"])
@login_required
def receive(delivery_id: int):
    form = ReceiptForm()
    found, _who = call_or_abort(deliveries.delivery_view, current_actor(), delivery_id)
    form.lines.match([line.id for line in found.lines])

    def receipt_lines() -> dict[int, deliveries.ReceiptLine]:
        return {
            line_id: deliveries.ReceiptLine(
                accepted=row.accepted.data or "",
                rejected=row.rejected.data or "0",
                reason=row.reason.data or "",
                photos=[data for _name, data in chosen_files(row.photos)],
            )
            for line_id, row in form.lines.by_line().items()
        }

    def received(result):
        _received, invoice = result
        if invoice is not None:
            flash(
                _("Receipt confirmed. Invoice %(number)s was issued.", number=invoice.number),
                "success",
            )
            return redirect(url_for("contracts.invoice", invoice_id=invoice.id))
        flash(_("Receipt confirmed. Nothing was accepted, so no invoice was issued."), "success")
        return _to_delivery(delivery_id)

    return handle_form(
        form,
        lambda: deliveries.receive(
            current_actor(),
            delivery_id,
            seen_version(form),
            receipt_lines(),
            form.note.data or "",
        ),
        done=received,
        back=url_for("contracts.delivery", delivery_id=delivery_id),
        page=lambda status: _delivery_page(delivery_id, status, form=form),
        bad_form=400,
        error_names=form.field_errors,
    )


@bp.route("/deliveries/<int:delivery_id>/photos/<int:line_id>/<int:index>")
@login_required
def rejection_photo(delivery_id: int, line_id: int, index: int):
    key = call_or_abort(deliveries.photo_of, current_actor(), delivery_id, line_id, index)
    return private_file(key)
