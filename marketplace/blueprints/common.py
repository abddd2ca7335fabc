"""Helpers shared by the blueprints: form errors, messages for bad links."""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from marketplace.validation import strip_control


class BaseForm(FlaskForm):
    """Every form of the site: strips control characters from whatever is typed."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            options["filters"] = [strip_control, *options.get("filters", ())]
            return unbound_field.bind(form=form, **options)


def apply_errors(form: FlaskForm, errors: Mapping[str, object]) -> None:
    """Show a service's ValidationFailed messages next to the matching fields."""
    for name, message in errors.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, str(message)] if field.errors else [str(message)]
        else:
            flash(str(message), "error")


def token_problem(reason: str) -> str:
    """What to tell someone whose emailed link cannot be used."""
    if reason == "expired":
        return _("This link has expired. Ask for a new one.")
    if reason == "used":
        return _("This link has already been used. Ask for a new one if you need it.")
    return _("This link is not valid. Check that you copied all of it, or ask for a new one.")
