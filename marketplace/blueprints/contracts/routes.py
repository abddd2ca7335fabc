"""Supply deals over HTTP: parse the form, call one service, render or redirect.

Every page here belongs to the two parties of a deal; the services answer NotFound to anyone
else (so a request, negotiation, contract, delivery or invoice of others is a 404).
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.common import apply_errors
from marketplace.blueprints.contracts import bp
from marketplace.blueprints.contracts.forms import (
    AmendmentForm,
    MessageForm,
    NoticeForm,
    ReasonForm,
    RfqForm,
    SpotOrderForm,
    VersionedForm,
    VersionForm,
    VoidForm,
)
from marketplace.i18n import CERTIFICATE_NAMES, UNITS
from marketplace.models import (
    ContractStatus,
    DeliveryStatus,
    InvoiceStatus,
    Listing,
    OrgKind,
    QuoteStatus,
    Role,
    Side,
)
from marketplace.parsing import VAT_RATES
from marketplace.services import categories, contracts, deliveries, invoices, listings, rfqs
from marketplace.services.deals import location_text
from marketplace.services.errors import NotFound, TransitionNotAllowed, ValidationFailed
from marketplace.services.organizations import memberships_of
from marketplace.services.profiles import delivery_locations
from marketplace.validation import small_int
from marketplace.vietnam import today
from marketplace.web import (
    call_or_abort,
    current_actor,
    first_submission,
    member_view,
    private_file,
)


def _locale() -> str:
    return str(get_locale())


def _flash_errors(exc: ValidationFailed) -> None:
    for message in exc.errors.values():
        flash(str(message), "error")


def _changed() -> None:
    flash(
        _("This can no longer be done: it has changed meanwhile. Here is where it stands now."),
        "error",
    )


def _seen_version(form) -> int | None:
    return small_int(form.version.data)


def _unit_choices() -> list[SelectChoice]:
    locale = _locale()
    return [
        SelectChoice(code, names[1] if locale == "en" else names[0])
        for code, names in UNITS.items()
    ]


def _vat_choices() -> list[SelectChoice]:
    return [SelectChoice(code, str(label)) for code, label in VAT_RATES.items()]


def _buyer_membership(manager: bool = False):
    """The current user's buyer organisation membership (the first one), or None."""
    for membership in memberships_of(current_user):
        if membership.organization.kind is OrgKind.BUYER and (
            not manager or membership.role.at_least(Role.MANAGER)
        ):
            return membership
    return None


@bp.app_context_processor
def deal_helpers() -> dict:
    return {"location_text": location_text, "certificate_names": CERTIFICATE_NAMES}


# --- dashboard ------------------------------------------------------------


@bp.route("/orgs/<int:org_id>/trade")
@login_required
def dashboard(org_id: int):
    organization, membership = call_or_abort(_trade_member, org_id)
    actor = current_actor()
    is_buyer = organization.kind is OrgKind.BUYER
    side = Side.BUYER if is_buyer else Side.COOP
    start, end = deliveries.week_bounds()
    upcoming_end = end if not is_buyer else date.fromordinal(today().toordinal() + 14)
    return render_template(
        "contracts/dashboard.html",
        organization=organization,
        membership=membership,
        is_buyer=is_buyer,
        open_rfqs=[r for r in rfqs.buyer_rfqs(actor, org_id) if r.status.value == "open"]
        if is_buyer
        else [],
        matching=rfqs.requests_for_coop(actor, org_id) if not is_buyer else [],
        waiting=rfqs.negotiations_waiting(actor, org_id),
        to_sign=contracts.waiting_signature(actor, org_id),
        contract_list=contracts.contracts_of(actor, org_id)[:50],
        upcoming=deliveries.deliveries_between(
            actor, org_id, start if not is_buyer else today(), upcoming_end
        ),
        totals=invoices.monthly_totals(actor, org_id, side),
        is_overdue=deliveries.is_overdue,
        locale=_locale(),
    )


