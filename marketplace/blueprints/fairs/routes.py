"""Trade fairs: organisers' pages, co-ops' applications and badges, public fair pages."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.common import apply_errors, handle_form
from marketplace.blueprints.fairs import bp
from marketplace.blueprints.fairs.fee_forms import fee_form_for
from marketplace.blueprints.fairs.forms import (
    ApplicationForm,
    BoothRowForm,
    BoothTypeForm,
    CancelForm,
    FairForm,
    ReviewForm,
)
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.extensions import db
from marketplace.models import ListingStatus, OrgKind, Role
from marketplace.services import fair_dashboard, fairs
from marketplace.services.accounts import organizations
from marketplace.services.catalogue import listings
from marketplace.services.errors import ValidationFailed
from marketplace.services.fairs import ApplicationTransitionNotAllowed
from marketplace.vietnam import PROVINCES, province_name
from marketplace.web import call_or_abort, current_actor, member_view


def _flash_errors(exc: ValidationFailed) -> None:
    for message in exc.errors.values():
        flash(str(message), "error")


def _not_in_this_state() -> str:
    return _("This cannot be done in the application's current state.")


# --- organiser ------------------------------------------------------------------------------


@bp.route("/orgs/<int:org_id>/fairs")
@login_required
def organiser_fairs(org_id: int):
    organization, membership = member_view(org_id, OrgKind.FAIR_ORGANIZER)
    fair_list = fairs.fairs_of(current_actor(), org_id)
    return render_template(
        "fairs/organiser_list.html",
        organization=organization,
        membership=membership,
        fairs=fair_list,
        numbers=fair_dashboard.key_numbers(fair_list),
        locale=str(get_locale()),
    )


def _fair_data(form: FairForm) -> fairs.FairData:
    return fairs.FairData(
        name_vi=form.name_vi.data or "",
        name_en=form.name_en.data or "",
        description_vi=form.description_vi.data or "",
        description_en=form.description_en.data or "",
        venue=form.venue.data or "",
        province=form.province.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        applications_open_on=form.applications_open_on.data,
        applications_close_on=form.applications_close_on.data,
        payment_days=form.payment_days.data,
        full_refund_until=form.full_refund_until.data,
        only_ocop=bool(form.only_ocop.data),
        eligible_provinces=(form.eligible_provinces.data or "").split(","),
    )


@bp.route("/orgs/<int:org_id>/fairs/new", methods=["GET", "POST"])
@login_required
def new_fair(org_id: int):
    organization, membership = member_view(org_id, OrgKind.FAIR_ORGANIZER, Role.MANAGER)
    form = FairForm()

    def create():
        cover = form.cover.data.read() if getattr(form.cover.data, "filename", None) else None
        return fairs.create_fair(current_actor(), org_id, _fair_data(form), cover)

    def saved(fair):
        flash(_("Fair saved. Add booth types and the booth map, then publish it."), "success")
        return redirect(url_for("fairs.manage", fair_id=fair.id))

    return handle_form(
        form,
        create,
        done=saved,
        back=url_for("fairs.organiser_fairs", org_id=org_id),
        page=lambda status: (
            render_template(
                "fairs/new.html", organization=organization, form=form, provinces=PROVINCES
            ),
            status,
        ),
        once=True,
    )


def _manage_page(fair_id: int, status: int = 200, **forms):
    fair = call_or_abort(fairs.own_fair, current_actor(), fair_id)
    applications = fairs.applications_of_fair(current_actor(), fair.id)
    booth_map = fairs.booth_map(fair, applications)
    return (
        render_template(
            "fairs/manage.html",
            fair=fair,
            applications=applications,
            availability=booth_map.availability,
            free_booths=[b for b in fair.booths if b.id not in booth_map.held],
            held=booth_map.held,
            booth_type_form=forms.get("booth_type_form") or BoothTypeForm(),
            review_form=ReviewForm(),
            confirm_form=ConfirmForm(),
            cancel_form=forms.get("cancel_form") or CancelForm(),
            arrivals=fairs.arrivals(current_actor(), fair.id),
            locale=str(get_locale()),
            owner_names=booth_map.owners,
            fee_forms=forms.get("fee_forms") or {},
            fee_form_for=fee_form_for,
        ),
        status,
    )


@bp.route("/fairs/<int:fair_id>/manage")
@login_required
def manage(fair_id: int):
    return _manage_page(fair_id)


@bp.route("/fairs/<int:fair_id>/booth-types", methods=["POST"])
@login_required
def add_booth_type(fair_id: int):
    form = BoothTypeForm()

    def added(_booth_type):
        flash(_("Booth type added."), "success")
        return redirect(url_for("fairs.manage", fair_id=fair_id))

    return handle_form(
        form,
        lambda: fairs.add_booth_type(
            current_actor(),
            fair_id,
            name=form.name.data or "",
            size=form.size.data or "",
            fee=form.fee.data or "",
            includes=form.includes.data or "",
            staff_badges=2 if form.staff_badges.data is None else form.staff_badges.data,
        ),
        done=added,
        back=url_for("fairs.manage", fair_id=fair_id),
        page=lambda status: _manage_page(fair_id, status, booth_type_form=form),
        bad_form="back",
        once=True,
    )


@bp.route("/fairs/<int:fair_id>/rows", methods=["POST"])
@login_required
def add_row(fair_id: int):
    """A row of booths below the floor plan (the plan page lays out blocks anywhere); what
    is refused is said on the plan page."""
    form = BoothRowForm()

    def added(_row):
        flash(_("Row added to the map."), "success")
        return redirect(url_for("fairs.plan", fair_id=fair_id))

    return handle_form(
        form,
        lambda: fairs.add_booth_row(
            current_actor(),
            fair_id,
            letter=form.letter.data or "",
            count=form.count.data,
            booth_type_id=form.booth_type_id.data,
        ),
        done=added,
        back=url_for("fairs.plan", fair_id=fair_id),
    )


@bp.route("/fairs/<int:fair_id>/publish", methods=["POST"])
@login_required
def publish(fair_id: int):
    def published(_fair):
        flash(_("The fair is published and open for applications in its window."), "success")
        return redirect(url_for("fairs.manage", fair_id=fair_id))

    return handle_form(
        ConfirmForm(),
        lambda: fairs.publish_fair(current_actor(), fair_id),
        done=published,
        back=url_for("fairs.manage", fair_id=fair_id),
        bad_form=400,
    )


@bp.route("/fairs/<int:fair_id>/cancel", methods=["POST"])
@login_required
def cancel_fair(fair_id: int):
    form = CancelForm()

    def cancelled(_fair):
        flash(_("The fair is cancelled and every applicant has been told."), "success")
        return redirect(url_for("fairs.manage", fair_id=fair_id))

    return handle_form(
        form,
        lambda: fairs.cancel_fair(current_actor(), fair_id, form.reason.data or ""),
        done=cancelled,
        back=url_for("fairs.manage", fair_id=fair_id),
        page=lambda status: _manage_page(fair_id, status, cancel_form=form),
        bad_form=400,
    )


@bp.route("/fair-applications/<int:application_id>/review", methods=["POST"])
@login_required
def review(application_id: int):
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    fair_id = call_or_abort(fairs.fair_of_application, current_actor(), application_id)
    try:
        # A fee received is recorded with its amount, date and reference (``fee_received``).
        if action == "move":
            call_or_abort(
                fairs.move_booth, current_actor(), application_id, form.booth_id.data or 0
            )
        else:
            call_or_abort(
                fairs.review,
                current_actor(),
                application_id,
                action,
                form.note.data or "",
                form.booth_id.data or None,
            )
    except ValidationFailed as exc:
        db.session.rollback()
        _flash_errors(exc)
    except ApplicationTransitionNotAllowed:
        db.session.rollback()
        flash(_not_in_this_state(), "error")
    else:
        flash(_("Saved; the co-op has been told."), "success")
    return redirect(url_for("fairs.manage", fair_id=fair_id))


@bp.route("/fairs/<int:fair_id>/check-in")
@login_required
def check_in(fair_id: int):
    """The gate page took over check-in (``gate_routes``)."""
    return redirect(url_for("fairs.gate", fair_id=fair_id), 301)


@bp.route("/fairs/<int:fair_id>/badge/<code>")
@login_required
def check_in_code(fair_id: int, code: str):
    """An older badge's link: shows the badge at the gate, where checking in is a POST."""
    return redirect(url_for("fairs.gate_badge", fair_id=fair_id, code=code[:60]), 301)


