"""The platform's fee in the open (template helpers for the fee macro) and commission invoices:
an organisation's invoice page, and the admin's monthly billing."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import StringField
from wtforms.validators import Length

from marketplace.blueprints.common import BaseForm, handle_form
from marketplace.blueprints.payments import bp
from marketplace.i18n import format_money
from marketplace.services.payments import commission, fees, platform
from marketplace.web import call_or_abort, current_actor

# --- the fee, for every page that shows it (templates/payments/_fee.html) ----------------------


@bp.app_template_global("fee_rate")
def fee_rate(category_id: int | None = None) -> int:
    """The rate (basis points) of a category, or the platform's."""
    return fees.rate_bps(category_id)


@bp.app_template_global("fee_rate_texts")
def fee_rate_texts() -> dict[str, str]:
    """Every category's rate as the page says it, by category id (for static/js/fee.js)."""
    language = str(get_locale() or "vi")
    return {str(c): fees.rate_text(bps, language) for c, bps in fees.rates().items()}


@bp.app_template_global("fee_on")
def fee_on(amount: int | None, bps: int) -> int:
    return fees.fee_on(amount, bps)


@bp.app_template_global("contract_fee")
def contract_fee(contract, deliveries: int | None = None) -> fees.DealFee:
    return fees.contract_fee(contract, deliveries)


@bp.app_template_global("quote_fee")
def quote_fee(version, rfq) -> fees.DealFee:
    return fees.quote_fee(version, rfq)


@bp.app_template_global("rfq_fee_rate")
def rfq_fee_rate(rfq) -> int:
    return fees.rfq_rate(rfq)


@bp.app_template_filter("rate")
def rate_filter(bps: int) -> str:
    """300 → "3 %" ("2,5 %" in Vietnamese, "2.5 %" in English)."""
    return fees.rate_text(bps, str(get_locale() or "vi"))


# --- commission invoices ---------------------------------------------------------------------


class BillForm(BaseForm):
    month = StringField(
        _l("Month (YYYY-MM)"),
        validators=[Length(max=7)],
        render_kw={"inputmode": "numeric", "placeholder": "2026-11", "autocomplete": "off"},
    )


@bp.app_template_global("commission_bill_form")
def commission_bill_form() -> BillForm:
    """The admin's billing form (payouts page), set to last month."""
    return BillForm(month=f"{commission.last_month():%Y-%m}")


@bp.app_template_global("platform_bank_account")
def platform_bank_account():
    """The platform's saved settings when they hold a bank account, else None."""
    saved = platform.settings()
    return saved if platform.has_bank_account() else None


@bp.route("/commission/<int:commission_id>")
@login_required
def commission_invoice(commission_id: int):
    view = call_or_abort(commission.view_invoice, current_actor(), commission_id)
    return render_template("payments/commission.html", view=view, invoice=view.invoice)


@bp.route("/admin/commission/bill", methods=["POST"])
@login_required
def bill_commission():
    form = BillForm()
    back = url_for("payments.payouts")

    def billed(result: commission.Billed):
        flash(
            _(
                "%(month)s billed: %(n)d commission invoices issued, %(deducted)s deducted "
                "from money held.",
                month=f"{result.period:%m/%Y}",
                n=len(result.issued),
                deducted=format_money(result.deducted),
            ),
            "success",
        )
        return redirect(back)

    return handle_form(
        form,
        lambda: commission.bill(current_actor(), form.month.data),
        done=billed,
        back=back,
    )
