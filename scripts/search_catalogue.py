"""A realistic Vietnamese catalogue of N listings, written straight into the database.

For search benchmarks. Verified co-ops (about one per 40 listings) in every province, each
with a speciality; published listings in every leaf category whose titles are built from real
product words with their tone marks ("Mật ong hoa nhãn Khoái Châu loại 1"), descriptions of
2–4 sentences, 0–3 wholesale price tiers and approved certificates (OCOP 3–5 stars, VietGAP,
GlobalGAP, organic) with validity windows, some of them expired. Rows go in with SQLAlchemy
Core bulk inserts; then the search projection is rebuilt by the app's own code
(``documents.rebuild_all``) and committed. The same seed and day give the same catalogue.

    DATABASE_URL=... .venv/bin/python scripts/search_catalogue.py 100000 [--seed 7]
                     [--deals 0.01]

The database must be migrated (``flask db upgrade``: the categories come from migration 0003);
rows are added to what is there. Elasticsearch is not touched: run ``flask search reindex``
afterwards to fill it.

With ``--deals RATIO`` it also makes the trade of a live site, for load tests: ``RATIO``
supply contracts per listing (0.01: 1,000 contracts at 100,000 listings). Accounts are written
in bulk, deals through the services:

- *Accounts, bulk SQL*: an owner for every generated co-op (``htx00001@bench.chohtx.vn`` is the
  first co-op's, in the order they were generated), verified buyers (``buyer0001@…``, one per
  ~8 contracts, each with a delivery location) and a fair organiser (``hoicho@…``), all with
  the password ``BENCH_PASSWORD``. The scrypt hash is computed once and shared: hashing per
  user through ``accounts.register`` would cost ~0.1 s each (2,500 co-op owners at 100k) and
  would also create an organisation per user.
- *Deals, services*: requests for quotes (invited co-op only, so a request does not notify
  every matching co-op in the catalogue), quotes, awards, both signatures, then the contract
  is moved into the past (as ``marketplace/demo_contracts.py`` does) and its past deliveries
  dispatched and received, which issues the invoices; some are paid. About one request in
  seven stays open with its quote. Fairs with booth plans and co-op applications (some
  accepted, some paid) follow, one application per two contracts. These rows carry numbering,
  state machines, ledger entries, audit entries and notices that a bulk insert would have to
  reproduce, so the services write them, at the cost of time (the generator prints it; about
  2 s per contract with its 0–12 past deliveries on a busy 2-core machine in a smoke run,
  so half an hour for 1,000 contracts). Emails and notices they
  queue are not sent (``OUTBOX_DELIVER_IMMEDIATELY`` off, as ``flask seed-demo`` does) and
  are marked delivered at the end: nobody reads the bench accounts' mail.

Contract ``k`` goes to buyer ``k mod buyers`` and co-op ``k mod active co-ops`` (about three
contracts each), so a load test can log in as ``htx00001``… up to ``active_coops`` and
``buyer0001``… up to ``buyers`` (both printed, and in the ``--json`` figures) and find trade.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select, update  # noqa: E402

from marketplace.i18n import UNITS  # noqa: E402
from marketplace.search.folding import fold  # noqa: E402
from marketplace.services.slugs import slugify  # noqa: E402
from marketplace.vietnam import FORMER_PROVINCES, PROVINCES, VN_TZ  # noqa: E402

LISTINGS_PER_COOP = 40
INSERT_BATCH = 5000

#: The password of every account made with ``--deals`` (a bench database only).
BENCH_PASSWORD = "chohtx-bench-2026"  # noqa: S105 - a benchmark's known login
BENCH_DOMAIN = "bench.chohtx.vn"
CONTRACTS_PER_BUYER = 8
CONTRACTS_PER_COOP = 3
APPLICATIONS_PER_FAIR = 40


def coop_email(index: int) -> str:
    """The owner's login of the ``index``-th generated co-op (0-based)."""
    return f"htx{index + 1:05d}@{BENCH_DOMAIN}"


def buyer_email(index: int) -> str:
    return f"buyer{index + 1:04d}@{BENCH_DOMAIN}"


ORGANISER_EMAIL = f"hoicho@{BENCH_DOMAIN}"


# --- vocabulary ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    code: str
    #: Pack sizes ("" = sold loose, by the unit).
    packs: tuple[str, ...]
    #: Base price range in đồng per unit, and the minimum order range in units.
    price: tuple[int, int]
    moq: tuple[int, int]


@dataclass(frozen=True)
class Kind:
    """What one leaf category's listings look like."""

    #: (Vietnamese, English) product names.
    products: tuple[tuple[str, str], ...]
    qualifiers: tuple[str, ...]
    units: tuple[Unit, ...]
    #: Description sentences about this kind of product.
    sentences: tuple[str, ...]
    #: The word a co-op of this speciality puts in its name ("HTX Mật ong Mộc Châu").
    coop_word: str
    #: Provinces where such co-ops are common.
    regions: tuple[str, ...]
    shelf_days: tuple[int, int] | None
    storage: str
    #: Harvested in a season (listings carry harvest months).
    seasonal: bool
    #: Farm produce: VietGAP, GlobalGAP and organic certificates apply.
    farm: bool
    #: Relative share of listings.
    weight: float


