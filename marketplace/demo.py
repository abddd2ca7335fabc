"""Vietnamese demo data for a laptop: co-ops, buyers, a fair organiser and an admin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import BuyerType, Membership, Organization, OrgKind, User
from marketplace.services.accounts import accounts, certificates, profiles, verification
from marketplace.services.context import Actor
from marketplace.services.payments import transfers
from marketplace.vietnam import today

#: A one-page PDF standing in for scanned documents in the demo.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

DEMO_PASSWORD = "chohtx-demo-2026"  # noqa: S105 - printed to the developer on purpose


@dataclass(frozen=True)
class DemoLogins:
    password: str
    accounts: list[tuple[str, str]]


#: (login label, email, person, phone, organisation kind, organisation name, buyer type)
DEMO_ACCOUNTS: list[tuple[str, str, str, str, OrgKind, str, BuyerType | None]] = [
    (
        "co-op owner (Lai Châu)",
        "sam.laichau@demo.chohtx.vn",
        "Vàng A Sính",
        "0912 345 678",
        OrgKind.COOP,
        "HTX Sâm Lai Châu Mường Tè",
        None,
    ),
    (
        "co-op owner (Tuyên Quang)",
        "che.shantuyet@demo.chohtx.vn",
        "Hoàng Thị Mai",
        "0987 654 321",
        OrgKind.COOP,
        "HTX Chè Shan Tuyết Hoàng Su Phì",
        None,
    ),
    (
        "co-op owner (Sơn La)",
        "matong.mocchau@demo.chohtx.vn",
        "Lò Văn Thắng",
        "0356 112 233",
        OrgKind.COOP,
        "HTX Mật Ong Mộc Châu",
        None,
    ),
    (
        "co-op owner (Quảng Ninh)",
        "chaca.halong@demo.chohtx.vn",
        "Phạm Thu Hà",
        "0904 556 677",
        OrgKind.COOP,
        "HTX Chả Mực, Chả Cá và Ruốc Cá Hạ Long",
        None,
    ),
    (
        "co-op owner (Lâm Đồng)",
        "dongtrung.dalat@demo.chohtx.vn",
        "Nguyễn Đức Trung",
        "0263 3822 111",
        OrgKind.COOP,
        "HTX Đông Trùng Hạ Thảo Đà Lạt",
        None,
    ),
    (
        "co-op owner (Điện Biên)",
        "macca.dienbien@demo.chohtx.vn",
        "Quàng Văn Pánh",
        "0215 3825 999",
        OrgKind.COOP,
        "HTX Mắc Ca Tủa Chùa",
        None,
    ),
    (
        "co-op owner (Hồ Chí Minh)",
        "vietgap.cuchi@demo.chohtx.vn",
        "Trần Văn Lộc",
        "0938 221 144",
        OrgKind.COOP,
        "HTX Dưa Lưới và Cà Chua VietGAP Củ Chi",
        None,
    ),
    (
        "co-op owner (Cần Thơ)",
        "gao.st25@demo.chohtx.vn",
        "Lâm Văn Hậu",
        "0299 3822 456",
        OrgKind.COOP,
        "HTX Lúa Gạo ST25 Mỹ Xuyên",
        None,
    ),
    (
        "co-op owner (Lâm Đồng, coffee)",
        "caphe.lamha@demo.chohtx.vn",
        "Nguyễn Thị Hạnh",
        "0263 3850 777",
        OrgKind.COOP,
        "HTX Cà Phê và Nông Sản Lâm Hà",
        None,
    ),
    (
        "buyer (supermarket chain)",
        "muahang@demo.xanhmart.vn",
        "Đỗ Minh Khôi",
        "0243 7654 321",
        OrgKind.BUYER,
        "Chuỗi Siêu Thị Xanh Mart",
        BuyerType.SUPERMARKET_CHAIN,
    ),
    (
        "buyer (school canteen)",
        "bepan.kimdong@demo.chohtx.vn",
        "Lê Thị Hương",
        "0972 888 555",
        OrgKind.BUYER,
        "Bếp Ăn Trường Tiểu Học Kim Đồng",
        BuyerType.CANTEEN,
    ),
    (
        "fair organiser",
        "hoicho@demo.lienminhhtx.vn",
        "Bùi Quang Vinh",
        "0913 246 810",
        OrgKind.FAIR_ORGANIZER,
        "Liên Minh HTX Tỉnh Lai Châu",
        None,
    ),
]

ADMIN_EMAIL = "admin@demo.chohtx.vn"


@dataclass(frozen=True)
class DemoProfile:
    legal_name: str
    tax_code: str
    province: str  # as a person would type it; former names are mapped
    commune: str
    street: str
    registration_number: str = ""
    founded_on: date | None = None
    position: str = "Giám đốc"
    members: str = ""
    hectares: str = ""
    story: str = ""
    #: "approved", "submitted" (waiting in the admin queue) or "draft".
    outcome: str = "approved"
    #: (kind, number, issuer, stars, product, approved?, years valid from a year ago)
    certificates: list[tuple] = field(default_factory=list)
    locations: list[tuple[str, str, str, str]] = field(default_factory=list)


DEMO_PROFILES: dict[str, DemoProfile] = {
    "sam.laichau@demo.chohtx.vn": DemoProfile(
        "Hợp tác xã Sâm Lai Châu Mường Tè",
        "6200123456",
        "Lai Châu",
        "Xã Mường Tè",
        "Bản Nậm Khao",
        "6207000123",
        date(2017, 6, 2),
        members="27",
        hectares="3",
        story="Sâm Lai Châu trồng dưới tán rừng già ở độ cao trên 1.600 m. HTX làm rượu sâm, "
        "lá sâm sấy khô và sâm ngâm mật ong.",
        certificates=[
            ("ocop", "QĐ 1234/QĐ-UBND", "UBND tỉnh Lai Châu", 4, "Rượu sâm Lai Châu", True, 3),
        ],
    ),
    "che.shantuyet@demo.chohtx.vn": DemoProfile(
        "Hợp tác xã Chè Shan Tuyết Hoàng Su Phì",
        "5100234567",
        "Hà Giang",
        "Xã Hồ Thầu",
        "Thôn Nậm Hồng",
        "5107000234",
        date(2015, 5, 19),
        members="42",
        hectares="12,5",
        story="Chè shan tuyết cổ thụ hái tay trên độ cao 1.200 m, sao thủ công.",
        certificates=[
            ("vietgap", "VG-2025-0412", "Trung tâm Chứng nhận Phù hợp", None, "", True, 3)
        ],
    ),
    "matong.mocchau@demo.chohtx.vn": DemoProfile(
        "Hợp tác xã Mật Ong Mộc Châu",
        "5500345678",
        "Sơn La",
        "Phường Mộc Châu",
        "Tiểu khu 14",
        "5507000345",
        date(2012, 9, 1),
        members="35",
        hectares="40",
        story="Mật ong hoa nhãn và hoa cải từ 1.200 đàn ong trên cao nguyên Mộc Châu.",
    ),
    "chaca.halong@demo.chohtx.vn": DemoProfile(
        "Hợp tác xã Chả Mực, Chả Cá và Ruốc Cá Hạ Long",
        "5700456789",
        "Quảng Ninh",
        "Phường Hồng Gai",
        "Số 8 đường Bến Đoan",
        "5707000456",
        date(2014, 2, 14),
        members="18",
        hectares="0,5",
        story="Chả mực giã tay, chả cá thu và ruốc cá cung cấp cho 35 siêu thị và bếp ăn.",
        certificates=[
            ("ocop", "QĐ 567/QĐ-UBND", "UBND tỉnh Quảng Ninh", 3, "Ruốc cá thu Hạ Long", True, 3),
        ],
    ),
    "dongtrung.dalat@demo.chohtx.vn": DemoProfile(
        "Hợp tác xã Đông Trùng Hạ Thảo Đà Lạt",
        "5800567890",
        "Lâm Đồng",
        "Phường Xuân Hương",
        "Số 2 đường Trần Phú",
        "5807000567",
        date(2019, 11, 20),
        members="9",
        hectares="0,2",
        story="Đông trùng hạ thảo nuôi cấy trong phòng sạch, sấy thăng hoa.",
        outcome="submitted",
        certificates=[("organic", "ORG-2026-031", "Tổ chức chứng nhận hữu cơ", None, "", False, 2)],
    ),
    "macca.dienbien@demo.chohtx.vn": DemoProfile(
        "Hợp tác xã Mắc Ca Tủa Chùa",
        "",
        "Điện Biên",
        "Xã Tủa Chùa",
        "",
        outcome="draft",
    ),
    "vietgap.cuchi@demo.chohtx.vn": DemoProfile(
        "Hợp tác xã Dưa Lưới và Cà Chua VietGAP Củ Chi",
        "0300678901",
        "TP.HCM",
        "Xã Củ Chi",
        "Ấp Phú Lợi",
        "0307000678",
        date(2018, 4, 10),
        members="23",
        hectares="8",
        story="Dưa lưới và cà chua trồng nhà màng theo VietGAP, giao hàng trong ngày.",
        certificates=[
            ("vietgap", "VG-2025-1187", "Trung tâm Kiểm định Nông sản", None, "", True, 2),
            # Expired yesterday: kept to show that expiry needs no one to act.
            ("globalgap", "GG-2023-0091", "Control Union", None, "", True, 0),
        ],
    ),
    "gao.st25@demo.chohtx.vn": DemoProfile(
        "Hợp tác xã Lúa Gạo ST25 Mỹ Xuyên",
        "2200345612",
        "Sóc Trăng",  # merged into Cần Thơ: typed the old way on purpose
        "Xã Mỹ Xuyên",
        "Ấp Hòa Phuông",
        "2207000345",
        date(2016, 3, 8),
        members="64",
        hectares="120",
        story="Gạo ST25 trồng theo mô hình tôm – lúa, xay xát trong ngày, đóng túi hút chân không.",
        certificates=[
            ("ocop", "QĐ 2468/QĐ-UBND", "UBND thành phố Cần Thơ", 4, "Gạo ST25 Mỹ Xuyên", True, 3),
            ("organic", "ORG-2025-118", "Tổ chức chứng nhận hữu cơ", None, "", True, 2),
        ],
    ),
    "caphe.lamha@demo.chohtx.vn": DemoProfile(
        "Hợp tác xã Cà Phê và Nông Sản Lâm Hà",
        "5800678123",
        "Lâm Đồng",
        "Xã Nam Ban",
        "Thôn Đông Anh",
        "5807000678",
        date(2013, 8, 15),
        members="60",
        hectares="85",
        story="Cà phê Arabica chế biến ướt, đông trùng hạ thảo, bơ sáp và mắc ca từ vườn của "
        "60 hộ thành viên.",
        certificates=[
            ("ocop", "QĐ 1357/QĐ-UBND", "UBND tỉnh Lâm Đồng", 5, "Đông trùng hạ thảo", True, 3),
            ("vietgap", "VG-2025-2231", "Trung tâm Chứng nhận Phù hợp", None, "", True, 2),
        ],
    ),
    "muahang@demo.xanhmart.vn": DemoProfile(
        "Công ty Cổ phần Chuỗi Siêu Thị Xanh Mart",
        "0101789012",
        "Hà Nội",
        "Phường Cầu Giấy",
        "Số 10 đường Trần Thái Tông",
        locations=[
            ("Xanh Mart Cầu Giấy", "Hà Nội", "Phường Cầu Giấy", "Số 10 đường Trần Thái Tông"),
            ("Kho lạnh Long Biên", "Hà Nội", "Phường Long Biên", "Số 5 ngõ 64 Nguyễn Văn Cừ"),
        ],
    ),
    "bepan.kimdong@demo.chohtx.vn": DemoProfile(
        "Trường Tiểu học Kim Đồng",
        "0102890123",
        "Hà Nội",
        "Phường Ba Đình",
        "Số 1 phố Vạn Bảo",
        outcome="draft",
        locations=[("Bếp ăn bán trú", "Hà Nội", "Phường Ba Đình", "Số 1 phố Vạn Bảo")],
    ),
    "hoicho@demo.lienminhhtx.vn": DemoProfile(
        "Liên minh Hợp tác xã tỉnh Lai Châu",
        "6200901234",
        "Lai Châu",
        "Phường Tân Phong",
        "Số 25 đường Trần Hưng Đạo",
    ),
}


#: Where buyers' transfers to each demo co-op and organiser go (bank BIN, account, holder as
#: the bank shows it); a submission needs one. HTX Mắc Ca Tủa Chùa, still a draft, has none
#: yet, so the reminder to add one can be seen.
DEMO_BANK_ACCOUNTS: dict[str, tuple[str, str, str]] = {
    "sam.laichau@demo.chohtx.vn": ("970405", "8800205123456", "HTX SAM LAI CHAU MUONG TE"),
    "che.shantuyet@demo.chohtx.vn": ("970405", "8302205067891", "HTX CHE SHAN TUYET HOANG SU PHI"),
    "matong.mocchau@demo.chohtx.vn": ("970418", "21510004567123", "HTX MAT ONG MOC CHAU"),
    "chaca.halong@demo.chohtx.vn": ("970436", "0011004567890", "HTX CHA MUC CHA CA HA LONG"),
    "dongtrung.dalat@demo.chohtx.vn": (
        "970449",
        "039704070012345",
        "HTX DONG TRUNG HA THAO DA LAT",
    ),
    "vietgap.cuchi@demo.chohtx.vn": ("970418", "31410001234567", "HTX DUA LUOI VA CA CHUA CU CHI"),
    "gao.st25@demo.chohtx.vn": ("970403", "070112345678", "HTX LUA GAO ST25 MY XUYEN"),
    "caphe.lamha@demo.chohtx.vn": ("970415", "109876543210", "HTX CA PHE VA NONG SAN LAM HA"),
    "hoicho@demo.lienminhhtx.vn": ("970415", "106870123456", "LIEN MINH HTX TINH LAI CHAU"),
}


def seed_demo() -> DemoLogins:
    """Create the demo accounts and organisations that do not exist yet.

    The emails the demo's decisions cause stay queued in the outbox rather than flooding the
    console; `flask outbox work --once` would send them.
    """
    from flask import current_app

    current_app.config["OUTBOX_DELIVER_IMMEDIATELY"] = False
    system = Actor.system()
    logins: list[tuple[str, str]] = []
    for label, email, person, phone, kind, org_name, buyer_type in DEMO_ACCOUNTS:
        if accounts.find_user_by_email(email) is None:
            accounts.register(
                system,
                accounts.SignUp(
                    name=person,
                    email=email,
                    phone=phone,
                    password=DEMO_PASSWORD,
                    organization_kind=kind,
                    organization_name=org_name,
                    buyer_type=buyer_type,
                ),
            )
        logins.append((label, email))
    admin = accounts.find_user_by_email(ADMIN_EMAIL) or accounts.create_admin(
        system, email=ADMIN_EMAIL, name="Quản trị Chợ HTX", password=DEMO_PASSWORD
    )
    logins.append(("platform admin", ADMIN_EMAIL))
    for email, profile in DEMO_PROFILES.items():
        _seed_profile(accounts.find_user_by_email(email), profile, Actor(user=admin))
    from marketplace.demo_catalog import seed_listings

    seed_listings()
    from marketplace.demo_fairs import seed_fairs

    seed_fairs()
    from marketplace.demo_contracts import seed_deals

    seed_deals()
    from marketplace.demo_commission import seed_commission

    seed_commission()
    # The search projection follows every change by itself; rebuilding it here also covers
    # a database whose listings predate it. The engine (if any) is then brought up to date.
    from marketplace.search import documents, indexing

    documents.rebuild_all()
    db.session.commit()
    if current_app.extensions["search"].engine is not None:
        indexing.reindex()
    return DemoLogins(password=DEMO_PASSWORD, accounts=logins)


def _seed_profile(user: User, profile: DemoProfile, admin: Actor) -> None:
    """Fill in, submit and decide one demo organisation's profile, once."""
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    organization = db.session.get_one(Organization, membership.organization_id)
    me = Actor(user=user)
    org_id = organization.id
    bank = DEMO_BANK_ACCOUNTS.get(user.email)
    if bank and not organization.has_bank_account:  # also for a demo seeded before
        bin_, account, holder = bank
        transfers.save_bank_account(me, org_id, bin=bin_, account=account, holder=holder)
    if organization.legal_name:  # already seeded
        return
    is_coop = organization.kind is OrgKind.COOP
    profiles.save_identity(
        me,
        org_id,
        None,
        profiles.Identity(
            name=organization.name,
            legal_name=profile.legal_name,
            registration_number=profile.registration_number,
            tax_code=profile.tax_code,
            founded_on=profile.founded_on,
        ),
        registration_document=DEMO_PDF if is_coop and profile.registration_number else None,
    )
    profiles.save_address(
        me, org_id, None, province=profile.province, commune=profile.commune, street=profile.street
    )
    if is_coop:
        profiles.save_people(
            me,
            org_id,
            None,
            representative_name=user.name,
            representative_position=profile.position if profile.members else "",
            representative_phone=user.phone or "" if profile.members else "",
            member_count=profile.members,
            area_hectares=profile.hectares,
        )
        profiles.save_story(me, org_id, None, story_vi=profile.story, story_en="")
    for name, province, commune, street in profile.locations:
        profiles.add_delivery_location(
            me, org_id, name=name, province=province, commune=commune, street=street
        )
    year_ago = today() - timedelta(days=365)
    for kind, number, issuer, stars, product, approved, years in profile.certificates:
        expires = year_ago + timedelta(days=365 * years) if years else today()
        certificate = certificates.add_certificate(
            me,
            org_id,
            certificates.CertificateData(
                kind=kind,
                number=number,
                issuer=issuer,
                issued_on=year_ago,
                expires_on=expires,
                ocop_stars=stars,
                product_name=product,
            ),
            DEMO_PDF,
        )
        if approved:
            verification.review_certificate(admin, certificate.id, "approve")
    if profile.outcome in ("approved", "submitted"):
        verification.submit(me, org_id)
    if profile.outcome == "approved":
        verification.approve(admin, org_id, note="Đã đối chiếu giấy chứng nhận đăng ký.")
