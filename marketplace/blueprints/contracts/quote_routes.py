"""Quotes and their negotiation: a co-op quotes on a request, both sides send new versions
and messages, the co-op may withdraw."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.common import chosen_files, handle_form
from marketplace.blueprints.contracts import bp
from marketplace.blueprints.contracts.forms import MessageForm, VersionedForm, VersionForm
from marketplace.blueprints.contracts.shared import locale, seen_version, vat_choices
from marketplace.models import QuoteStatus, Side
from marketplace.services.catalogue import listings
from marketplace.services.deals import rfqs
from marketplace.validation import small_int
from marketplace.vietnam import today
from marketplace.web import call_or_abort, current_actor, private_file


def _version_form_choices(form: VersionForm, coop_id: int) -> None:
    language = locale()
    products = [SelectChoice("", _("—"))] + [
        SelectChoice(listing.id, listing.title(language))
        for listing in listings.coop_listings(coop_id)
    ]
    for entry in form.lines.entries:
        entry.form.listing_id.choices = products
        entry.form.vat_rate.choices = vat_choices()


def _in_buyers_words(form: VersionForm) -> None:
    """A counter-offer's labels say what the buyer wants and offers (the co-op's form says
    what it commits to); VAT stays the co-op's and is only shown."""
    form.valid_until.label.text = _("Our offer is valid until")
    for entry in form.lines.entries:
        entry.form.include.label.text = _("Include this line in our offer")
        entry.form.unit_price.label.text = _("Price we offer per unit (₫)")
        entry.form.quantity.label.text = _("Quantity we want per delivery")
        entry.form.vat_rate.label.text = _("VAT (set by the co-op)")


def _fill_version_form(form: VersionForm, rows: list[rfqs.QuoteLineData]) -> None:
    for row in rows:
        form.lines.append_entry(
            {
                "rfq_line_id": str(row.rfq_line_id),
                "include": row.include,
                "listing_id": row.listing_id,
                "unit_price": row.unit_price,
                "quantity": row.quantity,
                "vat_rate": row.vat_rate,
            }
        )


def _version_data(form: VersionForm) -> rfqs.VersionData:
    return rfqs.VersionData(
        lines=[
            rfqs.QuoteLineData(
                rfq_line_id=small_int(e.form.rfq_line_id.data) or 0,
                unit_price=e.form.unit_price.data or "",
                quantity=e.form.quantity.data or "",
                vat_rate=e.form.vat_rate.data or "",
                include=bool(e.form.include.data),
                listing_id=e.form.listing_id.data,
            )
            for e in form.lines.entries
        ],
        valid_until=form.valid_until.data,
        notes=form.notes.data or "",
        attachments=chosen_files(form.attachments),
    )


@bp.route("/rfqs/<int:rfq_id>/quote", methods=["GET", "POST"])
@login_required
def new_quote(rfq_id: int):
    view = call_or_abort(rfqs.rfq_view, current_actor(), rfq_id)
    if view.side is not Side.COOP:
        abort(404)
    if view.quotes:
        return redirect(url_for("contracts.quote", quote_id=view.quotes[0].id))
    if not view.can_decide:
        abort(403)
    form = VersionForm()
    if not form.is_submitted():
        _fill_version_form(form, rfqs.quote_defaults(view.rfq, view.organization.id))
        form.valid_until.data = min(view.rfq.starts_on, date.fromordinal(today().toordinal() + 14))
    _version_form_choices(form, view.organization.id)

    def page(status: int):
        return (
            render_template(
                "contracts/quote_new.html",
                view=view,
                rfq=view.rfq,
                form=form,
                rfq_lines={line.id: line for line in view.rfq.lines},
                locale=locale(),
            ),
            status,
        )

    def sent(quote):
        flash(_("Quote sent. The buyer has been told."), "success")
        return redirect(url_for("contracts.quote", quote_id=quote.id))

    return handle_form(
        form,
        lambda: rfqs.submit_quote(
            current_actor(), rfq_id, view.organization.id, _version_data(form)
        ),
        done=sent,
        back=url_for("contracts.rfq", rfq_id=rfq_id),
        page=page,
    )


