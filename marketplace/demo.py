"""Vietnamese demo data for a laptop: co-ops, buyers, a fair organiser and an admin."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.models import BuyerType, OrgKind
from marketplace.services import accounts
from marketplace.services.context import Actor

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


def seed_demo() -> DemoLogins:
    """Create the demo accounts and organisations that do not exist yet."""
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
    if accounts.find_user_by_email(ADMIN_EMAIL) is None:
        accounts.create_admin(
            system, email=ADMIN_EMAIL, name="Quản trị Chợ HTX", password=DEMO_PASSWORD
        )
    logins.append(("platform admin", ADMIN_EMAIL))
    return DemoLogins(password=DEMO_PASSWORD, accounts=logins)
