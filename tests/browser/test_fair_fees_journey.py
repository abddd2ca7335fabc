"""A phone-sized journey for a fair's booth fee: the co-op, accepted to a fair, opens the notice
(the pay page), downloads the fee invoice and says "I have transferred"; the organiser records
the fee received with amount, date and bank reference (a wrong amount first, answered beside
the field); the dashboard shows the fee collected and the booth sold."""

import os
import subprocess
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    ApplicationStatus,
    ClaimStatus,
    Fair,
    FairApplication,
    Scan,
    TransferClaim,
)
from marketplace.services import fairs
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import (
    actor_for,
    application,
    open_fair,
    settle,
    verified_coop,
    verified_organiser,
)


def _login(page: Page, base: str, person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=os.path.join(OUTPUT_DIR, f"fair-fees-{name}.png"), full_page=True)


def _fits(page: Page) -> None:
    """Nothing scrolls sideways at 360 px."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_booth_fee_from_the_notice_to_the_dashboard(live_server, live_app, browser: Browser):
    organiser = verified_organiser(live_app)
    coop = verified_coop(live_app, organization_name="HTX Miến Dong Bình Liêu")
    fair_id, type_id = open_fair(live_app, organiser)
    with live_app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        app_id = applied.id
        booth = applied.booth.code
        settle()

    # The co-op opens the notice: it leads to the pay page, with the fee invoice.
    coop_context = browser.new_context(
        viewport={"width": 360, "height": 780}, device_scale_factor=2, accept_downloads=True
    )
    page = coop_context.new_page()
    _login(page, live_server, coop)
    page.goto(live_server + "/notifications")
    with page.expect_navigation():
        page.locator(".notification-open").first.click()
    assert page.url.endswith(f"/pay/fair_fee/{app_id}")
    expect(page.locator("#outstanding")).to_have_text("2.000.000 ₫")
    _fits(page)
    _shot(page, "1-pay-page")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải hoá đơn phí (PDF)").click()
    pdf = os.path.join(OUTPUT_DIR, "fair-fees-invoice.pdf")
    download.value.save_as(pdf)
    assert download.value.suggested_filename == f"PHGH-{fair_id}-{app_id}.pdf"
    text = " ".join(
        subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    assert f"PHGH-{fair_id}-{app_id}" in text and "2.000.000" in text
    assert "không phải hóa đơn điện tử" in text and "Hai triệu đồng" in text
    # "I have transferred", with the amount and date filled in.
    page.locator("#claim-button").click()
    expect(page.locator("#awaiting")).to_be_visible()
    _shot(page, "2-claimed")
    coop_context.close()

    # The organiser records the fee received on the application's row: a wrong amount is
    # answered beside the field with what was typed kept, then the right one confirms it.
    context = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=2)
    page = context.new_page()
    _login(page, live_server, organiser)
    page.goto(f"{live_server}/fairs/{fair_id}/manage")
    row = page.locator(f"#application-{app_id}")
    row.get_by_text("Ghi nhận đã nhận phí").first.click()
    amount = page.locator(f"#fee-{app_id}-amount")
    expect(amount).to_have_value("2000000")
    amount.fill("1.500.000")
    page.locator(f"#fee-{app_id}-bank_reference").fill("FT26340123456")
    _fits(page)
    _shot(page, "3-fee-form")
    with page.expect_navigation():
        row.get_by_role("button", name="Ghi nhận đã nhận phí").click()
    expect(page.locator(f"#fee-{app_id}-amount")).to_have_value("1.500.000")
    expect(page.locator(f"#fee-{app_id}-amount-error")).to_contain_text("2.000.000")
    _fits(page)
    _shot(page, "4-underpaid")
    page.locator(f"#fee-{app_id}-amount").fill("2.000.000")
    with page.expect_navigation():
        page.locator(f"#application-{app_id}").get_by_role(
            "button", name="Ghi nhận đã nhận phí"
        ).click()
    expect(page.locator(".flash--success")).to_be_visible()
    with live_app.app_context():
        assert db.session.get_one(FairApplication, app_id).status is ApplicationStatus.CONFIRMED
        claim = db.session.scalar(select(TransferClaim).where(TransferClaim.payable_id == app_id))
        assert claim.status is ClaimStatus.CLOSED

    # Two check-ins at the gate, 08:xx and 09:xx Vietnam time on the fair's first day.
    with live_app.app_context():
        fair = db.session.get_one(Fair, fair_id)
        first_day = fair.starts_on
        first = datetime(fair.starts_on.year, fair.starts_on.month, fair.starts_on.day, tzinfo=UTC)
        for n, minutes in enumerate((65, 70, 130)):
            db.session.add(
                Scan(
                    fair_id=fair_id,
                    read=f"journey-{n}",
                    result="checked_in",
                    scanned_at=first + timedelta(minutes=minutes),
                )
            )
        settle()

    # The dashboard: the fee collected, the booth sold, check-ins by hour.
    page.locator("#dashboard-link").click()
    expect(page.locator("#fees-collected")).to_have_text("2.000.000 ₫")
    expect(page.locator("#fees-outstanding")).to_have_text("0 ₫")
    expect(page.locator("#booths-sold")).to_have_text("1/2")
    expect(page.locator(".booth-numbers").first).to_contain_text("1 đã xác nhận")
    day = page.locator(f"#checkins-{first_day.isoformat()}")
    expect(day.locator("figcaption")).to_contain_text("(3)")
    day.get_by_text("Xem dạng bảng").click()
    expect(day.locator("tbody tr").first).to_contain_text("08:00–08:59")
    expect(day.locator("tbody tr").first).to_contain_text("2")
    _fits(page)
    _shot(page, "5-dashboard")
    # The organiser's list of fairs shows each fair's key numbers.
    page.goto(f"{live_server}/orgs/{organiser.organization_id}/fairs")
    numbers = page.locator(".fair-numbers").first
    expect(numbers).to_contain_text("1 đơn đăng ký")
    expect(numbers).to_contain_text("đã bán 1/2 gian hàng")
    expect(numbers).to_contain_text("2.000.000")
    _fits(page)
    _shot(page, "6-our-fairs")
    assert booth
    context.close()
