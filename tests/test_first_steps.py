"""A buyer's and an organiser's first steps lead to verification before the things that need it:
the checklist asks for the legal details, the address and the sending for verification; the
request-for-quotes form and a draft fair say so before anyone fills them in. A published fair is
said to be published (a published product is "on sale")."""

from __future__ import annotations

import re

from marketplace.extensions import db
from marketplace.models import Organization, OrgKind, VerificationStatus
from marketplace.services.accounts import profiles
from tests.factories import (
    actor_for,
    fair_data,
    jpeg,
    listing_data,
    location_id,
    login,
    make_person,
    open_fair,
    settle,
    verified_buyer,
    verified_coop,
    verified_organiser,
)


def _checklist(client, person) -> str:
    page = client.get(f"/orgs/{person.organization_id}").get_data(as_text=True)
    if 'id="start-checklist"' not in page:
        return ""
    begin = page.index('id="start-checklist"')
    return page[begin : page.index("</ol>", begin)]


def _fill_identity_and_address(client, person) -> None:
    org = person.organization_id
    response = client.post(
        f"/orgs/{org}/profile/identity",
        data={
            "name": "Bếp Ăn Trường Xanh",
            "legal_name": "Công ty TNHH Bếp Ăn Trường Xanh",
            "tax_code": "0109876543",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post(
        f"/orgs/{org}/profile/address",
        data={"province": "Hà Nội", "commune": "Phường Láng", "street": "1 Láng Hạ"},
    )
    assert response.status_code == 302


def test_a_new_buyer_is_led_to_its_profile_and_to_sending_it(app, client):
    buyer = make_person(app, kind=OrgKind.BUYER)
    org = buyer.organization_id
    login(client, buyer)
    items = _checklist(client, buyer)
    # The legal details and the address come first, each a link to its form that opens.
    assert items.index(f'href="/orgs/{org}/profile/identity"') < items.index(
        f'href="/orgs/{org}/profile/address"'
    )
    assert items.index(f'href="/orgs/{org}/profile/address"') < items.index(
        f'href="/orgs/{org}/rfqs/new"'
    )
    for href in re.findall(r'href="(/[^"]+)"', items):
        assert client.get(href.split("#")[0]).status_code == 200, href
    # Not ready yet: "send for verification" leads to what is missing.
    assert f'href="/orgs/{org}/profile#missing"' in items
    assert "/profile/submit" not in items

    _fill_identity_and_address(client, buyer)
    items = _checklist(client, buyer)
    assert f"/orgs/{org}/profile/identity" not in items
    assert f"/orgs/{org}/profile/address" not in items
    # Ready: the step is a button that sends the profile.
    assert f'action="/orgs/{org}/profile/submit"' in items
    assert client.post(f"/orgs/{org}/profile/submit").status_code == 302
    with app.app_context():
        status = db.session.get_one(Organization, org).verification_status
    assert status is VerificationStatus.SUBMITTED
    items = _checklist(client, buyer)
    assert "/profile/submit" not in items and "profile#missing" not in items


def test_the_request_form_says_an_unverified_buyer_must_be_verified_first(app, client):
    buyer = make_person(app, kind=OrgKind.BUYER)
    login(client, buyer)
    page = client.get(f"/orgs/{buyer.organization_id}/rfqs/new").get_data(as_text=True)
    assert 'id="verify-first"' in page
    assert "phải được xác minh trước khi gửi yêu cầu báo giá" in page
    assert f'href="/orgs/{buyer.organization_id}/profile"' in page

    verified = verified_buyer(app, name="Siêu thị Đã Xác Minh")
    client.post("/logout")
    login(client, verified)
    page = client.get(f"/orgs/{verified.organization_id}/rfqs/new").get_data(as_text=True)
    assert 'id="verify-first"' not in page


def test_an_organisers_checklist_and_its_draft_fair_lead_to_verification(app, client):
    organiser = make_person(app, kind=OrgKind.FAIR_ORGANIZER)
    org = organiser.organization_id
    login(client, organiser)
    items = _checklist(client, organiser)
    for link in ("profile/identity", "profile/address", "profile/bank", "fairs/new"):
        assert f'href="/orgs/{org}/{link}"' in items, link
    assert items.index("fairs/new") < items.index("profile#missing")
    with app.app_context():
        from marketplace.services import fairs

        fair_id = fairs.create_fair(actor_for(organiser), org, fair_data()).id
        settle()
    page = client.get(f"/fairs/{fair_id}/manage").get_data(as_text=True)
    # No publish button that would be refused; what to do instead, with its link.
    assert f'action="/fairs/{fair_id}/publish"' not in page
    assert 'id="verify-first"' in page
    assert "Chỉ đơn vị tổ chức đã xác minh mới được công bố hội chợ." in page
    # Publishing by hand is still refused (never a 500).
    assert client.post(f"/fairs/{fair_id}/publish").status_code in (302, 422)


def test_a_verified_organisers_draft_fair_offers_publishing(app, client):
    organiser = verified_organiser(app)
    login(client, organiser)
    with app.app_context():
        from marketplace.services import fairs

        fair_id = fairs.create_fair(actor_for(organiser), organiser.organization_id, fair_data()).id
        settle()
    page = client.get(f"/fairs/{fair_id}/manage").get_data(as_text=True)
    assert f'action="/fairs/{fair_id}/publish"' in page
    assert 'id="verify-first"' not in page


def test_a_buyer_whose_profile_was_sent_has_only_what_follows_left(app, client):
    buyer = make_person(app, kind=OrgKind.BUYER)
    with app.app_context():
        me = actor_for(buyer)
        profiles.save_identity(
            me,
            buyer.organization_id,
            None,
            profiles.Identity(
                name="Quán Cơm", legal_name="Hộ kinh doanh Quán Cơm", tax_code="0101234567"
            ),
        )
        profiles.save_address(
            me, buyer.organization_id, None, province="Hà Nội", commune="Phường Láng", street="3"
        )
        settle()
    login(client, buyer)
    items = _checklist(client, buyer)
    assert "profile/identity" not in items and "profile/address" not in items
    assert f'action="/orgs/{buyer.organization_id}/profile/submit"' in items


def test_a_published_fair_is_said_published_not_on_sale(app, client):
    organiser = verified_organiser(app)
    fair_id, _type_id = open_fair(app, organiser)
    login(client, organiser)
    page = client.get(f"/fairs/{fair_id}/manage").get_data(as_text=True)
    assert "Đã công bố" in page
    assert "Đang bán" not in page
    page = client.get(f"/orgs/{organiser.organization_id}/fairs").get_data(as_text=True)
    assert "Đã công bố" in page
    client.post("/lang", data={"lang": "en"})
    assert "Published" in client.get(f"/fairs/{fair_id}/manage").get_data(as_text=True)


def test_a_buyers_only_delivery_location_is_chosen_in_the_request_form(app, client):
    buyer = verified_buyer(app, name="Bếp Một Địa Điểm", location="Bếp chính")
    login(client, buyer)
    url = f"/orgs/{buyer.organization_id}/rfqs/new"
    with app.app_context():
        only = location_id(buyer)
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'<option selected value="{only}">Bếp chính</option>', page)
    # With a second place there is nothing to guess: the buyer chooses.
    with app.app_context():
        profiles.add_delivery_location(
            actor_for(buyer),
            buyer.organization_id,
            name="Kho phụ",
            province="Hà Nội",
            commune="Phường Láng",
            street="5 Láng Hạ",
        )
        settle()
    page = client.get(url).get_data(as_text=True)
    assert '<option selected value="">' in page
    assert not re.search(r'<option selected value="\d+">', page)


def test_while_the_profile_is_checked_each_kind_is_told_what_follows(app, client):
    buyer = make_person(app, kind=OrgKind.BUYER)
    organiser = make_person(app, kind=OrgKind.FAIR_ORGANIZER)
    with app.app_context():
        for person in (buyer, organiser):
            db.session.get_one(
                Organization, person.organization_id
            ).verification_status = VerificationStatus.SUBMITTED
        settle()
    login(client, buyer)
    page = client.get(f"/orgs/{buyer.organization_id}").get_data(as_text=True)
    assert "gửi yêu cầu báo giá tới các hợp tác xã và ký hợp đồng" in page
    assert "tham gia hội chợ" not in page
    client.post("/logout")
    login(client, organiser)
    page = client.get(f"/orgs/{organiser.organization_id}").get_data(as_text=True)
    assert "công bố hội chợ và nhận đơn đăng ký của các hợp tác xã" in page
    assert "ký hợp đồng" not in page
    client.post("/lang", data={"lang": "en"})
    page = client.get(f"/orgs/{organiser.organization_id}").get_data(as_text=True)
    assert "can publish its fairs and take co-ops" in page


def test_a_verified_co_op_with_only_a_draft_is_asked_to_publish_it(app, client):
    coop = verified_coop(app, organization_name="HTX Nháp Đầu Tiên")
    org = coop.organization_id
    with app.app_context():
        from marketplace.services.catalogue import listings

        draft = listings.create_listing(actor_for(coop), org, listing_data()).id
        settle()
    login(client, coop)
    items = _checklist(client, coop)
    assert f'href="/orgs/{org}/listings"' in items
    assert "Đăng bán sản phẩm đầu tiên" in items
    assert client.get(f"/orgs/{org}/listings").status_code == 200
    # Once one is published, the step is done and leaves the list.
    with app.app_context():
        from marketplace.services.catalogue import listings

        me = actor_for(coop)
        listings.add_photo(me, org, draft, jpeg(64, 48))
        listings.change_state(me, org, draft, "publish")
        settle()
    items = _checklist(client, coop)
    assert "Đăng bán sản phẩm đầu tiên" not in items
    assert f'href="/orgs/{org}/listings"' not in items


def test_a_co_op_drafting_before_verification_is_not_asked_to_publish(app, client):
    coop = make_person(app)
    with app.app_context():
        from marketplace.services.catalogue import listings

        listings.create_listing(actor_for(coop), coop.organization_id, listing_data())
        settle()
    login(client, coop)
    items = _checklist(client, coop)
    assert "Đăng bán sản phẩm đầu tiên" not in items
    assert "/listings/new" not in items
