"""Forms for editing a fair and its booth types, and for laying out its floor plan."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import Length, Optional

from marketplace.blueprints.common import BaseForm
from marketplace.blueprints.fairs.forms import BoothTypeForm, FairForm
from marketplace.validation import bounded_int, small_int

NUMBER = {"inputmode": "numeric"}


def seen_version(form) -> int | None:
    """The fair's version the form was opened at (None if missing or odd)."""
    value = form.version.data
    return small_int(str(value).strip()) if value not in (None, "") else None


class FairEditForm(FairForm):
    version = HiddenField()
    confirm_exclusion = BooleanField(
        _l("Save anyway: their applications stay, and they are told of the change")
    )
    confirm_badges = BooleanField(
        _l("Move the fair anyway: the exhibitors are asked to print their badges again")
    )


class BoothTypeEditForm(BoothTypeForm):
    version = HiddenField()
    booths = IntegerField(
        _l("Number of booths of this type"),
        validators=[Optional()],
        description=_l(
            "Fewer: free booths are taken off the plan, last first. More: a row is added "
            "below the plan."
        ),
        render_kw=NUMBER,
    )


class GridForm(BaseForm):
    grid_rows = IntegerField(
        _l("Rows of the grid"), validators=[Optional()], render_kw=NUMBER | {"min": 1, "max": 30}
    )
    grid_cols = IntegerField(
        _l("Columns of the grid"),
        validators=[Optional()],
        render_kw=NUMBER | {"min": 1, "max": 30},
    )


class BlockForm(BaseForm):
    booth_type_id = SelectField(_l("Booth type"), coerce=bounded_int, validate_choice=False)
    size_kind = SelectField(
        _l("Booth size"),
        choices=[
            ("standard", _l("Standard (1 cell)")),
            ("corner", _l("Corner (1 cell, open on two sides)")),
            ("double", _l("Double (2 cells wide)")),
        ],
        validate_choice=False,
    )
    letter = StringField(
        _l("Block letter (optional)"),
        validators=[Length(max=2)],
        description=_l("Empty: the next free letter. A letter in use adds to that block."),
    )
    row = IntegerField(_l("Top row"), validators=[Optional()], render_kw=NUMBER | {"min": 1})
    col = IntegerField(_l("Left column"), validators=[Optional()], render_kw=NUMBER | {"min": 1})
    rows = IntegerField(
        _l("Rows of booths"), validators=[Optional()], default=1, render_kw=NUMBER | {"min": 1}
    )
    cols = IntegerField(
        _l("Booths in each row"), validators=[Optional()], render_kw=NUMBER | {"min": 1}
    )


class FeatureForm(BaseForm):
    kind = SelectField(
        _l("What"),
        choices=[
            ("aisle", _l("Aisle")),
            ("entrance", _l("Entrance")),
            ("exit", _l("Exit")),
            ("stage", _l("Stage")),
        ],
        validate_choice=False,
    )
    # Ids of their own: the block form on the same page has a row and a column too.
    row = IntegerField(
        _l("Top row"), validators=[Optional()], render_kw=NUMBER | {"min": 1}, id="feature-row"
    )
    col = IntegerField(
        _l("Left column"), validators=[Optional()], render_kw=NUMBER | {"min": 1}, id="feature-col"
    )
    height = IntegerField(
        _l("Height (cells)"), validators=[Optional()], default=1, render_kw=NUMBER | {"min": 1}
    )
    width = IntegerField(
        _l("Width (cells)"), validators=[Optional()], default=1, render_kw=NUMBER | {"min": 1}
    )
    label = StringField(_l("Label (optional)"), validators=[Length(max=60)])


class RemoveForm(BaseForm):
    item = HiddenField(validators=[Length(max=20)])
