"""Badges and the gate: the co-op names its people and prints their badges; the organiser's
gate phones check badges in (camera, typed code, a queue while offline) and follow who is
present."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.blueprints.common import handle_form
from marketplace.blueprints.fairs import bp
from marketplace.blueprints.fairs.gate_forms import GateScanForm, StaffBadgeForm
from marketplace.blueprints.orgs.forms import ConfirmForm
from marketplace.documents import ascii_filename, pdf_response, qr_data_url, render_pdf
from marketplace.extensions import db
from marketplace.i18n import format_moment
from marketplace.models import Badge, Fair, OrgKind
from marketplace.qr import qr_svg
from marketplace.services import fair_gate
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.urls import external_url
from marketplace.vietnam import VN_TZ
from marketplace.web import call_or_abort, current_actor, member_view

#: The gate page uses the camera; every other page keeps it off (security.py).
CAMERA_ALLOWED = "camera=(self), microphone=(), geolocation=()"


def badge_url(badge) -> str:
    """What a badge's QR code holds: its gate page, so a phone's own camera app opens it."""
    return external_url("fairs.gate_badge", fair_id=badge.fair_id, code=badge.code)


# --- the co-op's badges -------------------------------------------------------------------------


def _badges_page(org_id: int, application_id: int, form: StaffBadgeForm, status: int = 200):
    coop, membership = member_view(org_id, OrgKind.COOP)
    view = call_or_abort(fair_gate.badges_of_application, current_actor(), org_id, application_id)
    return (
        render_template(
            "fairs/badges.html",
            coop=coop,
            membership=membership,
            view=view,
            form=form,
            qr={b.id: qr_svg(badge_url(b)).decode() for b in view.badges if not b.revoked_at},
            grouped=fair_gate.grouped,
            locale=str(get_locale()),
        ),
        status,
    )


@bp.route(
    "/orgs/<int:org_id>/fair-applications/<int:application_id>/badges", methods=["GET", "POST"]
)
@login_required
def badges(org_id: int, application_id: int):
    """A booth's badges with their QR codes; owners and managers name staff here."""
    form = StaffBadgeForm()
    here = url_for("fairs.badges", org_id=org_id, application_id=application_id)

    def added(badge):
        flash(_("Badge made for %(name)s.", name=badge.name), "success")
        return redirect(here)

    return handle_form(
        form,
        lambda: fair_gate.add_staff_badge(
            current_actor(), org_id, application_id, form.name.data or "", form.phone.data or ""
        ),
        done=added,
        back=here,
        page=lambda status: _badges_page(org_id, application_id, form, status),
        once=True,
    )


@bp.route("/orgs/<int:org_id>/badges/<int:badge_id>/edit", methods=["GET", "POST"])
@login_required
def edit_badge(org_id: int, badge_id: int):
    coop, _membership = member_view(org_id, OrgKind.COOP)
    badge = call_or_abort(_staff_badge_or_back, org_id, badge_id)
    if isinstance(badge, Response):
        return badge
    form = StaffBadgeForm(obj=badge if request.method == "GET" else None)
    back = url_for("fairs.badges", org_id=org_id, application_id=badge.application_id)

    def saved(_badge):
        flash(_("Badge saved."), "success")
        return redirect(back)

    return handle_form(
        form,
        lambda: fair_gate.update_staff_badge(
            current_actor(), org_id, badge_id, form.name.data or "", form.phone.data or ""
        ),
        done=saved,
        back=back,
        page=lambda status: (
            render_template("fairs/badge_edit.html", coop=coop, badge=badge, form=form, back=back),
            status,
        ),
    )


def _staff_badge_or_back(org_id: int, badge_id: int):
    """The staff badge to edit, or (a contact's or revoked badge) a redirect with the reason."""
    try:
        return fair_gate.own_staff_badge(current_actor(), org_id, badge_id)
    except ValidationFailed as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(str(message), "error")
        badge = db.session.get(Badge, badge_id)
        return redirect(url_for("fairs.badges", org_id=org_id, application_id=badge.application_id))


@bp.route("/orgs/<int:org_id>/badges/<int:badge_id>/revoke", methods=["POST"])
@login_required
def revoke_badge(org_id: int, badge_id: int):
    member_view(org_id, OrgKind.COOP)
    badge = call_or_abort(_staff_badge_or_back, org_id, badge_id)
    if isinstance(badge, Response):
        return badge
    back = url_for("fairs.badges", org_id=org_id, application_id=badge.application_id)

    def revoked(badge):
        flash(_("The badge of %(name)s no longer opens the gate.", name=badge.name), "success")
        return redirect(back)

    return handle_form(
        ConfirmForm(),
        lambda: fair_gate.revoke_badge(current_actor(), org_id, badge_id),
        done=revoked,
        back=back,
        bad_form=400,
    )


