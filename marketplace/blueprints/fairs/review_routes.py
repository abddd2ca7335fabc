"""Reviewing fair applications with the co-op in view (organisers): one application's page
with its decision, and the fair's list of applications with decisions for many at once."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.blueprints.common import BaseForm, apply_errors
from marketplace.blueprints.fairs import bp
from marketplace.extensions import db
from marketplace.models import ApplicationStatus, Role
from marketplace.services import fair_review, fairs
from marketplace.services.errors import TransitionNotAllowed, ValidationFailed
from marketplace.validation import bounded_int
from marketplace.vietnam import province_name
from marketplace.web import call_or_abort, current_actor

ACTION_LABELS = {
    "accept": _l("Accept"),
    "waitlist": _l("Waitlist"),
    "reject": _l("Reject"),
}


class DecisionForm(BaseForm):
    booth_id = SelectField(_l("Booth to hold"), coerce=bounded_int, validate_choice=False)
    note = TextAreaField(
        _l("Note to the co-op"),
        validators=[Length(max=2000)],
        render_kw={"rows": 3},
        description=_l("Needed for a rejection; the co-op reads it."),
    )


class BulkForm(BaseForm):
    application_ids = SelectMultipleField(
        _l("Applications"),
        coerce=bounded_int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    action = SelectField(
        _l("Decision for the chosen applications"),
        choices=[SelectChoice(value, label) for value, label in ACTION_LABELS.items()],
    )
    note = TextAreaField(
        _l("Note to the co-ops"),
        validators=[Length(max=2000)],
        render_kw={"rows": 2},
        description=_l("Needed for a rejection; every chosen co-op reads it."),
    )
    #: Set by the confirmation page: the decision is then carried out.
    confirmed = HiddenField()


# --- one application --------------------------------------------------------------------------


def _review_page(application_id: int, form: DecisionForm | None = None, status: int = 200):
    view = call_or_abort(fair_review.review_view, current_actor(), application_id)
    if form is None:
        form = DecisionForm()
        form.booth_id.data = (
            view.preferred_booth.id
            if view.preferred_free and view.preferred_booth in view.free_booths
            else 0
        )
    form.booth_id.choices = [SelectChoice(0, _("Preferred if free, else the first free"))] + [
        SelectChoice(
            b.id,
            b.code
            + (" · " + _("preferred") if b.id == view.application.preferred_booth_id else ""),
        )
        for b in view.free_booths
    ]
    return (
        render_template(
            "fairs/review.html",
            view=view,
            fair=view.fair,
            application=view.application,
            coop=view.coop,
            form=form,
            held=view.held,
            owner_names=view.owners,
            locale=str(get_locale()),
            province_name=province_name,
        ),
        status,
    )


@bp.route("/fair-applications/<int:application_id>")
@login_required
def review_application(application_id: int):
    return _review_page(application_id)


@bp.route("/fair-applications/<int:application_id>/decide", methods=["POST"])
@login_required
def decide(application_id: int):
    fair_id = call_or_abort(fairs.fair_of_application, current_actor(), application_id)
    form = DecisionForm()
    action = request.form.get("action", "")
    if not form.validate() or action not in fair_review.ACTIONS:
        if action not in fair_review.ACTIONS:
            flash(_("Choose accept, waitlist or reject."), "error")
        return _review_page(application_id, form, 422)
    try:
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
        errors = dict(exc.errors)
        if "status" in errors:
            flash(str(errors.pop("status")), "error")
        apply_errors(form, errors)
        return _review_page(application_id, form, 422)
    except TransitionNotAllowed:
        db.session.rollback()
        flash(_("This cannot be done in the application's current state."), "error")
        return redirect(url_for("fairs.review_application", application_id=application_id))
    flash(_("Saved; the co-op has been told."), "success")
    return redirect(url_for("fairs.fair_applications", fair_id=fair_id))


# --- the list, and many at once ----------------------------------------------------------------


def _filters() -> tuple[str, int | None]:
    status = request.values.get("status", "")[:20]
    if status not in {s.value for s in ApplicationStatus}:
        status = ""
    booth_type_id = bounded_int(request.values.get("type", "")[:12]) or None
    return status, booth_type_id


def _list_page(fair_id: int, form: BulkForm | None = None, status_code: int = 200):
    fair = call_or_abort(fairs.own_fair, current_actor(), fair_id)
    status, booth_type_id = _filters()
    applications = fair_review.applications_list(current_actor(), fair.id, status, booth_type_id)
    form = form or BulkForm()
    return (
        render_template(
            "fairs/applications.html",
            fair=fair,
            applications=applications,
            form=form,
            status=status,
            booth_type_id=booth_type_id,
            statuses=fair_review.STATUS_LABELS,
            locale=str(get_locale()),
        ),
        status_code,
    )


@bp.route("/fairs/<int:fair_id>/applications")
@login_required
def fair_applications(fair_id: int):
    return _list_page(fair_id)


@bp.route("/fairs/<int:fair_id>/applications/decide", methods=["POST"])
@login_required
def decide_many(fair_id: int):
    fair = call_or_abort(fairs.own_fair, current_actor(), fair_id, Role.MANAGER)
    form = BulkForm()
    if not form.validate():
        return _list_page(fair_id, form, 422)
    ids = [i for i in (form.application_ids.data or []) if i]
    action = form.action.data or ""
    note = form.note.data or ""
    problems = {}
    if not ids:
        problems["application_ids"] = _("Choose at least one application.")
    if action == "reject" and not note.strip():
        problems["note"] = _("Give the reason for the rejection.")
    if problems:
        apply_errors(form, problems)
        return _list_page(fair_id, form, 422)
    if form.confirmed.data != "yes":
        planned = fair_review.plan(current_actor(), fair.id, ids, action)
        return render_template(
            "fairs/bulk_confirm.html",
            fair=fair,
            form=form,
            planned=planned,
            changed=[p for p in planned if p.reason is None],
            unknown=len(set(ids)) - len(planned),
            action_label=ACTION_LABELS[action],
            locale=str(get_locale()),
        )
    try:
        result = call_or_abort(fair_review.decide_many, current_actor(), fair.id, ids, action, note)
    except ValidationFailed as exc:
        db.session.rollback()
        apply_errors(form, exc.errors)
        return _list_page(fair_id, form, 422)
    _flash_result(result)
    return redirect(url_for("fairs.fair_applications", fair_id=fair.id))


def _flash_result(result: fair_review.BulkResult) -> None:
    done = len(result.done)
    message = {
        "accept": _("Accepted %(n)s applications", n=done),
        "waitlist": _("Put %(n)s applications on the waitlist", n=done),
        "reject": _("Rejected %(n)s applications", n=done),
    }[result.action]
    if result.refused:
        message += "; " + _(
            "%(n)s could not be: %(list)s",
            n=len(result.refused),
            list="; ".join(f"{r.name} — {r.reason}" for r in result.refused),
        )
    flash(message + ".", "success" if not result.refused else "info")
