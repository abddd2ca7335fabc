"""Demo trade fairs for `flask seed-demo`: one past (with check-ins), one open for
applications (some booths taken), one in preparation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Badge, Fair, Membership, User
from marketplace.services import fair_gate, fair_plan, fairs
from marketplace.services.context import Actor
from marketplace.vietnam import today

ORGANISER_EMAIL = "hoicho@demo.lienminhhtx.vn"
EXHIBITORS = [
    ("sam.laichau@demo.chohtx.vn", "Vàng A Sính", "0912 345 678"),
    ("che.shantuyet@demo.chohtx.vn", "Hoàng Thị Mai", "0987 654 321"),
    ("matong.mocchau@demo.chohtx.vn", "Lò Văn Thắng", "0356 112 233"),
    ("chaca.halong@demo.chohtx.vn", "Phạm Thu Hà", "0904 556 677"),
]


def _actor(email: str) -> tuple[Actor, int]:
    user = db.session.scalar(select(User).where(User.email == email))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    return Actor(user=user), membership.organization_id


def _fair(
    organiser: Actor, org_id: int, name: str, *, starts_in: int, rows: list[tuple[str, int]]
) -> Fair:
    day = today()
    fair = fairs.create_fair(
        organiser,
        org_id,
        fairs.FairData(
            name_vi=name,
            description_vi="Hội chợ giới thiệu sản phẩm OCOP và nông sản của các hợp tác xã.",
            venue="Quảng trường Nhân dân",
            province="Lai Châu",
            starts_on=day + timedelta(days=starts_in),
            ends_on=day + timedelta(days=starts_in + 3),
            applications_open_on=day - timedelta(days=5),
            applications_close_on=day + timedelta(days=starts_in - 5),
            full_refund_until=day + timedelta(days=starts_in - 10),
        ),
    )
    standard = fairs.add_booth_type(
        organiser,
        fair.id,
        name="Tiêu chuẩn 3×3 m",
        size="3×3 m",
        fee="2.500.000",
        includes="1 bàn, 2 ghế, điện 500 W",
    )
    corner = fairs.add_booth_type(
        organiser,
        fair.id,
        name="Góc 3×6 m",
        size="3×6 m",
        fee="4.800.000",
        includes="2 bàn, 4 ghế, điện 1 kW",
    )
    # The floor plan: the stage at the top, then each row of booths after an aisle, and the
    # entrance at the bottom.
    width = max(count for _letter, count in rows)
    fair_plan.set_grid(organiser, fair.id, rows=2 * len(rows) + 3, cols=width)
    fair_plan.add_feature(
        organiser,
        fair.id,
        kind="stage",
        row=0,
        col=max(0, width // 2 - 2),
        width=min(4, width),
        height=1,
    )
    for n, (letter, count) in enumerate(rows):
        fair_plan.add_feature(
            organiser, fair.id, kind="aisle", row=1 + 2 * n, col=0, width=width, height=1
        )
        fair_plan.add_block(
            organiser,
            fair.id,
            booth_type_id=(corner if letter == "A" else standard).id,
            row=2 + 2 * n,
            col=0,
            rows=1,
            cols=count,
            letter=letter,
            size_kind="corner" if letter == "A" else "standard",
        )
    bottom = 1 + 2 * len(rows)
    fair_plan.add_feature(
        organiser, fair.id, kind="aisle", row=bottom, col=0, width=width, height=1
    )
    fair_plan.add_feature(
        organiser,
        fair.id,
        kind="entrance",
        row=bottom + 1,
        col=max(0, width // 2 - 1),
        width=min(2, width),
        height=1,
    )
    return fair


def seed_fairs() -> None:
    organiser, org_id = _actor(ORGANISER_EMAIL)
    if db.session.scalar(select(Fair.id).where(Fair.organization_id == org_id)):
        return
    # Open for applications: two booths taken (paid), one held, one application waiting.
    open_fair = _fair(
        organiser,
        org_id,
        "Hội chợ OCOP Lai Châu mùa xuân",
        starts_in=40,
        rows=[("A", 4), ("B", 10), ("C", 10)],
    )
    fairs.publish_fair(organiser, open_fair.id)
    # A past fair: created, filled and checked in, then moved to its real dates.
    past = _fair(
        organiser, org_id, "Phiên chợ nông sản Tây Bắc", starts_in=20, rows=[("A", 2), ("B", 8)]
    )
    fairs.publish_fair(organiser, past.id)
    standard_open = open_fair.booth_types[0].id
    standard_past = past.booth_types[0].id
    for n, (email, contact, phone) in enumerate(EXHIBITORS):
        coop, coop_id = _actor(email)
        for fair, booth_type_id in ((open_fair, standard_open), (past, standard_past)):
            application = fairs.apply(
                coop,
                coop_id,
                fair.id,
                fairs.ApplicationData(
                    booth_type_id=booth_type_id, contact_name=contact, contact_phone=phone
                ),
            )
            if fair is open_fair and n == 3:
                continue  # waiting for review
            fairs.review(organiser, application.id, "accept")
            if fair is open_fair and n == 2:
                continue  # held, fee due
            fairs.mark_paid(organiser, application.id)
            if fair is past:
                code = db.session.scalar(
                    select(Badge.code).where(Badge.application_id == application.id)
                )
                # Checked in before the fair is moved to its past days: allowed explicitly.
                fair_gate.scan(organiser, fair.id, code, device="Cổng 1", allow_outside_dates=True)
    day = today()
    past.starts_on, past.ends_on = day - timedelta(days=60), day - timedelta(days=58)
    past.applications_open_on, past.applications_close_on = (
        day - timedelta(days=120),
        day - timedelta(days=70),
    )
    past.full_refund_until = day - timedelta(days=80)
    db.session.commit()
    # In preparation: not published yet.
    _fair(organiser, org_id, "Hội chợ Hàng Việt Điện Biên 2027", starts_in=120, rows=[("A", 6)])