def _sheet_pdf(cards, name: str):
    data = render_pdf(
        "documents/badges.html",
        cards=cards,
        qr={c.badge.id: qr_data_url(badge_url(c.badge)) for c in cards},
        grouped=fair_gate.grouped,
        locale=str(get_locale()),
        rows=[cards[i : i + 2] for i in range(0, len(cards), 2)],
    )
    return pdf_response(data, ascii_filename(name))


@bp.route("/orgs/<int:org_id>/fair-applications/<int:application_id>/badges.pdf")
@login_required
def badges_pdf(org_id: int, application_id: int):
    """The booth's badges on A4 sheets (2 × 4 a page) to print and cut."""
    cards = call_or_abort(fair_gate.sheet_of_application, current_actor(), org_id, application_id)
    return _sheet_pdf(cards, f"badges-{application_id}")


@bp.route("/fairs/<int:fair_id>/badges.pdf")
@login_required
def fair_badges_pdf(fair_id: int):
    """Every valid badge of the fair, by booth, for the organiser to print."""
    cards = call_or_abort(fair_gate.sheet_of_fair, current_actor(), fair_id)
    return _sheet_pdf(cards, f"badges-fair-{fair_id}")


# --- the gate ---------------------------------------------------------------------------------


@bp.route("/fairs/<int:fair_id>/gate")
@login_required
def gate(fair_id: int):
    """The gate phone's page: camera scanner, typed code, a queue while offline."""
    fair = call_or_abort(fair_gate.gate_fair, current_actor(), fair_id)
    return _gate_page(fair, GateScanForm(), None)


def _gate_page(fair, form: GateScanForm, outcome, status: int = 200):
    view = fair_gate.attendance(current_actor(), fair.id)
    response = make_response(
        render_template(
            "fairs/gate.html",
            fair=fair,
            form=form,
            outcome=outcome and _describe(fair, outcome),
            counts=_counts(view),
            locale=str(get_locale()),
        ),
        status,
    )
    response.headers["Permissions-Policy"] = CAMERA_ALLOWED
    return response


def _counts(view: fair_gate.Attendance) -> str:
    return _(
        "%(present)s of %(total)s exhibitors present · %(people)s people checked in",
        present=view.present,
        total=len(view.exhibitors),
        people=view.people_in,
    )


def _time(value: datetime | None) -> str:
    return value.astimezone(VN_TZ).strftime("%H:%M") if value else ""


