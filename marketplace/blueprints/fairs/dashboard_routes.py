"""A fair's money and numbers: the booth fee's invoice (PDF), the organiser's "fee received"
and the organiser's dashboard."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from marketplace import documents
from marketplace.blueprints.common import handle_form
from marketplace.blueprints.fairs import bp
from marketplace.blueprints.fairs.fee_forms import fee_form, fee_form_for
from marketplace.services import fair_dashboard, fair_fees
from marketplace.web import call_or_abort, current_actor


@bp.context_processor
def fee_form_context() -> dict:
    """The "fee received" form for any fairs page that shows an application's row
    (``fairs/_fee_received.html``); a page sent back with errors passes its own ``fee_forms``."""
    return {"fee_form_for": fee_form_for, "fee_forms": {}}


@bp.route("/fair-applications/<int:application_id>/fee-invoice.pdf")
@login_required
def fee_invoice_pdf(application_id: int):
    doc = call_or_abort(fair_fees.fee_document, current_actor(), application_id)
    filename, data = documents.fair_fee_pdf(doc)
    return documents.pdf_response(data, filename)


@bp.route("/fair-applications/<int:application_id>/fee-received", methods=["POST"])
@login_required
def fee_received(application_id: int):
    from marketplace.blueprints.fairs.routes import _manage_page

    application = call_or_abort(fair_fees.fee_to_record, current_actor(), application_id)
    fair_id = application.fair_id
    form = fee_form(application_id)
    back = url_for("fairs.manage", fair_id=fair_id, _anchor=f"application-{application_id}")

    def recorded(_payment):
        flash(_("Fee received recorded."), "success")
        return redirect(back)

    return handle_form(
        form,
        lambda: fair_fees.record_fee_received(
            current_actor(),
            application_id,
            amount=form.amount.data or "",
            paid_on=form.paid_on.data,
            bank_reference=form.bank_reference.data or "",
            partial=bool(form.partial.data),
        ),
        done=recorded,
        back=back,
        page=lambda status: _manage_page(fair_id, status, fee_forms={application_id: form}),
        refused=_("This can no longer be paid."),
    )


@bp.route("/fairs/<int:fair_id>/dashboard")
@login_required
def dashboard(fair_id: int):
    board = call_or_abort(fair_dashboard.dashboard, current_actor(), fair_id)
    return render_template(
        "fairs/dashboard.html", board=board, fair=board.fair, locale=str(get_locale())
    )
