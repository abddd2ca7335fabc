"""A fair's floor plan: a grid the organiser lays out with blocks of booths, aisles, the
entrance, exits and the stage.

The grid's size is kept as the plan's "hall" (a MapFeature covering the whole floor). Booths
are numbered by block letter and number (A01, A02…); adding to a block continues its
numbers, and a block is renumbered only when one of its booths is removed and none of its
booths is held, taken or preferred by an application. Every change runs under the fair's
lock and checks the whole plan first: an overlap or a place outside the grid is refused by
name ("A03 overlaps the stage") and nothing is saved.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Booth, BoothType, Fair, FairApplication, FairStatus, Role
from marketplace.models.fairs import ACTIVE, MapFeature
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.locking import lock

HALL = "hall"
FEATURE_KINDS = ("aisle", "entrance", "exit", "stage")
SIZE_KINDS = ("standard", "corner", "double")
#: The largest grid an organiser may choose (rows and columns).
MAX_GRID = 30
#: Bounds of a fair laid out before it had a grid of its own (rows of up to 60 booths).
OPEN_BOUNDS = 60
#: The grid drawn for a fair without one of its own, at the least.
DEFAULT_ROWS, DEFAULT_COLS = 8, 10

FEATURE_NAMES = {
    "aisle": _l("an aisle"),
    "entrance": _l("the entrance"),
    "exit": _l("an exit"),
    "stage": _l("the stage"),
}
KIND_LABELS = {
    "aisle": _l("Aisle"),
    "entrance": _l("Entrance"),
    "exit": _l("Exit"),
    "stage": _l("Stage"),
}
SIZE_LABELS = {
    "standard": _l("standard"),
    "corner": _l("corner"),
    "double": _l("double"),
}


@dataclass(frozen=True)
class Item:
    """Something that takes room on the grid, with the name a message gives it."""

    name: object
    row: int
    col: int
    width: int
    height: int

    def overlaps(self, other: Item) -> bool:
        return (
            self.row < other.row + other.height
            and other.row < self.row + self.height
            and self.col < other.col + other.width
            and other.col < self.col + self.width
        )


@dataclass(frozen=True)
class FloorPlan:
    rows: int
    cols: int
    #: The grid the organiser chose (False: drawn to fit what is on it).
    sized: bool
    booths: list[Booth]
    features: list[MapFeature]


def _features(fair_id: int) -> list[MapFeature]:
    return list(
        db.session.scalars(
            select(MapFeature).where(MapFeature.fair_id == fair_id).order_by(MapFeature.id)
        )
    )


def floor_plan(fair: Fair) -> FloorPlan:
    features = _features(fair.id)
    hall = next((f for f in features if f.kind == HALL), None)
    others = [f for f in features if f.kind != HALL]
    things = [*fair.booths, *others]
    low = max((t.row + t.height for t in things), default=0)
    right = max((t.col + t.width for t in things), default=0)
    if hall is not None:
        return FloorPlan(
            max(hall.height, low), max(hall.width, right), True, list(fair.booths), others
        )
    return FloorPlan(
        max(DEFAULT_ROWS, low), max(DEFAULT_COLS, right), False, list(fair.booths), others
    )


def _bounds(features: list[MapFeature]) -> tuple[int, int]:
    hall = next((f for f in features if f.kind == HALL), None)
    return (hall.height, hall.width) if hall else (OPEN_BOUNDS, OPEN_BOUNDS)


def _booth_item(booth: Booth) -> Item:
    return Item(booth.code, booth.row, booth.col, booth.width, booth.height)


def _feature_item(feature: MapFeature) -> Item:
    return Item(
        FEATURE_NAMES.get(feature.kind, feature.kind),
        feature.row,
        feature.col,
        feature.width,
        feature.height,
    )


def _check_room(new: Iterable[Item], existing: Iterable[Item], rows: int, cols: int) -> None:
    """Refuse, by name, the first new item outside the grid or overlapping another."""
    existing = list(existing)
    placed: list[Item] = []
    for item in new:
        if (
            item.row < 0
            or item.col < 0
            or item.row + item.height > rows
            or (item.col + item.width > cols)
        ):
            raise ValidationFailed(
                {
                    "plan": _l(
                        "%(item)s would be outside the grid (%(rows)s rows × %(cols)s columns).",
                        item=item.name,
                        rows=rows,
                        cols=cols,
                    )
                }
            )
        for other in [*existing, *placed]:
            if item.overlaps(other):
                raise ValidationFailed(
                    {"plan": _l("%(item)s overlaps %(other)s.", item=item.name, other=other.name)}
                )
        placed.append(item)


def _plan_fair(actor: Actor, fair_id: int) -> Fair:
    from marketplace.services.fairs import own_fair

    fair = own_fair(actor, fair_id, Role.MANAGER)
    fair = lock(Fair, fair.id)
    if fair.status is FairStatus.CANCELLED:
        raise ValidationFailed({"plan": _l("This fair is cancelled.")})
    return fair


def _existing(fair: Fair, features: list[MapFeature]) -> list[Item]:
    return [
        *(_booth_item(b) for b in fair.booths),
        *(_feature_item(f) for f in features if f.kind != HALL),
    ]


def _number(code: str) -> int | None:
    return int(code[1:]) if len(code) > 1 and code[1:].isdigit() else None


def _block_letter(fair: Fair, letter: str, errors: dict[str, object]) -> str:
    letter = (letter or "").strip().upper()
    if not letter:
        used = {b.code[0] for b in fair.booths}
        free = [x for x in string.ascii_uppercase if x not in used]
        if not free:
            errors["letter"] = _l("Use one letter from A to Z for the row.")
            return ""
        return free[0]
    if len(letter) != 1 or letter not in string.ascii_uppercase:
        errors["letter"] = _l("Use one letter from A to Z for the block.")
    return letter


def _bounded(value: int | None, low: int, high: int) -> bool:
    return value is not None and low <= value <= high


def _check_position(row: int | None, col: int | None, errors: dict[str, object]) -> None:
    """A top-left cell on the grid (from 0), its problems added to ``errors``."""
    if not _bounded(row, 0, OPEN_BOUNDS - 1):
        errors["row"] = _l("Give a row on the grid.")
    if not _bounded(col, 0, OPEN_BOUNDS - 1):
        errors["col"] = _l("Give a column on the grid.")


def add_block(
    actor: Actor,
    fair_id: int,
    *,
    booth_type_id: int | None,
    row: int | None,
    col: int | None,
    rows: int | None,
    cols: int | None,
    size_kind: str = "standard",
    letter: str = "",
) -> list[Booth]:
    """A block of rows × cols booths of one type, its top-left booth at (row, col), numbered
    <letter>01… in reading order (continuing the block's numbers if the letter is in use)."""
    fair = _plan_fair(actor, fair_id)
    features = _features(fair.id)
    errors: dict[str, object] = {}
    booth_type = db.session.get(BoothType, booth_type_id) if booth_type_id else None
    if booth_type is None or booth_type.fair_id != fair.id:
        errors["booth_type_id"] = _l("Choose one of this fair's booth types.")
    letter = _block_letter(fair, letter, errors)
    if size_kind not in SIZE_KINDS:
        errors["size_kind"] = _l("Choose standard, corner or double.")
    _check_position(row, col, errors)
    if not _bounded(rows, 1, MAX_GRID):
        errors["rows"] = _l("A block has between 1 and %(max)s rows of booths.", max=MAX_GRID)
    if not _bounded(cols, 1, OPEN_BOUNDS):
        errors["cols"] = _l("A block has between 1 and %(max)s booths a row.", max=OPEN_BOUNDS)
    if errors:
        raise ValidationFailed(errors)
    assert booth_type is not None and row is not None and col is not None
    assert rows is not None and cols is not None
    width = 2 if size_kind == "double" else 1
    numbers = [n for b in fair.booths if b.code[0] == letter and (n := _number(b.code))]
    start = max(numbers, default=0) + 1
    if start + rows * cols - 1 > 99:
        raise ValidationFailed(
            {"letter": _l("Block %(block)s is full: use another letter.", block=letter)}
        )
    booths = []
    for i in range(rows):
        for j in range(cols):
            booths.append(
                Booth(
                    fair_id=fair.id,
                    booth_type_id=booth_type.id,
                    code=f"{letter}{start + len(booths):02d}",
                    row=row + i,
                    col=col + j * width,
                    size_kind=size_kind,
                    width=width,
                    height=1,
                )
            )
    bottom, right = _bounds(features)
    _check_room((_booth_item(b) for b in booths), _existing(fair, features), bottom, right)
    db.session.add_all(booths)
    db.session.flush()
    db.session.refresh(fair, ["booths"])
    audit.record(
        actor,
        "fair.plan_block_add",
        "fair",
        fair.id,
        organization_id=fair.organization_id,
        details={
            "block": letter,
            "codes": [b.code for b in booths],
            "booth_type_id": booth_type.id,
            "size_kind": size_kind,
            "at": [row, col],
        },
    )
    _offer_to_waitlist(fair, booth_type.id)
    db.session.flush()
    return booths


def _offer_to_waitlist(fair: Fair, booth_type_id: int) -> None:
    """New booths go first to co-ops already waiting for their booth type."""
    from marketplace.services.fairs import _notify_application, _promote_waitlist

    promoted = []
    while (nxt := _promote_waitlist(fair, booth_type_id)) is not None:
        promoted.append(nxt)
        db.session.flush()
    for application in promoted:
        _notify_application(application, "promoted")


def add_feature(
    actor: Actor,
    fair_id: int,
    *,
    kind: str,
    row: int | None,
    col: int | None,
    width: int | None,
    height: int | None,
    label: str = "",
) -> MapFeature:
    """An aisle, the entrance, an exit or the stage, as a rectangle of cells."""
    fair = _plan_fair(actor, fair_id)
    features = _features(fair.id)
    errors: dict[str, object] = {}
    if kind not in FEATURE_KINDS:
        errors["kind"] = _l("Choose an aisle, the entrance, an exit or the stage.")
    _check_position(row, col, errors)
    if not _bounded(width, 1, MAX_GRID):
        errors["width"] = _l("Between 1 and %(max)s cells.", max=MAX_GRID)
    if not _bounded(height, 1, MAX_GRID):
        errors["height"] = _l("Between 1 and %(max)s cells.", max=MAX_GRID)
    if errors:
        raise ValidationFailed(errors)
    assert row is not None and col is not None and width is not None and height is not None
    feature = MapFeature(
        fair_id=fair.id,
        kind=kind,
        row=row,
        col=col,
        width=width,
        height=height,
        label=" ".join((label or "").split())[:60] or None,
    )
    bottom, right = _bounds(features)
    _check_room([_feature_item(feature)], _existing(fair, features), bottom, right)
    db.session.add(feature)
    db.session.flush()
    audit.record(
        actor,
        "fair.plan_feature_add",
        "fair",
        fair.id,
        organization_id=fair.organization_id,
        details={"kind": kind, "at": [row, col], "size": [width, height]},
    )
    db.session.flush()
    return feature


def set_grid(actor: Actor, fair_id: int, *, rows: int | None, cols: int | None) -> MapFeature:
    """The floor's size in cells; refused if something on the plan would fall outside."""
    fair = _plan_fair(actor, fair_id)
    features = _features(fair.id)
    errors: dict[str, object] = {}
    if not _bounded(rows, 1, MAX_GRID):
        errors["grid_rows"] = _l("Between 1 and %(max)s cells.", max=MAX_GRID)
    if not _bounded(cols, 1, MAX_GRID):
        errors["grid_cols"] = _l("Between 1 and %(max)s cells.", max=MAX_GRID)
    if errors:
        raise ValidationFailed(errors)
    assert rows is not None and cols is not None
    existing = _existing(fair, features)
    _check_room(existing, [], rows, cols)
    hall = next((f for f in features if f.kind == HALL), None)
    before = [hall.height, hall.width] if hall else None
    if hall is None:
        hall = MapFeature(fair_id=fair.id, kind=HALL, row=0, col=0)
        db.session.add(hall)
    hall.height, hall.width = rows, cols
    db.session.flush()
    audit.record(
        actor,
        "fair.plan_grid",
        "fair",
        fair.id,
        organization_id=fair.organization_id,
        details={"before": before, "after": [rows, cols]},
    )
    db.session.flush()
    return hall


def _applications_on(fair_id: int, booth_ids: set[int]) -> dict[int, FairApplication]:
    """Live applications holding (booth_id) or preferring one of ``booth_ids``, by booth."""
    if not booth_ids:
        return {}
    found: dict[int, FairApplication] = {}
    for application in db.session.scalars(
        select(FairApplication).where(
            FairApplication.fair_id == fair_id, FairApplication.status.in_(ACTIVE)
        )
    ):
        for booth_id in (application.booth_id, application.preferred_booth_id):
            if booth_id in booth_ids:
                found.setdefault(booth_id, application)
    return found


def remove_item(actor: Actor, fair_id: int, item: str) -> str:
    """Remove a booth ("booth-<id>"), a whole block ("block-<letter>") or a feature
    ("feature-<id>"). A booth held or taken by an application stays. Returns what went."""
    from marketplace.services.fairs import held_booth_ids

    fair = _plan_fair(actor, fair_id)
    kind, _sep, key = (item or "").partition("-")
    if kind == "feature":
        feature = db.session.get(MapFeature, int(key)) if key.isdigit() else None
        if feature is None or feature.fair_id != fair.id or feature.kind == HALL:
            raise NotFound("map feature")
        name = str(KIND_LABELS.get(feature.kind, feature.kind))
        db.session.delete(feature)
        details: dict[str, object] = {"feature": feature.kind, "at": [feature.row, feature.col]}
    elif kind in ("booth", "block"):
        if kind == "booth":
            gone = [b for b in fair.booths if key.isdigit() and b.id == int(key)]
        else:
            gone = [b for b in fair.booths if b.code[:1] == key.upper() and _number(b.code)]
        if not gone:
            raise NotFound("booth")
        held = held_booth_ids(fair.id)
        taken = [b.code for b in gone if b.id in held]
        if taken:
            raise ValidationFailed(
                {
                    "plan": _l(
                        "%(codes)s is held or taken by a co-op and cannot be removed.",
                        codes=", ".join(taken),
                    )
                }
            )
        letter = gone[0].code[0]
        name = ", ".join(b.code for b in gone) if kind == "booth" else letter
        for booth in gone:
            fair.booths.remove(booth)
            db.session.delete(booth)
        db.session.flush()
        renumbered = _renumber(fair, letter) if kind == "booth" else {}
        details = {"booths": [b.code for b in gone], "renumbered": renumbered}
    else:
        raise NotFound("plan item")
    db.session.flush()
    audit.record(
        actor,
        "fair.plan_remove",
        "fair",
        fair.id,
        organization_id=fair.organization_id,
        details=details,
    )
    db.session.flush()
    return name


def _renumber(fair: Fair, letter: str) -> dict[str, str]:
    """Number a changed block again in reading order, unless an application holds, owns or
    prefers one of its booths (then every code stays as it is)."""
    block = sorted(
        (b for b in fair.booths if b.code[0] == letter and _number(b.code)),
        key=lambda b: (b.row, b.col),
    )
    if _applications_on(fair.id, {b.id for b in block}):
        return {}
    wanted = {b.id: f"{letter}{n:02d}" for n, b in enumerate(block, start=1)}
    moved = {b.code: wanted[b.id] for b in block if b.code != wanted[b.id]}
    if not moved:
        return {}
    for booth in block:  # two steps, as the codes are unique within the fair
        booth.code = f"~{booth.id}"[:8]
    db.session.flush()
    for booth in block:
        booth.code = wanted[booth.id]
    db.session.flush()
    return moved


def next_free_row(fair: Fair) -> int:
    """The first grid row below everything on the plan."""
    features = [f for f in _features(fair.id) if f.kind != HALL]
    return max((t.row + t.height for t in [*fair.booths, *features]), default=0)


def add_booths_of_type(fair: Fair, booth_type: BoothType, count: int) -> list[Booth]:
    """``count`` more standard booths of a type (a booth type's number raised on its form),
    in a row below the plan, in the type's last block (or a new one); the caller holds
    the fair's lock."""
    features = _features(fair.id)
    of_type = sorted(
        (b for b in fair.booths if b.booth_type_id == booth_type.id), key=lambda b: b.id
    )
    used = {b.code[0] for b in fair.booths}
    letter = (
        of_type[-1].code[0]
        if of_type
        else next((x for x in string.ascii_uppercase if x not in used), "")
    )
    numbers = [n for b in fair.booths if b.code[0] == letter and (n := _number(b.code))]
    start = max(numbers, default=0) + 1
    if not letter or start + count - 1 > 99:
        raise ValidationFailed(
            {"booths": _l("There is no room for more booths: add a block on the floor plan.")}
        )
    row = next_free_row(fair)
    booths = [
        Booth(
            fair_id=fair.id,
            booth_type_id=booth_type.id,
            code=f"{letter}{start + n:02d}",
            row=row,
            col=n,
            size_kind="standard",
            width=1,
            height=1,
        )
        for n in range(count)
    ]
    bottom, right = _bounds(features)
    try:
        _check_room((_booth_item(b) for b in booths), _existing(fair, features), bottom, right)
    except ValidationFailed:
        raise ValidationFailed(
            {"booths": _l("There is no room for more booths: add a block on the floor plan.")}
        ) from None
    db.session.add_all(booths)
    db.session.flush()
    db.session.refresh(fair, ["booths"])
    return booths


# --- drawing ----------------------------------------------------------------------------------

#: A booth's state as a screen reader says it.
STATE_LABELS = {"free": _l("available"), "held": _l("on hold"), "taken": _l("taken")}
#: How many colours the booth types cycle through on the drawing.
TYPE_COLOURS = 6


@dataclass(frozen=True)
class DrawnBooth:
    booth: Booth
    state: str  # "free", "held" or "taken"
    colour: int
    type_name: str
    owner: str

    @property
    def label(self) -> str:
        """What a screen reader says: "Gian A03, góc, loại Tiêu chuẩn, còn trống"."""
        return str(
            _l(
                "Booth %(code)s, %(size)s, type %(type)s, %(state)s",
                code=self.booth.code,
                size=SIZE_LABELS.get(self.booth.size_kind, self.booth.size_kind),
                type=self.type_name,
                state=STATE_LABELS[self.state],
            )
        ) + (f", {self.owner}" if self.owner else "")


@dataclass(frozen=True)
class Drawing:
    plan: FloorPlan
    booths: list[DrawnBooth]
    #: (booth type, its colour, its fee).
    types: list[tuple[BoothType, int]]
    feature_kinds: list[str]
    size_kinds: list[str]


def drawing(
    fair: Fair, held: set[int] | None = None, owners: dict[int, str] | None = None
) -> Drawing:
    """What the floor plan partial draws: each booth with its state and its type's colour."""
    from marketplace.services.fairs import held_booth_ids

    plan = floor_plan(fair)
    held = held_booth_ids(fair.id) if held is None else held
    owners = owners or {}
    colours = {t.id: n % TYPE_COLOURS for n, t in enumerate(fair.booth_types)}
    names = {t.id: t.name for t in fair.booth_types}
    booths = [
        DrawnBooth(
            b,
            "taken" if b.id in owners else ("held" if b.id in held else "free"),
            colours.get(b.booth_type_id, 0),
            names.get(b.booth_type_id, ""),
            owners.get(b.id, ""),
        )
        for b in sorted(plan.booths, key=lambda b: (b.row, b.col))
    ]
    return Drawing(
        plan,
        booths,
        [(t, colours[t.id]) for t in fair.booth_types],
        sorted({f.kind for f in plan.features}, key=FEATURE_KINDS.index),
        sorted({b.size_kind for b in plan.booths if b.size_kind != "standard"}),
    )