@bp.route("/fairs/<int:fair_id>/export/<kind>.csv")
@login_required
def export(fair_id: int, kind: str):
    content = call_or_abort(fairs.export_csv, current_actor(), fair_id, kind)
    response = Response(content, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="fair-{fair_id}-{kind}.csv"'
    return response


# --- co-ops ---------------------------------------------------------------------------------


def _prepare_application_form(form: ApplicationForm, fair, coop) -> None:
    free = fairs.free_booths(fair)
    form.booth_type_id.choices = [
        SelectChoice(
            a.booth_type.id,
            f"{a.booth_type.name} — {a.booth_type.fee:,} ₫ ({a.free}/{a.total})".replace(",", "."),
        )
        for a in fairs.availability(fair)
    ]
    form.preferred_booth_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(b.id, b.code) for b in free
    ]
    form.listing_ids.choices = [
        SelectChoice(x.id, x.title_vi)
        for x in listings.coop_listings(coop.id)
        if x.status is ListingStatus.PUBLISHED
    ]


def _application_data(form: ApplicationForm) -> fairs.ApplicationData:
    return fairs.ApplicationData(
        booth_type_id=form.booth_type_id.data or None,
        preferred_booth_id=form.preferred_booth_id.data or None,
        listing_ids=list(form.listing_ids.data or []),
        needs=form.needs.data or "",
        contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "",
        join_waitlist=bool(form.join_waitlist.data),
    )


