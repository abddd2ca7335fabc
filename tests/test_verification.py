"""Profiles, certificates and the verification state machine, at the service level."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    AuditEntry,
    Certificate,
    Organization,
    OrgKind,
    Role,
    User,
    VerificationReview,
    VerificationStatus,
)
from marketplace.services.accounts import certificates, organizations, profiles, verification
from marketplace.services.accounts.verification import TRANSITIONS, next_status
from marketplace.services.context import Actor
from marketplace.services.errors import (
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from marketplace.vietnam import today
from tests.factories import PDF_BYTES, add_member, admin_actor, fill_coop_profile, make_person

S = VerificationStatus


def actor_for(person) -> Actor:
    return Actor(user=db.session.get_one(User, person.id), ip="127.0.0.1")


def org(person) -> Organization:
    return db.session.get_one(Organization, person.organization_id)


def test_the_transition_table():
    assert next_status(S.DRAFT, "submit") is S.SUBMITTED
    assert next_status(S.CHANGES_REQUESTED, "submit") is S.SUBMITTED
    for action in ("approve", "request_changes", "reject"):
        assert (S.SUBMITTED, action) in TRANSITIONS
        with pytest.raises(TransitionNotAllowed):
            next_status(S.DRAFT, action)
    for action in ("submit", "approve", "request_changes", "reject"):
        with pytest.raises(TransitionNotAllowed):
            next_status(S.REJECTED, action)
        with pytest.raises(TransitionNotAllowed):
            next_status(S.APPROVED, action)


def test_a_new_co_op_sees_everything_missing_with_reasons(app):
    person = make_person(app)
    with app.app_context():
        missing = verification.missing_for_submission(org(person))
        fields = {m.field for m in missing}
        assert {"legal_name", "tax_code", "registration_document_key", "story_vi"} <= fields
        assert all(str(m.reason) for m in missing)
        with pytest.raises(ValidationFailed) as exc:
            verification.submit(actor_for(person), person.organization_id)
        assert set(exc.value.errors) == fields


def test_buyers_have_a_lighter_profile(app):
    person = make_person(app, kind=OrgKind.BUYER)
    with app.app_context():
        fields = {m.field for m in verification.missing_for_submission(org(person))}
    assert fields == {"legal_name", "tax_code", "province_code", "commune", "street"}


def test_full_verification_cycle_with_changes_and_emails(app, mailbox):
    owner = make_person(app, locale="en")
    colleague = add_member(app, owner.organization_id, Role.STAFF)
    boss = admin_actor(app)
    fill_coop_profile(app, owner)
    with app.app_context():
        organization = verification.submit(actor_for(owner), owner.organization_id)
        assert organization.verification_status is S.SUBMITTED
        assert organization.submitted_at is not None
        # Under review, the profile is frozen.
        with pytest.raises(ValidationFailed) as exc:
            profiles.save_story(
                actor_for(owner), owner.organization_id, None, story_vi="x", story_en=""
            )
        assert "status" in exc.value.errors
        with pytest.raises(TransitionNotAllowed):
            verification.submit(actor_for(owner), owner.organization_id)
        with pytest.raises(PermissionDenied):
            verification.approve(actor_for(owner), owner.organization_id)
        with pytest.raises(ValidationFailed):
            verification.request_changes(actor_for(boss), owner.organization_id, {"tax_code": " "})
        verification.request_changes(
            actor_for(boss), owner.organization_id, {"tax_code": "Mã số thuế không khớp giấy phép"}
        )
        assert org(owner).verification_status is S.CHANGES_REQUESTED
        review = verification.latest_review(actor_for(boss), owner.organization_id)
        assert review.field_notes == {"tax_code": "Mã số thuế không khớp giấy phép"}
    # Both members were told, each in their own language.
    assert "asks for changes" in mailbox.to(owner.email)[-1]["Subject"]
    assert "đề nghị bổ sung" in mailbox.to(colleague.email)[-1]["Subject"]
    assert "Mã số thuế không khớp" in mailbox.body(mailbox.to(owner.email)[-1])
    # Fields are named in the reader's language, not by their code names.
    assert "- Tax code: Mã số thuế không khớp" in mailbox.body(mailbox.to(owner.email)[-1])
    assert "- Mã số thuế: Mã số thuế không khớp" in mailbox.body(mailbox.to(colleague.email)[-1])
    with app.app_context():
        profiles.save_identity(
            actor_for(owner),
            owner.organization_id,
            None,
            profiles.Identity(
                name="HTX Sâm Lai Châu",
                legal_name="HTX Sâm",
                registration_number="6201234567",
                tax_code="6201234568",
                founded_on=date(2016, 3, 8),
            ),
        )
        verification.submit(actor_for(owner), owner.organization_id)
        verification.approve(actor_for(boss), owner.organization_id, note="Đã gọi xác nhận")
        approved = org(owner)
        assert approved.is_verified and approved.verified_at is not None
        assert verification.can_trade(approved)
        actions = set(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.organization_id == owner.organization_id)
            )
        )
        assert {
            "organization.submit",
            "organization.request_changes",
            "organization.approve",
        } <= actions
        assert db.session.scalar(select(func.count()).select_from(VerificationReview)) == 2
        # Verified legal details are locked; the story is not.
        with pytest.raises(ValidationFailed) as exc:
            profiles.save_identity(
                actor_for(owner),
                owner.organization_id,
                None,
                profiles.Identity(
                    name="HTX Sâm Lai Châu", legal_name="Tên khác", tax_code="6201234568"
                ),
            )
        assert "legal_name" in exc.value.errors
        profiles.save_story(
            actor_for(owner), owner.organization_id, None, story_vi="Mới", story_en="New"
        )
    assert "is verified" in mailbox.to(owner.email)[-1]["Subject"]


def test_rejection_is_final(app):
    owner = make_person(app)
    boss = admin_actor(app)
    fill_coop_profile(app, owner)
    with app.app_context():
        verification.submit(actor_for(owner), owner.organization_id)
        with pytest.raises(ValidationFailed):
            verification.reject(actor_for(boss), owner.organization_id, note=" ")
        verification.reject(actor_for(boss), owner.organization_id, note="Giấy phép giả")
        with pytest.raises(TransitionNotAllowed):
            verification.submit(actor_for(owner), owner.organization_id)
        with pytest.raises(ValidationFailed):
            profiles.save_story(
                actor_for(owner), owner.organization_id, None, story_vi="x", story_en=""
            )
        assert not verification.can_trade(org(owner))


def test_queue_is_oldest_first_and_admin_only(app):
    first, second = make_person(app), make_person(app)
    boss = admin_actor(app)
    fill_coop_profile(app, first)
    fill_coop_profile(app, second)
    with app.app_context():
        verification.submit(actor_for(second), second.organization_id)
        verification.submit(actor_for(first), first.organization_id)
        queue = verification.queue(actor_for(boss))
        assert [o.id for o in queue.organizations] == [
            second.organization_id,
            first.organization_id,
        ]
        with pytest.raises(PermissionDenied):
            verification.queue(actor_for(first))


def test_bad_profile_input_is_refused_and_nothing_is_saved(app):
    owner = make_person(app)
    with app.app_context():
        me = actor_for(owner)
        with pytest.raises(ValidationFailed) as exc:
            profiles.save_identity(
                me,
                owner.organization_id,
                None,
                profiles.Identity(
                    name="HTX", legal_name="HTX A", tax_code="12345", founded_on=date(2999, 1, 1)
                ),
                registration_document=b"MZ\x90\x00 an executable",
            )
        assert set(exc.value.errors) == {"tax_code", "founded_on", "registration_document"}
        assert org(owner).legal_name is None and org(owner).registration_document_key is None
        with pytest.raises(ValidationFailed) as exc:
            profiles.save_address(
                me, owner.organization_id, None, province="Atlantis", commune="x", street="y"
            )
        assert "province" in exc.value.errors
        profiles.save_address(
            me, owner.organization_id, None, province="Hà Giang", commune="Xã A", street="Thôn B"
        )
        assert org(owner).province_code == "tuyen-quang"
        with pytest.raises(ValidationFailed) as exc:
            profiles.save_people(
                me,
                owner.organization_id,
                None,
                representative_name="A",
                representative_position="B",
                representative_phone="123",
                member_count="mười",
                area_hectares="ba",
            )
        assert set(exc.value.errors) == {"representative_phone", "member_count", "area_hectares"}


def test_a_stale_form_is_noticed_but_a_double_submission_is_harmless(app):
    owner = make_person(app)
    with app.app_context():
        me = actor_for(owner)
        version = org(owner).version
        first = profiles.Identity(name="HTX A", legal_name="Hợp tác xã A")
        profiles.save_identity(me, owner.organization_id, version, first)
        # The same form sent twice (double tap): same values, nothing to lose.
        profiles.save_identity(me, owner.organization_id, version, first)
        # A different change made from the old form would overwrite the first one.
        with pytest.raises(profiles.StaleForm) as exc:
            profiles.save_identity(
                me, owner.organization_id, version, profiles.Identity(name="HTX B", legal_name="B")
            )
        assert exc.value.current_version == version + 1
        assert org(owner).legal_name == "Hợp tác xã A"


def test_staff_cannot_edit_and_outsiders_cannot_see(app):
    owner = make_person(app)
    staff = add_member(app, owner.organization_id, Role.STAFF)
    outsider = make_person(app)
    with app.app_context():
        with pytest.raises(PermissionDenied):
            profiles.save_story(
                actor_for(staff), owner.organization_id, None, story_vi="x", story_en=""
            )
        with pytest.raises(NotFound):
            profiles.save_story(
                actor_for(outsider), owner.organization_id, None, story_vi="x", story_en=""
            )


def _cert(
    kind="vietgap", issued=date(2024, 1, 1), expires=date(2027, 1, 1), number="VG-2024-01", **extra
):
    return certificates.CertificateData(
        kind=kind,
        number=number,
        issuer="Trung tâm Kiểm định",
        issued_on=issued,
        expires_on=expires,
        **extra,
    )


def test_certificate_rules(app):
    owner = make_person(app)
    with app.app_context():
        me = actor_for(owner)
        with pytest.raises(ValidationFailed) as exc:
            certificates.add_certificate(
                me, owner.organization_id, _cert(expires=date(2023, 1, 1)), PDF_BYTES
            )
        assert "expires_on" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            certificates.add_certificate(
                me, owner.organization_id, _cert(kind="ocop", ocop_stars=6), PDF_BYTES
            )
        assert set(exc.value.errors) == {"ocop_stars", "product_name"}
        with pytest.raises(ValidationFailed) as exc:
            certificates.add_certificate(me, owner.organization_id, _cert(), b"\x7fELF not a pdf")
        assert "document" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            certificates.add_certificate(me, owner.organization_id, _cert(), None)
        assert "document" in exc.value.errors
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
        cert = certificates.add_certificate(
            me,
            owner.organization_id,
            _cert(kind="ocop", ocop_stars=4, product_name="Rượu sâm Lai Châu"),
            PDF_BYTES,
        )
        assert cert.status is S.SUBMITTED and cert.document_key.startswith(
            f"private/orgs/{owner.organization_id}/certificates/"
        )
        # The same form sent a second time adds nothing.
        with pytest.raises(ValidationFailed) as exc:
            certificates.add_certificate(
                me,
                owner.organization_id,
                _cert(kind="ocop", ocop_stars=4, product_name="Rượu sâm Lai Châu"),
                PDF_BYTES,
            )
        assert "number" in exc.value.errors
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_a_certificate_stops_counting_on_the_day_it_expires(app):
    owner = make_person(app)
    boss = admin_actor(app)
    day = today()
    with app.app_context():
        me = actor_for(owner)
        expiring = certificates.add_certificate(
            me,
            owner.organization_id,
            _cert(issued=day - timedelta(days=700), expires=day + timedelta(days=1)),
            PDF_BYTES,
        )
        pending = certificates.add_certificate(
            me, owner.organization_id, _cert(number="VG-2024-02"), PDF_BYTES
        )
        verification.review_certificate(actor_for(boss), expiring.id, "approve")
        valid = verification.valid_certificates
        assert [c.id for c in valid(owner.organization_id)] == [expiring.id]
        assert [c.id for c in valid(owner.organization_id, on=day + timedelta(days=1))] == []
        assert expiring.is_valid_on(day) and not expiring.is_valid_on(day + timedelta(days=1))
        assert pending.id not in [c.id for c in valid(owner.organization_id)]


def test_certificate_review_and_correction(app, mailbox):
    owner = make_person(app)
    boss = admin_actor(app)
    with app.app_context():
        me = actor_for(owner)
        cert = certificates.add_certificate(me, owner.organization_id, _cert(), PDF_BYTES)
        with pytest.raises(ValidationFailed):
            verification.review_certificate(actor_for(boss), cert.id, "request_changes", " ")
        with pytest.raises(PermissionDenied):
            verification.review_certificate(me, cert.id, "approve")
        verification.review_certificate(actor_for(boss), cert.id, "request_changes", "Ảnh mờ")
        assert cert.status is S.CHANGES_REQUESTED
        certificates.update_certificate(me, owner.organization_id, cert.id, _cert(), PDF_BYTES)
        assert cert.status is S.SUBMITTED
        verification.review_certificate(actor_for(boss), cert.id, "approve")
        with pytest.raises(ValidationFailed):
            certificates.update_certificate(me, owner.organization_id, cert.id, _cert(), None)
        with pytest.raises(TransitionNotAllowed):
            verification.review_certificate(actor_for(boss), cert.id, "reject", "muộn rồi")
    assert "Ảnh mờ" in mailbox.body(mailbox.to(owner.email)[0])


def test_last_owner_cannot_step_down_or_leave(app):
    owner = make_person(app)
    staff = add_member(app, owner.organization_id, Role.STAFF)
    with app.app_context():
        from marketplace.models import Membership

        ids = {m.user_id: m.id for m in db.session.scalars(select(Membership))}
        me = actor_for(owner)
        with pytest.raises(ValidationFailed):
            organizations.change_role(me, owner.organization_id, ids[owner.id], Role.MANAGER)
        with pytest.raises(ValidationFailed):
            organizations.remove_member(me, owner.organization_id, ids[owner.id])
        with pytest.raises(PermissionDenied):
            organizations.change_role(
                actor_for(staff), owner.organization_id, ids[staff.id], Role.OWNER
            )
        with pytest.raises(PermissionDenied):
            organizations.remove_member(actor_for(staff), owner.organization_id, ids[owner.id])
        organizations.change_role(me, owner.organization_id, ids[staff.id], Role.OWNER)
        organizations.change_role(
            me, owner.organization_id, ids[owner.id], Role.MANAGER
        )  # now allowed
        organizations.remove_member(
            actor_for(owner), owner.organization_id, ids[owner.id]
        )  # leaving
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 1
