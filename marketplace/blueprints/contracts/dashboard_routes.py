"""The trade dashboard of a buyer or co-op: open requests, negotiations waiting, contracts to
sign, deliveries ahead and this month's invoice totals."""

from __future__ import annotations

from datetime import date

from flask import render_template
from flask_login import login_required

from marketplace.blueprints.contracts import bp
from marketplace.blueprints.contracts.shared import locale
from marketplace.models import OrgKind, Side
from marketplace.services.deals import contracts, deliveries, invoices, rfqs, rules
from marketplace.vietnam import today
from marketplace.web import call_or_abort, current_actor


@bp.route("/orgs/<int:org_id>/trade")
@login_required
def dashboard(org_id: int):
    membership = call_or_abort(rules.trading_member, current_actor(), org_id)
    organization = membership.organization
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
        locale=locale(),
    )
