"""Invoices: the list of an organisation's invoices, an invoice's page and its PDF, voiding
one."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.blueprints.common import handle_form
from marketplace.blueprints.contracts import bp
from marketplace.blueprints.contracts.forms import VoidForm
from marketplace.blueprints.contracts.shared import locale
from marketplace.documents import invoice_pdf as render_invoice_pdf
from marketplace.documents import pdf_response
from marketplace.models import InvoiceStatus, PayableKind
from marketplace.parsing import VAT_RATES
from marketplace.services.deals import documents, invoices, rules
from marketplace.services.payments import claims
from marketplace.web import call_or_abort, current_actor


@bp.route("/orgs/<int:org_id>/invoices")
@login_required
def invoice_list(org_id: int):
    _membership = call_or_abort(rules.trading_member, current_actor(), org_id)
    organization = _membership.organization
    found = invoices.invoices_of(current_actor(), org_id)
    return render_template(
        "contracts/invoices.html",
        organization=organization,
        invoices=found,
        awaiting=claims.awaiting_for(PayableKind.INVOICE, [inv.id for inv in found]),
        paid_amount=invoices.paid_amount,
        locale=locale(),
    )


def _invoice_page(invoice_id: int, status: int = 200, void_form=None):
    invoice, who = call_or_abort(invoices.invoice_view, current_actor(), invoice_id)
    return (
        render_template(
            "contracts/invoice.html",
            invoice=invoice,
            who=who,
            paid=invoices.paid_amount(invoice),
            awaiting=claims.awaiting_claim(PayableKind.INVOICE, invoice.id),
            void_form=void_form or VoidForm(),
            vat_rates=VAT_RATES,
            open_for_payment=invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE),
            locale=locale(),
        ),
        status,
    )


@bp.route("/invoices/<int:invoice_id>")
@login_required
def invoice(invoice_id: int):
    return _invoice_page(invoice_id)


@bp.route("/invoices/<int:invoice_id>/pdf")
@login_required
def invoice_pdf(invoice_id: int):
    doc = call_or_abort(documents.invoice_document, current_actor(), invoice_id)
    filename, data = render_invoice_pdf(doc)
    return pdf_response(data, filename)


@bp.route("/invoices/<int:invoice_id>/void", methods=["POST"])
@login_required
def void_invoice(invoice_id: int):
    form = VoidForm()

    def voided(_invoice):
        flash(_("Invoice voided. Its number stays used."), "success")
        return redirect(url_for("contracts.invoice", invoice_id=invoice_id))

    return handle_form(
        form,
        lambda: invoices.void(current_actor(), invoice_id, form.reason.data or ""),
        done=voided,
        back=url_for("contracts.invoice", invoice_id=invoice_id),
        page=lambda status: _invoice_page(invoice_id, status, void_form=form),
    )
