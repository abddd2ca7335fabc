"""Every main page of each kind of user passes axe-core's accessibility rules with nothing
"serious" or "critical", in Vietnamese and (for a few pages) English, on a 360-px phone.

axe-core is installed from npm (package.json / package-lock.json, `npm ci` in scripts/test.sh)
and injected into each page; no rule is turned off."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Contract, Delivery, Fair, Listing, Organization, Quote
from marketplace.services import fairs
from marketplace.services.accounts import verification
from tests.factories import (
    PROJECT_ROOT,
    actor_for,
    admin_actor,
    application,
    coop_with_listing,
    fill_coop_profile,
    invoice_first_delivery,
    make_person,
    open_fair,
    post_rfq,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
    verified_organiser,
)

AXE = os.path.join(PROJECT_ROOT, "node_modules", "axe-core", "axe.min.js")
#: The pages' Content-Security-Policy refuses inline scripts, axe-core's too: the check's own
#: context bypasses it (every other browser test runs under the policy).
PHONE = {"viewport": {"width": 360, "height": 740}, "bypass_csp": True}
#: What fails the check; "minor" and "moderate" findings are left to judgement.
FAILING = {"serious", "critical"}


@dataclass
class World:
    coop: object
    buyer: object
    organiser: object
    admin: object
    newcomer: object
    coop_slug: str
    listing_id: int
    listing_slug: str
    open_rfq_id: int
    rfq_id: int
    quote_id: int
    contract_id: int
    invoice_id: int
    delivery_id: int
    fair_id: int
    fair_slug: str


@pytest.fixture(scope="module")
def world(live_app) -> World:
    app = live_app
    coop = verified_coop(app, organization_name="HTX Rau Sạch Tiếp Cận")
    buyer = verified_buyer(app, name="Siêu thị Tiếp Cận", location="Kho Tiếp Cận")
    organiser = verified_organiser(app)
    admin = admin_actor(app)
    newcomer = make_person(app, organization_name="HTX Mới Tiếp Cận")
    listing_id = coop_with_listing(app, coop, title_vi="Rượu sâm Tiếp Cận")
    contract_id = signed_contract(app, buyer, coop)
    invoice_id, _total = invoice_first_delivery(app, buyer, coop, contract_id)
    open_rfq_id = post_rfq(app, buyer, title="Rượu sâm cho Tết")
    fair_id, _type_id = open_fair(app, organiser)
    # A co-op waiting in the verification queue.
    waiting = make_person(app, organization_name="HTX Chờ Duyệt Tiếp Cận")
    fill_coop_profile(app, waiting, name="HTX Chờ Duyệt Tiếp Cận")
    with app.app_context():
        verification.submit(actor_for(waiting), waiting.organization_id)
        settle()
        contract = db.session.get_one(Contract, contract_id)
        return World(
            coop=coop,
            buyer=buyer,
            organiser=organiser,
            admin=admin,
            newcomer=newcomer,
            coop_slug=db.session.get_one(Organization, coop.organization_id).slug,
            listing_id=listing_id,
            listing_slug=db.session.get_one(Listing, listing_id).slug,
            open_rfq_id=open_rfq_id,
            rfq_id=db.session.scalar(select(Quote.rfq_id).where(Quote.id == contract.quote_id)),
            quote_id=contract.quote_id,
            contract_id=contract_id,
            invoice_id=invoice_id,
            delivery_id=db.session.scalars(
                select(Delivery.id)
                .where(Delivery.contract_id == contract_id)
                .order_by(Delivery.scheduled_on)
            ).first(),
            fair_id=fair_id,
            fair_slug=db.session.get_one(Fair, fair_id).slug,
        )


def _violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line per rule."""
    page.add_script_tag(path=AXE)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in FAILING:
            continue
        targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:8])
        more = len(violation["nodes"]) - 8
        found.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']}"
            f" — {targets}{f' (+{more} more)' if more > 0 else ''}"
        )
    return found