def _products(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for line in text.strip().splitlines():
        vi, en = line.split("|")
        pairs.append((vi.strip(), en.strip()))
    return tuple(pairs)


def _list(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split("|"))


def _u(code: str, packs: str, low: int, high: int, moq_low: int, moq_high: int) -> Unit:
    return Unit(code, tuple(p.strip() for p in packs.split("|")), (low, high), (moq_low, moq_high))


KINDS: dict[str, Kind] = {
    "sam": Kind(
        products=_products("""
            Sâm tươi | Fresh ginseng
            Củ sâm | Ginseng root
            Sâm dây | Codonopsis root
            Đảng sâm | Codonopsis
            Sâm bố chính | Bo Chinh ginseng
            Lá sâm sấy khô | Dried ginseng leaves
            Sâm ngâm mật ong | Ginseng in honey
            Trà sâm | Ginseng tea
            Sâm thái lát sấy | Dried sliced ginseng
            Hoa sâm | Ginseng flowers
        """),
        qualifiers=_list(
            "loại 1|củ to|5 năm tuổi|7 năm tuổi|trồng dưới tán rừng|sấy lạnh|đặc biệt"
        ),
        units=(
            _u("kg", "", 3_000_000, 60_000_000, 1, 5),
            _u("hop", "hộp 100 g|hộp 200 g|hộp 500 g", 300_000, 3_000_000, 5, 20),
            _u("hu", "hũ 500 g|hũ 1 kg", 600_000, 2_500_000, 5, 20),
            _u("goi", "gói 50 g|gói 100 g", 120_000, 450_000, 10, 50),
        ),
        sentences=(
            "Củ sâm được trồng dưới tán rừng già ở độ cao trên 1.500 m.",
            "Thu hoạch khi cây đủ tuổi, rửa sạch và phân loại bằng tay.",
            "Sâm có vị đắng nhẹ, hậu ngọt, thích hợp ngâm rượu, ngâm mật ong hoặc hầm gà.",
        ),
        coop_word="Sâm",
        regions=_list("lai-chau|quang-ngai|da-nang|lao-cai|quang-tri|nghe-an"),
        shelf_days=(30, 730),
        storage="Nơi khô ráo, tránh ánh nắng",
        seasonal=True,
        farm=True,
        weight=0.6,
    ),
    "dong-trung-ha-thao": Kind(
        products=_products("""
            Đông trùng hạ thảo sấy thăng hoa | Freeze-dried cordyceps
            Đông trùng hạ thảo tươi | Fresh cordyceps
            Đông trùng hạ thảo khô | Dried cordyceps
            Trà đông trùng hạ thảo | Cordyceps tea
            Nước đông trùng hạ thảo | Cordyceps drink
            Đông trùng hạ thảo ngâm mật ong | Cordyceps in honey
        """),
        qualifiers=_list("loại 1|nguyên con|cao cấp|nuôi cấy phòng sạch"),
        units=(
            _u("hop", "hộp 10 g|hộp 20 g|hộp 50 g", 300_000, 1_500_000, 5, 20),
            _u("hu", "hũ 250 g", 350_000, 900_000, 6, 24),
            _u("kg", "", 8_000_000, 20_000_000, 1, 3),
            _u("chai", "chai 250 ml", 35_000, 80_000, 24, 100),
            _u("goi", "gói 20 túi lọc", 90_000, 250_000, 10, 50),
        ),
        sentences=(
            "Nuôi cấy trong phòng sạch, kiểm soát nhiệt độ và độ ẩm.",
            "Sấy thăng hoa giữ nguyên màu cam và hàm lượng cordycepin.",
            "Dùng pha trà, hầm canh hoặc ngâm mật ong.",
        ),
        coop_word="Đông trùng hạ thảo",
        regions=_list("lam-dong|ha-noi|quang-ninh|thai-nguyen"),
        shelf_days=(180, 730),
        storage="Nơi khô ráo, kín",
        seasonal=False,
        farm=False,
        weight=0.4,
    ),
    "nam-duoc-lieu": Kind(
        products=_products("""
            Nấm linh chi đỏ | Red reishi
            Nấm linh chi thái lát | Sliced reishi
            Nấm hầu thủ | Lion's mane mushroom
            Nấm lim xanh | Lim xanh mushroom
            Nấm vân chi | Turkey tail mushroom
            Nấm linh chi đen | Black reishi
            Bào tử nấm linh chi | Reishi spores
            Nấm đông cô khô | Dried shiitake
        """),
        qualifiers=_list("sấy khô|nguyên tai|thái lát|rừng tự nhiên|loại 1"),
        units=(
            _u("kg", "", 600_000, 3_000_000, 1, 10),
            _u("hop", "hộp 250 g|hộp 500 g", 300_000, 1_200_000, 5, 30),
            _u("goi", "gói 100 g", 80_000, 300_000, 10, 50),
        ),
        sentences=(
            "Nấm được trồng trên giá thể mùn cưa, thu hái khi tai nấm trưởng thành.",
            "Sấy ở nhiệt độ thấp để giữ dược chất.",
            "Dùng sắc nước uống hằng ngày hoặc ngâm rượu.",
        ),
        coop_word="Nấm",
        regions=_list("lam-dong|ha-noi|da-nang|ho-chi-minh|thai-nguyen"),
        shelf_days=(365, 730),
        storage="Nơi khô ráo",
        seasonal=False,
        farm=True,
        weight=0.5,
    ),
    "che-shan-tuyet": Kind(
        products=_products("""
            Chè shan tuyết cổ thụ | Ancient shan tuyet tea
            Chè shan tuyết búp | Shan tuyet bud tea
            Hồng trà shan tuyết | Shan tuyet black tea
            Bạch trà shan tuyết | Shan tuyet white tea
            Chè shan tuyết một tôm hai lá | Shan tuyet one bud two leaves
            Trà shan tuyết phổ nhĩ | Shan tuyet pu-erh
        """),
        qualifiers=_list("cổ thụ|vụ xuân|sao tay|hút chân không|loại đặc biệt|trăm năm tuổi"),
        units=(
            _u("goi", "gói 100 g|gói 200 g|gói 500 g", 80_000, 600_000, 10, 100),
            _u("hop", "hộp 100 g|hộp 250 g", 150_000, 900_000, 10, 50),
            _u("kg", "", 400_000, 3_000_000, 5, 50),
        ),
        sentences=(
            "Búp chè hái từ những cây chè shan tuyết cổ thụ mọc trên núi cao, quanh năm mây phủ.",
            "Chè được sao thủ công trên chảo gang, nước xanh vàng, hương thơm đặc trưng.",
            "Hãm với nước 85–90 °C trong 2–3 phút.",
        ),
        coop_word="Chè Shan Tuyết",
        regions=_list("tuyen-quang|son-la|lao-cai|lai-chau|dien-bien|thai-nguyen"),
        shelf_days=(365, 730),
        storage="Nơi khô ráo, kín gió",
        seasonal=True,
        farm=True,
        weight=0.6,
    ),
    "che-xanh": Kind(
        products=_products("""
            Chè búp | Tea buds
            Chè xanh búp non | Young green tea buds
            Chè móc câu | Hook-shaped green tea
            Chè nõn tôm | Young shoot tea
            Trà ô long | Oolong tea
            Trà lài | Jasmine tea
            Chè xanh tươi | Fresh green tea leaves
            Trà sen | Lotus tea
            Trà túi lọc | Tea bags
        """),
        qualifiers=_list("đặc biệt|thượng hạng|sao sấy thủ công|vụ xuân|loại 1"),
        units=(
            _u("goi", "gói 100 g|gói 200 g|gói 500 g", 50_000, 400_000, 10, 100),
            _u("hop", "hộp 100 g|hộp 200 g", 100_000, 700_000, 10, 50),
            _u("kg", "", 150_000, 1_500_000, 5, 100),
            _u("tui", "túi 1 kg", 180_000, 1_200_000, 5, 50),
        ),
        sentences=(
            "Chè hái một tôm hai lá vào buổi sáng sớm, sao ngay trong ngày.",
            "Nước chè xanh trong, vị chát dịu, hậu ngọt sâu.",
            "Đóng gói hút chân không, giữ hương tốt trong 12 tháng.",
        ),
        coop_word="Chè",
        regions=_list("thai-nguyen|phu-tho|tuyen-quang|lam-dong|nghe-an|lao-cai"),
        shelf_days=(270, 540),
        storage="Nơi khô ráo, kín gió",
        seasonal=True,
        farm=True,
        weight=0.9,
    ),
    "mat-ong": Kind(
        products=_products("""
            Mật ong hoa nhãn | Longan flower honey
            Mật ong rừng | Wild forest honey
            Mật ong hoa cà phê | Coffee blossom honey
            Mật ong bạc hà | Mint flower honey
            Mật ong hoa vải | Lychee flower honey
            Mật ong hoa tràm | Melaleuca honey
            Mật ong hoa rừng | Wildflower honey
            Mật ong nguyên sáp | Honeycomb
            Sữa ong chúa | Royal jelly
            Phấn hoa | Bee pollen
            Sáp ong | Beeswax
        """),
        qualifiers=_list("nguyên chất|loại 1|khai thác tự nhiên|vụ mới|không pha đường"),
        units=(
            _u("chai", "chai 350 ml|chai 500 ml|chai 1 lít", 120_000, 450_000, 12, 48),
            _u("hu", "hũ 500 g|hũ 1 kg", 150_000, 600_000, 6, 48),
            _u("lit", "", 180_000, 500_000, 10, 100),
            _u("kg", "", 150_000, 800_000, 10, 200),
            _u("thung", "thùng 24 chai 350 ml", 2_500_000, 6_000_000, 1, 10),
        ),
        sentences=(
            "Mật quay từ cầu ong nuôi gần vùng hoa, không pha đường, không chất bảo quản.",
            "Độ ẩm dưới 20%, màu vàng sánh, có thể kết tinh tự nhiên khi trời lạnh.",
            "Đạt chỉ tiêu HMF và dư lượng kháng sinh theo tiêu chuẩn xuất khẩu.",
        ),
        coop_word="Mật ong",
        regions=_list("son-la|tuyen-quang|hung-yen|dak-lak|lai-chau|ca-mau|dong-nai"),
        shelf_days=(540, 730),
        storage="Nơi thoáng mát, đậy kín nắp",
        seasonal=False,
        farm=False,
        weight=1.0,
    ),
    "ruou": Kind(
        products=_products("""
            Rượu ngô men lá | Leaf-yeast corn liquor
            Rượu nếp cái hoa vàng | Yellow-flower glutinous rice wine
            Rượu sâm | Ginseng wine
            Rượu táo mèo | Wild apple wine
            Rượu mơ | Apricot wine
            Rượu Bàu Đá | Bau Da rice liquor
            Rượu cần | Jar rice wine
            Rượu mận | Plum wine
            Rượu nếp cẩm | Black sticky rice wine
            Rượu sim | Rose myrtle wine
        """),
        qualifiers=_list("40 độ|29 độ|ngâm 3 năm|chưng cất thủ công|đặc sản|hạ thổ"),
        units=(
            _u("chai", "chai 500 ml|chai 750 ml|chai 1 lít", 80_000, 900_000, 12, 60),
            _u("lit", "", 60_000, 250_000, 20, 200),
            _u("thung", "thùng 6 chai 750 ml|thùng 12 chai 500 ml", 600_000, 4_000_000, 1, 10),
        ),
        sentences=(
            "Rượu được nấu thủ công bằng men lá truyền thống, chưng cất hai lần.",
            "Hạ thổ tối thiểu 6 tháng cho rượu êm, thơm.",
            "Sản phẩm có giấy phép sản xuất rượu thủ công và công bố chất lượng.",
        ),
        coop_word="Rượu",
        regions=_list("lai-chau|lao-cai|bac-ninh|tuyen-quang|cao-bang|gia-lai"),
        shelf_days=(1095, 1825),
        storage="Nơi khô ráo, tránh ánh nắng",
        seasonal=False,
        farm=False,
        weight=0.7,
    ),
    "nuoc-ep": Kind(
        products=_products("""
            Nước ép táo mèo | Wild apple juice
            Nước cốt chanh leo | Passion fruit concentrate
            Nước ép dứa | Pineapple juice
            Nước ép cam | Orange juice
            Nước cốt gừng mật ong | Ginger honey concentrate
            Nước mía | Sugarcane juice
            Nước ép dâu tằm | Mulberry juice
            Nước cốt me | Tamarind concentrate
            Siro chanh leo | Passion fruit syrup
            Nước dừa đóng chai | Bottled coconut water
        """),
        qualifiers=_list("ép lạnh|nguyên chất|không đường|thanh trùng"),
        units=(
            _u("chai", "chai 250 ml|chai 330 ml|chai 500 ml|chai 1 lít", 25_000, 150_000, 24, 200),
            _u("thung", "thùng 24 chai 330 ml", 400_000, 1_200_000, 1, 20),
            _u("lit", "", 40_000, 150_000, 20, 200),
        ),
        sentences=(
            "Ép lạnh từ trái chín cây, thanh trùng nhẹ, không thêm hương liệu.",
            "Bảo quản lạnh 2–6 °C sau khi mở nắp, dùng trong 3 ngày.",
            "Phù hợp cho quán cà phê, nhà hàng và bếp ăn.",
        ),
        coop_word="Nông sản",
        regions=_list("ha-noi|lam-dong|dong-thap|vinh-long|ho-chi-minh|son-la"),
        shelf_days=(90, 365),
        storage="Nơi thoáng mát; ngăn mát sau khi mở",
        seasonal=False,
        farm=False,
        weight=0.6,
    ),
    "cha-ca": Kind(
        products=_products("""
            Chả mực giã tay | Hand-pounded squid cake
            Chả cá thác lác | Clown knifefish cake
            Chả cá basa | Basa fish cake
            Chả cá thu | Mackerel fish cake
            Chả cá chiên | Fried fish cake
            Chả mực | Squid cake
            Chả tôm | Shrimp cake
            Chả cá viên | Fish balls
            Chả ghẹ | Crab cake
        """),
        qualifiers=_list("loại 1|cấp đông|hút chân không|đặc biệt"),
        units=(
            _u("kg", "", 150_000, 450_000, 5, 100),
            _u("hop", "hộp 500 g", 90_000, 250_000, 10, 50),
            _u("goi", "gói 500 g|gói 1 kg", 80_000, 400_000, 10, 100),
            _u("thung", "thùng 10 kg", 1_500_000, 4_000_000, 1, 5),
        ),
        sentences=(
            "Nguyên liệu đánh bắt trong ngày, giã tay cho chả dai giòn.",
            "Cấp đông nhanh −18 °C, vận chuyển bằng xe lạnh.",
            "Không dùng hàn the, không chất tạo dai.",
        ),
        coop_word="Thủy sản",
        regions=_list("quang-ninh|da-nang|khanh-hoa|hai-phong|quang-tri|ca-mau|an-giang"),
        shelf_days=(90, 180),
        storage="Ngăn đông −18 °C",
        seasonal=False,
        farm=False,
        weight=0.5,
    ),
    "ruoc-ca": Kind(
        products=_products("""
            Ruốc cá hồi | Salmon floss
            Ruốc cá ngừ | Tuna floss
            Ruốc cá thu | Mackerel floss
            Ruốc tôm | Shrimp floss
            Ruốc cá lóc | Snakehead floss
            Ruốc cá cơm | Anchovy floss
        """),
        qualifiers=_list("nguyên chất|không chất bảo quản|loại 1"),
        units=(
            _u("hu", "hũ 200 g|hũ 300 g|hũ 500 g", 70_000, 350_000, 12, 100),
            _u("hop", "hộp 250 g", 80_000, 300_000, 10, 50),
            _u("goi", "gói 100 g", 40_000, 120_000, 20, 200),
            _u("kg", "", 300_000, 800_000, 5, 50),
        ),
        sentences=(
            "Ruốc làm từ thịt cá tươi, rim với nước mắm và tiêu, sao khô trên chảo.",
            "Không chất bảo quản, hạn dùng 6 tháng.",
            "Thích hợp cho bé ăn dặm và bữa sáng.",
        ),
        coop_word="Thủy sản",
        regions=_list("quang-ninh|ha-tinh|nghe-an|quang-ngai|khanh-hoa|hai-phong"),
        shelf_days=(120, 180),
        storage="Nơi khô ráo, đậy kín sau khi mở",
        seasonal=False,
        farm=False,
        weight=0.4,
    ),
    "nuoc-mam": Kind(
        products=_products("""
            Nước mắm cá cơm | Anchovy fish sauce
            Nước mắm nhĩ | First-press fish sauce
            Nước mắm truyền thống | Traditional fish sauce
            Nước mắm cốt | Fish sauce concentrate
            Mắm tôm | Shrimp paste
            Mắm nêm | Fermented anchovy sauce
        """),
        qualifiers=_list("40 độ đạm|35 độ đạm|30 độ đạm|thùng gỗ|ủ chượp 12 tháng|nguyên chất"),
        units=(
            _u("chai", "chai 500 ml|chai 750 ml|chai 1 lít", 45_000, 250_000, 12, 96),
            _u("lit", "", 50_000, 200_000, 20, 500),
            _u("thung", "thùng 12 chai 500 ml|thùng 6 chai 1 lít", 500_000, 2_500_000, 1, 20),
        ),
        sentences=(
            "Cá cơm tươi ướp muối biển theo tỷ lệ 3:1, ủ chượp trong thùng gỗ từ 12 đến 18 tháng.",
            "Nước mắm nhĩ rút đầu, màu cánh gián, độ đạm cao.",
            "Không chất điều vị, không chất bảo quản.",
        ),
        coop_word="Nước mắm",
        regions=_list("an-giang|lam-dong|hai-phong|quang-ngai|da-nang|khanh-hoa|thanh-hoa"),
        shelf_days=(730, 1095),
        storage="Nơi thoáng mát",
        seasonal=False,
        farm=False,
        weight=0.6,
    ),
    "trai-cay": Kind(
        products=_products("""
            Vải thiều | Lychee
            Nhãn lồng | Longan
            Xoài cát Hòa Lộc | Hoa Loc mango
            Bưởi da xanh | Green-skin pomelo
            Bưởi Diễn | Dien pomelo
            Cam sành | King orange
            Bơ sáp | Butter avocado
            Sầu riêng Ri6 | Ri6 durian
            Thanh long ruột đỏ | Red dragon fruit
            Dưa lưới | Melon
            Mận hậu | Plum
            Chuối tiêu hồng | Pink banana
            Dâu tây | Strawberry
            Măng cụt | Mangosteen
            Chôm chôm | Rambutan
            Na dai | Custard apple
            Ổi lê | Guava
        """),
        qualifiers=_list("loại 1|chín cây|vụ mới|size lớn|xuất khẩu"),
        units=(
            _u("kg", "", 15_000, 150_000, 20, 500),
            _u("thung", "thùng 5 kg|thùng 10 kg", 200_000, 1_500_000, 2, 50),
            _u("tan", "", 8_000_000, 80_000_000, 1, 5),
        ),
        sentences=(
            "Quả thu hoạch khi chín tới, tuyển chọn và đóng thùng ngay tại vườn.",
            "Vườn có nhật ký canh tác và mã số vùng trồng.",
            "Có thể cung cấp số lượng lớn trong mùa vụ, giao hàng bằng xe lạnh.",
        ),
        coop_word="Cây ăn quả",
        regions=_list(
            "hung-yen|bac-ninh|son-la|dong-thap|vinh-long|dak-lak|lam-dong|can-tho|dong-nai"
            "|tay-ninh"
        ),
        shelf_days=(5, 30),
        storage="Nơi thoáng mát, tránh dập",
        seasonal=True,
        farm=True,
        weight=2.0,
    ),
    "rau": Kind(
        products=_products("""
            Rau cải ngọt | Choy sum
            Cà chua beef | Beef tomato
            Xà lách | Lettuce
            Bắp cải | Cabbage
            Cà rốt | Carrot
            Súp lơ xanh | Broccoli
            Rau muống | Water spinach
            Dưa chuột | Cucumber
            Su su | Chayote
            Khoai tây | Potato
            Hành tím | Shallot
            Bí đỏ | Pumpkin
            Rau mầm | Microgreens
            Ớt chuông | Bell pepper
            Măng tây | Asparagus
            Cải kale | Kale
        """),
        qualifiers=_list("sạch|thủy canh|nhà màng|loại 1|tươi"),
        units=(
            _u("kg", "", 10_000, 120_000, 20, 500),
            _u("tui", "túi 500 g|túi 1 kg", 15_000, 60_000, 20, 200),
            _u("thung", "thùng 10 kg", 150_000, 800_000, 2, 50),
            _u("tan", "", 5_000_000, 40_000_000, 1, 5),
        ),
        sentences=(
            "Rau trồng trong nhà màng, tưới nhỏ giọt, thu hoạch theo đơn.",
            "Sơ chế, đóng túi và làm lạnh ngay sau khi hái.",
            "Giao hàng hằng ngày cho bếp ăn, siêu thị và nhà hàng.",
        ),
        coop_word="Rau an toàn",
        regions=_list("lam-dong|ha-noi|ho-chi-minh|hai-phong|lao-cai|son-la|bac-ninh|vinh-long"),
        shelf_days=(3, 14),
        storage="Ngăn mát 4–8 °C",
        seasonal=False,
        farm=True,
        weight=2.0,
    ),
    "mac-ca": Kind(
        products=_products("""
            Hạt mắc ca sấy nứt vỏ | Cracked dried macadamia
            Nhân mắc ca | Macadamia kernels
            Nhân mắc ca rang muối | Salted roasted macadamia
            Hạt mắc ca | Macadamia nuts
            Sữa hạt mắc ca | Macadamia milk
            Dầu mắc ca | Macadamia oil
        """),
        qualifiers=_list("loại 1|size lớn|vụ mới|sấy lạnh"),
        units=(
            _u("kg", "", 180_000, 450_000, 5, 100),
            _u("hop", "hộp 250 g|hộp 500 g", 90_000, 280_000, 10, 50),
            _u("tui", "túi 500 g|túi 1 kg", 120_000, 450_000, 10, 100),
            _u("tan", "", 150_000_000, 350_000_000, 1, 3),
        ),
        sentences=(
            "Hạt thu hái khi chín già, phơi và sấy nhiệt độ thấp trong 48 giờ.",
            "Vỏ nứt sẵn, kèm dụng cụ tách, nhân béo giòn.",
            "Hàm lượng chất béo không bão hòa cao, tốt cho tim mạch.",
        ),
        coop_word="Mắc ca",
        regions=_list("dien-bien|lai-chau|dak-lak|lam-dong|son-la|gia-lai"),
        shelf_days=(270, 365),
        storage="Nơi khô ráo",
        seasonal=True,
        farm=True,
        weight=0.6,
    ),
    "dieu": Kind(
        products=_products("""
            Hạt điều rang muối | Salted roasted cashews
            Hạt điều vỡ đôi | Split cashews
            Nhân điều trắng W320 | W320 white cashew kernels
            Nhân điều W240 | W240 cashew kernels
            Hạt điều còn vỏ lụa | Skin-on cashews
            Hạt điều tươi | Raw cashew nuts
            Bơ hạt điều | Cashew butter
        """),
        qualifiers=_list("loại 1|xuất khẩu|rang củi|nguyên hạt"),
        units=(
            _u("kg", "", 150_000, 380_000, 10, 200),
            _u("hop", "hộp 500 g", 110_000, 220_000, 10, 50),
            _u("tui", "túi 1 kg", 200_000, 380_000, 10, 100),
            _u("tan", "", 25_000_000, 200_000_000, 1, 5),
        ),
        sentences=(
            "Điều được rang bằng củi theo cách truyền thống, giữ lớp vỏ lụa thơm.",
            "Phân loại theo cỡ hạt W180, W240, W320.",
            "Đóng gói hút chân không, bảo quản nơi khô ráo.",
        ),
        coop_word="Điều",
        regions=_list("dong-nai|gia-lai|dak-lak|tay-ninh|ho-chi-minh|lam-dong"),
        shelf_days=(180, 365),
        storage="Nơi khô ráo",
        seasonal=True,
        farm=True,
        weight=0.6,
    ),
    "gao-ngu-coc": Kind(
        products=_products("""
            Gạo ST25 | ST25 rice
            Gạo ST24 | ST24 rice
            Gạo tám thơm | Fragrant Tam rice
            Gạo nàng hoa | Nang Hoa rice
            Nếp cái hoa vàng | Yellow-flower glutinous rice
            Gạo lứt đỏ | Red brown rice
            Gạo Séng Cù | Seng Cu rice
            Gạo tôm – lúa | Shrimp-rice farming rice
            Gạo nếp than | Black glutinous rice
            Gạo lứt huyết rồng | Red dragon brown rice
            Ngô nếp | Glutinous corn
            Hạt kê | Millet
            Đậu xanh | Mung beans
        """),
        qualifiers=_list("vụ mới|xuất khẩu|dẻo thơm|loại 1"),
        units=(
            _u("kg", "", 18_000, 80_000, 50, 1000),
            _u("tui", "túi 2 kg|túi 5 kg|túi 10 kg", 80_000, 600_000, 20, 500),
            _u("tan", "", 12_000_000, 40_000_000, 1, 20),
        ),
        sentences=(
            "Lúa được gieo cấy một vụ mỗi năm, thu hoạch bằng máy và sấy ngay trong ngày.",
            "Gạo xay xát mới theo đơn, cơm dẻo, thơm, để nguội vẫn mềm.",
            "Có thể in bao bì theo yêu cầu cho đơn hàng từ 5 tấn.",
        ),
        coop_word="Lúa gạo",
        regions=_list(
            "can-tho|dong-thap|an-giang|thanh-hoa|ninh-binh|dien-bien|lao-cai|vinh-long"
            "|ca-mau|tay-ninh"
        ),
        shelf_days=(180, 365),
        storage="Nơi khô ráo, thoáng mát",
        seasonal=True,
        farm=True,
        weight=1.6,
    ),
    "cay-giong": Kind(
        products=_products("""
            Cây giống bưởi da xanh | Pomelo seedlings
            Cây giống sầu riêng Ri6 | Ri6 durian seedlings
            Cây giống mắc ca ghép | Grafted macadamia seedlings
            Cây giống cà phê | Coffee seedlings
            Cây giống chè | Tea seedlings
            Cây giống bơ 034 | 034 avocado seedlings
            Cây giống cam | Orange seedlings
            Cây giống quế | Cinnamon seedlings
            Cây giống hồ tiêu | Pepper seedlings
            Cây giống sâm | Ginseng seedlings
        """),
        qualifiers=_list("ghép mắt|chiết cành|bầu đất|sạch bệnh|1 năm tuổi"),
        units=(_u("cay-giong", "bầu đất|bầu 10 x 15 cm", 8_000, 150_000, 50, 2000),),
        sentences=(
            "Cây giống được ươm trong vườn ươm đạt chuẩn, có nguồn gốc cây mẹ rõ ràng.",
            "Cây cao 40–60 cm, bầu đất chắc, rễ khỏe.",
            "Hướng dẫn kỹ thuật trồng và chăm sóc miễn phí.",
        ),
        coop_word="Cây giống",
        regions=_list("ha-noi|phu-tho|lam-dong|dak-lak|vinh-long|dong-thap|bac-ninh|tay-ninh"),
        shelf_days=None,
        storage="Giữ ẩm, để nơi râm mát",
        seasonal=True,
        farm=True,
        weight=0.5,
    ),
    "gia-vi": Kind(
        products=_products("""
            Hồ tiêu đen | Black pepper
            Tiêu sọ | White pepper
            Quế thanh | Cinnamon sticks
            Hoa hồi | Star anise
            Thảo quả khô | Dried black cardamom
            Tỏi cô đơn | Single-clove garlic
            Bột nghệ | Turmeric powder
            Tinh bột nghệ | Curcumin starch
            Gừng sấy | Dried ginger
            Ớt bột | Chili powder
            Muối tôm | Shrimp salt
            Hạt dổi | Doi seeds
            Mắc khén | Mac khen pepper
            Sả khô | Dried lemongrass
        """),
        qualifiers=_list("sấy khô|nguyên hạt|xay mịn|loại 1|xuất khẩu"),
        units=(
            _u("kg", "", 60_000, 600_000, 5, 200),
            _u("goi", "gói 100 g|gói 200 g", 20_000, 120_000, 20, 200),
            _u("hu", "hũ 100 g|hũ 200 g", 35_000, 180_000, 12, 100),
            _u("tan", "", 60_000_000, 250_000_000, 1, 5),
        ),
        sentences=(
            "Nguyên liệu thu hái tại vùng trồng của hợp tác xã, phơi và sấy khô tự nhiên.",
            "Sàng lọc tạp chất, đóng gói kín để giữ mùi thơm.",
            "Cung cấp ổn định cho nhà hàng và cơ sở chế biến.",
        ),
        coop_word="Gia vị",
        regions=_list("dak-lak|gia-lai|lao-cai|quang-ngai|khanh-hoa|lang-son|nghe-an|dien-bien"),
        shelf_days=(365, 730),
        storage="Nơi khô ráo, đậy kín",
        seasonal=True,
        farm=True,
        weight=1.0,
    ),
}

#: Local places (former districts, communes, well-known growing areas) by province.
PLACES: dict[str, tuple[str, ...]] = {
    "ha-noi": ("Sóc Sơn", "Ba Vì", "Đông Anh", "Mê Linh", "Chương Mỹ"),
    "hue": ("Phong Điền", "Hương Trà", "A Lưới", "Phú Vang"),
    "lai-chau": ("Mường Tè", "Tam Đường", "Sìn Hồ", "Phong Thổ", "Than Uyên"),
    "dien-bien": ("Tủa Chùa", "Mường Ảng", "Điện Biên Đông", "Mường Nhé"),
    "son-la": ("Mộc Châu", "Vân Hồ", "Tà Xùa", "Thuận Châu", "Yên Châu"),
    "lang-son": ("Bắc Sơn", "Cao Lộc", "Văn Quan", "Đình Lập"),
    "quang-ninh": ("Hạ Long", "Vân Đồn", "Bình Liêu", "Đầm Hà", "Cô Tô"),
    "thanh-hoa": ("Thọ Xuân", "Ngọc Lặc", "Hậu Lộc", "Nga Sơn"),
    "nghe-an": ("Quỳnh Lưu", "Con Cuông", "Nghĩa Đàn", "Tương Dương"),
    "ha-tinh": ("Hương Khê", "Vũ Quang", "Kỳ Anh", "Cẩm Xuyên"),
    "cao-bang": ("Trùng Khánh", "Bảo Lạc", "Hà Quảng", "Nguyên Bình"),
    "tuyen-quang": ("Hoàng Su Phì", "Đồng Văn", "Hàm Yên", "Na Hang", "Mèo Vạc"),
    "lao-cai": ("Sa Pa", "Bát Xát", "Bắc Hà", "Văn Yên", "Suối Giàng"),
    "thai-nguyen": ("Tân Cương", "Đại Từ", "Định Hóa", "Chợ Đồn"),
    "phu-tho": ("Thanh Sơn", "Tam Nông", "Mai Châu", "Lạc Sơn", "Tam Đảo"),
    "bac-ninh": ("Lục Ngạn", "Yên Thế", "Tiên Du", "Lục Nam"),
    "hung-yen": ("Khoái Châu", "Văn Giang", "Kim Động", "Tiền Hải"),
    "hai-phong": ("Cát Hải", "Thủy Nguyên", "Kiến Thụy", "Thanh Hà"),
    "ninh-binh": ("Kim Sơn", "Nho Quan", "Hải Hậu", "Lý Nhân"),
    "quang-tri": ("Hướng Hóa", "Cam Lộ", "Lệ Thủy", "Bố Trạch"),
    "da-nang": ("Nam Ô", "Hòa Vang", "Trà My", "Đại Lộc", "Ngọc Linh"),
    "quang-ngai": ("Lý Sơn", "Sa Huỳnh", "Trà Bồng", "Ngọc Linh", "Đăk Tô"),
    "gia-lai": ("Chư Sê", "Pleiku", "Mang Yang", "Bàu Đá", "An Nhơn"),
    "khanh-hoa": ("Nha Trang", "Cam Lâm", "Khánh Sơn", "Phan Rang"),
    "lam-dong": ("Đà Lạt", "Bảo Lộc", "Di Linh", "Lâm Hà", "Phan Thiết", "Cầu Đất"),
    "dak-lak": ("Buôn Ma Thuột", "Krông Pắc", "Cư M'gar", "Ea Kar"),
    "ho-chi-minh": ("Củ Chi", "Cần Giờ", "Hóc Môn", "Dầu Tiếng"),
    "dong-nai": ("Long Khánh", "Xuân Lộc", "Bù Đăng", "Định Quán"),
    "tay-ninh": ("Tân Châu", "Gò Dầu", "Đức Hòa", "Cần Giuộc"),
    "can-tho": ("Phong Điền", "Cờ Đỏ", "Mỹ Xuyên", "Vị Thanh"),
    "vinh-long": ("Chợ Lách", "Mỏ Cày", "Cầu Kè", "Trà Ôn"),
    "dong-thap": ("Cao Lãnh", "Lai Vung", "Cái Bè", "Hòa Lộc"),
    "ca-mau": ("U Minh", "Năm Căn", "Ngọc Hiển", "Hồng Dân"),
    "an-giang": ("Phú Quốc", "Tri Tôn", "Châu Đốc", "Hòn Đất"),
}
CITIES = {"ha-noi", "hue", "hai-phong", "da-nang", "ho-chi-minh", "can-tho"}

#: Words co-ops take as names ("HTX Nông nghiệp Thành Công").
MOTTOS = ("Thành Công", "Đoàn Kết", "Bình Minh", "Thắng Lợi", "Phú Cường", "Hưng Thịnh",
          "An Phú", "Tiến Bộ", "Hợp Thành", "Quyết Tiến", "Tân Lập", "Xuân Mai", "Hòa Bình",
          "Đồng Tâm", "Phúc Lộc", "Tân Tiến", "Trường Sơn", "Hồng Phát")  # fmt: skip
FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
                "Lò", "Vàng", "Giàng", "Hà", "Sùng", "Đinh", "Lương")  # fmt: skip
