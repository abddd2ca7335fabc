"""An organisation's own page starts with its first steps, each linking to its form and listed
until it is done; it says how long verification usually takes."""

from __future__ import annotations

import re

from marketplace.models import OrgKind, Role
from marketplace.services.accounts import organizations, start
from marketplace.services.catalogue import listings
from tests.factories import (
    actor_for,
    add_member,
    count_queries,
    fill_coop_profile,
    listing_data,
    login,
    make_person,
    open_fair,
    post_rfq,
    settle,
    verified_buyer,
    verified_organiser,
)


def start_page(client, person) -> str:
    response = client.get(f"/orgs/{person.organization_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def checklist(page: str) -> str:
    """The checklist's HTML (empty when there is none)."""
    if 'id="start-checklist"' not in page:
        return ""
    begin = page.index('id="start-checklist"')
    return page[begin : page.index("</ol>", begin)]


def to_do(app, person) -> list[str]:
    with app.app_context():
        return [i.key for i in start.checklist(actor_for(person), person.organization_id).to_do]


def test_a_new_coop_lands_on_its_first_steps_after_login(app, client):
    coop = make_person(app)
    response = login(client, coop)
    assert response.headers["Location"] == f"/orgs/{coop.organization_id}"
    items = checklist(start_page(client, coop))
    org = coop.organization_id
    for link in (
        f"/orgs/{org}/profile/identity",
        f"/orgs/{org}/profile/address",
        f"/orgs/{org}/profile/people",
        f"/orgs/{org}/profile/story",
        f"/orgs/{org}/profile/bank",
        f"/orgs/{org}/certificates/new",
        f"/orgs/{org}/listings/new",
        f"/orgs/{org}/profile#missing",
    ):
        assert f'href="{link}"' in items, link
    assert "Gửi hồ sơ để xác minh" in items
    assert "2 ngày làm việc" in items
    assert to_do(app, coop) == [
        "identity",
        "address",
        "people",
        "story",
        "registration_document",
        "certificates",
        "bank",
        "first_listing",
        "submit",
    ]


def test_done_steps_leave_the_list_and_a_complete_profile_is_sent_from_it(app, client):
    coop = make_person(app)
    fill_coop_profile(app, coop)
    assert to_do(app, coop) == ["certificates", "first_listing", "submit"]
    login(client, coop)
    items = checklist(start_page(client, coop))
    assert "/profile/identity" not in items and "/profile/bank" not in items
    # Nothing is missing: the step is the button that sends it.
    assert f'action="/orgs/{coop.organization_id}/profile/submit"' in items
    with app.app_context():
        listings.create_listing(actor_for(coop), coop.organization_id, listing_data())
        settle()
    assert to_do(app, coop) == ["certificates", "submit"]
    assert client.post(f"/orgs/{coop.organization_id}/profile/submit").status_code == 302
    assert to_do(app, coop) == ["certificates"]
    page = start_page(client, coop)
    # What happens next, and how long it usually takes.
    assert "Hồ sơ đang được kiểm tra" in page and "2 ngày làm việc" in page


def test_the_expected_time_comes_from_the_configuration(app, client):
    coop = make_person(app)
    login(client, coop)
    app.config["VERIFICATION_DAYS"] = 5
    try:
        assert "5 ngày làm việc" in start_page(client, coop)
    finally:
        app.config["VERIFICATION_DAYS"] = 2


def test_staff_see_what_is_left_without_links_to_forms_they_may_not_open(app, client):
    coop = make_person(app)
    fill_coop_profile(app, coop)
    staff = add_member(app, coop.organization_id, Role.STAFF)
    login(client, staff)
    items = checklist(start_page(client, staff))
    assert "/profile/submit" not in items
    assert "Gửi hồ sơ để xác minh" in items or "xác minh" in items
    assert "chủ hoặc người quản lý của tổ chức bạn làm bước này" in items
    # No link in the list leads to a form a staff member would be refused.
    for href in re.findall(r'href="([^"]+)"', items):
        assert client.get(href.split("#")[0]).status_code == 200, href


def test_a_buyers_first_steps(app, client):
    buyer = make_person(app, kind=OrgKind.BUYER)
    assert to_do(app, buyer) == [
        "identity",
        "address",
        "locations",
        "team",
        "submit",
        "first_rfq",
    ]
    login(client, buyer)
    items = checklist(start_page(client, buyer))
    assert f'href="/orgs/{buyer.organization_id}/rfqs/new"' in items
    assert f'href="/orgs/{buyer.organization_id}/profile#locations-heading"' in items
    assert 'href="#invite-heading"' in items
    with app.app_context():
        organizations.invite_member(
            actor_for(buyer), buyer.organization_id, "dongnghiep@vidu.vn", Role.STAFF
        )
        settle()
    assert to_do(app, buyer) == ["identity", "address", "locations", "submit", "first_rfq"]


def test_a_verified_buyer_with_a_request_has_nothing_left(app, client):
    buyer = verified_buyer(app)
    add_member(app, buyer.organization_id, Role.STAFF)
    post_rfq(app, buyer)
    assert to_do(app, buyer) == []
    login(client, buyer)
    assert checklist(start_page(client, buyer)) == ""


def test_an_organisers_first_steps(app, client):
    fresh = make_person(app, kind=OrgKind.FAIR_ORGANIZER)
    assert to_do(app, fresh) == ["identity", "address", "bank", "first_fair", "submit"]
    organiser = verified_organiser(app)
    assert to_do(app, organiser) == ["first_fair"]
    login(client, organiser)
    assert f'href="/orgs/{organiser.organization_id}/fairs/new"' in checklist(
        start_page(client, organiser)
    )
    open_fair(app, organiser)
    assert to_do(app, organiser) == []


def test_the_checklist_is_for_members_only_and_takes_few_queries(app):
    coop = make_person(app)
    outsider = make_person(app)
    with app.app_context():
        from marketplace.services.errors import NotFound

        try:
            start.checklist(actor_for(outsider), coop.organization_id)
        except NotFound:
            pass
        else:
            raise AssertionError("an outsider saw another co-op's first steps")
    with app.app_context():
        me = actor_for(coop)
        me.user.id  # noqa: B018 - loaded before counting
        with count_queries(app) as statements:
            start.checklist(me, coop.organization_id)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The membership with its organisation, and one query for everything else.
    assert len(selects) <= 3, selects


def test_the_start_page_never_writes(app, client):
    coop = make_person(app)
    login(client, coop)
    with count_queries(app) as statements:
        start_page(client, coop)
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes == []
