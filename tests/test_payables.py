"""The payables registry: a kind of payable plugs into transfers, reversals, statements and
the ledger check by one registration, with no change to payment code.

The test kind reads real invoice rows through a thin adapter of its own (its own name, its own
"paid" mark, its own settle and reopen). It is registered under ``PayableKind.INVOICE``
because the payments table stores the kind in a checked enum column: a real new kind (the
platform's commission invoice) adds its ``PayableKind`` member, its reference letter and a
migration of that constraint — and then exactly this one registration.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Invoice, PayableKind
from marketplace.models._types import utcnow
from marketplace.services.errors import NotFound
from marketplace.services.locking import lock
from marketplace.services.payments import ledger, payables, statements, transfers
from marketplace.services.payments.payables import Link, Payable, PayableRegistry, PayableState
from marketplace.vietnam import today
from tests.factories import actor_for, invoiced, settle


class ServiceFees:
    """A made-up kind: a service fee the co-op bills its buyer, kept on invoice rows."""

    kind = PayableKind.INVOICE

    def __init__(self) -> None:
        self.settled: list[int] = []
        self.reopened: list[int] = []

    def find(self, payable_id: int) -> Payable | None:
        invoice = db.session.get(Invoice, payable_id)
        if invoice is None:
            return None
        return Payable(
            self.kind,
            invoice.id,
            invoice.total,
            invoice.buyer_id,
            invoice.coop_id,
            f"PHI-{invoice.number}",
            invoice.paid_at is None,
            page=Link("contracts.invoice", {"invoice_id": invoice.id}),
            label=f"Phí {invoice.number}",
            heading="Trả phí dịch vụ",
        )

    def lock(self, payable_id: int) -> None:
        if lock(Invoice, payable_id) is None:
            raise NotFound("service fee")

    def settle(self, actor, payable_id: int) -> None:
        self.settled.append(payable_id)
        db.session.get_one(Invoice, payable_id).paid_at = utcnow()

    def reopen(self, actor, payable_id: int) -> None:
        self.reopened.append(payable_id)
        db.session.get_one(Invoice, payable_id).paid_at = None

    def states(self):
        for invoice in db.session.scalars(select(Invoice).where(Invoice.paid_at.is_not(None))):
            yield PayableState(
                invoice.id, f"service fee {invoice.id}", invoice.total, settled=True, awaiting=False
            )


@pytest.fixture
def service_fees(app):
    """The app's registry holding only the test kind, for the length of one test."""
    saved = app.extensions["payables"]
    fees = ServiceFees()
    app.extensions["payables"] = PayableRegistry([fees])
    try:
        yield fees
    finally:
        app.extensions["payables"] = saved


def test_a_registered_kind_is_paid_by_transfer_reversed_and_checked(app, service_fees):
    _buyer, coop, invoice_id, total = invoiced(app)
    with app.app_context():
        found = payables.payable(PayableKind.INVOICE, invoice_id)
        assert found.number.startswith("PHI-") and found.pay_page.endpoint == "payments.pay"
        payment = transfers.record_transfer(
            actor_for(coop),
            PayableKind.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT-PHI-1",
        )
        payment_id = payment.id
        assert service_fees.settled == [invoice_id]
        settle()
    with app.app_context():
        report = ledger.check()
        assert report.ok, report.problems
        transfers.reverse_transfer(actor_for(coop), payment_id, "Nhầm hoá đơn")
        assert service_fees.reopened == [invoice_id]
        assert db.session.get_one(Invoice, invoice_id).paid_at is None
        settle()
    with app.app_context():
        report = ledger.check()
        assert report.ok, report.problems


def test_a_statement_line_naming_the_kind_is_matched_through_the_registry(app, service_fees):
    _buyer, coop, invoice_id, total = invoiced(app)
    with app.app_context():
        reference = payables.transfer_reference(PayableKind.INVOICE, invoice_id)
        data = f"Ngày,Số tiền,Nội dung\n{today():%d/%m/%Y},{total},CK {reference}\n".encode()
        imported = statements.upload(actor_for(coop), coop.organization_id, "sao-ke.csv", data)
        [line] = imported.rows
        assert line["verdict"] == "match" and line["number"].startswith("PHI-")
        assert statements.apply(actor_for(coop), imported.id) == 1
        assert service_fees.settled == [invoice_id]


def test_the_registry_refuses_a_kind_twice_and_answers_not_found_for_unknown_kinds(app):
    with pytest.raises(ValueError):
        PayableRegistry([ServiceFees(), ServiceFees()])
    with app.app_context():
        empty = PayableRegistry()
        with pytest.raises(NotFound):
            empty.source(PayableKind.FAIR_FEE)
        with pytest.raises(NotFound):
            payables.kind_named("service_fee")
        assert payables.kind_named("fair_fee") is PayableKind.FAIR_FEE
        assert payables.kind_named("commission") is PayableKind.COMMISSION
