"""The one loader services authorise with, and the readers of an organisation's private data:
each refuses an outsider."""

import pytest

from marketplace.models import OrgKind, Role
from marketplace.services import fairs
from marketplace.services.accounts import organizations, profiles, verification
from marketplace.services.catalogue import listings
from marketplace.services.context import Actor
from marketplace.services.deals.rules import party
from marketplace.services.errors import NotFound, PermissionDenied
from marketplace.services.permissions import member_of, member_or_admin
from tests.factories import (
    actor_for,
    add_member,
    admin_actor,
    application,
    make_person,
    open_fair,
    published_listing,
    verified_buyer,
    verified_coop,
    verified_organiser,
)


def test_member_of_answers_by_membership_kind_and_role(app):
    owner = make_person(app)
    staff = add_member(app, owner.organization_id, Role.STAFF)
    manager = add_member(app, owner.organization_id, Role.MANAGER)
    outsider = make_person(app)
    org_id = owner.organization_id
    with app.app_context():
        membership = member_of(actor_for(owner), org_id, Role.OWNER, OrgKind.COOP)
        assert membership.role is Role.OWNER and membership.organization.id == org_id
        assert member_of(actor_for(manager), org_id, Role.MANAGER).role is Role.MANAGER
        assert member_of(actor_for(staff), org_id, kind=OrgKind.COOP).role is Role.STAFF
        with pytest.raises(NotFound):  # not a member
            member_of(actor_for(outsider), org_id)
        with pytest.raises(NotFound):  # a member, but the organisation is of another kind
            member_of(actor_for(owner), org_id, kind=OrgKind.BUYER)
        with pytest.raises(NotFound):  # the kind is checked before the role
            member_of(actor_for(staff), org_id, Role.MANAGER, OrgKind.FAIR_ORGANIZER)
        with pytest.raises(PermissionDenied):  # role too low
            member_of(actor_for(staff), org_id, Role.MANAGER)
        with pytest.raises(PermissionDenied):
            member_of(actor_for(manager), org_id, Role.OWNER)
        with pytest.raises(PermissionDenied):  # not logged in
            member_of(Actor.system(), org_id)


def test_member_or_admin_lets_an_admin_see_any_organisation(app):
    owner = make_person(app)
    staff = add_member(app, owner.organization_id, Role.STAFF)
    outsider = make_person(app)
    boss = admin_actor(app)
    org_id = owner.organization_id
    with app.app_context():
        assert member_or_admin(actor_for(boss), org_id).id == org_id
        assert member_or_admin(actor_for(boss), org_id, Role.OWNER, OrgKind.COOP).id == org_id
        assert member_or_admin(actor_for(owner), org_id, Role.OWNER).id == org_id
        with pytest.raises(NotFound):
            member_or_admin(actor_for(boss), 987654)
        with pytest.raises(NotFound):
            member_or_admin(actor_for(boss), org_id, kind=OrgKind.BUYER)
        with pytest.raises(NotFound):
            member_or_admin(actor_for(outsider), org_id)
        with pytest.raises(PermissionDenied):
            member_or_admin(actor_for(staff), org_id, Role.MANAGER)
        with pytest.raises(PermissionDenied):
            member_or_admin(Actor.system(), org_id)


def test_party_is_the_loader_for_either_side_of_a_deal(app):
    coop = make_person(app)
    buyer = make_person(app, kind=OrgKind.BUYER)
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    outsider = make_person(app)
    with app.app_context():
        ids = (buyer.organization_id, coop.organization_id)
        assert party(actor_for(buyer), *ids, Role.MANAGER).side.value == "buyer"
        assert party(actor_for(coop), *ids).side.value == "coop"
        assert party(actor_for(coop_staff), *ids).organization_id == coop.organization_id
        with pytest.raises(PermissionDenied):
            party(actor_for(coop_staff), *ids, Role.MANAGER)
        with pytest.raises(NotFound):
            party(actor_for(outsider), *ids)


