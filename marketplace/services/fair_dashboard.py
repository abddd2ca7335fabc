"""The organiser's dashboard of one fair, and the key numbers of each of its fairs.

Money is read from payments (what the ledger records), never from the application's flags:
collected is the succeeded payments of the fair's booth fees, outstanding what the open fees
still lack. Check-ins are the gate's scans that checked a badge in, counted per hour of each
day in Vietnam time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    ApplicationStatus,
    Booth,
    BoothType,
    Fair,
    FairApplication,
    PayableKind,
    Payment,
    PaymentStatus,
    Scan,
)
from marketplace.services.context import Actor
from marketplace.services.fair_gate import CHECKED_IN
from marketplace.services.fairs import own_fair
from marketplace.vietnam import VN_TZ, today

A = ApplicationStatus

#: The order applications' states are shown in.
STATES = (
    A.SUBMITTED,
    A.WAITLISTED,
    A.ACCEPTED,
    A.CONFIRMED,
    A.REJECTED,
    A.WITHDRAWN,
    A.EXPIRED,
    A.CANCELLED,
)


@dataclass(frozen=True)
class BoothsSold:
    booth_type: BoothType
    total: int
    #: Held for an accepted co-op until its fee is paid.
    held: int
    #: Paid for: the co-op's.
    confirmed: int

    @property
    def free(self) -> int:
        return max(self.total - self.held - self.confirmed, 0)


@dataclass(frozen=True)
class HourCount:
    hour: int
    count: int


@dataclass(frozen=True)
class DayCheckIns:
    day: date
    #: One entry per hour shown (the same hours every day), in order.
    hours: tuple[HourCount, ...]

    @property
    def total(self) -> int:
        return sum(h.count for h in self.hours)


@dataclass(frozen=True)
class Dashboard:
    fair: Fair
    #: (state, count) for every state, in ``STATES`` order.
    by_state: tuple[tuple[ApplicationStatus, int], ...]
    booths: tuple[BoothsSold, ...]
    #: Booth fees invoiced (accepted and confirmed applications).
    invoiced: int
    #: Succeeded payments of the fair's booth fees.
    collected: int
    #: What open (accepted) fees still lack.
    outstanding: int
    #: Of ``outstanding``, what is past its due date.
    overdue: int
    check_ins: tuple[DayCheckIns, ...]

    @property
    def applications(self) -> int:
        return sum(count for _state, count in self.by_state)

    @property
    def booths_total(self) -> int:
        return sum(b.total for b in self.booths)

    @property
    def booths_confirmed(self) -> int:
        return sum(b.confirmed for b in self.booths)

    @property
    def booths_held(self) -> int:
        return sum(b.held for b in self.booths)

    @property
    def check_ins_total(self) -> int:
        return sum(d.total for d in self.check_ins)

    @property
    def busiest_hour(self) -> int:
        """The largest count of any hour (the charts' scale); at least 1."""
        return max((h.count for d in self.check_ins for h in d.hours), default=0) or 1


def _paid_by_application(application_ids: Iterable[int]) -> dict[int, int]:
    ids = list(application_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Payment.payable_id, func.coalesce(func.sum(Payment.amount), 0))
        .where(
            Payment.payable_kind == PayableKind.FAIR_FEE,
            Payment.payable_id.in_(ids),
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.problem.is_(None),
        )
        .group_by(Payment.payable_id)
    )
    return {payable_id: int(total) for payable_id, total in rows}


def _check_ins(fair: Fair) -> tuple[DayCheckIns, ...]:
    times = db.session.scalars(
        select(Scan.scanned_at).where(Scan.fair_id == fair.id, Scan.result == CHECKED_IN)
    ).all()
    local = [t.astimezone(VN_TZ) for t in times]
    counts = Counter((t.date(), t.hour) for t in local)
    days = {
        fair.starts_on + timedelta(days=n) for n in range((fair.ends_on - fair.starts_on).days + 1)
    }
    days |= {t.date() for t in local}  # a check-in the organiser allowed outside the fair's days
    if not local:
        return ()
    first = min(t.hour for t in local)
    last = max(t.hour for t in local)
    return tuple(
        DayCheckIns(
            day, tuple(HourCount(h, counts.get((day, h), 0)) for h in range(first, last + 1))
        )
        for day in sorted(days)
    )


def dashboard(actor: Actor, fair_id: int) -> Dashboard:
    """One fair's numbers for its organiser's members (NotFound for anyone else)."""
    fair = own_fair(actor, fair_id)
    applications = list(
        db.session.scalars(select(FairApplication).where(FairApplication.fair_id == fair.id))
    )
    states = Counter(a.status for a in applications)
    invoiced_apps = [
        a for a in applications if a.fee_amount and a.status in (A.ACCEPTED, A.CONFIRMED)
    ]
    paid = _paid_by_application(a.id for a in applications if a.fee_amount)
    collected = sum(paid.values())
    outstanding = overdue = 0

    for a in invoiced_apps:
        if a.status is A.ACCEPTED:
            left = max((a.fee_amount or 0) - paid.get(a.id, 0), 0)
            outstanding += left
            if a.fee_due_on and a.fee_due_on < today():
                overdue += left
    booth_totals = Counter(
        db.session.scalars(select(Booth.booth_type_id).where(Booth.fair_id == fair.id)).all()
    )
    held = Counter(a.booth_type_id for a in applications if a.booth_id and a.status is A.ACCEPTED)
    confirmed = Counter(
        a.booth_type_id for a in applications if a.booth_id and a.status is A.CONFIRMED
    )
    return Dashboard(
        fair=fair,
        by_state=tuple((state, states.get(state, 0)) for state in STATES),
        booths=tuple(
            BoothsSold(t, booth_totals.get(t.id, 0), held.get(t.id, 0), confirmed.get(t.id, 0))
            for t in fair.booth_types
        ),
        invoiced=sum(a.fee_amount or 0 for a in invoiced_apps),
        collected=collected,
        outstanding=outstanding,
        overdue=overdue,
        check_ins=_check_ins(fair),
    )


@dataclass(frozen=True)
class KeyNumbers:
    applications: int
    #: Awaiting the organiser's answer (submitted).
    to_review: int
    booths: int
    booths_confirmed: int
    collected: int


def key_numbers(fairs: Iterable[Fair]) -> dict[int, KeyNumbers]:
    """Each fair's key numbers for the organiser's list of fairs (the caller has checked the
    organiser's membership: ``fairs.fairs_of``)."""
    ids = [f.id for f in fairs]
    if not ids:
        return {}
    apps = db.session.execute(
        select(FairApplication.fair_id, FairApplication.id, FairApplication.status).where(
            FairApplication.fair_id.in_(ids)
        )
    ).all()
    booths = Counter(db.session.scalars(select(Booth.fair_id).where(Booth.fair_id.in_(ids))).all())
    paid = _paid_by_application(app_id for _f, app_id, _s in apps)
    result = {}
    for fair_id in ids:
        mine = [(app_id, status) for f, app_id, status in apps if f == fair_id]
        result[fair_id] = KeyNumbers(
            applications=len(mine),
            to_review=sum(1 for _i, s in mine if s is A.SUBMITTED),
            booths=booths.get(fair_id, 0),
            booths_confirmed=sum(1 for _i, s in mine if s is A.CONFIRMED),
            collected=sum(paid.get(app_id, 0) for app_id, _s in mine),
        )
    return result
