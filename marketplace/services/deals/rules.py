"""Rules shared by requests for quotes, quotes, contracts, deliveries and invoices: which side
of a deal the actor is on, the delivery calendar, VAT arithmetic, delivery locations and
payment terms.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from marketplace.extensions import db
from marketplace.models import DeliveryLocation, DeliveryPattern, Membership, OrgKind, Role, Side
from marketplace.parsing import parse_quantity
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound
from marketplace.services.permissions import member_of, memberships, require_login
from marketplace.validation import InvalidValue
from marketplace.vietnam import province_name

#: The most deliveries one contract plans (a period is at most three years).
MAX_DELIVERIES = 400


@dataclass(frozen=True)
class Party:
    """The acting user's side of a deal and their membership on it."""

    side: Side
    membership: Membership

    @property
    def organization_id(self) -> int:
        return self.membership.organization_id

    @property
    def can_decide(self) -> bool:
        """Owners and managers sign, award, quote and amend; staff follow deliveries."""
        return self.membership.role.at_least(Role.MANAGER)


def party(actor: Actor, buyer_id: int, coop_id: int, min_role: Role = Role.STAFF) -> Party:
    """The actor's side of a deal between ``buyer_id`` and ``coop_id``.

    Anyone else gets ``NotFound``: a deal's existence is private to its two parties. A member
    whose role is too low gets ``PermissionDenied``.
    """
    for side, organization_id in ((Side.BUYER, buyer_id), (Side.COOP, coop_id)):
        try:
            return Party(side, member_of(actor, organization_id, min_role))
        except NotFound:
            continue
    raise NotFound("deal")


def other_side(side: Side) -> Side:
    return Side.COOP if side is Side.BUYER else Side.BUYER


def trading_member(actor: Actor, organization_id: int) -> Membership:
    """The actor's membership of a buyer or co-op (whose deals, deliveries and invoices a
    member follows); NotFound for anyone else and for other kinds of organisation."""
    membership = member_of(actor, organization_id)
    if membership.organization.kind not in (OrgKind.BUYER, OrgKind.COOP):
        raise NotFound("trade is for buyers and co-ops")
    return membership


def ordering_buyer(actor: Actor) -> Membership | None:
    """The buyer organisation the actor orders and requests quotes for from a listing's
    page: the first one where they are an owner or manager (None if there is none)."""
    require_login(actor)
    for membership in sorted(memberships(actor), key=lambda m: m.id):
        if membership.organization.kind is OrgKind.BUYER and membership.role.at_least(Role.MANAGER):
            return membership
    return None


# --- delivery calendar ------------------------------------------------------------------------


def plan_dates(
    pattern: DeliveryPattern,
    starts_on: date,
    ends_on: date,
    weekdays: Iterable[int] = (),
    day_of_month: int | None = None,
) -> list[date]:
    """Delivery dates of a pattern within [starts_on, ends_on].

    Weekly: every chosen ISO weekday. Every two weeks: the chosen weekdays of the first week
    (the one holding ``starts_on``), the third, the fifth … Monthly: ``day_of_month``, or the
    month's last day when the month is shorter (31 → 30 April, 28/29 February).
    """
    days = sorted(set(weekdays))
    if pattern is DeliveryPattern.ONE_OFF:
        return [starts_on]
    if pattern is DeliveryPattern.MONTHLY:
        result = []
        year, month = starts_on.year, starts_on.month
        while date(year, month, 1) <= ends_on:
            last = calendar.monthrange(year, month)[1]
            day = date(year, month, min(day_of_month or 1, last))
            if starts_on <= day <= ends_on:
                result.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return result
    first_monday = starts_on - timedelta(days=starts_on.weekday())
    result = []
    day = starts_on
    while day <= ends_on:
        week = (day - first_monday).days // 7
        if day.isoweekday() in days and (pattern is DeliveryPattern.WEEKLY or week % 2 == 0):
            result.append(day)
        day += timedelta(days=1)
    return result


@dataclass
class Schedule:
    pattern: DeliveryPattern
    starts_on: date
    ends_on: date
    weekdays: list[int]
    day_of_month: int | None

    @property
    def weekdays_text(self) -> str | None:
        return ",".join(str(d) for d in self.weekdays) or None


