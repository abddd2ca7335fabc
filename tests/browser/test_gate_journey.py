"""A gate phone at 360 px: Chromium's fake camera, fed with a badge's QR code, checks the
contact person in; offline, a typed staff code is queued ("1 scan waiting to be sent"); back
online the queue is sent; the attendance list shows both people once."""

import io
import os
from datetime import timedelta

from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Badge, Fair, Scan
from marketplace.qr import qr_png
from marketplace.services import fair_gate, fairs
from marketplace.vietnam import today
from tests.browser.conftest import CHROMIUM_ARGS, OUTPUT_DIR
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


def _camera_video(path: str, payload: str) -> None:
    """A Motion-JPEG file (JPEG frames one after another) of the QR code on white, which
    Chromium's fake camera plays in a loop."""
    code = Image.open(io.BytesIO(qr_png(payload))).convert("RGB")
    code = code.resize((400, 400), Image.NEAREST)
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(code, (120, 40))
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=90)
    with open(path, "wb") as out:
        out.write(buffer.getvalue() * 30)


def test_gate_phone_camera_then_offline_queue(live_server, live_app, browser: Browser, tmp_path):
    organiser = verified_organiser(live_app)
    coop = verified_coop(live_app, organization_name="HTX Mận Hậu")
    fair_id, type_id = open_fair(live_app, organiser)
    with live_app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        fairs.mark_paid(actor_for(organiser), applied.id)
        staff = fair_gate.add_staff_badge(
            actor_for(coop), coop.organization_id, applied.id, "Lò Văn Tú", "0912 111 222"
        )
        fair = db.session.get(Fair, fair_id)
        fair.applications_open_on = today() - timedelta(days=20)
        fair.applications_close_on = today() - timedelta(days=2)
        fair.starts_on, fair.ends_on = today(), today() + timedelta(days=2)
        contact_code = db.session.scalar(
            select(Badge.code).where(Badge.application_id == applied.id, Badge.is_contact)
        )
        staff_code = staff.code
        settle()

    video = str(tmp_path / "badge.mjpeg")
    _camera_video(video, f"{live_server}/fairs/{fair_id}/gate/{contact_code}")
    camera_browser = browser.browser_type.launch(
        executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    errors: list[str] = []
    try:
        context = camera_browser.new_context(
            viewport={"width": 360, "height": 780}, device_scale_factor=2
        )
        context.grant_permissions(["camera"], origin=live_server)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(page, live_server, organiser)
        page.goto(live_server + f"/fairs/{fair_id}/gate")
        page.get_by_text("Cài đặt cổng").click()
        page.get_by_label("Tên cổng này").fill("Cổng Đông")
        page.get_by_label("Tên cổng này").blur()

        # The camera reads the contact person's QR code: checked in, in green and in words.
        page.get_by_role("button", name="Bật máy ảnh").click()
        expect(page.locator("#gate-camera")).to_have_attribute(
            "data-scanning", "jsqr", timeout=10_000
        )
        result = page.locator("#gate-live .gate-result--ok")
        expect(result).to_contain_text("Vàng A Sính", timeout=20_000)
        expect(result).to_contain_text("đã điểm danh")
        expect(page.locator("#gate-counts")).to_contain_text("1/1 đơn vị tham gia có mặt")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=os.path.join(OUTPUT_DIR, "gate-camera-360.png"), full_page=True)
        page.get_by_role("button", name="Tắt máy ảnh").click()

        # The network goes: a typed code waits on the phone.
        context.set_offline(True)
        page.get_by_label("Mã thẻ").fill(fair_gate.grouped(staff_code).lower())
        page.get_by_role("button", name="Điểm danh").click()
        expect(page.locator("#gate-queue")).to_have_text("1 lượt quét đang chờ gửi")
        expect(page.locator("#gate-live .gate-result--queued")).to_contain_text("Đang chờ mạng")
        page.screenshot(path=os.path.join(OUTPUT_DIR, "gate-offline-360.png"), full_page=True)
        with live_app.app_context():
            assert (
                db.session.scalar(select(Badge.checked_in_at).where(Badge.code == staff_code))
                is None
            )

        # Back online: the queue is sent and answered.
        context.set_offline(False)
        expect(page.locator("#gate-queue")).to_be_hidden(timeout=15_000)
        expect(page.locator("#gate-live .gate-result--ok")).to_contain_text("Lò Văn Tú")
        page.screenshot(path=os.path.join(OUTPUT_DIR, "gate-sent-360.png"), full_page=True)

        # The attendance list shows both people once, with the gate's name.
        page.goto(live_server + f"/fairs/{fair_id}/attendance")
        expect(page.locator("#attendance-counts")).to_contain_text("2 người đã điểm danh")
        people = page.locator(".attendance-people li")
        expect(people).to_have_count(2)
        expect(people.filter(has_text="Cổng Đông")).to_have_count(2)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=os.path.join(OUTPUT_DIR, "gate-attendance-360.png"), full_page=True)
        with live_app.app_context():
            results = list(
                db.session.scalars(
                    select(Scan.result).where(Scan.fair_id == fair_id).order_by(Scan.id)
                )
            )
            assert results.count("checked_in") == 2, results
            assert (
                db.session.scalar(
                    select(func.count()).where(
                        Badge.fair_id == fair_id, Badge.checked_in_at.is_not(None)
                    )
                )
                == 2
            )
        context.close()
    finally:
        camera_browser.close()
    assert not errors, errors
