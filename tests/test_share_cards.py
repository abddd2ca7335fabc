"""Share cards: Open Graph tags with a JPEG preview image, descriptions cut at a word, and
share links (Zalo, Facebook, copy link) on product, co-op, fair and traceability pages."""

import html
import io
import re
from datetime import date

from PIL import Image

from marketplace.extensions import db
from marketplace.services import fairs
from marketplace.services.accounts import profiles
from marketplace.services.catalogue import listings
from marketplace.web import excerpt
from tests.factories import (
    PDF_BYTES,
    actor_for,
    fair_data,
    jpeg,
    published_listing,
    settle,
    verified_coop,
    verified_organiser,
)

LONG = (
    "Rượu sâm Lai Châu ngâm từ củ sâm bảy năm tuổi, trồng dưới tán rừng nguyên sinh ở độ cao "
    "hai nghìn mét trên dãy Pu Si Lung, được đồng bào Dao đỏ chăm sóc thủ công, thu hoạch vào "
    "mùa thu khi củ đạt độ chín tự nhiên, rửa sạch bằng nước suối rồi ngâm cùng rượu nếp cái "
    "hoa vàng trong chum sành ít nhất sáu tháng."
)


def _meta(page: str, name: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def test_excerpt_cuts_at_a_word_and_ends_with_an_ellipsis():
    assert excerpt("  Sâm   Lai\nChâu ") == "Sâm Lai Châu"
    assert excerpt(None) == ""
    cut = excerpt(LONG)
    assert len(cut) <= 200 and cut.endswith("…")
    assert LONG.startswith(cut[:-1]) and LONG[len(cut) - 1] in " ,"
    assert excerpt("một hai ba bốn", limit=9) == "một hai…"
    assert excerpt("một, hai ba", limit=8) == "một…"
    assert excerpt("x" * 30, limit=10) == "x" * 9 + "…"  # one long word: cut anyway


def _assert_card(client, page: str, *, title: str, url: str, alt: str) -> None:
    assert _meta(page, "og:title") == title
    assert _meta(page, "og:url") == url
    assert f'<link rel="canonical" href="{url}">' in page
    image = _meta(page, "og:image")
    assert image.startswith("http://localhost/share/public/") and image.endswith(".jpg")
    assert _meta(page, "og:image:type") == "image/jpeg"
    assert (_meta(page, "og:image:width"), _meta(page, "og:image:height")) == ("1200", "630")
    assert _meta(page, "og:image:alt") == alt
    served = client.get(image.removeprefix("http://localhost"))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as picture:
        assert picture.format == "JPEG" and picture.size == (1200, 630)


def _assert_share_links(page: str, url: str) -> None:
    quoted = re.escape(url.replace(":", "%3A").replace("/", "%2F"))
    assert re.search(rf'href="https://zalo.me/share\?url={quoted}"', page)
    assert re.search(rf'href="https://www.facebook.com/sharer/sharer.php\?u={quoted}"', page)
    assert f'data-copy="{url}"' in page


def test_a_product_page_shares_a_jpeg_with_its_size_alt_and_a_description_cut_at_a_word(
    app, client
):
    coop = verified_coop(app)
    _id, slug = published_listing(app, coop, description_vi=LONG)
    page = client.get(f"/p/{slug}").get_data(as_text=True)
    url = f"http://localhost/p/{slug}"
    _assert_card(
        client, page, title="Rượu sâm Lai Châu · HTX Sâm Lai Châu", url=url, alt="Rượu sâm Lai Châu"
    )
    description = _meta(page, "og:description")
    assert description == _meta(page, "description") == excerpt(LONG)
    assert description.endswith("…") and LONG.startswith(description[:-1])
    assert LONG[len(description) - 1] in " ,"  # cut before a space: never inside a word
    _assert_share_links(page, url)


def test_a_coop_page_has_a_jpeg_card_a_whole_word_description_and_share_links(app, client):
    coop = verified_coop(app)
    with app.app_context():
        me = actor_for(coop)
        profiles.save_story(me, coop.organization_id, None, story_vi=LONG, story_en="")
        slug = profiles.upload_logo(me, coop.organization_id, jpeg(300, 300)).slug
        settle()
    page = client.get(f"/htx/{slug}").get_data(as_text=True)
    url = f"http://localhost/htx/{slug}"
    _assert_card(
        client,
        page,
        title="HTX Sâm Lai Châu · Lai Châu",
        url=url,
        alt="Logo của HTX Sâm Lai Châu",
    )
    assert _meta(page, "og:description") == excerpt(LONG)
    _assert_share_links(page, url)


def test_a_fair_page_has_open_graph_tags_and_share_links(app, client):
    organiser = verified_organiser(app)
    with app.app_context():
        me = actor_for(organiser)
        fair = fairs.create_fair(
            me,
            organiser.organization_id,
            fair_data(description_vi=LONG),
            cover=jpeg(1600, 600),
        )
        booth_type = fairs.add_booth_type(
            me, fair.id, name="Tiêu chuẩn", size="3×3 m", fee="500.000"
        )
        fairs.add_booth_row(me, fair.id, letter="A", count=1, booth_type_id=booth_type.id)
        fairs.publish_fair(me, fair.id)
        slug = fair.slug
        settle()
    page = client.get(f"/fairs/{slug}").get_data(as_text=True)
    url = f"http://localhost/fairs/{slug}"
    _assert_card(
        client,
        page,
        title="Hội chợ OCOP Lai Châu 2026",
        url=url,
        alt="Hội chợ OCOP Lai Châu 2026",
    )
    assert _meta(page, "og:description") == excerpt(LONG)
    _assert_share_links(page, url)


def test_a_traceability_page_has_open_graph_tags(app, client):
    coop = verified_coop(app)
    listing_id, _slug = published_listing(app, coop)
    with app.app_context():
        lot = listings.create_lot(
            actor_for(coop),
            coop.organization_id,
            listing_id,
            listings.LotData(code="LSAM-7", produced_on=date(2026, 1, 5), quantity="10"),
            PDF_BYTES,
        )
        code = lot.public_code
        db.session.commit()
    page = client.get(f"/t/{code}").get_data(as_text=True)
    _assert_card(
        client,
        page,
        title="Truy xuất nguồn gốc · Rượu sâm Lai Châu",
        url=f"http://localhost/t/{code}",
        alt="Rượu sâm Lai Châu",
    )
    assert _meta(page, "og:description") == (
        "Lô LSAM-7, sản xuất ngày 05/01/2026 bởi HTX Sâm Lai Châu, Lai Châu."
    )


def test_the_share_image_is_only_made_from_public_images_and_revalidates(app, client):
    coop = verified_coop(app)
    _id, slug = published_listing(app, coop)
    page = client.get(f"/p/{slug}").get_data(as_text=True)
    path = _meta(page, "og:image").removeprefix("http://localhost")
    first = client.get(path)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=3600"
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    assert client.get(path.replace("/share/public/", "/share/private/")).status_code == 404
    assert client.get(path.replace(".jpg", "x.jpg")).status_code == 404
    assert client.get("/share/public/../private/x.jpg").status_code == 404
