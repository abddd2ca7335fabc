"""Trade fairs (scope ``fairs``): published fairs with their booth types, fees and free
booths; a co-op's applications (apply, read, withdraw); an organiser's review of the
applications to its own fairs (accept, waitlist, reject)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from marketplace.blueprints.api.core import (
    PageQuery,
    actor,
    area,
    current_key,
    idempotent,
    page_of_list,
    page_schema,
    requires,
    set_version,
)
from marketplace.extensions import db
from marketplace.models import (
    ApplicationStatus,
    Fair,
    FairApplication,
    FairStatus,
    OrgKind,
    PayableKind,
)
from marketplace.services import fair_review
from marketplace.services import fairs as fair_service
from marketplace.validation import MAX_DB_INT, strip_control
from marketplace.vietnam import today

bp = area(
    "Fairs",
    "Trade fairs and their booths; co-ops apply for a booth, organisers review applications.",
)


class _Text(ma.fields.String):
    """Text without control characters (which the database refuses)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return strip_control(super()._deserialize(value, attr, data, **kwargs))


def _id(**kwargs) -> ma.fields.Integer:
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_DB_INT), **kwargs)


# --- schemas --------------------------------------------------------------------------------


class FairOrganisationOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class FairSummaryOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    name_vi = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True, allow_none=True)
    venue = ma.fields.String(required=True)
    province_code = ma.fields.String(required=True)
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    applications_open_on = ma.fields.Date(required=True)
    applications_close_on = ma.fields.Date(required=True)
    status = ma.fields.String(required=True, metadata={"description": "published or cancelled"})
    accepting_applications = ma.fields.Boolean(
        required=True, metadata={"description": "Published and within the application dates"}
    )
    organiser = ma.fields.Nested(FairOrganisationOut, required=True)


class BoothTypeOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    size = ma.fields.String(required=True)
    fee = ma.fields.Integer(required=True, metadata={"description": "đồng"})
    currency = ma.fields.String(required=True)
    includes = ma.fields.String(required=True, allow_none=True)
    staff_badges = ma.fields.Integer(required=True)
    booths = ma.fields.Integer(required=True, metadata={"description": "Booths of this type"})
    free = ma.fields.Integer(required=True, metadata={"description": "Neither held nor taken"})


class FairBoothOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    booth_type_id = ma.fields.Integer(required=True)
    free = ma.fields.Boolean(required=True)


class FairOut(FairSummaryOut):
    description_vi = ma.fields.String(required=True)
    description_en = ma.fields.String(required=True, allow_none=True)
    payment_days = ma.fields.Integer(
        required=True, metadata={"description": "Days to pay the fee after acceptance"}
    )
    full_refund_until = ma.fields.Date(required=True, allow_none=True)
    only_ocop = ma.fields.Boolean(required=True)
    eligible_provinces = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Province codes; empty: co-ops from anywhere"},
    )
    booth_types = ma.fields.List(ma.fields.Nested(BoothTypeOut), required=True)
    booths = ma.fields.List(ma.fields.Nested(FairBoothOut), required=True)


class FairFeePayableOut(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"description": "fair_fee"})
    id = ma.fields.Integer(required=True)


class FairApplicationOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    fair_id = ma.fields.Integer(required=True)
    fair_name = ma.fields.String(required=True)
    coop = ma.fields.Nested(FairOrganisationOut, required=True)
    status = ma.fields.String(
        required=True,
        metadata={"description": ", ".join(s.value for s in ApplicationStatus)},
    )
    booth_type_id = ma.fields.Integer(required=True)
    preferred_booth_id = ma.fields.Integer(required=True, allow_none=True)
    booth_id = ma.fields.Integer(required=True, allow_none=True)
    booth_code = ma.fields.String(required=True, allow_none=True)
    listing_ids = ma.fields.List(ma.fields.Integer(), required=True)
    contact_name = ma.fields.String(required=True)
    contact_phone = ma.fields.String(required=True)
    needs = ma.fields.String(required=True, allow_none=True)
    decision_note = ma.fields.String(required=True, allow_none=True)
    fee_amount = ma.fields.Integer(required=True, allow_none=True)
    currency = ma.fields.String(required=True)
    fee_due_on = ma.fields.Date(required=True, allow_none=True)
    paid_at = ma.fields.DateTime(required=True, allow_none=True)
    refund_amount = ma.fields.Integer(required=True, allow_none=True)
    payable = ma.fields.Nested(
        FairFeePayableOut,
        required=True,
        allow_none=True,
        metadata={"description": "The booth fee as a payable, once accepted: pay it there"},
    )
    created_at = ma.fields.DateTime(required=True)