def _describe(fair: Fair, outcome: fair_gate.ScanOutcome) -> dict:
    """What the gate shows and says of a scan: result, a heading and a sentence."""
    badge = outcome.badge
    application = badge.application if badge is not None else None
    who = {
        "name": badge.name if badge else "",
        "coop": application.organization.name if application else "",
        "booth": application.booth.code if application and application.booth else "",
        "code": fair_gate.grouped(badge.code) if badge else "",
    }
    result = outcome.result
    if result == fair_gate.CHECKED_IN:
        title = _("Checked in")
        text = _(
            "%(name)s (%(coop)s, booth %(booth)s) is checked in.",
            name=who["name"],
            coop=who["coop"],
            booth=who["booth"] or "—",
        )
    elif result == fair_gate.DUPLICATE:
        title = _("Already checked in")
        at = badge.checked_in_at if badge else None
        text = (
            _(
                "%(name)s was already checked in at %(time)s at %(gate)s.",
                name=who["name"],
                time=_time(at),
                gate=outcome.first_gate,
            )
            if outcome.first_gate
            else _(
                "%(name)s was already checked in at %(time)s.",
                name=who["name"],
                time=_time(at),
            )
        )
    elif result == fair_gate.REVOKED:
        title = _("Refused")
        if badge is not None and badge.revoked_at is None:
            text = _(
                "This badge does not open the gate: the booth fee is not paid or the booth "
                "is cancelled."
            )
        else:
            text = _("This badge was revoked by its co-op; it does not open the gate.")
    elif result == fair_gate.OTHER_FAIR:
        title = _("Refused")
        text = _("This badge is for another fair.")
    elif result == fair_gate.OUTSIDE_DATES:
        title = _("Refused")
        text = _(
            "The fair is on from %(start)s to %(end)s: check-in is refused on other days "
            "unless “Allow check-in outside the fair's days” is ticked.",
            start=fair.starts_on.strftime("%d/%m/%Y"),
            end=fair.ends_on.strftime("%d/%m/%Y"),
        )
    else:
        title = _("Refused")
        text = _("No badge has this code. Check the code and type it again.")
    tone = {"checked_in": "ok", "duplicate": "warn"}.get(result, "stop")
    return {
        "result": result,
        "tone": tone,
        "title": title,
        "message": text,
        "replayed": outcome.replayed,
        "client_scan_id": outcome.scan.client_scan_id,
        "checked_in_at": format_moment(badge.checked_in_at) if badge else "",
        **who,
    }


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _when(value: object) -> datetime | None:
    """The phone's time of a scan: an ISO 8601 time with its offset, or milliseconds since
    1970 (what ``Date.now()`` gives); anything else is not believed."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, tz=VN_TZ)
        if isinstance(value, str) and value.strip():
            moment = datetime.fromisoformat(value.strip()[:40])
            return moment if moment.tzinfo else None
    except (ValueError, OverflowError, OSError):
        return None
    return None


@bp.route("/fairs/<int:fair_id>/gate/scan", methods=["POST"])
@login_required
def gate_scan(fair_id: int):
    """One scan: JSON from the gate page's script (also a queued one sent later), or the
    typed-code form without script. Answers the result; a scan sent twice is answered once."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return jsonify(error=_("The scan could not be read.")), 400
        try:
            outcome = fair_gate.scan(
                current_actor(),
                fair_id,
                _text(data.get("code"), 2000),
                client_scan_id=_text(data.get("client_scan_id"), 64),
                device=_text(data.get("device"), 60),
                scanned_at=_when(data.get("scanned_at")),
                allow_outside_dates=data.get("allow_outside") is True,
            )
        except NotFound:
            db.session.rollback()
            return jsonify(error=_("Not found.")), 404
        except PermissionDenied:
            db.session.rollback()
            return jsonify(error=_("You may not do this.")), 403
        answer = _describe(db.session.get_one(Fair, fair_id), outcome)
        answer["counts"] = _counts(fair_gate.attendance(current_actor(), fair_id))
        return jsonify(answer)
    fair = call_or_abort(fair_gate.gate_fair, current_actor(), fair_id)
    form = GateScanForm()
    if not form.validate_on_submit():
        return _gate_page(fair, form, None, 422)
    outcome = call_or_abort(
        fair_gate.scan,
        current_actor(),
        fair_id,
        form.code.data or "",
        client_scan_id=form.client_scan_id.data or None,
        device=form.device.data or None,
        scanned_at=_when(form.scanned_at.data),
        allow_outside_dates=bool(form.allow_outside.data),
    )
    form.code.data = ""
    form.client_scan_id.data = ""
    return _gate_page(fair, form, outcome)


@bp.route("/fairs/<int:fair_id>/gate/<code>")
@login_required
def gate_badge(fair_id: int, code: str):
    """Where a badge's QR code leads: who it is, and a "Check in" button (a POST; opening
    this page changes nothing)."""
    card = call_or_abort(fair_gate.gate_card, current_actor(), fair_id, code)
    form = GateScanForm()
    form.code.data = card.code or ""
    response = render_template(
        "fairs/gate_badge.html",
        card=card,
        fair=card.fair,
        form=form,
        grouped=fair_gate.grouped,
        time=_time,
        locale=str(get_locale()),
    )
    known = card.badge is not None
    return response, 200 if known else 404


# --- attendance ---------------------------------------------------------------------------------


@bp.route("/fairs/<int:fair_id>/attendance")
@login_required
def attendance(fair_id: int):
    """Who is present: each exhibitor (present once any of its badges is checked in) and
    each person, with time and gate."""
    view = call_or_abort(fair_gate.attendance, current_actor(), fair_id)
    show = request.args.get("show", "all")
    if show not in ("all", "present", "absent"):
        show = "all"
    exhibitors = [
        e
        for e in view.exhibitors
        if show == "all" or (e.present if show == "present" else not e.present)
    ]
    return render_template(
        "fairs/attendance.html",
        view=view,
        fair=view.fair,
        exhibitors=exhibitors,
        show=show,
        grouped=fair_gate.grouped,
        time=_time,
        locale=str(get_locale()),
    )


@bp.route("/fairs/<int:fair_id>/attendance.csv")
@login_required
def attendance_csv(fair_id: int):
    content = call_or_abort(fair_gate.attendance_csv, current_actor(), fair_id)
    response = Response(content, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="fair-{fair_id}-attendance.csv"'
    )
    return response
