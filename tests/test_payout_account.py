"""The payout bank account: an onboarding step for co-ops and fair organisers, required before
submission, and a reminder on every page while an organisation has none."""

import html
import re

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AuditEntry, Organization, OrgKind, Role, VerificationStatus
from marketplace.services.accounts import verification
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.services.payments import transfers
from tests.factories import (
    actor_for,
    add_member,
    count_queries,
    fill_coop_profile,
    login,
    make_person,
    settle,
    verified_coop,
)

GOOD = {"bin": "970449", "account": "0071 0012 3456 7", "holder": "HTX NONG SAN SAM"}


def _org(app, person) -> Organization:
    with app.app_context():
        organization = db.session.get_one(Organization, person.organization_id)
        db.session.expunge(organization)
        return organization


def _without_bank_account(app, person) -> None:
    """An organisation that has none (as every organisation made before the step had)."""
    with app.app_context():
        organization = db.session.get_one(Organization, person.organization_id)
        organization.bank_bin = None
        organization.bank_account_number = None
        organization.bank_account_name = None
        settle()


def _selected(page: str) -> str | None:
    """The value of the bank select's chosen option."""
    options = page[page.index('<select id="bin"') :].split("</select>", 1)[0]
    found = re.search(r'<option selected value="(\d+)"', options)
    return found[1] if found else None


def _step(person) -> str:
    return f"/orgs/{person.organization_id}/profile/bank"


# --- the service -----------------------------------------------------------------------------


def test_saving_strips_separators_keeps_the_holder_as_typed_and_is_audited(app):
    owner = make_person(app)
    with app.app_context():
        transfers.save_bank_account(
            actor_for(owner),
            owner.organization_id,
            bin="970449",
            account=" 0071.0012-3456 7 ",
            holder="HTX Nông sản Sâm",
        )
        settle()
        organization = db.session.get_one(Organization, owner.organization_id)
        assert (
            organization.bank_bin,
            organization.bank_account_number,
            organization.bank_account_name,
        ) == ("970449", "0071001234567", "HTX Nông sản Sâm")
        event = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "organization.bank_account",
                AuditEntry.organization_id == owner.organization_id,
            )
        )
        assert event.details == {"bin": "970449", "account": "4567"}


@pytest.mark.parametrize(
    ("account", "message"),
    [
        ("0071 0012 3456 7A", "“0071 0012 3456 7A” có chữ cái hoặc ký tự khác"),
        ("12345", "từ 6 đến 19 chữ số"),
        ("", "Nhập số tài khoản."),
    ],
)
def test_a_bad_account_number_is_refused_and_nothing_changes(app, account, message):
    owner = make_person(app)
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            transfers.save_bank_account(
                actor_for(owner), owner.organization_id, **GOOD | {"account": account}
            )
        assert set(exc.value.errors) == {"account"}
        assert message in str(exc.value.errors["account"])
        db.session.rollback()
        assert db.session.get_one(Organization, owner.organization_id).bank_bin is None


def test_only_owners_and_managers_of_the_organisation_may_save_it(app):
    owner = make_person(app)
    staff = add_member(app, owner.organization_id, Role.STAFF)
    outsider = make_person(app)
    with app.app_context():
        with pytest.raises(PermissionDenied):
            transfers.save_bank_account(actor_for(staff), owner.organization_id, **GOOD)
        with pytest.raises(NotFound):
            transfers.save_bank_account(actor_for(outsider), owner.organization_id, **GOOD)


def test_submission_needs_a_bank_account_for_co_ops_and_organisers_only(app):
    coop = make_person(app)
    fill_coop_profile(app, coop)
    _without_bank_account(app, coop)
    organiser = make_person(app, kind=OrgKind.FAIR_ORGANIZER)
    buyer = make_person(app, kind=OrgKind.BUYER)
    with app.app_context():
        for person, expected in ((coop, True), (organiser, True), (buyer, False)):
            organization = db.session.get_one(Organization, person.organization_id)
            fields = {m.field for m in verification.missing_for_submission(organization)}
            assert (verification.BANK_ACCOUNT in fields) is expected
        with pytest.raises(ValidationFailed) as exc:
            verification.submit(actor_for(coop), coop.organization_id)
        assert set(exc.value.errors) == {verification.BANK_ACCOUNT}
        db.session.rollback()
        transfers.save_bank_account(actor_for(coop), coop.organization_id, **GOOD)
        verification.submit(actor_for(coop), coop.organization_id)
        settle()
        assert (
            db.session.get_one(Organization, coop.organization_id).verification_status
            is VerificationStatus.SUBMITTED
        )


# --- the step --------------------------------------------------------------------------------


