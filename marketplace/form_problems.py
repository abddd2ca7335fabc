"""The error summary every form page shows after a refused submit: one link per field with
an error, in the order the fields come in the form, found in the page's context so that no
form template has to ask for it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context, request
from flask_wtf import FlaskForm
from jinja2 import pass_context
from wtforms import FieldList, FormField
from wtforms.fields import HiddenField

_UNLINKED = (HiddenField,)


@dataclass(frozen=True)
class Problem:
    target: str  # the id of the element the link goes to
    label: str
    message: str
    field_id: str = ""


def field_shown(field) -> str:
    """Called by the field macro: remembers the order in which the page shows its fields, so
    that the summary (rendered after the page's content, placed before it) follows it."""
    if has_request_context():
        g.setdefault("shown_fields", {}).setdefault(field.id, len(g.shown_fields))
    return ""


def _messages(errors) -> list[str]:
    return [str(e) for e in errors or () if isinstance(e, str) or not isinstance(e, (list, dict))]


def _target(field) -> str:
    # The field macro renders radio options one by one: the first option is the one to reach.
    return f"{field.id}-0" if field.type == "RadioField" else field.id


def _walk(form, row: int | None = None):
    for field in form:
        if isinstance(field, _UNLINKED) or field.type == "CSRFTokenField":
            continue
        if isinstance(field, FormField):
            yield from _walk(field.form, row)
            continue
        if isinstance(field, FieldList):
            own = _messages(field.errors)
            if own:
                first = field.entries[0] if field.entries else None
                target = (_first_id(first) if first is not None else None) or field.id
                yield Problem(target, str(field.label.text), " ".join(own), field.id)
            for index, entry in enumerate(field.entries):
                if isinstance(entry, FormField):
                    yield from _walk(entry.form, index + 1)
                else:
                    yield from _one(entry, index + 1)
            continue
        yield from _one(field, row)


def _first_id(entry) -> str | None:
    if isinstance(entry, FormField):
        for sub in entry.form:
            if not isinstance(sub, _UNLINKED) and sub.type != "CSRFTokenField":
                return _target(sub)
        return None
    return _target(entry)


def _one(field, row: int | None):
    messages = _messages(field.errors)
    if messages:
        label = str(field.label.text)
        if row is not None:
            label = f"{label} ({row})"
        yield Problem(_target(field), label, " ".join(messages), field.id)


def problems_of(form: FlaskForm) -> list[Problem]:
    """Every field of ``form`` that has an error, in form order."""
    return list(_walk(form))


@pass_context
def form_problems(context) -> list[Problem]:
    """The problems of the submitted form(s) on the page being rendered: forms in the page's
    context (directly, or in a list or dict of forms) that carry errors after a POST."""
    if not has_request_context() or request.method != "POST":
        return []
    found: list[Problem] = []
    seen: set[int] = set()
    for value in context.get_all().values():
        candidates = (
            value.values()
            if isinstance(value, dict)
            else value
            if isinstance(value, (list, tuple))
            else (value,)
        )
        for candidate in candidates:
            if isinstance(candidate, FlaskForm) and id(candidate) not in seen:
                seen.add(id(candidate))
                found.extend(problems_of(candidate))
    shown = g.get("shown_fields", {})
    # In the order the page shows the fields; those it shows otherwise after them, in form order.
    return sorted(found, key=lambda p: shown.get(p.field_id, len(shown)))
