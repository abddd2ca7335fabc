"""Organisations: dashboard, invitations (send, accept, sign up to accept, withdraw)."""

import re

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AuditEntry, Invitation, Membership, Role, User
from marketplace.services.accounts import organizations
from marketplace.services.context import Actor
from tests.factories import TEST_PASSWORD, add_member, login, make_person


def invitation_path(mailbox, email: str) -> str:
    body = mailbox.body(mailbox.to(email)[-1])
    return re.search(r"http://localhost(/invitations/\S+)", body).group(1)


def test_owner_sees_members_and_can_invite(app, client, mailbox):
    owner = make_person(app, organization_name="HTX Chè Shan Tuyết")
    login(client, owner)
    page = client.get(f"/orgs/{owner.organization_id}").get_data(as_text=True)
    assert "HTX Chè Shan Tuyết" in page and owner.email in page and "Mời đồng nghiệp" in page
    response = client.post(
        f"/orgs/{owner.organization_id}/invitations",
        data={"email": "Mai@Vidu.vn", "role": "manager"},
    )
    assert response.status_code == 302
    message = mailbox.to("mai@vidu.vn")[-1]
    # The organisation's name (chosen by whoever signed up) stays out of the subject.
    assert message["Subject"] == "Lời mời tham gia một đơn vị trên Chợ HTX"
    assert "HTX Chè Shan Tuyết" in mailbox.body(message)
    page = client.get(f"/orgs/{owner.organization_id}").get_data(as_text=True)
    assert "mai@vidu.vn" in page
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "organization.invite")
        )
        assert entry.organization_id == owner.organization_id and entry.actor_id == owner.id


