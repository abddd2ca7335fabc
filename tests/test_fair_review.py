"""Reviewing fair applications with the co-op in view (services.fair_review): what the
review page reads, and decisions for many applications at once."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import ApplicationStatus as A
from marketplace.models import Badge, Booth, Fair, FairApplication
from marketplace.models._types import utcnow
from marketplace.models.verification import Certificate
from marketplace.services import fair_review, fairs
from marketplace.services.accounts import certificates, verification
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.vietnam import today
from tests.factories import (
    PDF_BYTES,
    actor_for,
    admin_actor,
    application,
    audits,
    published_listing,
    settle,
    verified_coop,
    verified_organiser,
)
from tests.factories import open_fair as _open_fair


def open_fair(app, organiser, booths=2, corner=0, **overrides):
    """A published fair with ``booths`` standard booths (A01…) and ``corner`` corner booths
    (B01…) of the type "Góc": (fair id, standard type id, corner type id or None)."""
    fair_id, type_id = _open_fair(app, organiser, booths, **overrides)
    corner_id = None
    if corner:
        with app.app_context():
            me = actor_for(organiser)
            corner_type = fairs.add_booth_type(
                me, fair_id, name="Góc", size="3×6 m", fee="3.000.000"
            )
            fairs.add_booth_row(me, fair_id, letter="B", count=corner, booth_type_id=corner_type.id)
            corner_id = corner_type.id
            settle()
    return fair_id, type_id, corner_id


def booth_id(fair_id: int, code: str) -> int:
    return db.session.scalar(select(Booth.id).where(Booth.fair_id == fair_id, Booth.code == code))


def apply(app, coop, fair_id, type_id, **overrides) -> int:
    with app.app_context():
        applied = fairs.apply(
            actor_for(coop), coop.organization_id, fair_id, application(type_id, **overrides)
        )
        applied_id = applied.id
        settle()
        return applied_id


def add_certificate(app, coop, boss, kind, stars=None, expired=False) -> int:
    with app.app_context():
        cert = certificates.add_certificate(
            actor_for(coop),
            coop.organization_id,
            certificates.CertificateData(
                kind=kind,
                number=f"{kind}-{stars}-{expired}",
                issuer="UBND tỉnh Lai Châu",
                issued_on=date(2023, 1, 1),
                expires_on=today() + timedelta(days=300),
                ocop_stars=stars,
                product_name="Rượu sâm" if kind == "ocop" else "",
            ),
            PDF_BYTES,
        )
        verification.review_certificate(actor_for(boss), cert.id, "approve")
        if expired:
            cert.expires_on = today() - timedelta(days=1)
        cert_id = cert.id
        settle()
        return cert_id


def test_the_review_page_shows_the_co_op_its_certificates_products_booth_and_other_fairs(app):
    organiser = verified_organiser(app)
    other_organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Sâm Mường Tè")
    rival = verified_coop(app, organization_name="HTX Đối Thủ")
    boss = admin_actor(app)
    fair_id, type_id, _ = open_fair(app, organiser, booths=3)
    earlier_id, earlier_type, _ = open_fair(app, organiser, name_vi="Hội chợ Xuân 2025")
    away_id, away_type, _ = open_fair(app, other_organiser, name_vi="Hội chợ Điện Biên")
    later_id, later_type, _ = open_fair(app, organiser, name_vi="Hội chợ Thu 2026")
    ocop = add_certificate(app, coop, boss, "ocop", stars=4)
    old = add_certificate(app, coop, boss, "vietgap", expired=True)
    shown, _slug = published_listing(app, coop, title_vi="Rượu sâm Mường Tè")
    with app.app_context():
        a02 = booth_id(fair_id, "A02")
    mine = apply(app, coop, fair_id, type_id, preferred_booth_id=a02, listing_ids=[shown])
    attended = apply(app, coop, earlier_id, earlier_type)
    rejected = apply(app, coop, away_id, away_type)
    apply(app, coop, later_id, later_type)
    with app.app_context():
        fairs.review(actor_for(organiser), attended, "accept")
        fairs.mark_paid(actor_for(organiser), attended)
        badge = db.session.scalar(select(Badge).where(Badge.application_id == attended))
        badge.checked_in_at = utcnow()
        fairs.review(actor_for(other_organiser), rejected, "reject", "Hết chỗ")
        # Those two were held before this fair; a later one is not among its earlier fairs.
        for earlier in (earlier_id, away_id):
            held = db.session.get_one(Fair, earlier)
            held.starts_on, held.ends_on = (
                today() - timedelta(days=60),
                today() - timedelta(days=58),
            )
        later = db.session.get_one(Fair, later_id)
        later.starts_on, later.ends_on = today() + timedelta(days=90), today() + timedelta(days=92)
        settle()

        view = fair_review.review_view(actor_for(organiser), mine)
        assert view.coop.name == "HTX Sâm Mường Tè" and view.coop.is_verified
        rows = {r.certificate.id: r for r in view.certificates}
        assert rows[ocop].valid and rows[ocop].certificate.ocop_stars == 4
        assert not rows[old].valid
        assert [x.id for x in view.listings] == [shown]
        assert view.preferred_booth.code == "A02" and view.preferred_free
        assert [b.code for b in view.free_booths] == ["A01", "A02", "A03"]
        assert [(o.fair.id, o.outcome) for o in view.with_this_organiser] == [
            (earlier_id, "attended")
        ]
        assert [(o.fair.id, o.outcome) for o in view.elsewhere] == [(away_id, "rejected")]
        assert view.actions == ["accept", "waitlist", "reject"]

        # Someone else takes the preferred booth: the page says it is no longer free.
        theirs = fairs.apply(
            actor_for(rival),
            rival.organization_id,
            fair_id,
            application(type_id, preferred_booth_id=a02),
        )
        fairs.review(actor_for(organiser), theirs.id, "accept")
        settle()
        view = fair_review.review_view(actor_for(organiser), mine)
        assert not view.preferred_free
        assert [b.code for b in view.free_booths] == ["A01", "A03"]

        # Only the fair's organiser reads it; the co-op and other organisers get NotFound.
        for outsider in (coop, other_organiser):
            with pytest.raises(NotFound):
                fair_review.review_view(actor_for(outsider), mine)
        with pytest.raises(NotFound):
            fair_review.review_view(actor_for(organiser), 999999)


def test_an_unlisted_product_is_not_shown(app):
    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Ẩn Sản Phẩm")
    fair_id, type_id, _ = open_fair(app, organiser)
    shown, _ = published_listing(app, coop, title_vi="Mật ong bạc hà")
    hidden, _ = published_listing(app, coop, title_vi="Chè Shan tuyết")
    mine = apply(app, coop, fair_id, type_id, listing_ids=[shown, hidden])
    with app.app_context():
        from marketplace.services.catalogue import listings

        listings.change_state(actor_for(coop), coop.organization_id, hidden, "pause")
        settle()
        view = fair_review.review_view(actor_for(organiser), mine)
        assert [x.id for x in view.listings] == [shown]


def test_bulk_accept_gives_each_a_booth_once_and_names_those_that_cannot_be(app):
    organiser = verified_organiser(app)
    coops = [verified_coop(app, organization_name=f"HTX Số {n}") for n in range(1, 6)]
    fair_id, type_id, corner_id = open_fair(app, organiser, booths=2, corner=1)
    with app.app_context():
        a01 = booth_id(fair_id, "A01")
        b01 = booth_id(fair_id, "B01")
    # Two prefer A01; two want the only corner booth; one was rejected already.
    first = apply(app, coops[0], fair_id, type_id, preferred_booth_id=a01)
    second = apply(app, coops[1], fair_id, type_id, preferred_booth_id=a01)
    corner_one = apply(app, coops[2], fair_id, corner_id, preferred_booth_id=b01)
    corner_two = apply(app, coops[3], fair_id, corner_id)
    decided = apply(app, coops[4], fair_id, type_id)
    with app.app_context():
        fairs.review(actor_for(organiser), decided, "reject", "Không đủ điều kiện")
        settle()
        chosen = [first, second, corner_one, corner_two, decided]
        planned = fair_review.plan(actor_for(organiser), fair_id, chosen, "accept")
        assert [(p.booth.code if p.booth else None, p.reason) for p in planned] == [
            ("A01", None),
            ("A02", None),
            ("B01", None),
            (None, "hết gian trống loại Góc"),
            (None, "đã có quyết định (bị từ chối)"),
        ]
        assert db.session.get_one(FairApplication, first).status is A.SUBMITTED
        result = fair_review.decide_many(
            actor_for(organiser),
            fair_id,
            [first, second, corner_one, corner_two, decided],
            "accept",
        )
        assert [a.id for a in result.done] == [first, second, corner_one]
        settle()
        assert [(r.name, r.reason) for r in result.refused] == [
            ("HTX Số 4", "hết gian trống loại Góc"),
            ("HTX Số 5", "đã có quyết định (bị từ chối)"),
        ]
        got = {a.id: a for a in db.session.scalars(select(FairApplication))}
        assert got[first].booth.code == "A01" and got[second].booth.code == "A02"
        assert got[corner_one].booth.code == "B01"
        # The one that could not be accepted is left exactly as it was.
        assert got[corner_two].status is A.SUBMITTED and got[corner_two].booth_id is None
        assert got[decided].status is A.REJECTED
        held = [a.booth_id for a in got.values() if a.booth_id]
        assert len(held) == len(set(held)) == 3
        # Audited per application, by the same rule as one decision.
        assert audits("fair.accept", first) == 1 and audits("fair.accept", second) == 1
        assert audits("fair.accept", corner_two) == 0


def test_bulk_reject_and_waitlist_with_bad_input(app):
    organiser = verified_organiser(app)
    other_organiser = verified_organiser(app)
    coops = [verified_coop(app, organization_name=f"HTX Loạt {n}") for n in range(1, 4)]
    fair_id, type_id, _ = open_fair(app, organiser)
    other_fair, other_type, _ = open_fair(app, other_organiser)
    one = apply(app, coops[0], fair_id, type_id)
    two = apply(app, coops[1], fair_id, type_id)
    elsewhere = apply(app, coops[2], other_fair, other_type)
    with app.app_context():
        me = actor_for(organiser)
        with pytest.raises(ValidationFailed) as exc:
            fair_review.decide_many(me, fair_id, [one, two], "reject", "  ")
        assert "note" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            fair_review.decide_many(me, fair_id, [], "waitlist")
        assert "application_ids" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            fair_review.decide_many(me, fair_id, [one], "pay")
        assert "action" in exc.value.errors
        with pytest.raises(NotFound):
            fair_review.decide_many(actor_for(other_organiser), fair_id, [one], "waitlist")

        result = fair_review.decide_many(me, fair_id, [one, elsewhere, one], "waitlist")
        assert [a.id for a in result.done] == [one]
        settle()
        assert [r.name for r in result.refused] == [f"#{elsewhere}"]
        assert db.session.get_one(FairApplication, elsewhere).status is A.SUBMITTED

        me = actor_for(organiser)
        result = fair_review.decide_many(me, fair_id, [one, two], "reject", "Hết chỗ trưng bày")
        assert {a.id for a in result.done} == {one, two}
        settle()
        for application_id in (one, two):
            rejected = db.session.get_one(FairApplication, application_id)
            assert rejected.status is A.REJECTED and rejected.decision_note == "Hết chỗ trưng bày"
            assert audits("fair.reject", application_id) == 1

        # Decided meanwhile: skipped, nothing changed.
        me = actor_for(organiser)
        result = fair_review.decide_many(me, fair_id, [one], "waitlist")
        assert not result.done and result.refused[0].name == "HTX Loạt 1"


def test_an_expired_certificate_is_listed_as_expired(app):
    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Hết Hạn")
    boss = admin_actor(app)
    fair_id, type_id, _ = open_fair(app, organiser)
    expired = add_certificate(app, coop, boss, "ocop", stars=3, expired=True)
    mine = apply(app, coop, fair_id, type_id)
    with app.app_context():
        view = fair_review.review_view(actor_for(organiser), mine)
        assert [(r.certificate.id, r.valid) for r in view.certificates] == [(expired, False)]
        assert db.session.get_one(Certificate, expired).ocop_stars == 3