@bp.route("/orgs/<int:org_id>/fairs/<int:fair_id>/apply", methods=["GET", "POST"])
@login_required
def apply(org_id: int, fair_id: int):
    coop, _membership = member_view(org_id, OrgKind.COOP, Role.MANAGER)
    fair = call_or_abort(fairs.public_fair_by_id, fair_id)
    form = ApplicationForm()
    if request.method == "GET":
        form.contact_name.data = current_user.name
    return _application_page(
        coop,
        fair,
        form,
        lambda data: fairs.apply(current_actor(), org_id, fair_id, data),
        done=_("Application sent. The organiser will review it."),
        refused_to=url_for("fairs.public", slug=fair.slug),
    )


@bp.route("/orgs/<int:org_id>/fair-applications/<int:application_id>/edit", methods=["GET", "POST"])
@login_required
def edit_application(org_id: int, application_id: int):
    coop, _membership = member_view(org_id, OrgKind.COOP)
    application = call_or_abort(
        fairs.own_application, current_actor(), org_id, application_id, Role.MANAGER
    )
    form = ApplicationForm(obj=application if request.method == "GET" else None)
    if request.method == "GET":
        form.listing_ids.data = [x.id for x in application.listings]
        form.preferred_booth_id.data = application.preferred_booth_id or 0
    return _application_page(
        coop,
        application.fair,
        form,
        lambda data: fairs.update_application(current_actor(), org_id, application_id, data),
        done=_("Application saved."),
        refused_to=url_for("fairs.my_applications", org_id=org_id),
        editing=True,
    )


def _application_page(coop, fair, form: ApplicationForm, save, *, done, refused_to, editing=False):
    """Apply or edit: one form, one way of handling what the service refuses."""
    _prepare_application_form(form, fair, coop)
    offer_waitlist = False
    if form.validate_on_submit():
        try:
            save(_application_data(form))
        except ValidationFailed as exc:
            db.session.rollback()
            if "status" in exc.errors:  # not about a field: the application cannot be made
                _flash_errors(exc)
                return redirect(refused_to)
            offer_waitlist = not editing and "booth_type_id" in exc.errors
            apply_errors(form, exc.errors)
        else:
            flash(done, "success")
            return redirect(url_for("fairs.my_applications", org_id=coop.id))
    return (
        render_template(
            "fairs/apply.html",
            fair=fair,
            coop=coop,
            form=form,
            offer_waitlist=offer_waitlist,
            locale=str(get_locale()),
            editing=editing,
        ),
        422 if request.method == "POST" else 200,
    )


@bp.route("/orgs/<int:org_id>/fair-applications")
@login_required
def my_applications(org_id: int):
    coop, membership = member_view(org_id, OrgKind.COOP)
    return render_template(
        "fairs/my_applications.html",
        coop=coop,
        membership=membership,
        applications=fairs.applications_of_coop(current_actor(), org_id),
        confirm_form=ConfirmForm(),
        locale=str(get_locale()),
    )


@bp.route("/orgs/<int:org_id>/fair-applications/<int:application_id>/<action>", methods=["POST"])
@login_required
def application_action(org_id: int, application_id: int, action: str):

    def act():
        service = {"withdraw": fairs.withdraw, "cancel": fairs.cancel_booth}.get(action)
        if service is None:
            abort(404)
        return service(current_actor(), org_id, application_id)

    def done(_application):
        flash(_("Done."), "success")
        return redirect(url_for("fairs.my_applications", org_id=org_id))

    return handle_form(
        ConfirmForm(),
        act,
        done=done,
        back=url_for("fairs.my_applications", org_id=org_id),
        bad_form=400,
        refused=_not_in_this_state(),
    )


@bp.route("/orgs/<int:org_id>/fair-applications/<int:application_id>/badge")
@login_required
def badge(org_id: int, application_id: int):
    """The booth's badges, one per person (``gate_routes.badges``)."""
    return redirect(url_for("fairs.badges", org_id=org_id, application_id=application_id), 301)


# --- public ---------------------------------------------------------------------------------


@bp.route("/fairs")
def upcoming():
    return render_template(
        "fairs/list.html", fairs=fairs.upcoming_fairs(50), locale=str(get_locale())
    )


@bp.route("/fairs/<slug>")
def public(slug: str):
    fair = call_or_abort(fairs.public_fair, slug)
    exhibition = fairs.exhibition(fair)
    memberships = (
        organizations.memberships_of(current_user) if current_user.is_authenticated else []
    )
    coop_memberships = [m for m in memberships if m.organization.kind is OrgKind.COOP]
    return render_template(
        "fairs/public.html",
        # The organiser's people find their way from the public page to managing the fair.
        organising=any(m.organization_id == fair.organization_id for m in memberships),
        fair=fair,
        availability=exhibition.booth_map.availability,
        held=exhibition.booth_map.held,
        owner_names=exhibition.booth_map.owners,
        exhibitors=exhibition.exhibitors,
        coop_memberships=coop_memberships,
        locale=str(get_locale()),
        province_name=province_name,
    )


# The blueprint's other route modules, registered on the same ``bp`` (see __init__).
from marketplace.blueprints.fairs import (  # noqa: E402, F401
    dashboard_routes,
    gate_routes,
    plan_routes,
    review_routes,
)