class Check:
    """One person's phone, visiting pages and gathering what axe-core finds on each."""

    def __init__(self, browser: Browser, base: str) -> None:
        if not os.path.exists(AXE):
            pytest.exit(f"{AXE} is missing: run `npm ci` (make test does).", returncode=1)
        self.context = browser.new_context(**PHONE)
        self.page = self.context.new_page()
        self.base = base
        self.report: list[str] = []
        self.checked = 0

    def log_in(self, person) -> None:
        self.page.goto(self.base + "/login")
        self.page.get_by_label("Email").fill(person.email)
        self.page.get_by_label("Mật khẩu").fill(person.password)
        self.page.get_by_role("button", name="Đăng nhập").click()
        self.page.wait_for_load_state()

    def visit(self, name: str, path: str, status: int = 200) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == status, (name, path)
        self.found(name, path)

    def found(self, name: str, path: str) -> None:
        self.checked += 1
        problems = _violations(self.page)
        if problems:
            lang = self.page.locator("html").get_attribute("lang")
            self.report.append(f"{name} ({lang}, {path}):\n" + "\n".join(problems))

    def menu(self) -> None:
        """The page again with the header's folded menu open (axe checks what is shown)."""
        summary = self.page.locator("#menu > summary")
        if summary.count():
            summary.click()
            assert self.page.locator("#menu[open]").count() == 1
            self.found("header menu open", self.page.url.removeprefix(self.base))
            summary.click()

    def english(self) -> None:
        # The language switch may sit in a folded menu on a phone: press it where it is.
        with self.page.expect_navigation():
            self.page.locator("button[name=lang][value=en]").evaluate("button => button.click()")
        assert self.page.locator("html").get_attribute("lang") == "en"

    def done(self) -> None:
        self.context.close()
        assert self.checked, "no page was checked"
        assert not self.report, "axe-core found serious or critical problems:\n" + "\n".join(
            self.report
        )


def _check(browser: Browser, base: str, person, pages: Callable[[Check], None]) -> None:
    check = Check(browser, base)
    if person is not None:
        check.log_in(person)
    pages(check)
    check.done()


def test_anonymous_pages(browser: Browser, live_server, world: World):
    def pages(c: Check) -> None:
        c.visit("home", "/")
        c.menu()
        c.visit("search results", "/search?q=ruou+sam")
        c.visit("product page", f"/p/{world.listing_slug}")
        c.visit("co-op page", f"/htx/{world.coop_slug}")
        c.visit("fairs", "/fairs")
        c.visit("fair page", f"/fairs/{world.fair_slug}")
        c.visit("category", "/c/ruou")
        c.visit("page not found", "/khong-co-trang-nay", status=404)
        c.visit("forgotten password", "/password/forgot")
        c.visit("login", "/login")
        c.visit("sign-up", "/signup")
        # A refused sign-up, its errors beside the fields and in the summary.
        c.page.get_by_label("Email").fill("khong-phai-email")
        c.page.get_by_role("button", name="Tạo tài khoản").click()
        c.page.wait_for_load_state()
        assert c.page.locator(".error").count() > 0
        c.found("refused sign-up", "/signup (POST)")
        c.english()
        c.visit("home", "/")
        c.menu()
        c.visit("search results", "/search?q=ruou+sam")
        c.visit("product page", f"/p/{world.listing_slug}")
        c.visit("sign-up", "/signup")

    _check(browser, live_server, None, pages)