def test_fair_readers_refuse_outsiders(app):
    organiser = verified_organiser(app)
    organiser_staff = add_member(app, organiser.organization_id, Role.STAFF)
    coop = verified_coop(app)
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    other_coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
    with app.app_context():
        staff, outsider = actor_for(organiser_staff), actor_for(other_coop)
        assert [f.id for f in fairs.fairs_of(staff, organiser.organization_id)] == [fair_id]
        assert len(fairs.applications_of_fair(staff, fair_id)) == 1
        assert fairs.arrivals(staff, fair_id) == (0, 0)
        assert len(fairs.applications_of_coop(actor_for(coop_staff), coop.organization_id)) == 1
        for reader, args in (
            (fairs.fairs_of, (organiser.organization_id,)),
            (fairs.applications_of_fair, (fair_id,)),
            (fairs.arrivals, (fair_id,)),
            (fairs.applications_of_coop, (coop.organization_id,)),
        ):
            with pytest.raises(NotFound):
                reader(outsider, *args)
        # The wrong kind of organisation is no way in either.
        with pytest.raises(NotFound):
            fairs.fairs_of(actor_for(coop), coop.organization_id)
        with pytest.raises(NotFound):
            fairs.applications_of_coop(actor_for(organiser), organiser.organization_id)
        # The public side of a fair shows confirmed exhibitors only.
        assert fairs.exhibition(fairs.public_fair_by_id(fair_id)).exhibitors == []


def test_organisation_readers_refuse_outsiders(app):
    buyer = verified_buyer(app)
    buyer_staff = add_member(app, buyer.organization_id, Role.STAFF)
    outsider = make_person(app)
    boss = admin_actor(app)
    org_id = buyer.organization_id
    with app.app_context():
        staff = actor_for(buyer_staff)
        assert [loc.name for loc in profiles.delivery_locations(staff, org_id)] == [
            "Cửa hàng Láng Hạ"
        ]
        assert len(organizations.members(staff, org_id)) == 2
        assert len(organizations.members(actor_for(boss), org_id)) == 2
        assert verification.latest_review(staff, org_id) is not None
        assert verification.latest_review(actor_for(boss), org_id) is not None
        assert verification.certificates_of(staff, org_id) == []
        assert organizations.open_invitations(actor_for(buyer), org_id) == []
        page = organizations.dashboard(staff, org_id)
        assert not page.can_manage and page.invitations == [] and len(page.members) == 2
        with pytest.raises(PermissionDenied):
            organizations.open_invitations(staff, org_id)
        for reader in (
            profiles.delivery_locations,
            organizations.members,
            organizations.open_invitations,
            organizations.dashboard,
            verification.latest_review,
            verification.certificates_of,
        ):
            with pytest.raises(NotFound):
                reader(actor_for(outsider), org_id)
        with pytest.raises(PermissionDenied):
            verification.organization_for_review(staff, org_id)
        assert verification.organization_for_review(actor_for(boss), org_id).id == org_id


def test_lots_of_a_listing_are_for_its_coop(app):
    coop = verified_coop(app)
    outsider = verified_coop(app)
    listing_id, _slug = published_listing(app, coop)
    with app.app_context():
        assert listings.lots_of(actor_for(coop), coop.organization_id, listing_id) == []
        with pytest.raises(NotFound):
            listings.lots_of(actor_for(outsider), coop.organization_id, listing_id)
        with pytest.raises(NotFound):
            listings.lots_of(actor_for(outsider), outsider.organization_id, listing_id)


def test_trade_pages_are_for_members_of_a_buyer_or_co_op(app):
    from marketplace.services.deals.rules import trading_member

    coop = make_person(app)
    buyer = verified_buyer(app)
    organiser = verified_organiser(app)
    with app.app_context():
        assert trading_member(actor_for(coop), coop.organization_id).role is Role.OWNER
        assert trading_member(actor_for(buyer), buyer.organization_id).role is Role.OWNER
        with pytest.raises(NotFound):  # an organiser has no trade
            trading_member(actor_for(organiser), organiser.organization_id)
        with pytest.raises(NotFound):  # not a member
            trading_member(actor_for(coop), buyer.organization_id)


def test_orders_from_a_listing_are_placed_for_a_buyer_the_actor_manages(app):
    from marketplace.services.deals.rules import ordering_buyer

    buyer = verified_buyer(app)
    staff = add_member(app, buyer.organization_id, Role.STAFF)
    coop = make_person(app)
    with app.app_context():
        assert ordering_buyer(actor_for(buyer)).organization_id == buyer.organization_id
        assert ordering_buyer(actor_for(staff)) is None  # staff follow deliveries, not order
        assert ordering_buyer(actor_for(coop)) is None  # a co-op is not a buyer
        with pytest.raises(PermissionDenied):
            ordering_buyer(Actor.system())