MIDDLE_NAMES = ("Văn", "Thị", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Hữu", "A", "Xuân")
GIVEN_NAMES = ("Hùng", "Lan", "Dũng", "Hoa", "Tuấn", "Mai", "Sơn", "Hương", "Thắng", "Dế",
               "Páo", "Chung", "Hiền", "Bình", "Phương", "Khánh", "Long", "Nga", "Tâm")  # fmt: skip
POSITIONS = ("Giám đốc", "Chủ tịch Hội đồng quản trị", "Giám đốc điều hành")

CERT_ISSUERS = {
    "vietgap": ("Trung tâm Chứng nhận Phù hợp (QUACERT)", "Công ty CP Chứng nhận VinaCert",
                "Trung tâm Kiểm nghiệm và Chứng nhận chất lượng TQC"),
    "globalgap": ("Control Union Việt Nam", "Bureau Veritas Việt Nam"),
    "organic": ("Control Union Việt Nam", "Trung tâm Chứng nhận Phù hợp (QUACERT)",
                "Ecocert Việt Nam"),
}  # fmt: skip
#: Years of validity by kind.
CERT_YEARS = {"ocop": 3, "vietgap": 2, "globalgap": 1, "organic": 1}


# --- generation ----------------------------------------------------------------------------


def _round_price(value: float) -> int:
    step = 1000 if value >= 100_000 else 500
    return max(step, int(round(value / step)) * step)


def _nice_quantity(value: float) -> int:
    for step in (1000, 500, 100, 50, 10, 5, 1):
        if value >= step * 4:
            return int(round(value / step)) * step
    return max(1, int(round(value)))


class Catalogue:
    """Builds rows in memory, deterministically from one random generator."""

    def __init__(self, seed: int, day: date, categories: list[dict], taken: dict[str, set]):
        self.rng = random.Random(seed)
        self.day = day
        self.now = datetime.combine(day, datetime.min.time(), VN_TZ).astimezone(UTC)
        self.taken = taken
        self.names: set[str] = set()
        children = {c["parent_id"] for c in categories if c["parent_id"]}
        self.leaves = [c for c in categories if c["id"] not in children]
        self.kinds = {c["id"]: KINDS.get(c["slug"]) or self._fallback(c) for c in self.leaves}
        self.former = {}
        for name, code in FORMER_PROVINCES.items():
            self.former.setdefault(code, []).append(name)

    @staticmethod
    def _fallback(category: dict) -> Kind:
        """For a category added after this script was written: its own name as the product."""
        return Kind(
            products=((category["name_vi"], category["name_en"]),),
            qualifiers=_list("loại 1|đặc sản"),
            units=(_u("kg", "", 30_000, 500_000, 5, 100),),
            sentences=("Sản phẩm được hợp tác xã sản xuất và đóng gói tại địa phương.",),
            coop_word="Nông sản",
            regions=(),
            shelf_days=(90, 365),
            storage="Nơi khô ráo",
            seasonal=False,
            farm=True,
            weight=0.3,
        )

    # --- co-ops ------------------------------------------------------------------------

    def _person(self) -> str:
        r = self.rng
        return f"{r.choice(FAMILY_NAMES)} {r.choice(MIDDLE_NAMES)} {r.choice(GIVEN_NAMES)}"

    def _speciality(self, province: str) -> int:
        local = [cid for cid, kind in self.kinds.items() if province in kind.regions]
        if local and self.rng.random() < 0.7:
            return self.rng.choice(local)
        ids = list(self.kinds)
        return self.rng.choices(ids, weights=[self.kinds[i].weight for i in ids])[0]

    def _coop_name(self, kind: Kind, place: str) -> str:
        r = self.rng
        for attempt in range(8):
            template = r.randrange(6)
            if template == 0:
                name = f"HTX Nông nghiệp {place}"
            elif template == 1:
                name = f"HTX Nông nghiệp {r.choice(MOTTOS)} {place}"
            elif template == 2:
                name = f"HTX {kind.coop_word} {place}"
            elif template == 3:
                name = f"HTX Dịch vụ Nông nghiệp {r.choice(MOTTOS)}"
            elif template == 4:
                name = f"HTX {kind.coop_word} {r.choice(MOTTOS)}"
            else:
                name = f"Hợp tác xã {kind.coop_word} {place}"
            if attempt >= 4:
                name = f"{name} {r.choice(MOTTOS)}"
            if name not in self.names:
                break
        self.names.add(name)
        return name

    def unique_slug(self, base: str, kind: str, digits: int) -> str:
        taken = self.taken[kind]
        slug = base
        while slug in taken:
            slug = f"{base}-{self.rng.getrandbits(4 * digits):0{digits}x}"
        taken.add(slug)
        return slug

    def coop(self, index: int) -> dict:
        r = self.rng
        province = r.choice(sorted(PROVINCES))
        place = r.choice(PLACES.get(province) or (PROVINCES[province],))
        speciality = self._speciality(province)
        kind = self.kinds[speciality]
        name = self._coop_name(kind, place)
        founded = self.day - timedelta(days=r.randint(365, 25 * 365))
        created = self.now - timedelta(days=r.randint(760, 1100), seconds=r.randint(0, 86_399))
        members = r.randint(7, 300)
        area = Decimal(r.randint(200, 80_000)) / 100
        province_name = PROVINCES[province]
        return {
            "index": index,
            "province": province,
            "place": place,
            "speciality": speciality,
            "row": {
                "kind": "coop",
                "name": name,
                "name_folded": fold(name),
                "slug": self.unique_slug(slugify(name, 70), "organizations", 6),
                "created_at": created,
                "legal_name": name.replace("HTX ", "Hợp tác xã ", 1),
                "short_name": None,
                "registration_number": f"{r.randint(10, 99)}07{r.randint(100_000, 999_999)}",
                "tax_code": f"{r.randint(100_000_000, 999_999_999)}{r.randint(0, 9)}",
                "founded_on": founded,
                "province_code": province,
                "commune": f"Xã {place}",
                "street": f"Thôn {r.randint(1, 15)}",
                "representative_name": self._person(),
                "representative_position": r.choice(POSITIONS),
                "representative_phone": f"09{r.randint(10_000_000, 99_999_999)}",
                "member_count": members,
                "area_hectares": area,
                "story_vi": (
                    f"Hợp tác xã thành lập năm {founded.year} với {members} thành viên, "
                    f"canh tác {area:.0f} ha tại {place}, {province_name}. "
                    f"Sản phẩm chính: {kind.products[0][0].lower()}."
                ),
                "verification_status": "approved",
                "submitted_at": created + timedelta(days=r.randint(1, 20)),
                "verified_at": created + timedelta(days=r.randint(21, 40)),
                "version": 1,
            },
        }

    def certificates(self, coop: dict, products: list[str]) -> list[dict]:
        """The co-op's certificates; an OCOP one rates one of ``products`` (one entry per
        listing)."""
        r = self.rng
        kind = self.kinds[coop["speciality"]]
        province = coop["province"]
        found = []

        def add(cert_kind: str, **values) -> None:
            years = CERT_YEARS[cert_kind]
            # Issued up to a few months more than its validity ago: some have expired.
            issued = self.day - timedelta(days=r.randint(0, 365 * years + 90))
            n = len(found)
            found.append(
                {
                    "kind": cert_kind,
                    "issued_on": issued,
                    "expires_on": issued + timedelta(days=365 * years),
                    "document_key": f"private/certificates/bench/{coop['index']}-{n}.pdf",
                    "document_type": "application/pdf",
                    "status": "approved" if r.random() < 0.95 else "submitted",
                    "created_at": datetime.combine(issued, datetime.min.time(), UTC)
                    + timedelta(days=r.randint(1, 30)),
                    "ocop_stars": None,
                    "product_name": None,
                    **values,
                }
            )

        rated: list[str] = []
        if r.random() < 0.25:
            # Products sold in more listings are likelier to have been rated.
            rated = list(dict.fromkeys(r.choice(products) for _ in range(r.choice((1, 1, 2)))))
            for product in rated:
                stars = r.choices((3, 4, 5), weights=(60, 32, 8))[0]
                level = "thành phố" if province in CITIES else "tỉnh"
                issuer = (
                    "Bộ Nông nghiệp và Môi trường"
                    if stars == 5
                    else f"UBND {level} {PROVINCES[province]}"
                )
                add(
                    "ocop",
                    number=f"{r.randint(100, 4999)}/QĐ-UBND",
                    issuer=issuer,
                    ocop_stars=stars,
                    product_name=product,
                )
        if kind.farm:
            if r.random() < 0.35:
                add(
                    "vietgap",
                    number=f"VietGAP-TT-{r.randint(10, 99)}-{r.randint(1000, 9999)}",
                    issuer=r.choice(CERT_ISSUERS["vietgap"]),
                )
            if r.random() < 0.05:
                add(
                    "globalgap",
                    number=f"GGN 40{r.randint(10**10, 10**11 - 1)}",
                    issuer=r.choice(CERT_ISSUERS["globalgap"]),
                )
            if r.random() < 0.10:
                add(
                    "organic",
                    number=f"ORG-{r.randint(100_000, 999_999)}",
                    issuer=r.choice(CERT_ISSUERS["organic"]),
                )
        return found

    # --- listings ----------------------------------------------------------------------

    def _place_word(self, coop: dict) -> str:
        r = self.rng
        province = coop["province"]
        choice = r.random()
        if choice < 0.55:
            return coop["place"]
        if choice < 0.75 and self.former.get(province):
            return r.choice(self.former[province])
        return PROVINCES[province]

    def _tiers(self, base: int, moq: int) -> list[tuple[int, int]]:
        r = self.rng
        count = r.choices((0, 1, 2, 3), weights=(20, 35, 30, 15))[0]
        tiers, quantity, price = [], moq, base
        for _ in range(count):
            quantity = _nice_quantity(quantity * r.choice((2, 3, 5, 10)))
            if (tiers and quantity <= tiers[-1][0]) or quantity <= moq:
                quantity = (tiers[-1][0] if tiers else moq) * 2
            next_price = _round_price(price * (1 - r.uniform(0.03, 0.12)))
            if next_price >= price:
                break
            tiers.append((quantity, next_price))
            price = next_price
        return tiers

    def listing(
        self, coop: dict, category_id: int, product: tuple[str, str], certs: list[dict]
    ) -> dict:
        r = self.rng
        kind = self.kinds[category_id]
        product_vi, product_en = product
        unit = r.choice(kind.units)
        pack = r.choice(unit.packs)
        moq = _nice_quantity(r.randint(*unit.moq))
        base = _round_price(math.exp(r.uniform(math.log(unit.price[0]), math.log(unit.price[1]))))
        # Certificates: farm ones cover most of the co-op's produce, OCOP its rated product.
        linked = []
        for cert in certs:
            if cert["status"] != "approved":
                continue
            if cert["kind"] == "ocop":
                if cert["product_name"] == product_vi:
                    linked.append(cert)
            elif kind.farm and r.random() < 0.8:
                linked.append(cert)
        valid = [c for c in linked if c["issued_on"] <= self.day < c["expires_on"]]

        words = [product_vi]
        if r.random() < 0.5:
            words.append(r.choice(kind.qualifiers))
        place = self._place_word(coop)
        if r.random() < 0.45:
            words.append(place)
        for cert in valid:
            if cert["kind"] == "organic" and r.random() < 0.4:
                words.append("hữu cơ")
            elif cert["kind"] == "vietgap" and r.random() < 0.3:
                words.append("VietGAP")
            elif cert["kind"] == "ocop" and r.random() < 0.2:
                words.append(f"OCOP {cert['ocop_stars']} sao")
        if pack and r.random() < 0.2:
            words.append(pack)
        title = " ".join(words)[:160]

        capacity = moq * r.choice((10, 20, 50, 100, 200, 500))
        lead = r.choice((1, 2, 3, 5, 7, 10, 14))
        unit_vi, unit_en = UNITS[unit.code]
        province_name = PROVINCES[coop["province"]]
        where = place if place == province_name else f"{place}, {province_name}"
        sentences = [
            f"{product_vi} do {coop['row']['name']} sản xuất tại {where}.",
            *r.sample(kind.sentences, r.randint(1, min(2, len(kind.sentences)))),
        ]
        if r.random() < 0.5:
            amount = f"{capacity:,}".replace(",", ".")
            sentences.append(
                f"Năng lực cung ứng khoảng {amount} {unit_vi} mỗi tháng, giao hàng trong "
                f"{lead} ngày sau khi xác nhận đơn."
            )
        for cert in valid[:1]:
            if cert["kind"] != "ocop":
                label = {"vietgap": "VietGAP", "globalgap": "GlobalGAP", "organic": "hữu cơ"}
                sentences.append(
                    f"Vùng trồng đạt chứng nhận {label[cert['kind']]}, số {cert['number']}."
                )
        sentences = sentences[:4]

        english = r.random() < 0.25
        published = self.now - timedelta(seconds=r.randint(0, 2 * 365 * 86_400))
        created = published - timedelta(seconds=r.randint(600, 14 * 86_400))
        harvest = None
        if kind.seasonal:
            start = r.randint(1, 12)
            harvest = ",".join(
                str(m) for m in sorted({(start + k - 1) % 12 + 1 for k in range(r.randint(2, 4))})
            )
        shelf = r.randint(*kind.shelf_days) if kind.shelf_days else None
        description_en = None
        if english:
            where_en = fold(where).title()
            units_en = unit_en if moq == 1 or unit.code == "kg" else f"{unit_en}s"
            description_en = f"{product_en} from {where_en}. Minimum order {moq} {units_en}."
        return {
            "coop": coop["index"],
            "certs": [id(c) for c in linked],
            "tiers": self._tiers(base, moq),
            "photos": r.choices((0, 1, 2, 3), weights=(10, 40, 35, 15))[0],
            "row": {
                "category_id": category_id,
                "title_vi": title,
                "title_en": f"{product_en}, {fold(place).title()}" if english else None,
                "description_vi": " ".join(sentences),
                "description_en": description_en,
                "origin_province_code": coop["province"],
                "unit": unit.code,
                "pack_size": pack or None,
                "base_price": base,
                "currency": "VND",
                "min_order_quantity": moq,
                "monthly_capacity": capacity,
                "lead_time_days": lead,
                "shelf_life_days": shelf,
                "storage_conditions": kind.storage,
                "harvest_months": harvest,
                "status": "published",
                "takedown_reason": None,
                "featured": r.random() < 0.01,
                "published_at": published,
                "created_at": created,
                "updated_at": published + timedelta(seconds=r.randint(0, 30 * 86_400)),
            },
        }

    def plan(self, coop: dict, count: int) -> list[tuple[int, tuple[str, str]]]:
        """(category, product) of each of the co-op's listings: a few products of its
        speciality and of one other line, each sold in several packs and grades."""
        r = self.rng
        ids = list(self.kinds)
        secondary = r.choices(ids, weights=[self.kinds[i].weight for i in ids])[0]
        ranges = {}
        for category_id, most in ((coop["speciality"], 5), (secondary, 3)):
            products = self.kinds[category_id].products
            ranges[category_id] = r.sample(products, min(len(products), r.randint(1, most)))
        plan = []
        for _ in range(count):
            category_id = coop["speciality"] if r.random() < 0.8 else secondary
            plan.append((category_id, r.choice(ranges[category_id])))
        return plan


def _shares(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` uneven whole shares of at least one each."""
    weights = [rng.lognormvariate(0, 0.6) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    shares = [1 + int(w * scale) for w in weights]
    for i in range(total - sum(shares)):
        shares[i % parts] += 1
    return shares


def _insert(conn, table, rows: list[dict], returning: bool = False) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), INSERT_BATCH):
        chunk = rows[start : start + INSERT_BATCH]
        if returning:
            stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            ids += list(conn.execute(stmt, chunk).scalars())
        else:
            conn.execute(insert(table), chunk)
    return ids


def generate(n: int, seed: int = 7, day: date | None = None) -> dict:
    """Write ``n`` listings (and their co-ops, tiers, photos and certificates), then rebuild
    the search projection. Needs an app context; commits. Returns counts and timings."""
    from marketplace.extensions import db
    from marketplace.models import (
        Category,
        Certificate,
        Listing,
        ListingPhoto,
        Organization,
        PriceTier,
        listing_certificates,
    )
    from marketplace.search import documents
    from marketplace.vietnam import today

    started = time.perf_counter()
    day = day or today()
    categories = [
        {
            "id": c.id,
            "parent_id": c.parent_id,
            "slug": c.slug,
            "name_vi": c.name_vi,
            "name_en": c.name_en,
        }
        for c in db.session.scalars(select(Category).order_by(Category.id))
    ]
    if not categories:
        raise SystemExit("No categories: run `flask db upgrade` first.")
    taken = {
        "organizations": set(db.session.scalars(select(Organization.slug))),
        "listings": set(db.session.scalars(select(Listing.slug))),
    }
    catalogue = Catalogue(seed, day, categories, taken)
    rng = catalogue.rng

    coops = [catalogue.coop(i) for i in range(max(1, math.ceil(n / LISTINGS_PER_COOP)))]
    listings, certificates = [], []
    for coop, share in zip(coops, _shares(rng, n, len(coops)), strict=True):
        plan = catalogue.plan(coop, share)
        certs = catalogue.certificates(coop, [vi for _, (vi, _) in plan])
        for cert in certs:
            cert["coop"] = coop["index"]
        certificates += certs
        listings += [catalogue.listing(coop, cid, product, certs) for cid, product in plan]
    # Ids follow creation time, as they do on the live site.
    listings.sort(key=lambda item: item["row"]["created_at"])

    conn = db.session.connection()
    org_ids = _insert(conn, Organization.__table__, [c["row"] for c in coops], returning=True)
    cert_rows = []
    for cert in certificates:
        row = {k: v for k, v in cert.items() if k != "coop"}
        row["organization_id"] = org_ids[cert["coop"]]
        cert_rows.append(row)
    cert_ids = _insert(conn, Certificate.__table__, cert_rows, returning=True)
    cert_id = {id(cert): new_id for cert, new_id in zip(certificates, cert_ids, strict=True)}

    for item in listings:
        row = item["row"]
        row["organization_id"] = org_ids[item["coop"]]
        # A readable slug like the app's own; the suffix is 7 hex digits where the app uses 6,
        # so the two can never collide.
        row["slug"] = catalogue.unique_slug(
            f"{slugify(row['title_vi'], 80)}-{rng.getrandbits(28):07x}", "listings", 7
        )
    listing_ids = _insert(conn, Listing.__table__, [item["row"] for item in listings], True)
    tiers, photos, links = [], [], []
    for item, listing_id in zip(listings, listing_ids, strict=True):
        tiers += [
            {"listing_id": listing_id, "min_quantity": q, "unit_price": p} for q, p in item["tiers"]
        ]
        photos += [
            {
                "listing_id": listing_id,
                "position": k,
                "key_prefix": f"public/listings/{listing_id}/{rng.getrandbits(128):032x}",
            }
            for k in range(item["photos"])
        ]
        links += [{"listing_id": listing_id, "certificate_id": cert_id[c]} for c in item["certs"]]
    _insert(conn, PriceTier.__table__, tiers)
    _insert(conn, ListingPhoto.__table__, photos)
    _insert(conn, listing_certificates, links)
    db.session.commit()
    generated = time.perf_counter() - started

    started = time.perf_counter()
    searchable = documents.rebuild_all()
    db.session.commit()
    projection = time.perf_counter() - started
    return {
        "listings": len(listings),
        "coops": len(coops),
        "certificates": len(certificates),
        "certificate_links": len(links),
        "price_tiers": len(tiers),
        "photos": len(photos),
        "searchable": searchable,
        "total_listings": db.session.scalar(select(func.count()).select_from(Listing)),
        "coop_ids": org_ids,
        "generate_seconds": round(generated, 2),
        "projection_seconds": round(projection, 2),
    }


# --- deals ---------------------------------------------------------------------------------


def _accounts(coop_ids: list[int], buyers: int, rng: random.Random) -> dict:
    """Owners of the co-ops, verified buyers with a delivery location, a fair organiser: bulk
    inserts sharing one password hash. Returns the organisation ids."""
    from marketplace.extensions import db
    from marketplace.models import DeliveryLocation, Membership, Organization, User
    from marketplace.services.accounts.accounts import hash_password

    conn = db.session.connection()
    password_hash = hash_password(BENCH_PASSWORD)
    now = datetime.now(UTC)
    cities = ["ha-noi", "ho-chi-minh", "da-nang", "hai-phong", "can-tho"]
    chains = ("Xanh Mart", "Bếp Việt", "Phân phối Miền Bắc", "Siêu thị Quê Nhà", "Bếp Ăn Hạnh Phúc")
    kinds = ("supermarket_chain", "canteen", "distributor", "supermarket_chain", "canteen")
    orgs = []
    for i in range(buyers):
        name = f"{chains[i % len(chains)]} {i + 1:04d}"
        province = cities[i % len(cities)]
        orgs.append(
            {
                "kind": "buyer",
                "buyer_type": kinds[i % len(kinds)],
                "name": name,
                "name_folded": fold(name),
                "slug": f"bench-buyer-{i + 1:04d}",
                "created_at": now - timedelta(days=400),
                "legal_name": f"Công ty TNHH {name}",
                "tax_code": f"01{rng.randint(10_000_000, 99_999_999)}",
                "province_code": province,
                "commune": "Phường Trung tâm",
                "street": f"{rng.randint(1, 300)} Đường Lê Lợi",
                "verification_status": "approved",
                "submitted_at": now - timedelta(days=390),
                "verified_at": now - timedelta(days=380),
                "version": 1,
            }
        )
    orgs.append(
        {
            "kind": "fair_organizer",
            "buyer_type": None,
            "name": "Liên minh HTX Bench",
            "name_folded": fold("Liên minh HTX Bench"),
            "slug": "bench-lien-minh-htx",
            "created_at": now - timedelta(days=400),
            "legal_name": "Liên minh Hợp tác xã Bench",
            "tax_code": f"02{rng.randint(10_000_000, 99_999_999)}",
            "province_code": "lai-chau",
            "commune": "Phường Tân Phong",
            "street": "Số 1 Đường Trần Phú",
            "verification_status": "approved",
            "submitted_at": now - timedelta(days=390),
            "verified_at": now - timedelta(days=380),
            "version": 1,
        }
    )
    ids = _insert(conn, Organization.__table__, orgs, returning=True)
    buyer_ids, organiser_id = ids[:-1], ids[-1]
    _insert(
        conn,
        DeliveryLocation.__table__,
        [
            {
                "organization_id": org_id,
                "name": "Kho trung tâm",
                "province_code": row["province_code"],
                "commune": row["commune"],
                "street": row["street"],
            }
            for org_id, row in zip(buyer_ids, orgs, strict=False)
        ],
    )
    people = [(coop_email(i), org_id) for i, org_id in enumerate(coop_ids)]
    people += [(buyer_email(i), org_id) for i, org_id in enumerate(buyer_ids)]
    people.append((ORGANISER_EMAIL, organiser_id))
    user_rows = [
        {
            "email": email,
            "name": f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} "
            f"{rng.choice(GIVEN_NAMES)}",
            "phone": f"09{rng.randint(10_000_000, 99_999_999)}",
            "password_hash": password_hash,
            "locale": "vi",
            "is_admin": False,
            "is_enabled": True,
        }
        for email, _org in people
    ]
    user_ids = _insert(conn, User.__table__, user_rows, returning=True)
    _insert(
        conn,
        Membership.__table__,
        [
            {"user_id": user_id, "organization_id": org_id, "role": "owner"}
            for user_id, (_email, org_id) in zip(user_ids, people, strict=True)
        ],
    )
    db.session.commit()
    return {"buyers": buyer_ids, "organiser": organiser_id}


def check_no_bench_accounts() -> None:
    """``--deals`` numbers its logins from 1: refuse a database that has them already."""
    from marketplace.extensions import db
    from marketplace.models import User

    if db.session.scalar(select(User.id).where(User.email.like(f"%@{BENCH_DOMAIN}")).limit(1)):
        raise SystemExit(
            f"Accounts @{BENCH_DOMAIN} exist already: --deals needs a fresh database "
            "(scripts/load.sh makes one)."
        )


def _actor(email: str):
    from marketplace.extensions import db
    from marketplace.models import User
    from marketplace.services.context import Actor

    return Actor(user=db.session.scalar(select(User).where(User.email == email)), ip="127.0.0.1")


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=hour), VN_TZ).astimezone(UTC)


def _contract(k: int, coop: tuple[int, str], buyer: tuple[int, str, int], rng) -> dict:
    """One deal between a buyer and a co-op, through the services; returns what it made."""
    from marketplace.extensions import db
    from marketplace.models import Category, Contract, Delivery, Listing
    from marketplace.services.deals import contracts, deliveries, invoices, rfqs
    from marketplace.vietnam import today

    coop_id, coop_login = coop
    buyer_id, buyer_login, location_id = buyer
    coop_actor, buyer_actor = _actor(coop_login), _actor(buyer_login)
    listing = db.session.scalars(
        select(Listing)
        .where(Listing.organization_id == coop_id, Listing.status == "published")
        .order_by(Listing.id)
    ).all()
    listing = listing[k % len(listing)]
    category = db.session.get(Category, listing.category_id)
    quantity = listing.min_order_quantity * rng.choice((1, 2, 3, 5))
    start = today() + timedelta(days=3)
    weekly = rng.random() < 0.7
    rfq = rfqs.create_rfq(
        buyer_actor,
        buyer_id,
        rfqs.RfqData(
            title=f"{listing.title_vi[:120]} cho {rng.randint(2, 40)} cửa hàng",
            lines=[
                rfqs.RfqLineData(
                    category_id=listing.category_id,
                    specification=listing.title_vi[:500],
                    quantity=str(quantity),
                    unit=listing.unit,
                    target_price="",
                    listing_id=listing.id,
                )
            ],
            pattern="weekly" if weekly else "monthly",
            weekdays=["1", "4"] if weekly else [],
            day_of_month="" if weekly else str(rng.randint(1, 28)),
            starts_on=start,
            ends_on=start + timedelta(weeks=rng.choice((12, 16, 26))),
            respond_by_date=today() + timedelta(days=2),
            delivery_location_id=location_id,
            payment_days=rng.choice(("15", "30", "45")),
            invited_only=True,
            invited_coop_ids=[coop_id],
        ),
    )
    quote = rfqs.submit_quote(
        coop_actor,
        rfq.id,
        coop_id,
        rfqs.VersionData(
            lines=[
                rfqs.QuoteLineData(
                    rfq_line_id=rfq.lines[0].id,
                    unit_price=str(listing.unit_price_for(quantity) or listing.base_price),
                    quantity=str(quantity),
                    vat_rate=category.vat_rate,
                    listing_id=listing.id,
                )
            ],
            valid_until=today() + timedelta(days=14),
            notes="Giao bằng xe của hợp tác xã, hóa đơn GTGT.",
        ),
    )
    db.session.commit()
    made = {"rfqs": 1, "quotes": 1, "contracts": 0, "received": 0, "invoices": 0, "paid": 0}
    if k % 7 == 6:  # left open: the buyer has not decided yet
        return made
    contract = rfqs.award(buyer_actor, rfq.id, {rfq.lines[0].id: quote.id}, {quote.id: 1})[0]
    for actor in (coop_actor, buyer_actor):
        contracts.sign(actor, contract.id, contract.version, confirmed=True)
    db.session.commit()
    made["contracts"] = 1
    # Moved into the past, as if signed weeks ago, so it has a history.
    contract = db.session.get(Contract, contract.id)
    shift = timedelta(days=rng.randint(7, 42))
    contract.starts_on -= shift
    contract.ends_on -= shift
    contract.activated_at = _moment(contract.starts_on - timedelta(days=3), 10)
    for signature in contract.signatures:
        signature.signed_at = contract.activated_at
    planned = db.session.scalars(
        select(Delivery).where(Delivery.contract_id == contract.id).order_by(Delivery.scheduled_on)
    ).all()
    for delivery in planned:
        delivery.scheduled_on -= shift
    db.session.commit()
    past = [d for d in planned if d.scheduled_on < today()]
    issued = []
    for n, delivery in enumerate(past):
        lines = {line.id: deliveries.DispatchLine(str(line.quantity)) for line in delivery.lines}
        deliveries.dispatch(coop_actor, delivery.id, delivery.version, lines)
        delivery.dispatched_at = _moment(delivery.scheduled_on, 5)
        db.session.commit()
        if n == len(past) - 1:
            break  # the newest is on its way
        receipt = {
            line.id: deliveries.ReceiptLine(str(line.dispatched_quantity))
            for line in delivery.lines
        }
        _done, invoice = deliveries.receive(buyer_actor, delivery.id, delivery.version, receipt)
        delivery.received_at = _moment(delivery.scheduled_on, 8)
        made["received"] += 1
        if invoice is not None:
            invoice.issued_on = delivery.scheduled_on
            invoice.due_on = delivery.scheduled_on + timedelta(days=contract.payment_days)
            issued.append(invoice)
        db.session.commit()
    made["invoices"] = len(issued)
    for invoice in issued[: int(len(issued) * 0.6)]:  # the older ones paid
        invoices.record_payment(
            coop_actor,
            invoice.id,
            amount=str(invoice.total),
            paid_on=min(invoice.due_on - timedelta(days=2), today()),
            reference=f"FT{invoice.issued_on:%y%m%d}{invoice.id:06d}",
        )
        made["paid"] += 1
    db.session.commit()
    return made


def _fairs(organiser_id: int, coops: list[tuple[int, str]], applications: int, rng) -> dict:
    """Published fairs with booth plans; co-ops apply, some are accepted and some pay."""
    from marketplace.demo_fairs import _fair
    from marketplace.extensions import db
    from marketplace.services import fairs

    organiser = _actor(ORGANISER_EMAIL)
    made = {"fairs": 0, "applications": 0, "accepted": 0, "fees_paid": 0}
    fair = None
    per_fair = min(APPLICATIONS_PER_FAIR, len(coops))  # a co-op applies once to a fair
    for a in range(applications):
        if a % per_fair == 0:
            fair = _fair(
                organiser,
                organiser_id,
                f"Hội chợ OCOP và nông sản Bench {a // per_fair + 1}",
                starts_in=30 + a // per_fair,
                rows=[("A", 4), ("B", 20), ("C", 20)],
            )
            fairs.publish_fair(organiser, fair.id)
            db.session.commit()
            made["fairs"] += 1
        coop_id, login = coops[a % len(coops)]
        application = fairs.apply(
            _actor(login),
            coop_id,
            fair.id,
            fairs.ApplicationData(
                booth_type_id=fair.booth_types[a % 2].id,
                contact_name="Người phụ trách gian hàng",
                contact_phone=f"09{rng.randint(10_000_000, 99_999_999)}",
                # A booth type may be full already: the co-op waits, as on the apply page.
                join_waitlist=True,
            ),
        )
        made["applications"] += 1
        if application.status == "submitted" and rng.random() < 0.7:
            fairs.review(organiser, application.id, "accept")
            made["accepted"] += 1
            if rng.random() < 0.6:
                fairs.mark_paid(organiser, application.id)
                made["fees_paid"] += 1
        db.session.commit()
    return made


def make_deals(coop_ids: list[int], listings: int, ratio: float, seed: int = 7) -> dict:
    """Accounts and the trade of ``round(listings × ratio)`` contracts (see the module's
    docstring). Needs an app context; commits as it goes. Returns counts and timings."""
    from flask import current_app

    from marketplace.extensions import db
    from marketplace.models import DeliveryLocation, OutboxMessage

    current_app.config["OUTBOX_DELIVER_IMMEDIATELY"] = False
    queued_before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    rng = random.Random(seed * 7919 + 1)
    started = time.perf_counter()
    total = max(1, round(listings * ratio))
    buyers = max(1, math.ceil(total / CONTRACTS_PER_BUYER))
    active = max(1, min(len(coop_ids), math.ceil(total / CONTRACTS_PER_COOP)))
    orgs = _accounts(coop_ids, buyers, rng)

    locations = dict(
        db.session.execute(
            select(DeliveryLocation.organization_id, DeliveryLocation.id).where(
                DeliveryLocation.organization_id.in_(orgs["buyers"])
            )
        ).all()
    )
    accounts_seconds = time.perf_counter() - started
    coops = [(coop_ids[i], coop_email(i)) for i in range(active)]
    buyer_list = [
        (org_id, buyer_email(i), locations[org_id]) for i, org_id in enumerate(orgs["buyers"])
    ]
    counts: dict[str, int] = {}
    started = time.perf_counter()
    for k in range(total):
        made = _contract(k, coops[k % active], buyer_list[k % buyers], rng)
        for key, value in made.items():
            counts[key] = counts.get(key, 0) + value
    deals_seconds = time.perf_counter() - started
    started = time.perf_counter()
    everyone = [(org_id, coop_email(i)) for i, org_id in enumerate(coop_ids)]
    counts.update(_fairs(orgs["organiser"], everyone, max(1, total // 2), rng))
    fairs_seconds = time.perf_counter() - started
    # Nobody reads the bench accounts' mail: the emails and search changes the deals queued
    # are marked delivered, so a load test does not start with a backlog of thousands of
    # emails with PDF invoices keeping the outbox workers busy.
    skipped = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id > queued_before, OutboxMessage.delivered_at.is_(None))
        .values(delivered_at=func.now())
    ).rowcount
    db.session.commit()
    return {
        **counts,
        "buyers": buyers,
        "active_coops": active,
        "password": BENCH_PASSWORD,
        "accounts_seconds": round(accounts_seconds, 2),
        "deals_seconds": round(deals_seconds, 2),
        "fairs_seconds": round(fairs_seconds, 2),
        "outbox_marked_delivered": skipped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="how many listings")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--deals",
        type=float,
        default=0.0,
        metavar="RATIO",
        help="also make accounts and RATIO supply contracts per listing (e.g. 0.01), with "
        "requests, quotes, deliveries, invoices and fair applications",
    )
    args = parser.parse_args()

    from marketplace import create_app

    # The database only: the engine's index is filled by `flask search reindex`.
    app = create_app({"ELASTICSEARCH_URL": None})
    with app.app_context():
        if args.deals > 0:
            check_no_bench_accounts()
        stats = generate(args.n, args.seed)
        coop_ids = stats.pop("coop_ids")
        if args.deals > 0:
            stats["deals"] = make_deals(coop_ids, args.n, args.deals, args.seed)
    if args.json:
        print(json.dumps(stats))
        return
    print(
        f"generated {stats['listings']} listings of {stats['coops']} co-ops "
        f"({stats['certificates']} certificates, {stats['price_tiers']} price tiers, "
        f"{stats['photos']} photos) in {stats['generate_seconds']:.1f} s; "
        f"search projection rebuilt ({stats['searchable']} searchable) "
        f"in {stats['projection_seconds']:.1f} s"
    )
    if "deals" in stats:
        d = stats["deals"]
        print(
            f"deals: {d['contracts']} contracts ({d['rfqs']} requests, {d['quotes']} quotes, "
            f"{d['received']} deliveries received, {d['invoices']} invoices, {d['paid']} paid) "
            f"in {d['deals_seconds']:.1f} s; {d['applications']} applications to {d['fairs']} "
            f"fairs in {d['fairs_seconds']:.1f} s; logins htx00001..htx{d['active_coops']:05d} "
            f"and buyer0001..buyer{d['buyers']:04d}@{BENCH_DOMAIN}, password {d['password']}"
        )


if __name__ == "__main__":
    main()