def test_co_op_pages(browser: Browser, live_server, world: World):
    org = world.coop.organization_id

    def pages(c: Check) -> None:
        c.visit("start page", f"/orgs/{org}")
        c.menu()
        c.visit("profile and verification", f"/orgs/{org}/profile")
        for step in ("identity", "address", "people", "story", "bank"):
            c.visit(f"onboarding: {step}", f"/orgs/{org}/profile/{step}")
        c.visit("new certificate", f"/orgs/{org}/certificates/new")
        c.visit("listings manager", f"/orgs/{org}/listings")
        c.visit("new listing form", f"/orgs/{org}/listings/new")
        # Refused: the error summary and the errors beside their fields.
        c.page.get_by_role("button", name="Lưu nháp").click()
        c.page.wait_for_load_state()
        assert c.page.locator(".error-summary").count() == 1
        c.found("refused listing form", f"/orgs/{org}/listings/new (POST)")
        c.visit("listing form", f"/orgs/{org}/listings/{world.listing_id}/edit")
        c.visit("sales", f"/orgs/{org}/trade")
        c.visit("request and quote form", f"/rfqs/{world.open_rfq_id}")
        c.visit("quote", f"/quotes/{world.quote_id}")
        c.visit("contract", f"/contracts/{world.contract_id}")
        c.visit("delivery", f"/deliveries/{world.delivery_id}")
        c.visit("invoices", f"/orgs/{org}/invoices")
        c.visit("invoice", f"/invoices/{world.invoice_id}")
        c.visit("pay page", f"/pay/invoice/{world.invoice_id}")
        c.visit("statement", f"/orgs/{org}/statement")
        c.visit("lots and QR codes", f"/orgs/{org}/listings/{world.listing_id}/lots")
        c.visit("fair application form", f"/orgs/{org}/fairs/{world.fair_id}/apply")
        c.visit("fair applications", f"/orgs/{org}/fair-applications")
        c.visit("messages", "/messages")
        c.visit("messages about the contract", f"/contracts/{world.contract_id}/messages")
        c.visit("notifications", "/notifications")
        c.visit("my account", "/account")
        c.visit("email choices", "/account/emails")
        c.english()
        c.visit("start page", f"/orgs/{org}")
        c.visit("listing form", f"/orgs/{org}/listings/{world.listing_id}/edit")
        c.visit("contract", f"/contracts/{world.contract_id}")

    _check(browser, live_server, world.coop, pages)


def test_a_new_co_op_s_first_steps(browser: Browser, live_server, world: World):
    org = world.newcomer.organization_id

    def pages(c: Check) -> None:
        c.visit("start page with its checklist", f"/orgs/{org}")
        assert c.page.locator("#start-checklist").count() == 1
        c.visit("profile with what is missing", f"/orgs/{org}/profile")
        c.visit("legal details", f"/orgs/{org}/profile/identity")
        c.page.get_by_label("Mã số thuế").fill("12")
        c.page.get_by_role("button", name="Lưu và tiếp tục").click()
        c.page.wait_for_load_state()
        assert c.page.locator(".error-summary").count() == 1
        c.found("refused legal details", f"/orgs/{org}/profile/identity (POST)")
        c.english()
        c.visit("start page with its checklist", f"/orgs/{org}")

    _check(browser, live_server, world.newcomer, pages)


def test_buyer_pages(browser: Browser, live_server, world: World):
    org = world.buyer.organization_id

    def pages(c: Check) -> None:
        c.visit("start page", f"/orgs/{org}")
        c.menu()
        c.visit("profile and delivery locations", f"/orgs/{org}/profile")
        c.visit("purchasing", f"/orgs/{org}/trade")
        c.visit("request form", f"/orgs/{org}/rfqs/new")
        c.page.get_by_role("button", name="Đăng yêu cầu báo giá").click()
        c.page.wait_for_load_state()
        assert c.page.locator(".error-summary").count() == 1
        c.found("refused request form", f"/orgs/{org}/rfqs/new (POST)")
        c.visit("request page", f"/rfqs/{world.open_rfq_id}")
        c.visit("awarded request", f"/rfqs/{world.rfq_id}")
        c.visit("quote", f"/quotes/{world.quote_id}")
        c.visit("contract", f"/contracts/{world.contract_id}")
        c.visit("invoices", f"/orgs/{org}/invoices")
        c.visit("invoice", f"/invoices/{world.invoice_id}")
        c.visit("pay page", f"/pay/invoice/{world.invoice_id}")
        c.visit("messages", "/messages")
        c.visit("notifications", "/notifications")
        c.english()
        c.visit("request form", f"/orgs/{org}/rfqs/new")
        c.visit("pay page", f"/pay/invoice/{world.invoice_id}")

    _check(browser, live_server, world.buyer, pages)