def _trade_member(org_id: int):
    from marketplace.services.organizations import get_for_member

    organization, membership = get_for_member(current_actor(), org_id)
    if organization.kind not in (OrgKind.BUYER, OrgKind.COOP):
        from marketplace.services.errors import NotFound

        raise NotFound("trade is for buyers and co-ops")
    return organization, membership


# --- requests for quotes ------------------------------------------------------------


def _rfq_form_choices(form: RfqForm, buyer_id: int) -> None:
    locale = _locale()
    category_choices = [SelectChoice("", _("Choose…"))]
    for root, children in categories.tree():
        category_choices.append(SelectChoice(root.id, root.name(locale)))
        category_choices += [SelectChoice(c.id, "— " + c.name(locale)) for c in children]
    for entry in form.lines.entries:
        entry.form.category_id.choices = category_choices
        entry.form.unit.choices = _unit_choices()
    form.delivery_location_id.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(loc.id, loc.name) for loc in delivery_locations(buyer_id)
    ]
    form.invited_coop_ids.choices = [
        SelectChoice(i, name) for i, name in rfqs.invitable_coops(form.invited_coop_ids.data or [])
    ]


@bp.route("/orgs/<int:org_id>/rfqs/new", methods=["GET", "POST"])
@login_required
def new_rfq(org_id: int):
    organization, membership = member_view(org_id, OrgKind.BUYER, Role.MANAGER)
    form = RfqForm()
    if request.method == "GET":
        listing = db_listing(small_int(request.args.get("listing")))
        if listing is not None:
            entry = form.lines.entries[0].form
            entry.category_id.data = listing.category_id
            entry.listing_id.data = str(listing.id)
            entry.specification.data = listing.title(_locale())
            entry.unit.data = listing.unit
            entry.quantity.data = str(listing.min_order_quantity)
            form.title.data = listing.title(_locale())
            form.invited_only.data = True
            form.invited_coop_ids.data = [listing.organization_id]
    if request.method == "POST" and request.form.get("add_line"):
        if len(form.lines.entries) < form.lines.max_entries:
            form.lines.append_entry()
        else:
            flash(_("A request can have at most %(n)d lines.", n=form.lines.max_entries), "error")
        _rfq_form_choices(form, org_id)
        return render_template("contracts/rfq_new.html", organization=organization, form=form)
    _rfq_form_choices(form, org_id)
    status = 200
    if form.validate_on_submit():
        if not first_submission():
            flash(_("This was already saved."), "info")
            return redirect(url_for("contracts.dashboard", org_id=org_id))
        data = rfqs.RfqData(
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
        try:
            rfq = rfqs.create_rfq(current_actor(), org_id, data)
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        else:
            flash(_("Request posted. Matching co-ops have been told."), "success")
            return redirect(url_for("contracts.rfq", rfq_id=rfq.id))
    if request.method == "POST":
        status = 422
    return (
        render_template("contracts/rfq_new.html", organization=organization, form=form),
        status,
    )


def db_listing(listing_id: int | None) -> Listing | None:
    """The listing a buyer may act on from its page, or None."""
    try:
        return contracts.orderable_listing(listing_id)
    except NotFound:
        return None


@bp.route("/listings/<int:listing_id>/request-quote")
@login_required
def quote_from_listing(listing_id: int):
    """ "Request a quote" on a listing page: the buyer's request form, pre-filled."""
    if db_listing(listing_id) is None:
        abort(404)
    membership = _buyer_membership(manager=True)
    if membership is None:
        flash(_("Requests for quotes are posted by a manager of a buyer organisation."), "error")
        return redirect(url_for("main.home"))
    return redirect(
        url_for("contracts.new_rfq", org_id=membership.organization_id, listing=listing_id)
    )


@bp.route("/rfqs/<int:rfq_id>")
@login_required
def rfq(rfq_id: int):
    view = call_or_abort(rfqs.rfq_view, current_actor(), rfq_id)
    return render_template(
        "contracts/rfq.html",
        view=view,
        rfq=view.rfq,
        award_form=VersionedForm(),
        cancel_form=VersionedForm(),
        waiting_on=rfqs.waiting_on,
        missing=rfqs.missing_certificates(view.rfq, view.organization.id)
        if view.side is Side.COOP
        else None,
        locale=_locale(),
    )


@bp.route("/rfqs/<int:rfq_id>/cancel", methods=["POST"])
@login_required
def cancel_rfq(rfq_id: int):
    form = VersionedForm()
    if form.validate_on_submit():
        try:
            call_or_abort(rfqs.cancel_rfq, current_actor(), rfq_id)
        except TransitionNotAllowed:
            _changed()
        else:
            flash(_("The request is closed. Co-ops that quoted have been told."), "success")
    return redirect(url_for("contracts.rfq", rfq_id=rfq_id))


@bp.route("/rfqs/<int:rfq_id>/award", methods=["POST"])
@login_required
def award(rfq_id: int):
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    choices: dict[int, int | None] = {}
    seen: dict[int, int] = {}
    for name, value in request.form.items():
        if name.startswith("line-") and small_int(name[5:]) is not None:
            choices[small_int(name[5:])] = small_int(value)  # type: ignore[index]
        if (
            name.startswith("seen-")
            and small_int(name[5:]) is not None
            and small_int(value) is not None
        ):
            seen[small_int(name[5:])] = small_int(value)  # type: ignore[index]
    try:
        made = call_or_abort(rfqs.award, current_actor(), rfq_id, choices, seen)
    except ValidationFailed as exc:
        _flash_errors(exc)
        return redirect(url_for("contracts.rfq", rfq_id=rfq_id))
    except TransitionNotAllowed:
        _changed()
        return redirect(url_for("contracts.rfq", rfq_id=rfq_id))
    flash(_("Awarded. Sign the contract draft; the co-op signs too."), "success")
    if len(made) == 1:
        return redirect(url_for("contracts.contract", contract_id=made[0].id))
    return redirect(url_for("contracts.rfq", rfq_id=rfq_id))


# --- quotes and negotiation ------------------------------------------------------------


def _version_form_choices(form: VersionForm, rfq, coop_id: int) -> None:
    locale = _locale()
    products = [SelectChoice("", _("—"))] + [
        SelectChoice(listing.id, listing.title(locale))
        for listing in listings.coop_listings(coop_id)
    ]
    for entry in form.lines.entries:
        entry.form.listing_id.choices = products
        entry.form.vat_rate.choices = _vat_choices()


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
        attachments=_files(form.attachments),
    )