class FairApplicationIn(ma.Schema):
    booth_type_id = _id(required=True)
    contact_name = _Text(required=True, validate=ma.validate.Length(min=1, max=120))
    contact_phone = _Text(required=True, validate=ma.validate.Length(min=1, max=40))
    preferred_booth_id = _id(load_default=None, allow_none=True)
    listing_ids = ma.fields.List(_id(), load_default=list, validate=ma.validate.Length(max=100))
    needs = _Text(load_default="", validate=ma.validate.Length(max=500))
    join_waitlist = ma.fields.Boolean(
        load_default=False, metadata={"description": "Wait for a booth if none is free"}
    )


class FairApplicationReviewIn(ma.Schema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(fair_review.ACTIONS))
    note = _Text(
        load_default="",
        validate=ma.validate.Length(max=2000),
        metadata={"description": "Told to the co-op; required to reject"},
    )
    booth_id = _id(
        load_default=None,
        allow_none=True,
        metadata={"description": "accept: the booth to hold (else its preference, or a free one)"},
    )


FairApplicationPage = page_schema(FairApplicationOut)

_STATUSES = ma.validate.OneOf([s.value for s in ApplicationStatus])


class FairApplicationQuery(PageQuery):
    status = ma.fields.String(load_default=None, validate=_STATUSES)
    fair_id = _id(load_default=None)


class FairApplicationsOfFairQuery(PageQuery):
    status = ma.fields.String(load_default=None, validate=_STATUSES)
    booth_type_id = _id(load_default=None)


# --- presenting -----------------------------------------------------------------------------


def _summary(fair: Fair) -> dict:
    day = today()
    return {
        "id": fair.id,
        "slug": fair.slug,
        "name_vi": fair.name_vi,
        "name_en": fair.name_en,
        "venue": fair.venue,
        "province_code": fair.province_code,
        "starts_on": fair.starts_on,
        "ends_on": fair.ends_on,
        "applications_open_on": fair.applications_open_on,
        "applications_close_on": fair.applications_close_on,
        "status": FairStatus(fair.status).value,
        "accepting_applications": fair.status is FairStatus.PUBLISHED
        and fair.applications_open_on <= day <= fair.applications_close_on,
        "organiser": {"id": fair.organization.id, "name": fair.organization.name},
    }


def _fair(fair: Fair) -> dict:
    held = fair_service.held_booth_ids(fair.id)
    return {
        **_summary(fair),
        "description_vi": fair.description_vi or "",
        "description_en": fair.description_en,
        "payment_days": fair.payment_days,
        "full_refund_until": fair.full_refund_until,
        "only_ocop": fair.only_ocop,
        "eligible_provinces": [p for p in (fair.eligible_provinces or "").split(",") if p],
        "booth_types": [
            {
                "id": a.booth_type.id,
                "name": a.booth_type.name,
                "size": a.booth_type.size,
                "fee": a.booth_type.fee,
                "currency": "VND",
                "includes": a.booth_type.includes,
                "staff_badges": a.booth_type.staff_badges,
                "booths": a.total,
                "free": a.free,
            }
            for a in fair_service.availability(fair, held)
        ],
        "booths": [
            {"id": b.id, "code": b.code, "booth_type_id": b.booth_type_id, "free": b.id not in held}
            for b in fair.booths
        ],
    }


def _application(application: FairApplication) -> dict:
    return {
        "id": application.id,
        "fair_id": application.fair_id,
        "fair_name": application.fair.name_vi,
        "coop": {"id": application.organization.id, "name": application.organization.name},
        "status": ApplicationStatus(application.status).value,
        "booth_type_id": application.booth_type_id,
        "preferred_booth_id": application.preferred_booth_id,
        "booth_id": application.booth_id,
        "booth_code": application.booth.code if application.booth else None,
        "listing_ids": sorted(x.id for x in application.listings),
        "contact_name": application.contact_name,
        "contact_phone": application.contact_phone,
        "needs": application.needs,
        "decision_note": application.decision_note,
        "fee_amount": application.fee_amount,
        "currency": "VND",
        "fee_due_on": application.fee_due_on,
        "paid_at": application.paid_at,
        "refund_amount": application.refund_amount,
        "payable": {"kind": PayableKind.FAIR_FEE.value, "id": application.id}
        if application.fee_amount
        else None,
        "created_at": application.created_at,
    }


def _page(items: list, args: dict, present) -> dict:
    page = page_of_list(items, args)
    return {"data": [present(x) for x in page["data"]], "next_cursor": page["next_cursor"]}


def _organisation_id() -> int:
    return current_key().organization_id


# --- fairs ----------------------------------------------------------------------------------


@bp.route("/fairs")
@requires("fairs")
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_schema(FairSummaryOut))
def fair_list(args):
    """Published fairs that have not ended (as the public fairs page lists them)."""
    found = fair_service.upcoming_fairs(500)
    page = page_of_list(found, args, newest_first=False)
    return {"data": [_summary(f) for f in page["data"]], "next_cursor": page["next_cursor"]}