def _application_to_review(app, world: World) -> int:
    """The co-op's application to the organiser's fair, with a product and a preferred booth."""
    with app.app_context():
        fair = db.session.get_one(Fair, world.fair_id)
        applied = fairs.apply(
            actor_for(world.coop),
            world.coop.organization_id,
            fair.id,
            application(
                fair.booth_types[0].id,
                preferred_booth_id=fair.booths[-1].id,
                listing_ids=[world.listing_id],
            ),
        )
        application_id = applied.id
        settle()
    return application_id


def _checked_in_at_the_gate(app, world: World) -> None:
    """Two check-ins at the fair's gate an hour apart, so the dashboard draws its hourly chart."""
    from datetime import UTC, datetime

    from marketplace.models import Scan

    with app.app_context():
        fair = db.session.get_one(Fair, world.fair_id)
        start = datetime(
            fair.starts_on.year, fair.starts_on.month, fair.starts_on.day, 2, tzinfo=UTC
        )
        for n in range(2):
            db.session.add(
                Scan(
                    fair_id=fair.id,
                    read=f"a11y-{n}",
                    result="checked_in",
                    scanned_at=start.replace(hour=2 + n),
                )
            )
        settle()


def test_organiser_pages(browser: Browser, live_server, live_app, world: World):
    org = world.organiser.organization_id
    application_id = _application_to_review(live_app, world)
    _checked_in_at_the_gate(live_app, world)

    def review_pages(c: Check) -> None:
        c.visit("fair applications", f"/fairs/{world.fair_id}/applications")
        c.visit("fair application review", f"/fair-applications/{application_id}")
        # Many at once: a choice refused (nothing ticked), then the confirmation.
        c.visit("fair applications", f"/fairs/{world.fair_id}/applications?status=submitted")
        with c.page.expect_navigation():
            c.page.locator("#bulk-continue").click()
        c.found("fair applications, nothing chosen", c.page.url.removeprefix(c.base))
        c.page.locator(f"#pick-{application_id}").check()
        with c.page.expect_navigation():
            c.page.locator("#bulk-continue").click()
        assert c.page.locator("#bulk-confirm").count() == 1
        c.found("fair applications, confirmation", c.page.url.removeprefix(c.base))

    def pages(c: Check) -> None:
        c.visit("start page", f"/orgs/{org}")
        c.menu()
        c.visit("our fairs", f"/orgs/{org}/fairs")
        c.visit("fair form", f"/orgs/{org}/fairs/new")
        c.visit("fair manage page", f"/fairs/{world.fair_id}/manage")
        c.visit("fair edit form", f"/fairs/{world.fair_id}/edit")
        c.visit("floor plan", f"/fairs/{world.fair_id}/plan")
        c.visit("gate", f"/fairs/{world.fair_id}/gate")
        c.visit("attendance", f"/fairs/{world.fair_id}/attendance")
        c.visit("fair dashboard", f"/fairs/{world.fair_id}/dashboard")
        review_pages(c)
        c.english()
        c.visit("fair dashboard", f"/fairs/{world.fair_id}/dashboard")
        c.visit("fair manage page", f"/fairs/{world.fair_id}/manage")
        c.visit("floor plan", f"/fairs/{world.fair_id}/plan")
        c.visit("gate", f"/fairs/{world.fair_id}/gate")
        c.visit("attendance", f"/fairs/{world.fair_id}/attendance")
        review_pages(c)

    _check(browser, live_server, world.organiser, pages)


def test_admin_pages(browser: Browser, live_server, world: World):
    def pages(c: Check) -> None:
        c.visit("verification queue", "/admin/verifications")
        c.menu()
        with_waiting = c.page.get_by_role("link", name="HTX Chờ Duyệt Tiếp Cận")
        with_waiting.click()
        c.page.wait_for_load_state()
        c.found("verification review", c.page.url)
        c.visit("payouts", "/admin/payouts")
        c.visit("categories", "/admin/categories")
        c.visit("platform bank account", "/admin/platform-account")
        c.visit("admin", "/admin/")

    _check(browser, live_server, world.admin, pages)