def _files(field) -> list[tuple[str, bytes]]:
    return [
        (f.filename or "", f.read()) for f in (field.data or []) if getattr(f, "filename", None)
    ]


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
    if request.method == "GET":
        _fill_version_form(form, rfqs.quote_defaults(view.rfq, view.organization.id))
        form.valid_until.data = min(view.rfq.starts_on, date.fromordinal(today().toordinal() + 14))
    _version_form_choices(form, view.rfq, view.organization.id)
    status = 200
    if form.validate_on_submit():
        try:
            quote = rfqs.submit_quote(
                current_actor(), rfq_id, view.organization.id, _version_data(form)
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        else:
            flash(_("Quote sent. The buyer has been told."), "success")
            return redirect(url_for("contracts.quote", quote_id=quote.id))
    if request.method == "POST":
        status = 422
    return (
        render_template(
            "contracts/quote_new.html",
            view=view,
            rfq=view.rfq,
            form=form,
            rfq_lines={line.id: line for line in view.rfq.lines},
            locale=_locale(),
        ),
        status,
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
    _version_form_choices(version_form, quote.rfq, quote.coop_id)
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
            waiting_on=rfqs.waiting_on(quote),
            rfq_lines={line.id: line for line in quote.rfq.lines},
            is_open=quote.status is QuoteStatus.OPEN and quote.rfq.status.value == "open",
            locale=_locale(),
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
    _version_form_choices(form, quote.rfq, quote.coop_id)
    if form.validate_on_submit():
        try:
            call_or_abort(
                rfqs.add_version,
                current_actor(),
                quote_id,
                _seen_version(form),
                _version_data(form),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except TransitionNotAllowed:
            _changed()
            return redirect(url_for("contracts.quote", quote_id=quote_id))
        else:
            flash(_("New version sent. The other side has been told."), "success")
            return redirect(url_for("contracts.quote", quote_id=quote_id))
    return _negotiation_page(quote_id, 422, version_form=form)


@bp.route("/quotes/<int:quote_id>/messages", methods=["POST"])
@login_required
def post_message(quote_id: int):
    form = MessageForm()
    if form.validate_on_submit():
        try:
            call_or_abort(
                rfqs.post_message,
                current_actor(),
                quote_id,
                form.body.data or "",
                _files(form.attachments),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        else:
            flash(_("Message sent."), "success")
            return redirect(url_for("contracts.quote", quote_id=quote_id, _anchor="thread"))
    return _negotiation_page(quote_id, 422, message_form=form)


@bp.route("/quotes/<int:quote_id>/withdraw", methods=["POST"])
@login_required
def withdraw_quote(quote_id: int):
    form = VersionedForm()
    if form.validate_on_submit():
        try:
            call_or_abort(rfqs.withdraw_quote, current_actor(), quote_id)
        except TransitionNotAllowed:
            _changed()
        else:
            flash(_("Quote withdrawn."), "success")
    return redirect(url_for("contracts.quote", quote_id=quote_id))


@bp.route("/quotes/<int:quote_id>/files/<int:attachment_id>")
@login_required
def attachment(quote_id: int, attachment_id: int):
    found = call_or_abort(rfqs.attachment_for, current_actor(), quote_id, attachment_id)
    return private_file(found.key)


# --- contracts ------------------------------------------------------------


def _contract_page(contract_id: int, status: int = 200, **forms):
    view = call_or_abort(contracts.contract_view, current_actor(), contract_id)
    version = str(view.contract.version)
    action_form = VersionedForm()
    action_form.version.data = version
    notice_form = forms.get("notice_form") or NoticeForm()
    notice_form.version.data = version
    cancel_form = forms.get("cancel_form") or ReasonForm()
    cancel_form.version.data = version
    return (
        render_template(
            "contracts/contract.html",
            view=view,
            contract=view.contract,
            action_form=action_form,
            notice_form=notice_form,
            cancel_form=cancel_form,
            is_overdue=deliveries.is_overdue,
            is_late=deliveries.is_late,
            is_partial=deliveries.is_partial,
            locale=_locale(),
        ),
        status,
    )


@bp.route("/contracts/<int:contract_id>")
@login_required
def contract(contract_id: int):
    return _contract_page(contract_id)


@bp.route("/contracts/<int:contract_id>/print")
@login_required
def print_contract(contract_id: int):
    view = call_or_abort(contracts.contract_view, current_actor(), contract_id)
    return render_template(
        "contracts/print.html", view=view, contract=view.contract, locale=_locale()
    )


@bp.route("/contracts/<int:contract_id>/sign", methods=["POST"])
@login_required
def sign(contract_id: int):
    form = VersionedForm()
    if form.validate_on_submit():
        try:
            signed = call_or_abort(
                contracts.sign, current_actor(), contract_id, _seen_version(form)
            )
        except ValidationFailed as exc:
            _flash_errors(exc)
        except TransitionNotAllowed:
            _changed()
        else:
            if signed.status is ContractStatus.ACTIVE:
                flash(
                    _(
                        "Signed by both sides: the contract is active and its deliveries "
                        "are planned."
                    ),
                    "success",
                )
            else:
                flash(_("Signed. The other side has been asked to sign."), "success")
    return redirect(url_for("contracts.contract", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/cancel", methods=["POST"])
@login_required
def cancel_contract(contract_id: int):
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            call_or_abort(
                contracts.cancel_draft,
                current_actor(),
                contract_id,
                _seen_version(form),
                form.reason.data or "",
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
            return _contract_page(contract_id, 422, cancel_form=form)
        except TransitionNotAllowed:
            _changed()
        else:
            flash(_("The draft is cancelled. The other side has been told."), "success")
    return redirect(url_for("contracts.contract", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/notice", methods=["POST"])
@login_required
def notice(contract_id: int):
    form = NoticeForm()
    if form.validate_on_submit():
        try:
            call_or_abort(
                contracts.give_notice,
                current_actor(),
                contract_id,
                _seen_version(form),
                form.reason.data or "",
                form.ends_on.data,
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
            return _contract_page(contract_id, 422, notice_form=form)
        except TransitionNotAllowed:
            _changed()
        else:
            flash(_("Notice given. The other side has been told."), "success")
    return redirect(url_for("contracts.contract", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/amend", methods=["GET", "POST"])
@login_required
def propose_amendment(contract_id: int):
    view = call_or_abort(contracts.contract_view, current_actor(), contract_id)
    if not view.party.can_decide:
        abort(403)
    contract = view.contract
    form = AmendmentForm()
    errors: dict = {}
    if request.method == "GET":
        form.version.data = str(contract.version)
    elif form.validate_on_submit():
        data = contracts.AmendmentData(
            reason=form.reason.data or "",
            effective_from=form.effective_from.data,
            lines={
                line.id: (
                    request.form.get(f"price-{line.id}", ""),
                    request.form.get(f"quantity-{line.id}", ""),
                )
                for line in contract.lines
            },
            extra=[
                (
                    _date(request.form.get(f"extra-{i}-on")),
                    {
                        line.id: request.form.get(f"extra-{i}-{line.id}", "")
                        for line in contract.lines
                    },
                )
                for i in range(3)
            ],
        )
        try:
            call_or_abort(
                contracts.propose_amendment, current_actor(), contract_id, _seen_version(form), data
            )
        except ValidationFailed as exc:
            errors = exc.errors
            apply_errors(form, {k: v for k, v in errors.items() if k in form._fields})
        except TransitionNotAllowed:
            _changed()
            return redirect(url_for("contracts.contract", contract_id=contract_id))
        else:
            flash(_("Change proposed. The other side has been asked to accept it."), "success")
            return redirect(url_for("contracts.contract", contract_id=contract_id))
    return (
        render_template(
            "contracts/amend.html",
            view=view,
            contract=contract,
            form=form,
            errors=errors,
            typed=request.form,
            locale=_locale(),
        ),
        422 if request.method == "POST" else 200,
    )


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()) if raw and raw.strip() else None
    except ValueError:
        return None


@bp.route(
    "/contracts/<int:contract_id>/amendments/<int:amendment_id>/"
    "<any(accept, reject, withdraw):action>",
    methods=["POST"],
)
@login_required
def decide_amendment(contract_id: int, amendment_id: int, action: str):
    form = VersionedForm()
    if form.validate_on_submit():
        try:
            call_or_abort(
                contracts.decide_amendment,
                current_actor(),
                contract_id,
                amendment_id,
                action,
                _seen_version(form),
            )
        except ValidationFailed as exc:
            _flash_errors(exc)
        except TransitionNotAllowed:
            _changed()
        else:
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
    return redirect(url_for("contracts.contract", contract_id=contract_id))


# --- deliveries ------------------------------------------------------------


def _month(text: str) -> date:
    """The first day of a "YYYY-MM" month (2000–2100), this month for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if match and 2000 <= int(match[1]) <= 2100 and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    return today().replace(day=1)


@bp.route("/orgs/<int:org_id>/deliveries")
@login_required
def calendar(org_id: int):
    organization, _membership = call_or_abort(_trade_member, org_id)
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
        locale=_locale(),
    )


def _delivery_page(
    delivery_id: int, status: int = 200, errors: dict | None = None, note_error: str | None = None
):
    delivery, who = call_or_abort(deliveries.delivery_view, current_actor(), delivery_id)
    form = VersionedForm()
    form.version.data = str(delivery.version)
    return (
        render_template(
            "contracts/delivery.html",
            delivery=delivery,
            contract=delivery.contract,
            who=who,
            form=form,
            errors=errors or {},
            typed=request.form if request.method == "POST" else {},
            lots=deliveries.lots_for(delivery)
            if who.side is Side.COOP and delivery.status is DeliveryStatus.PLANNED
            else {},
            overdue=deliveries.is_overdue(delivery),
            late=deliveries.is_late(delivery),
            partial=deliveries.is_partial(delivery),
            invoice=invoices.invoice_of_delivery(delivery.id),
            locale=_locale(),
        ),
        status,
    )


@bp.route("/deliveries/<int:delivery_id>")
@login_required
def delivery(delivery_id: int):
    return _delivery_page(delivery_id)


@bp.route("/deliveries/<int:delivery_id>/dispatch", methods=["POST"])
@login_required
def dispatch(delivery_id: int):
    form = VersionedForm()
    found, _who = call_or_abort(deliveries.delivery_view, current_actor(), delivery_id)
    if not form.validate_on_submit():
        abort(400)
    lines = {
        line.id: deliveries.DispatchLine(
            quantity=request.form.get(f"quantity-{line.id}", ""),
            lot_id=small_int(request.form.get(f"lot-{line.id}")),
        )
        for line in found.lines
    }
    try:
        call_or_abort(
            deliveries.dispatch,
            current_actor(),
            delivery_id,
            _seen_version(form),
            lines,
            request.form.get("note", ""),
        )
    except ValidationFailed as exc:
        return _delivery_page(delivery_id, 422, exc.errors)
    except TransitionNotAllowed:
        _changed()
    else:
        flash(_("Marked as dispatched. The buyer has been told."), "success")
    return redirect(url_for("contracts.delivery", delivery_id=delivery_id))


@bp.route("/deliveries/<int:delivery_id>/receive", methods=["POST"])
@login_required
def receive(delivery_id: int):
    form = VersionedForm()
    found, _who = call_or_abort(deliveries.delivery_view, current_actor(), delivery_id)
    if not form.validate_on_submit():
        abort(400)
    lines = {
        line.id: deliveries.ReceiptLine(
            accepted=request.form.get(f"accepted-{line.id}", ""),
            rejected=request.form.get(f"rejected-{line.id}", "") or "0",
            reason=request.form.get(f"reason-{line.id}", ""),
            photos=[f.read() for f in request.files.getlist(f"photos-{line.id}") if f.filename],
        )
        for line in found.lines
    }
    try:
        _received, invoice = call_or_abort(
            deliveries.receive,
            current_actor(),
            delivery_id,
            _seen_version(form),
            lines,
            request.form.get("note", ""),
        )
    except ValidationFailed as exc:
        return _delivery_page(delivery_id, 422, exc.errors)
    except TransitionNotAllowed:
        _changed()
        return redirect(url_for("contracts.delivery", delivery_id=delivery_id))
    if invoice is not None:
        flash(
            _("Receipt confirmed. Invoice %(number)s was issued.", number=invoice.number), "success"
        )
        return redirect(url_for("contracts.invoice", invoice_id=invoice.id))
    flash(_("Receipt confirmed. Nothing was accepted, so no invoice was issued."), "success")
    return redirect(url_for("contracts.delivery", delivery_id=delivery_id))


@bp.route("/deliveries/<int:delivery_id>/photos/<int:line_id>/<int:index>")
@login_required
def rejection_photo(delivery_id: int, line_id: int, index: int):
    key = call_or_abort(deliveries.photo_of, current_actor(), delivery_id, line_id, index)
    return private_file(key)


# --- invoices ------------------------------------------------------------


@bp.route("/orgs/<int:org_id>/invoices")
@login_required
def invoice_list(org_id: int):
    organization, _membership = call_or_abort(_trade_member, org_id)
    return render_template(
        "contracts/invoices.html",
        organization=organization,
        invoices=invoices.invoices_of(current_actor(), org_id),
        paid_amount=invoices.paid_amount,
        locale=_locale(),
    )


def _invoice_page(invoice_id: int, status: int = 200, void_form=None):
    invoice, who = call_or_abort(invoices.invoice_view, current_actor(), invoice_id)
    return (
        render_template(
            "contracts/invoice.html",
            invoice=invoice,
            who=who,
            paid=invoices.paid_amount(invoice),
            void_form=void_form or VoidForm(),
            vat_rates=VAT_RATES,
            open_for_payment=invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE),
            locale=_locale(),
        ),
        status,
    )


@bp.route("/invoices/<int:invoice_id>")
@login_required
def invoice(invoice_id: int):
    return _invoice_page(invoice_id)


@bp.route("/invoices/<int:invoice_id>/void", methods=["POST"])
@login_required
def void_invoice(invoice_id: int):
    form = VoidForm()
    if form.validate_on_submit():
        try:
            call_or_abort(invoices.void, current_actor(), invoice_id, form.reason.data or "")
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except TransitionNotAllowed:
            _changed()
            return redirect(url_for("contracts.invoice", invoice_id=invoice_id))
        else:
            flash(_("Invoice voided. Its number stays used."), "success")
            return redirect(url_for("contracts.invoice", invoice_id=invoice_id))
    return _invoice_page(invoice_id, 422, void_form=form)


# --- spot orders ------------------------------------------------------------


@bp.route("/listings/<int:listing_id>/order", methods=["GET", "POST"])
@login_required
def spot_order(listing_id: int):
    listing = db_listing(listing_id)
    if listing is None:
        abort(404)
    membership = _buyer_membership(manager=True)
    if membership is None:
        flash(_("Orders are placed by a manager of a buyer organisation."), "error")
        return redirect(url_for("listings.public", slug=listing.slug))
    form = SpotOrderForm()
    form.delivery_location_id.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(loc.id, loc.name) for loc in delivery_locations(membership.organization_id)
    ]
    if request.method == "GET":
        form.quantity.data = str(listing.min_order_quantity)
        form.delivery_on.data = date.fromordinal(
            today().toordinal() + max(listing.lead_time_days, 1)
        )
    if form.validate_on_submit():
        if not first_submission():
            flash(_("This was already saved."), "info")
            return redirect(url_for("contracts.dashboard", org_id=membership.organization_id))
        try:
            placed = call_or_abort(
                contracts.place_spot_order,
                current_actor(),
                membership.organization_id,
                listing.id,
                contracts.SpotOrderData(
                    quantity=form.quantity.data or "",
                    delivery_on=form.delivery_on.data,
                    delivery_location_id=form.delivery_location_id.data,
                    payment_days=form.payment_days.data or "",
                    note=form.note.data or "",
                ),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        else:
            flash(_("Order placed. The co-op has been asked to accept it."), "success")
            return redirect(url_for("contracts.contract", contract_id=placed.id))
    quantity = small_int((form.quantity.data or "").replace(".", "")) or listing.min_order_quantity
    return (
        render_template(
            "contracts/spot_order.html",
            listing=listing,
            form=form,
            buyer=membership.organization,
            unit_price=listing.unit_price_for(quantity),
            quantity=quantity,
            locale=_locale(),
        ),
        422 if request.method == "POST" else 200,
    )