@bp.route("/fairs/<int:fair_id>")
@requires("fairs")
@bp.response(200, FairOut)
@bp.alt_response(404, response="NOT_FOUND")
def fair_read(fair_id: int):
    """A published (or cancelled) fair: dates, rules, booth types with fees and how many are
    free, and each booth of the plan (free or not). A draft: 404."""
    fair = fair_service.public_fair_by_id(fair_id)
    set_version(fair.version)
    return _fair(fair)


@bp.route("/fairs/<int:fair_id>/applications")
class FairApplications(MethodView):
    """One URL rule for both methods: an id out of range is then 404 for both (two rules
    would answer 405 for the method whose rule did not match)."""

    @requires("fairs")
    @idempotent
    @bp.arguments(FairApplicationIn)
    @bp.response(201, FairApplicationOut)
    @bp.alt_response(400, response="BAD_REQUEST")
    @bp.alt_response(404, response="NOT_FOUND")
    def post(self, data, fair_id: int):
        """The key's co-op (verified; owner or manager) applies for a booth of one of the
        fair's booth types, with the products it will show and a preferred booth. A full
        booth type is refused unless `join_waitlist`; one active application per fair."""
        application = fair_service.apply(
            actor(),
            _organisation_id(),
            fair_id,
            fair_service.ApplicationData(
                booth_type_id=data["booth_type_id"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                preferred_booth_id=data["preferred_booth_id"],
                listing_ids=list(data["listing_ids"]),
                needs=data["needs"],
                join_waitlist=data["join_waitlist"],
            ),
        )
        return _application(application)

    @requires("fairs")
    @bp.arguments(FairApplicationsOfFairQuery, location="query")
    @bp.response(200, FairApplicationPage)
    @bp.alt_response(404, response="NOT_FOUND")
    def get(self, args, fair_id: int):
        """The applications to one of the key's organiser's fairs, optionally of one status
        and booth type (as the organiser's applications page filters them); anyone else's
        fair: 404."""
        found = fair_review.applications_list(
            actor(), fair_id, args.get("status") or "", args.get("booth_type_id")
        )
        return _page(found, args, _application)


# --- applications ---------------------------------------------------------------------------


@bp.route("/fair-applications")
@requires("fairs")
@bp.arguments(FairApplicationQuery, location="query")
@bp.response(200, FairApplicationPage)
def application_list(args):
    """A co-op's key: its own applications. An organiser's key: the applications to all its
    fairs. Optionally of one status, or one fair."""
    organisation_id = _organisation_id()
    if current_key().organization.kind is OrgKind.FAIR_ORGANIZER:
        found = [
            a
            for fair in fair_service.fairs_of(actor(), organisation_id)
            for a in fair_service.applications_of_fair(actor(), fair.id)
        ]
    else:
        found = fair_service.applications_of_coop(actor(), organisation_id)
    found = [
        a
        for a in found
        if (not args.get("status") or a.status.value == args["status"])
        and (args.get("fair_id") is None or a.fair_id == args["fair_id"])
    ]
    return _page(found, args, _application)


@bp.route("/fair-applications/<int:application_id>")
@requires("fairs")
@bp.response(200, FairApplicationOut)
@bp.alt_response(404, response="NOT_FOUND")
def application_read(application_id: int):
    """One application: the co-op's own, or one to a fair the key's organiser runs."""
    if current_key().organization.kind is OrgKind.FAIR_ORGANIZER:
        fair_service.fair_of_application(actor(), application_id)
        application = db.session.get_one(FairApplication, application_id)
    else:
        application = fair_service.own_application(actor(), _organisation_id(), application_id)
    return _application(application)


@bp.route("/fair-applications/<int:application_id>/withdraw", methods=["POST"])
@requires("fairs")
@idempotent
@bp.response(200, FairApplicationOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def application_withdraw(application_id: int):
    """The co-op (owner or manager) withdraws an application the organiser has not
    accepted (submitted or waitlisted); otherwise 409."""
    application = fair_service.withdraw(actor(), _organisation_id(), application_id)
    return _application(application)


@bp.route("/fair-applications/<int:application_id>/review", methods=["POST"])
@requires("fairs")
@idempotent
@bp.arguments(FairApplicationReviewIn)
@bp.response(200, FairApplicationOut)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def application_review(data, application_id: int):
    """The organiser's owner or manager accepts (holding a booth and invoicing its fee),
    waitlists or rejects (with a reason) an application to its fair; the co-op is told.
    Another organisation's application: 404; the organiser's staff: 403; an action its
    status does not allow: 409."""
    fair_service.fair_of_application(actor(), application_id)
    application = fair_service.review(
        actor(), application_id, data["action"], data["note"], data["booth_id"]
    )
    return _application(application)
