"""Helpers shared by the blueprints: form errors, messages for bad links."""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField

from marketplace.validation import strip_control

# WTForms' own messages, said our way and translated in our catalogue (WTForms ships no
# Vietnamese). Keys are WTForms' msgids; anything not listed falls back to a generic message.
_WTFORMS_MESSAGES = {
    "Not a valid choice.": _l("Choose one of the options."),
    "Invalid Choice: could not coerce.": _l("Choose one of the options."),
    "This field is required.": _l("This field is required."),
    "Invalid input.": _l("Check this value."),
    "Field cannot be longer than %(max)d character.": _l("Use at most %(max)d characters."),
    "Field cannot be longer than %(max)d characters.": _l("Use at most %(max)d characters."),
    "Field must be at least %(min)d character long.": _l("Use at least %(min)d characters."),
    "Field must be at least %(min)d characters long.": _l("Use at least %(min)d characters."),
    "Not a valid integer value.": _l("Enter a whole number."),
    "Not a valid decimal value.": _l("Enter a number."),
}


class _WTFormsTranslations:
    def gettext(self, message: str) -> str:
        return str(_WTFORMS_MESSAGES.get(message, _WTFORMS_MESSAGES["Invalid input."]))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class BaseForm(FlaskForm):
    """Every form of the site: strips control characters from whatever is typed, and shows
    WTForms' built-in messages in the visitor's language."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            # Lists and sub-forms take no filters: their own fields get them.
            if unbound_field.field_class not in (FieldList, FormField):
                options["filters"] = [strip_control, *options.get("filters", ())]
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form):
            return _WTFormsTranslations()


def _field(form: FlaskForm, name: str):
    """The field a service names: "title", or a field-list entry's "lines-0-quantity"."""
    field = form._fields.get(name)
    if field is not None:
        return field
    head, _, rest = name.partition("-")
    index, _, sub = rest.partition("-")
    entries = getattr(form._fields.get(head), "entries", None)
    if entries is None or not index.isdigit() or int(index) >= len(entries):
        return None
    return entries[int(index)].form._fields.get(sub)


def apply_errors(form: FlaskForm, errors: Mapping[str, object]) -> None:
    """Show a service's ValidationFailed messages next to the matching fields (also inside
    field lists); the rest as flashed messages."""
    for name, message in errors.items():
        field = _field(form, name)
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
