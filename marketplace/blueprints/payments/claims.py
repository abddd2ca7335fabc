"""The payer's "I have transferred", the payee's answer, the VietQR code as a PNG to save, and
asking a payee without a bank account to add one."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.blueprints.common import chosen_file, handle_form
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.blueprints.payments import bp
from marketplace.blueprints.payments.forms import ClaimForm, NotArrivedForm, TransferForm
from marketplace.blueprints.payments.routes import KINDS, _kind, render_pay_page
from marketplace.extensions import limiter
from marketplace.i18n import format_money
from marketplace.qr import qr_png
from marketplace.services.payments import claims, payables, transfers
from marketplace.vietnam import today
from marketplace.web import call_or_abort, current_actor, private_file


@bp.route(f"/pay/{KINDS}/<int:payable_id>/vietqr.png")
@login_required
def vietqr_png(kind: str, payable_id: int):
    """The pay page's VietQR code as a PNG, to save and open in a bank app (a phone cannot
    scan its own screen). Its payload is the page's: same account, amount and reference."""
    found = call_or_abort(payables.view_payable, current_actor(), _kind(kind), payable_id)
    bank = transfers.bank_details(found) if found.open else None
    if bank is None:
        return Response(status=404)
    return Response(
        qr_png(bank["payload"]),
        mimetype="image/png",
        headers={
            "Content-Disposition": f'attachment; filename="VietQR-{found.reference}.png"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route(f"/pay/{KINDS}/<int:payable_id>/transferred", methods=["POST"])
@login_required
@limiter.limit("30 per hour")
def claim(kind: str, payable_id: int):
    form = ClaimForm()
    back = url_for("payments.pay", kind=kind, payable_id=payable_id)

    def claimed(_claim):
        flash(
            _("Thank you. The payee has been asked to confirm that the money arrived."),
            "success",
        )
        return redirect(back)

    return handle_form(
        form,
        lambda: claims.claim_transfer(
            current_actor(),
            _kind(kind),
            payable_id,
            amount=form.amount.data or "",
            paid_on=form.paid_on.data,
            bank_reference=form.bank_reference.data or "",
            receipt=chosen_file(form.receipt),
        ),
        done=claimed,
        back=back,
        page=lambda status: render_pay_page(kind, payable_id, status, claim_form=form),
    )


@bp.route(f"/pay/{KINDS}/<int:payable_id>/ask-bank-account", methods=["POST"])
@login_required
@limiter.limit("10 per hour")
def ask_bank_account(kind: str, payable_id: int):
    back = url_for("payments.pay", kind=kind, payable_id=payable_id)

    def asked(payee):
        flash(
            _("%(name)s has been asked to add a bank account. You get a notice when you can pay.")
            % {"name": payee.name},
            "success",
        )
        return redirect(back)

    return handle_form(
        ConfirmForm(),
        lambda: claims.ask_for_bank_account(current_actor(), _kind(kind), payable_id),
        done=asked,
        back=back,
        bad_form="back",
    )


def _claim_page(claim_id: int, status: int = 200, **forms):
    view = call_or_abort(claims.view_claim, current_actor(), claim_id)
    claim, found = view.claim, view.payable
    confirm_form = forms.get("confirm_form") or TransferForm(
        amount=str(claim.amount),
        paid_on=claim.paid_on or today(),
        bank_reference=claim.bank_reference or "",
    )
    return (
        render_template(
            "payments/claim.html",
            claim=claim,
            found=found,
            outstanding=view.outstanding,
            can_answer=view.can_answer,
            is_payer=view.is_payer,
            confirm_form=confirm_form,
            not_arrived_form=forms.get("not_arrived_form") or NotArrivedForm(),
            withdraw_form=ConfirmForm(),
        ),
        status,
    )


@bp.route("/transfer-claims/<int:claim_id>")
@login_required
def claim_page(claim_id: int):
    return _claim_page(claim_id)


@bp.route("/transfer-claims/<int:claim_id>/receipt")
@login_required
def claim_receipt(claim_id: int):
    return private_file(call_or_abort(claims.receipt_of, current_actor(), claim_id))


@bp.route("/transfer-claims/<int:claim_id>/confirm", methods=["POST"])
@login_required
def confirm_claim(claim_id: int):
    form = TransferForm()
    back = url_for("payments.claim_page", claim_id=claim_id)

    def confirmed(payment):
        amount = format_money(payment.amount)
        flash(_("Receipt confirmed: %(amount)s recorded.", amount=amount), "success")
        return redirect(
            url_for("payments.pay", kind=payment.payable_kind.value, payable_id=payment.payable_id)
        )

    return handle_form(
        form,
        lambda: claims.confirm_claim(
            current_actor(),
            claim_id,
            amount=form.amount.data or "",
            paid_on=form.paid_on.data,
            bank_reference=form.bank_reference.data or "",
            partial=bool(form.partial.data),
        ),
        done=confirmed,
        back=back,
        page=lambda status: _claim_page(claim_id, status, confirm_form=form),
    )


@bp.route("/transfer-claims/<int:claim_id>/not-arrived", methods=["POST"])
@login_required
def claim_not_arrived(claim_id: int):
    form = NotArrivedForm()
    back = url_for("payments.claim_page", claim_id=claim_id)

    def answered(_claim):
        flash(_("The payer has been told the money has not arrived."), "success")
        return redirect(back)

    return handle_form(
        form,
        lambda: claims.not_arrived(current_actor(), claim_id, form.note.data or ""),
        done=answered,
        back=back,
        page=lambda status: _claim_page(claim_id, status, not_arrived_form=form),
    )


@bp.route("/transfer-claims/<int:claim_id>/withdraw", methods=["POST"])
@login_required
def withdraw_claim(claim_id: int):
    back = url_for("payments.claim_page", claim_id=claim_id)

    def withdrawn(claim):
        flash(_("Taken back. Pay, then tell the payee again."), "success")
        return redirect(
            url_for("payments.pay", kind=claim.payable_kind.value, payable_id=claim.payable_id)
        )

    return handle_form(
        ConfirmForm(),
        lambda: claims.withdraw_claim(current_actor(), claim_id),
        done=withdrawn,
        back=back,
        bad_form="back",
    )
