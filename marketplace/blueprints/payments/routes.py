"""Payments over HTTP: parse the form, call one service, render or redirect."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from marketplace import unit_of_work
from marketplace.blueprints.common import handle_form
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.blueprints.payments import bp
from marketplace.blueprints.payments.checkout import start_card_payment
from marketplace.blueprints.payments.forms import (
    BankAccountForm,
    ClaimForm,
    PayoutForm,
    RefundForm,
    StatementForm,
    TransferForm,
)
from marketplace.extensions import csrf, db, limiter
from marketplace.models import PayableKind, Role
from marketplace.payments import vietqr
from marketplace.qr import qr_svg
from marketplace.services.errors import ValidationFailed
from marketplace.services.payments import (
    balances,
    cards,
    claims,
    payables,
    refunds,
    statements,
    transfers,
)
from marketplace.services.payments import payouts as payout_service
from marketplace.vietnam import today
from marketplace.web import call_or_abort, current_actor, member_view

#: Any kind the payables registry knows (``payables.kind_named`` answers 404 for others).
KINDS = "<kind>"


@bp.app_template_filter("bank_name")
def bank_name(bin: str | None) -> str:
    """A bank's short name by its BIN ("970436" → "Vietcombank"); an unknown BIN as it is."""
    bank = vietqr.BANKS.get(bin or "")
    return bank.short_name if bank else (bin or "")


def _kind(kind: str) -> PayableKind:
    return call_or_abort(payables.kind_named, kind)


def render_pay_page(kind: str, payable_id: int, status: int = 200, **forms):
    """The pay page: how to pay (card, VietQR with copy buttons and a PNG to save), the
    payer's "I have transferred", the payee's recording, and the history."""
    view = call_or_abort(payables.pay_page, current_actor(), _kind(kind), payable_id)
    found, outstanding = view.payable, view.outstanding
    bank = transfers.bank_details(found) if found.open else None
    awaiting = claims.awaiting_claim(found.kind, found.id)
    transfer_form = forms.get("transfer_form") or TransferForm(
        amount=str(max(outstanding, 0)), paid_on=today()
    )
    return (
        render_template(
            "payments/pay.html",
            found=found,
            outstanding=outstanding,
            history=view.history,
            is_payer=view.is_payer,
            payer_can_pay=view.can_pay,
            is_payee_manager=view.handles_money,
            cards=payables.cards() is not None,
            bank=bank,
            payee=view.payee,
            qr=_qr(bank["payload"]) if bank else None,
            awaiting=awaiting,
            last_claim=claims.latest_answered(found.kind, found.id),
            claim_form=forms.get("claim_form")
            or ClaimForm(amount=str(max(outstanding, 0)), paid_on=today()),
            ask_form=ConfirmForm(),
            transfer_form=transfer_form,
            refund_forms=forms.get("refund_forms") or {},
            refund_form_for=lambda payment_id, what="refund": RefundForm(
                prefix=f"{what}-{payment_id}"
            ),
            back=url_for(view.back.endpoint, **view.back.values),
        ),
        status,
    )


def _qr(payload: str) -> str:
    """The VietQR code as inline SVG markup, named for screen readers."""
    svg = qr_svg(payload).decode()
    svg = svg[svg.index("<svg") :]
    label = _("VietQR code for a bank transfer")
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}"', 1)


@bp.route(f"/pay/{KINDS}/<int:payable_id>")
@login_required
def pay(kind: str, payable_id: int):
    return render_pay_page(kind, payable_id)