def test_invite_bad_input_keeps_what_was_typed(app, client):
    owner = make_person(app)
    login(client, owner)
    response = client.post(
        f"/orgs/{owner.organization_id}/invitations",
        data={"email": "khong-hop-le", "role": "staff"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="khong-hop-le"' in page and "email hợp lệ" in page
    response = client.post(
        f"/orgs/{owner.organization_id}/invitations", data={"email": owner.email, "role": "staff"}
    )
    assert response.status_code == 422 and "đã là thành viên" in response.get_data(as_text=True)
    response = client.post(
        f"/orgs/{owner.organization_id}/invitations", data={"email": "a@vidu.vn", "role": "emperor"}
    )
    assert response.status_code == 422


def test_manager_cannot_invite_an_owner_and_staff_cannot_invite(app, client):
    owner = make_person(app)
    manager = add_member(app, owner.organization_id, Role.MANAGER)
    staff = add_member(app, owner.organization_id, Role.STAFF)
    login(client, manager)
    response = client.post(
        f"/orgs/{owner.organization_id}/invitations", data={"email": "x@vidu.vn", "role": "owner"}
    )
    assert response.status_code == 422 and "Chỉ chủ sở hữu" in response.get_data(as_text=True)
    client.post("/logout")
    login(client, staff)
    page = client.get(f"/orgs/{owner.organization_id}").get_data(as_text=True)
    assert "Mời đồng nghiệp" not in page
    response = client.post(
        f"/orgs/{owner.organization_id}/invitations", data={"email": "x@vidu.vn", "role": "staff"}
    )
    assert response.status_code == 403


def test_existing_user_accepts_an_invitation(app, client, mailbox):
    owner = make_person(app)
    colleague = make_person(app, kind=None, email="binh@vidu.vn")
    with app.app_context():
        organizations.invite_member(
            Actor(user=db.session.get_one(User, owner.id)),
            owner.organization_id,
            "binh@vidu.vn",
            Role.STAFF,
        )
    path = invitation_path(mailbox, "binh@vidu.vn")
    page = client.get(path).get_data(as_text=True)
    assert "Đăng nhập để đồng ý" in page
    login(client, colleague)
    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/orgs/{owner.organization_id}"
    assert client.get(f"/orgs/{owner.organization_id}").status_code == 200
    again = client.post(path)
    assert again.status_code == 400 and "đã được sử dụng" in again.get_data(as_text=True)


def test_invitation_for_someone_else_is_refused(app, client, mailbox):
    owner = make_person(app)
    stranger = make_person(app)
    login(client, owner)
    client.post(
        f"/orgs/{owner.organization_id}/invitations", data={"email": "c@vidu.vn", "role": "staff"}
    )
    path = invitation_path(mailbox, "c@vidu.vn")
    client.post("/logout")
    login(client, stranger)
    assert "Bạn đang đăng nhập bằng" in client.get(path).get_data(as_text=True)
    assert client.post(path).status_code == 403
    with app.app_context():
        assert (
            db.session.scalar(
                select(Membership).where(
                    Membership.user_id == stranger.id,
                    Membership.organization_id == owner.organization_id,
                )
            )
            is None
        )


def test_new_person_signs_up_from_the_invitation_and_joins(app, client, mailbox):
    owner = make_person(app, organization_name="HTX Mắc Ca Tủa Chùa")
    login(client, owner)
    client.post(
        f"/orgs/{owner.organization_id}/invitations",
        data={"email": "moi@vidu.vn", "role": "manager"},
    )
    client.post("/logout")
    path = invitation_path(mailbox, "moi@vidu.vn")
    assert "Tạo tài khoản để đồng ý" in client.get(path).get_data(as_text=True)
    bad = client.post(
        path + "/signup",
        data={"name": "Quàng Văn Pánh", "phone": "", "password": "1", "confirm": "1"},
    )
    assert bad.status_code == 422 and 'value="Quàng Văn Pánh"' in bad.get_data(as_text=True)
    response = client.post(
        path + "/signup",
        data={
            "name": "Quàng Văn Pánh",
            "phone": "",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302
    page = client.get(f"/orgs/{owner.organization_id}").get_data(as_text=True)
    assert "Quàng Văn Pánh" in page
    with app.app_context():
        m = db.session.scalar(
            select(Membership)
            .join(Membership.user)
            .where(
                Membership.organization_id == owner.organization_id, Membership.role == Role.MANAGER
            )
        )
        assert m.user.email == "moi@vidu.vn"
    # The invitation can no longer be used to sign up.
    assert client.get(path + "/signup").status_code == 400


def test_withdrawn_invitation_stops_working(app, client, mailbox):
    owner = make_person(app)
    login(client, owner)
    client.post(
        f"/orgs/{owner.organization_id}/invitations", data={"email": "d@vidu.vn", "role": "staff"}
    )
    path = invitation_path(mailbox, "d@vidu.vn")
    with app.app_context():
        invitation_id = db.session.scalar(
            select(Invitation.id).where(Invitation.email == "d@vidu.vn")
        )
    response = client.post(f"/orgs/{owner.organization_id}/invitations/{invitation_id}/revoke")
    assert response.status_code == 302
    assert client.get(path).status_code == 400


def test_a_new_invitation_replaces_the_open_one(app, client, mailbox):
    owner = make_person(app)
    login(client, owner)
    client.post(
        f"/orgs/{owner.organization_id}/invitations", data={"email": "e@vidu.vn", "role": "staff"}
    )
    first = invitation_path(mailbox, "e@vidu.vn")
    client.post(
        f"/orgs/{owner.organization_id}/invitations", data={"email": "e@vidu.vn", "role": "manager"}
    )
    second = invitation_path(mailbox, "e@vidu.vn")
    assert first != second
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


def test_my_organisations_lists_every_membership(app, client):
    owner = make_person(app, organization_name="HTX Một")
    other = make_person(app, organization_name="HTX Hai")
    member = add_member(app, owner.organization_id, Role.STAFF)
    with app.app_context():
        db.session.add(
            Membership(user_id=member.id, organization_id=other.organization_id, role=Role.MANAGER)
        )
        db.session.commit()
    login(client, member)
    page = client.get("/orgs/").get_data(as_text=True)
    assert "HTX Một" in page and "HTX Hai" in page


def _invite(app, person, email: str):
    with app.app_context():
        return organizations.invite_member(
            Actor(user=db.session.get_one(User, person.id)),
            person.organization_id,
            email,
            Role.STAFF,
        ).id


def test_an_unverified_organisation_sends_a_few_invitations_a_day(app):
    import pytest

    from marketplace.services.errors import ValidationFailed

    owner = make_person(app)  # signed up, never verified
    for n in range(organizations.INVITATIONS_PER_DAY[False]):
        _invite(app, owner, f"dong-nghiep{n}@vidu.vn")
    with pytest.raises(ValidationFailed) as exc:
        _invite(app, owner, "nguoi-la@vidu.vn")
    assert "email" in exc.value.errors
    with app.app_context():
        assert (
            db.session.scalar(
                select(db.func.count())
                .select_from(Invitation)
                .where(Invitation.organization_id == owner.organization_id)
            )
            == organizations.INVITATIONS_PER_DAY[False]
        )


def test_one_address_gets_a_few_invitations_a_day_from_everyone(app):
    import pytest

    from marketplace.services.errors import ValidationFailed

    senders = [make_person(app) for _ in range(organizations.INVITATIONS_PER_ADDRESS_PER_DAY + 1)]
    for sender in senders[:-1]:
        _invite(app, sender, "nan-nhan@vidu.vn")
    with pytest.raises(ValidationFailed) as exc:
        _invite(app, senders[-1], "Nan-Nhan@vidu.vn")
    assert "email" in exc.value.errors


def test_an_unwanted_invitation_is_reported_and_stops_working(app, client, mailbox):
    from marketplace.models import Invitation as Inv

    admin = make_person(app, kind=None, admin=True)
    owner = make_person(app, organization_name="Ngân hàng gọi bạn: xác minh tại evil.example")
    invitation_id = _invite(app, owner, "nguoi-nhan@vidu.vn")
    body = mailbox.body(mailbox.to("nguoi-nhan@vidu.vn")[-1])
    report = re.search(r"http://localhost(/invitations/report/\S+)", body).group(1)
    accept = invitation_path(mailbox, "nguoi-nhan@vidu.vn")

    page = client.get(report)  # anyone with the email may report, no account needed
    assert page.status_code == 200 and "nguoi-nhan@vidu.vn" in page.get_data(as_text=True)
    with app.app_context():  # opening the page changes nothing
        assert db.session.get_one(Inv, invitation_id).revoked_at is None
    response = client.post(report, data={"note": "Lừa đảo"})
    assert response.status_code == 200
    assert "Cảm ơn bạn đã báo cho chúng tôi" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get_one(Inv, invitation_id).revoked_at is not None
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "invitation.report")
        ).all()
        assert [e.details["note"] for e in entries] == ["Lừa đảo"]
    [alert] = mailbox.to(admin.email)
    assert "evil.example" not in alert["Subject"] and "nguoi-nhan@vidu.vn" in mailbox.body(alert)
    assert client.get(accept).status_code == 400  # the invitation no longer works
    client.post(report, data={"note": "again"})  # reporting twice changes nothing more
    with app.app_context():
        assert (
            db.session.scalar(
                select(db.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "invitation.report")
            )
            == 1
        )
    assert client.get("/invitations/report/not-a-token").status_code == 400
