"""The organiser's "fee received" form, one per application on its pages."""

from __future__ import annotations

from marketplace.blueprints.payments.forms import TransferForm
from marketplace.models import FairApplication
from marketplace.services import fair_fees
from marketplace.vietnam import today


def fee_form(application_id: int, **values) -> TransferForm:
    """The form of one application (its fields named "fee-<id>-amount", … so several sit on
    one page)."""
    return TransferForm(prefix=f"fee-{application_id}", **values)


def fee_form_for(application: FairApplication) -> TransferForm:
    """A fresh form: what is still owed, paid today."""
    return fee_form(application.id, amount=str(fair_fees.owed_on(application.id)), paid_on=today())