@bp.route(f"/pay/{KINDS}/<int:payable_id>/card", methods=["POST"])
@login_required
@limiter.limit("20 per hour")
def pay_by_card(kind: str, payable_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        # Commits the pending payment before the card provider is asked, and its page after.
        _payment, url = call_or_abort(
            start_card_payment,
            current_actor(),
            _kind(kind),
            payable_id,
            locale=str(get_locale()),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(str(message), "error")
        return redirect(url_for("payments.pay", kind=kind, payable_id=payable_id))
    return redirect(url, code=303)


@bp.route("/payments/<int:payment_id>/done")
@login_required
def card_return(payment_id: int):
    payment = call_or_abort(cards.payment_for, current_actor(), payment_id)
    return render_template("payments/return.html", payment=payment)


@bp.route("/payments/<int:payment_id>/cancelled")
@login_required
def card_cancel(payment_id: int):
    # Only a message: Stripe's page stays payable until it expires, and its webhook (paid or
    # expired) decides the payment's state.
    payment = call_or_abort(cards.payment_for, current_actor(), payment_id)
    flash(
        _("The card payment was not completed. If you paid after all, it shows here shortly."),
        "info",
    )
    return redirect(
        url_for("payments.pay", kind=payment.payable_kind.value, payable_id=payment.payable_id)
    )


@bp.route(f"/pay/{KINDS}/<int:payable_id>/transfer", methods=["POST"])
@login_required
def record_transfer(kind: str, payable_id: int):
    form = TransferForm()
    back = url_for("payments.pay", kind=kind, payable_id=payable_id)

    def recorded(_payment):
        flash(_("Transfer recorded."), "success")
        return redirect(back)

    return handle_form(
        form,
        lambda: transfers.record_transfer(
            current_actor(),
            _kind(kind),
            payable_id,
            amount=form.amount.data or "",
            paid_on=form.paid_on.data,
            bank_reference=form.bank_reference.data or "",
            partial=bool(form.partial.data),
        ),
        done=recorded,
        back=back,
        page=lambda status: render_pay_page(kind, payable_id, status, transfer_form=form),
        refused=_("This can no longer be paid."),
    )


@bp.route("/payments/<int:payment_id>/refund", methods=["POST"])
@login_required
def refund(payment_id: int):
    payment = call_or_abort(cards.payment_for, current_actor(), payment_id)
    form = RefundForm(prefix=f"refund-{payment_id}")
    back = url_for("payments.pay", kind=payment.payable_kind.value, payable_id=payment.payable_id)

    def requested(_refund):
        flash(_("Refund requested. Stripe confirms it shortly."), "success")
        return redirect(back)

    return handle_form(
        form,
        lambda: refunds.request_refund(
            current_actor(), payment_id, form.amount.data or "", form.reason.data or ""
        ),
        done=requested,
        back=back,
        page=lambda status: render_pay_page(
            payment.payable_kind.value,
            payment.payable_id,
            status,
            refund_forms={payment_id: form},
        ),
    )


@bp.route("/payments/<int:payment_id>/reverse", methods=["POST"])
@login_required
def reverse(payment_id: int):
    payment = call_or_abort(cards.payment_for, current_actor(), payment_id)
    form = RefundForm(prefix=f"reverse-{payment_id}")
    back = url_for("payments.pay", kind=payment.payable_kind.value, payable_id=payment.payable_id)

    def undone(_payment):
        flash(_("The record is undone; the amount is owed again."), "success")
        return redirect(back)

    return handle_form(
        form,
        lambda: transfers.reverse_transfer(current_actor(), payment_id, form.reason.data or ""),
        done=undone,
        back=back,
        bad_form="back",
        refused=_("This record can no longer be undone."),
    )


@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt
@limiter.exempt
def stripe_webhook():
    """Verified, stored once and applied in the one transaction the edge commits; its emails
    and refunds leave through the outbox after the answer (never waiting on SMTP)."""
    try:
        outcome = cards.receive_event(
            request.get_data(cache=False), request.headers.get("Stripe-Signature")
        )
    except cards.WebhookRefused as exc:
        current_app.logger.warning("refused a Stripe webhook: %s", exc)
        return {"error": "invalid event"}, 400
    except Exception:
        # Applying failed and its savepoint undid it: keep the stored, unapplied event (it
        # is applied when Stripe delivers it again) and answer with the error.
        try:
            unit_of_work.commit()
        except Exception:  # noqa: BLE001 - the original error is the one to report
            current_app.logger.exception("could not keep the unapplied Stripe event")
        raise
    return {"received": True, "outcome": outcome}


# --- organisations' money pages ---------------------------------------------------------------


@bp.route("/orgs/<int:org_id>/bank-account", methods=["GET", "POST"])
@login_required
def bank_account(org_id: int):
    organization, _membership = member_view(org_id, min_role=Role.MANAGER)
    form = BankAccountForm(
        bin=organization.bank_bin,
        account=organization.bank_account_number,
        holder=organization.bank_account_name,
    )
    form.bin.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(code, f"{bank.short_name} · {bank.full_name}")
        for code, bank in vietqr.BANKS.items()
    ]

    def saved(_organization):
        flash(_("Bank account saved. Payers now see it with a VietQR code."), "success")
        return redirect(url_for("payments.statement", org_id=org_id))

    return handle_form(
        form,
        lambda: transfers.save_bank_account(
            current_actor(),
            org_id,
            bin=form.bin.data or "",
            account=form.account.data or "",
            holder=form.holder.data or "",
        ),
        done=saved,
        back=url_for("payments.bank_account", org_id=org_id),
        page=lambda status: (
            render_template("payments/bank_account.html", organization=organization, form=form),
            status,
        ),
    )


@bp.route("/orgs/<int:org_id>/statement")
@login_required
def statement(org_id: int):
    found = call_or_abort(balances.statement, current_actor(), org_id)
    return render_template(
        "payments/statement.html", statement=found, organization=found.organization
    )


@bp.route("/orgs/<int:org_id>/bank-statements", methods=["GET", "POST"])
@login_required
def upload_statement(org_id: int):
    organization = call_or_abort(statements.importer_of, current_actor(), org_id)
    form = StatementForm()

    def store():
        upload = form.file.data
        data = upload.read() if getattr(upload, "filename", None) else b""
        return statements.upload(current_actor(), org_id, getattr(upload, "filename", ""), data)

    return handle_form(
        form,
        store,
        done=lambda imported: redirect(
            url_for("payments.statement_review", statement_id=imported.id)
        ),
        back=url_for("payments.upload_statement", org_id=org_id),
        page=lambda status: (
            render_template("payments/statement_upload.html", organization=organization, form=form),
            status,
        ),
    )


@bp.route("/bank-statements/<int:statement_id>")
@login_required
def statement_review(statement_id: int):
    imported = call_or_abort(statements.review, current_actor(), statement_id)
    return render_template(
        "payments/statement_review.html", imported=imported, form=StatementForm()
    )


@bp.route("/bank-statements/<int:statement_id>/apply", methods=["POST"])
@login_required
def statement_apply(statement_id: int):

    def applied(count: int):
        flash(_("%(n)d transfers recorded.", n=count), "success")
        imported = call_or_abort(statements.review, current_actor(), statement_id)
        return redirect(url_for("payments.statement", org_id=imported.organization_id))

    return handle_form(
        StatementForm(),
        lambda: statements.apply(current_actor(), statement_id),
        done=applied,
        back=url_for("payments.statement_review", statement_id=statement_id),
        bad_form=400,
    )


# --- admin ---------------------------------------------------------------------------------------


@bp.route("/admin/payouts")
@login_required
def payouts():
    overview = call_or_abort(balances.payouts_overview, current_actor())
    return render_template(
        "payments/payouts.html",
        owed=overview.owed,
        form=PayoutForm(paid_on=today()),
        report=overview.report,
        balances=overview.balances,
    )


@bp.route("/admin/payouts/<int:org_id>", methods=["POST"])
@login_required
def record_payout(org_id: int):
    form = PayoutForm()

    def recorded(_payout):
        flash(_("Payout recorded."), "success")
        return redirect(url_for("payments.payouts"))

    return handle_form(
        form,
        lambda: payout_service.record_payout(
            current_actor(),
            org_id,
            amount=form.amount.data or "",
            paid_on=form.paid_on.data,
            bank_reference=form.bank_reference.data or "",
        ),
        done=recorded,
        back=url_for("payments.payouts"),
        bad_form=400,
    )
