"""Helpers shared by the blueprints: form errors, one way to handle a submitted form,
messages for bad links."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, TypeVar

from flask import abort, flash, redirect
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import FieldList, FormField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value

from marketplace import kept_files
from marketplace.extensions import db
from marketplace.services.catalogue import categories
from marketplace.services.errors import (
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from marketplace.validation import strip_control
from marketplace.web import first_submission

T = TypeVar("T")


def chosen_file(field) -> bytes | None:
    """The content of the file chosen in a file field, or None when none was chosen."""
    storage = field.data
    if storage is None or not getattr(storage, "filename", None):
        return None
    return storage.read()


def chosen_files(field) -> list[tuple[str, bytes]]:
    """(name, content) of each file chosen in a multiple-file field."""
    return [
        (f.filename or "", f.read()) for f in (field.data or []) if getattr(f, "filename", None)
    ]


class KeptFileField(FileField):
    """A file field whose chosen file survives a refused submit: ``keep_files`` stores it
    when the form is shown again and the page carries it back (``marketplace.kept_files``)."""

    kept: list[kept_files.Kept]

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        self.kept = []
        if formdata is not None and not kept_files.chosen(self):
            self.kept, files = kept_files.restore(self, formdata)
            if files:
                self.data = files[0]


class KeptMultipleFileField(MultipleFileField):
    """A multiple-file field whose chosen files survive a refused submit (as
    ``KeptFileField``); files chosen anew replace all the kept ones."""

    kept: list[kept_files.Kept]

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        self.kept = []
        if formdata is not None and not kept_files.chosen(self):
            self.kept, files = kept_files.restore(self, formdata)
            if files:
                self.data = files


def keep_files(form: FlaskForm) -> None:
    """Keep the files chosen in a refused form about to be shown again, so that they need not
    be chosen again (``marketplace.kept_files``). Routes answering a refused form themselves
    call it before rendering; ``handle_form`` does."""
    kept_files.keep_files(form)


def category_choices(blank: SelectChoice) -> list[SelectChoice]:
    """Every category for a select, after ``blank``: each top category followed by its own
    sub-categories, indented, in display order."""
    language = str(get_locale())
    choices = [blank]
    for root, children in categories.tree():
        choices.append(SelectChoice(root.id, root.name(language)))
        choices += [SelectChoice(c.id, "— " + c.name(language)) for c in children]
    return choices


class Rows(FieldList):
    """A FieldList that reads only plain ASCII row numbers from the form.

    WTForms takes any key whose index ``str.isdigit()`` — "²" included — and then fails on
    ``int("²")``; a hand-made field name must be ignored, not answered with a 500.
    """

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 4:
                    yield int(index)


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
    "Not a valid float value.": _l("Enter a number."),
    "Number must be between %(min)s and %(max)s.": _l("Enter a number from %(min)s to %(max)s."),
    "Number must be at least %(min)s.": _l("Enter a number of at least %(min)s."),
    "Number must be at most %(max)s.": _l("Enter a number of at most %(max)s."),
    "Not a valid date value.": _l("Enter a date as year-month-day, like 2026-12-31."),
    "Not a valid datetime value.": _l("Enter a date as year-month-day, like 2026-12-31."),
    "Invalid email address.": _l("Enter an email address, like ten@vidu.vn."),
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
            if not issubclass(unbound_field.field_class, (FieldList, FormField)):
                options["filters"] = [strip_control, *options.get("filters", ())]
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form):
            return _WTFormsTranslations()


def _field(form: FlaskForm, name: str):
    """The field a service names: "title", a field-list entry's "lines-0-quantity", or one in
    a list inside a list entry, "extras-1-lines-0-quantity"."""
    field = form._fields.get(name)
    if field is not None:
        return field
    head, _, rest = name.partition("-")
    index, _, sub = rest.partition("-")
    entries = getattr(form._fields.get(head), "entries", None)
    if entries is None or not (index.isascii() and index.isdigit()) or int(index) >= len(entries):
        return None
    subform = getattr(entries[int(index)], "form", None)
    return _field(subform, sub) if subform is not None and sub else None


def apply_errors(form: FlaskForm, errors: Mapping[str, object]) -> None:
    """Show a service's ValidationFailed messages next to the matching fields (also inside
    field lists); the rest as flashed messages."""
    for name, message in errors.items():
        field = _field(form, name)
        if field is not None:
            field.errors = [*field.errors, str(message)] if field.errors else [str(message)]
        else:
            flash(str(message), "error")


def changed_meanwhile() -> None:
    """Tell someone that what they acted on moved on while they were reading it."""
    flash(
        _("This can no longer be done: it has changed meanwhile. Here is where it stands now."),
        "error",
    )


def handle_form(
    form: FlaskForm,
    use_case: Callable[[], T],
    *,
    done: Callable[[T], ResponseReturnValue],
    back: str,
    page: Callable[[int], ResponseReturnValue] | None = None,
    bad_form: Literal["page", "back"] | int = "page",
    once: bool = False,
    error_names: Callable[[Mapping[str, object]], Mapping[str, object]] | None = None,
    refused: str | None = None,
) -> ResponseReturnValue:
    """Answer a form: validate it once, run the use case, and say how it went.

    - not submitted (a GET): ``page(200)``, or a redirect to ``back`` without a page;
    - not valid: ``page(422)``, its chosen files kept (``keep_files``); a redirect to
      ``back`` without a page or with ``bad_form="back"``; with a status ``abort(bad_form)``;
    - ``once`` and the same form sent before: "already saved", and a redirect to ``back``;
    - the use case runs; what it returns goes to ``done``, which flashes and redirects;
    - ``ValidationFailed`` (``DealChanged`` too): with a ``page``, its messages go next to the
      fields (service names turned into form names by ``error_names``), its chosen files are
      kept and ``page(422)``;
      without one, they are flashed and the answer is a redirect to ``back``;
    - ``TransitionNotAllowed``: "it has changed meanwhile" (or the ``refused`` message), and a
      redirect to ``back``;
    - ``NotFound`` → 404, ``PermissionDenied`` → 403.

    A refused use case may have changed the session before it gave up: that is rolled back
    before anything is answered, as the request edge commits any answer below 400.
    """
    if not form.is_submitted():
        return page(200) if page is not None else redirect(back)
    if not form.validate():
        if isinstance(bad_form, int):
            abort(bad_form)
        if page is None or bad_form != "page":
            return redirect(back)
        keep_files(form)
        return page(422)
    if once and not first_submission():
        flash(_("This was already saved."), "info")
        return redirect(back)
    try:
        result = use_case()
    except NotFound:
        db.session.rollback()
        abort(404)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except ValidationFailed as exc:
        db.session.rollback()
        if page is not None:
            apply_errors(form, error_names(exc.errors) if error_names else exc.errors)
            keep_files(form)
            return page(422)
        for message in exc.errors.values():
            flash(str(message), "error")
        return redirect(back)
    except TransitionNotAllowed:
        db.session.rollback()
        if refused is None:
            changed_meanwhile()
        else:
            flash(refused, "error")
        return redirect(back)
    return done(result)


def token_problem(reason: str) -> str:
    """What to tell someone whose emailed link cannot be used."""
    if reason == "expired":
        return _("This link has expired. Ask for a new one.")
    if reason == "used":
        return _("This link has already been used. Ask for a new one if you need it.")
    return _("This link is not valid. Check that you copied all of it, or ask for a new one.")