def test_the_step_saves_the_account_and_leads_back_to_the_overview(app, client):
    owner = make_person(app)
    login(client, owner)
    page = client.get(_step(owner)).get_data(as_text=True)
    assert "Tài khoản ngân hàng nhận tiền" in page
    assert "chuyển khoản VietQR thẳng vào tài khoản này" in page  # why it is asked
    assert "LPBank · Ngân hàng TMCP Lộc Phát Việt Nam" in page
    assert "ví dụ HTX NONG SAN SAM" in page
    response = client.post(_step(owner), data=GOOD | {"version": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orgs/{owner.organization_id}/profile")
    organization = _org(app, owner)
    assert (organization.bank_bin, organization.bank_account_number) == ("970449", "0071001234567")
    # Shown again as saved, and the previous step now continues to it.
    page = client.get(_step(owner)).get_data(as_text=True)
    assert 'value="0071001234567"' in page and _selected(page) == "970449"
    story = client.post(
        f"/orgs/{owner.organization_id}/profile/story",
        data={"version": str(organization.version), "story_vi": "Sâm dưới tán rừng.", "next": "1"},
    )
    assert story.headers["Location"].endswith("/profile/bank")


def test_a_bad_account_number_keeps_what_was_typed(app, client):
    owner = make_person(app)
    login(client, owner)
    typed = {"bin": "970452", "account": "0071 0012 3456 7A", "holder": "HTX NONG SAN SAM"}
    response = client.post(_step(owner), data=typed | {"version": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="0071 0012 3456 7A"' in page
    assert 'value="HTX NONG SAN SAM"' in page and _selected(page) == "970452"
    assert "“0071 0012 3456 7A” có chữ cái hoặc ký tự khác" in html.unescape(page)
    assert 'aria-invalid="true"' in page
    assert _org(app, owner).bank_bin is None


def test_no_bank_chosen_is_refused_next_to_the_field(app, client):
    owner = make_person(app)
    login(client, owner)
    response = client.post(_step(owner), data=GOOD | {"bin": "999999", "version": "1"})
    assert response.status_code == 422
    assert "Chọn ngân hàng" in response.get_data(as_text=True)


def test_who_may_open_the_step(app, client):
    owner = make_person(app)
    staff = add_member(app, owner.organization_id, Role.STAFF)
    outsider = make_person(app)
    buyer = make_person(app, kind=OrgKind.BUYER)
    organiser = make_person(app, kind=OrgKind.FAIR_ORGANIZER)
    anonymous = client.get(_step(owner))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for person, url, status, saved in (
        (outsider, _step(owner), 404, 404),
        (staff, _step(owner), 403, 403),
        (buyer, _step(buyer), 404, 404),  # buyers are not paid: no such step
        (organiser, _step(organiser), 200, 302),
    ):
        visitor = app.test_client()
        login(visitor, person)
        assert visitor.get(url).status_code == status
        assert visitor.post(url, data=GOOD | {"version": "1"}).status_code == saved
    assert _org(app, owner).bank_bin is None


def test_the_overview_lists_the_step_and_links_the_missing_account(app, client):
    owner = make_person(app)
    fill_coop_profile(app, owner)
    _without_bank_account(app, owner)
    login(client, owner)
    page = client.get(f"/orgs/{owner.organization_id}/profile").get_data(as_text=True)
    missing = page[page.index('id="missing"') :]
    assert re.search(r'<a href="[^"]*/profile/bank"><strong>Tài khoản ngân hàng nhận tiền', missing)
    assert "Gửi xác minh" not in page  # nothing to send yet
    # Sending anyway is refused with the list.
    client.post(f"/orgs/{owner.organization_id}/profile/submit")
    assert _org(app, owner).verification_status is VerificationStatus.DRAFT
    buyer = make_person(app, kind=OrgKind.BUYER)
    other = app.test_client()
    login(other, buyer)
    buyer_page = other.get(f"/orgs/{buyer.organization_id}/profile").get_data(as_text=True)
    assert "/profile/bank" not in buyer_page


# --- the reminder ----------------------------------------------------------------------------


def test_the_reminder_shows_for_members_of_a_payee_without_an_account(app, client):
    owner = make_person(app)
    staff = add_member(app, owner.organization_id, Role.STAFF)
    login(client, owner)
    page = client.get("/").get_data(as_text=True)
    assert "Thêm tài khoản ngân hàng để người mua thanh toán cho bạn." in page
    assert f'href="/orgs/{owner.organization_id}/profile/bank"' in page
    # Not on the page where it is being added.
    assert "payout-banner" not in client.get(_step(owner)).get_data(as_text=True)
    helper = app.test_client()
    login(helper, staff)
    staff_page = helper.get("/orgs/").get_data(as_text=True)
    assert "Hãy nhờ chủ tổ chức thêm tài khoản ngân hàng" in staff_page
    assert "/profile/bank" not in staff_page  # no link they cannot use
    client.post(_step(owner), data=GOOD | {"version": "1"})
    assert "payout-banner" not in client.get("/").get_data(as_text=True)


def test_the_reminder_is_not_for_buyers_visitors_or_payees_with_an_account(app, client):
    assert "payout-banner" not in client.get("/").get_data(as_text=True)
    for person in (make_person(app, kind=OrgKind.BUYER), verified_coop(app)):
        visitor = app.test_client()
        login(visitor, person)
        assert "payout-banner" not in visitor.get("/").get_data(as_text=True)


def test_the_reminder_costs_no_query_of_its_own(app, client):
    with_account = verified_coop(app)
    without = verified_coop(app)
    _without_bank_account(app, without)
    counts = []
    for person in (with_account, without):
        visitor = app.test_client()
        login(visitor, person)
        visitor.get("/orgs/")  # warm up
        with count_queries(app) as statements:
            page = visitor.get("/orgs/").get_data(as_text=True)
        counts.append(len(statements))
    assert "payout-banner" in page
    assert counts[0] == counts[1]


def test_an_organiser_is_told_exhibitors_pay_into_it(app, client):
    organiser = make_person(app, kind=OrgKind.FAIR_ORGANIZER)
    login(client, organiser)
    page = client.get(f"/orgs/{organiser.organization_id}/profile").get_data(as_text=True)
    assert "Thêm tài khoản ngân hàng để đơn vị tham gia hội chợ thanh toán cho bạn." in page
    step = client.get(_step(organiser)).get_data(as_text=True)
    assert "chuyển khoản VietQR phí gian hàng thẳng vào tài khoản này" in step