def check_schedule(
    errors: dict[str, object],
    pattern: str | None,
    starts_on: date | None,
    ends_on: date | None,
    weekdays: Iterable[object],
    day_of_month: object,
    *,
    earliest: date,
) -> Schedule | None:
    """Validate a delivery pattern and period; messages go into ``errors`` by field."""
    try:
        kind = DeliveryPattern(pattern or "")
    except ValueError:
        errors["pattern"] = _l("Choose how often to deliver.")
        return None
    if starts_on is None:
        errors["starts_on"] = _l("Enter a date.")
    elif starts_on < earliest:
        errors["starts_on"] = _l("The first delivery cannot be in the past.")
    elif starts_on > earliest + timedelta(days=366):
        errors["starts_on"] = _l("The first delivery must be within a year.")
    if kind is DeliveryPattern.ONE_OFF:
        ends_on = starts_on
    elif ends_on is None:
        errors["ends_on"] = _l("Enter a date.")
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = _l("The end date cannot be before the start date.")
    elif starts_on is not None and ends_on > _years_after(starts_on, 3):
        errors["ends_on"] = _l("A contract period can be at most three years.")
    days: list[int] = []
    for raw in weekdays:
        text = str(raw).strip()
        if text in {"1", "2", "3", "4", "5", "6", "7"}:
            days.append(int(text))
        elif text:
            errors["weekdays"] = _l("Choose days of the week.")
    dom = None
    if kind in (DeliveryPattern.WEEKLY, DeliveryPattern.BIWEEKLY) and not days:
        errors["weekdays"] = _l("Choose at least one day of the week.")
    if kind is DeliveryPattern.MONTHLY:
        text = str(day_of_month or "").strip()
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 31:
            dom = int(text)
        else:
            errors["day_of_month"] = _l("Choose a day of the month from 1 to 31.")
    if errors or starts_on is None or ends_on is None:
        return None
    schedule = Schedule(
        kind,
        starts_on,
        ends_on,
        sorted(set(days)) if kind in (DeliveryPattern.WEEKLY, DeliveryPattern.BIWEEKLY) else [],
        dom,
    )
    dates = plan_dates(kind, starts_on, ends_on, schedule.weekdays, dom)
    if not dates:
        errors["ends_on"] = _l("No delivery falls in this period. Check the days and dates.")
    elif len(dates) > MAX_DELIVERIES:
        errors["ends_on"] = _l(
            "This plans more than %(n)d deliveries. Shorten the period.", n=MAX_DELIVERIES
        )
    return None if errors else schedule


def _years_after(day: date, years: int) -> date:
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- numbers -----------------------------------------------------------------------------------


def vat_amount(net: int, rate: str) -> int:
    """VAT on ``net`` đồng, rounded half up to the đồng; integers only, so nothing drifts."""
    percent = 0 if rate == "kct" else int(rate)
    return (net * percent + 50) // 100


def line_amounts(quantity: int, unit_price: int, rate: str) -> tuple[int, int, int]:
    net = quantity * unit_price
    vat = vat_amount(net, rate)
    return net, vat, net + vat


@dataclass(frozen=True)
class DealTotals:
    """What a quote or contract comes to: each delivery (net, VAT, with VAT) and the whole
    period's ``deliveries`` of them."""

    deliveries: int
    net: int
    vat: int
    total: int

    @property
    def whole_net(self) -> int:
        return self.net * self.deliveries

    @property
    def whole_vat(self) -> int:
        return self.vat * self.deliveries

    @property
    def whole_total(self) -> int:
        return self.total * self.deliveries


def deal_totals(lines: Iterable, deliveries: int) -> DealTotals:
    """Totals of lines with ``quantity``, ``unit_price`` and ``vat_rate`` (VAT per line, as
    an invoice reckons it), delivered ``deliveries`` times."""
    net = vat = 0
    for line in lines:
        line_net, line_vat, _total = line_amounts(line.quantity, line.unit_price, line.vat_rate)
        net += line_net
        vat += line_vat
    return DealTotals(deliveries, net, vat, net + vat)


# --- places and terms -------------------------------------------------------------------------


def own_location(errors: dict, buyer_id: int, location_id: int | None):
    """The buyer's delivery location with this id, or a message in ``errors``."""
    location = db.session.get(DeliveryLocation, location_id) if location_id else None
    if location is None or location.organization_id != buyer_id:
        errors["delivery_location_id"] = _l("Choose one of your delivery locations.")
        return None
    return location


def location_text(location) -> str:
    """A delivery location as one line: name, street, commune, province."""
    if location is None:
        return ""
    parts = (
        location.name,
        location.street,
        location.commune,
        province_name(location.province_code),
    )
    return ", ".join(part for part in parts if part)[:500]


def payment_days_of(errors: dict, raw: object) -> int:
    """Payment terms in days after delivery, 0 to 180; a message in ``errors`` otherwise."""
    try:
        days = parse_quantity(str(raw or "0"), allow_zero=True)
    except InvalidValue:
        days = -1
    if not 0 <= days <= 180:
        errors["payment_days"] = _l("Enter a number of days from 0 to 180.")
        return 0
    return days
