"""A succeeded payment's receipt as a PDF, for whoever may see what it paid (the payer's and
the payee's members, platform admins)."""

from __future__ import annotations

from flask_login import login_required

from marketplace.blueprints.payments import bp
from marketplace.documents import pdf_response, receipt_pdf
from marketplace.services.payments import receipts
from marketplace.web import call_or_abort, current_actor


@bp.route("/payments/<int:payment_id>/receipt")
@login_required
def receipt(payment_id: int):
    found = call_or_abort(receipts.receipt, current_actor(), payment_id)
    filename, data = receipt_pdf(found)
    return pdf_response(data, filename)