def _negotiation_page(quote_id: int, status: int = 200, version_form=None, message_form=None):
    quote, who = call_or_abort(rfqs.negotiation, current_actor(), quote_id)
    if version_form is None:
        version_form = VersionForm()
        latest = quote.latest
        if latest is not None:
            rows = []
            for line in quote.rfq.lines:
                offered = latest.line_for(line.id)
                rows.append(
                    rfqs.QuoteLineData(
                        rfq_line_id=line.id,
                        unit_price=str(offered.unit_price) if offered else "",
                        quantity=str(offered.quantity if offered else line.quantity),
                        vat_rate=offered.vat_rate if offered else line.category.vat_rate,
                        include=offered is not None,
                        listing_id=offered.listing_id if offered else None,
                    )
                )
            _fill_version_form(version_form, rows)
            version_form.valid_until.data = latest.valid_until
    # Also after a refusal: what was typed stays, and it can be sent again against the
    # version now shown above it.
    version_form.version.data = str(quote.current_version)
    _version_form_choices(version_form, quote.coop_id)
    if who.side is Side.BUYER:
        _in_buyers_words(version_form)
    return (
        render_template(
            "contracts/quote.html",
            quote=quote,
            rfq=quote.rfq,
            who=who,
            version_form=version_form,
            message_form=message_form or MessageForm(),
            withdraw_form=VersionedForm(),
            differences=rfqs.differences,
            version_totals=lambda version: rfqs.version_totals(quote.rfq, version),
            waiting_on=rfqs.waiting_on(quote),
            rfq_lines={line.id: line for line in quote.rfq.lines},
            is_open=quote.status is QuoteStatus.OPEN and quote.rfq.status.value == "open",
            locale=locale(),
        ),
        status,
    )


@bp.route("/quotes/<int:quote_id>")
@login_required
def quote(quote_id: int):
    return _negotiation_page(quote_id)


@bp.route("/quotes/<int:quote_id>/versions", methods=["POST"])
@login_required
def add_version(quote_id: int):
    form = VersionForm()
    quote, _who = call_or_abort(rfqs.negotiation, current_actor(), quote_id)
    _version_form_choices(form, quote.coop_id)

    def sent(_version):
        flash(_("New version sent. The other side has been told."), "success")
        return redirect(url_for("contracts.quote", quote_id=quote_id))

    return handle_form(
        form,
        lambda: rfqs.add_version(
            current_actor(), quote_id, seen_version(form), _version_data(form)
        ),
        done=sent,
        back=url_for("contracts.quote", quote_id=quote_id),
        page=lambda status: _negotiation_page(quote_id, status, version_form=form),
    )


@bp.route("/quotes/<int:quote_id>/messages", methods=["POST"])
@login_required
def post_message(quote_id: int):
    form = MessageForm()

    def sent(_message):
        flash(_("Message sent."), "success")
        return redirect(url_for("contracts.quote", quote_id=quote_id, _anchor="thread"))

    return handle_form(
        form,
        lambda: rfqs.post_message(
            current_actor(), quote_id, form.body.data or "", chosen_files(form.attachments)
        ),
        done=sent,
        back=url_for("contracts.quote", quote_id=quote_id),
        page=lambda status: _negotiation_page(quote_id, status, message_form=form),
    )


@bp.route("/quotes/<int:quote_id>/withdraw", methods=["POST"])
@login_required
def withdraw_quote(quote_id: int):
    def withdrawn(_quote):
        flash(_("Quote withdrawn."), "success")
        return redirect(url_for("contracts.quote", quote_id=quote_id))

    return handle_form(
        VersionedForm(),
        lambda: rfqs.withdraw_quote(current_actor(), quote_id),
        done=withdrawn,
        back=url_for("contracts.quote", quote_id=quote_id),
    )


@bp.route("/quotes/<int:quote_id>/files/<int:attachment_id>")
@login_required
def attachment(quote_id: int, attachment_id: int):
    found = call_or_abort(rfqs.attachment_for, current_actor(), quote_id, attachment_id)
    return private_file(found.key)


@bp.route("/quotes/<int:quote_id>/accept-counter", methods=["POST"])
@login_required
def accept_counter(quote_id: int):
    form = VersionedForm()

    def accepted(_version):
        flash(
            _("Counter-offer accepted as it is. The buyer has been told and can award it."),
            "success",
        )
        return redirect(url_for("contracts.quote", quote_id=quote_id))

    return handle_form(
        form,
        lambda: rfqs.accept_counter_offer(current_actor(), quote_id, seen_version(form)),
        done=accepted,
        back=url_for("contracts.quote", quote_id=quote_id),
    )
