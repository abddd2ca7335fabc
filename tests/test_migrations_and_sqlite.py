"""Migrations on both databases, and a smoke run of the app on the embedded SQLite default."""

import re
from contextlib import nullcontext
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Engine

from marketplace import create_app
from marketplace.extensions import db
from tests.factories import TEST_PASSWORD


def _diff(app) -> list:
    with app.app_context():
        bind = db.engines[None]
        # Inside the rollback fixture the "engine" is already a connection.
        with bind.connect() if isinstance(bind, Engine) else nullcontext(bind) as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)


def test_postgres_schema_from_migrations_matches_the_models(app):
    assert _diff(app) == []


@pytest.fixture
def sqlite_app(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    # No database URL at all: the embedded default (SQLite in the instance folder).
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SMTP_HOST": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/marketplace.sqlite3"
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_sqlite_migrations_apply_from_empty_and_match_the_models(sqlite_app):
    assert _diff(sqlite_app) == []
    with sqlite_app.app_context():
        downgrade(revision="base")
        upgrade()


def test_sqlite_smoke_home_signup_login(sqlite_app, caplog):
    client = sqlite_app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/readyz").get_json() == {"status": "ready"}
    response = client.post(
        "/signup",
        data={
            "account_kind": "buyer",
            "buyer_type": "supermarket_chain",
            "organization_name": "Chuỗi Siêu Thị Xanh",
            "name": "Đỗ Minh Khôi",
            "email": "khoi@vidu.vn",
            "phone": "0243 765 4321",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302
    client.post("/logout")
    assert (
        client.post("/login", data={"email": "khoi@vidu.vn", "password": TEST_PASSWORD}).status_code
        == 302
    )
    assert "Chuỗi Siêu Thị Xanh" in client.get("/orgs/").get_data(as_text=True)
    # Not verified yet: its existence is private, so search does not show it.
    assert "Chuỗi Siêu Thị Xanh" not in client.get("/search?q=chuoi sieu thi").get_data(
        as_text=True
    )
    # On the embedded default, email is written to the log instead of being sent.
    client.post("/logout")
    with caplog.at_level("WARNING", logger="marketplace.mail"):
        client.post("/password/forgot", data={"email": "khoi@vidu.vn"}).close()
    # No PUBLIC_BASE_URL on a laptop: the link follows the host the request came in on.
    assert re.search(r"http://localhost/password/reset/\S+", caplog.text)


def test_seed_demo_and_create_admin_commands(sqlite_app):
    runner = sqlite_app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "sam.laichau@demo.chohtx.vn" in result.output and "admin@demo.chohtx.vn" in result.output
    again = runner.invoke(args=["seed-demo"])  # idempotent
    assert again.exit_code == 0
    client = sqlite_app.test_client()
    assert "HTX Dưa Lưới và Cà Chua VietGAP Củ Chi" in client.get("/").get_data(as_text=True)
    assert "HTX Sâm Lai Châu Mường Tè" in client.get("/search?q=sam lai chau").get_data(
        as_text=True
    )
    # Verified and pending organisations, with certificates; an expired one is not shown.
    page = client.get("/htx/htx-sam-lai-chau-muong-te").get_data(as_text=True)
    assert 'id="verified-badge"' in page and "OCOP ★★★★" in page
    page = client.get("/htx/htx-dua-luoi-va-ca-chua-vietgap-cu-chi").get_data(as_text=True)
    assert "VietGAP" in page and "GlobalGAP" not in page
    assert client.get("/htx/htx-dong-trung-ha-thao-da-lat").status_code == 404
    with sqlite_app.app_context():
        from sqlalchemy import select

        from marketplace.models import Listing, ListingStatus, Lot, Organization

        statuses = {
            o.name: o.verification_status.value for o in db.session.scalars(select(Organization))
        }
        assert statuses["HTX Đông Trùng Hạ Thảo Đà Lạt"] == "submitted"
        assert statuses["HTX Mắc Ca Tủa Chùa"] == "draft"
        assert statuses["Chuỗi Siêu Thị Xanh Mart"] == "approved"
        demo = list(db.session.scalars(select(Listing)))
        published = [x for x in demo if x.status is ListingStatus.PUBLISHED]
        assert len(demo) >= 24 and len(published) >= 20
        assert all(len(x.photos) == 2 for x in demo)
        assert db.session.scalar(select(Lot.id)) is not None
    home = client.get("/").get_data(as_text=True)
    assert home.count('class="card listing-card"') >= 12 and "OCOP ★★★" in home
    assert "Hội chợ OCOP Lai Châu mùa xuân" in home
    with sqlite_app.app_context():
        from marketplace.models import Fair, FairApplication, FairStatus

        by_name = {f.name_vi: f for f in db.session.scalars(select(Fair))}
        assert by_name["Hội chợ Hàng Việt Điện Biên 2027"].status is FairStatus.DRAFT
        past = by_name["Phiên chợ nông sản Tây Bắc"]
        assert past.ends_on < date.today()
        checked_in = db.session.scalars(
            select(FairApplication).where(
                FairApplication.fair_id == past.id, FairApplication.checked_in_at.is_not(None)
            )
        ).all()
        assert len(checked_in) == 4
        open_slug = by_name["Hội chợ OCOP Lai Châu mùa xuân"].slug
    page = client.get(f"/fairs/{open_slug}").get_data(as_text=True)
    assert page.count("plan__booth plan__booth--taken") == 2
    assert page.count("plan__booth plan__booth--held") == 1

    # Supply deals in every state, and their pages as the demo supermarket sees them.
    with sqlite_app.app_context():
        from marketplace import models as m

        def states(model):
            return {x.status.value for x in db.session.scalars(select(model))}

        assert states(m.Rfq) == {"open", "awarded", "cancelled"}
        assert states(m.Quote) >= {"open", "awarded", "declined"}
        # Last month's spot order ended with its receipt (its period was over).
        assert states(m.Contract) == {"draft", "active", "terminating", "ended"}
        assert states(m.Delivery) >= {"planned", "dispatched", "received", "cancelled"}
        assert states(m.Invoice) == {"issued", "paid", "overdue", "void"}
        assert states(m.Amendment) == {"accepted", "proposed"}
        kinds = {c.kind.value for c in db.session.scalars(select(m.Contract))}
        assert kinds == {"supply", "spot"}
        buyer_id = db.session.scalar(
            select(Organization.id).where(Organization.name == "Chuỗi Siêu Thị Xanh Mart")
        )
        deal_pages = [f"/orgs/{buyer_id}/trade", f"/orgs/{buyer_id}/deliveries"]
        deal_pages += [f"/orgs/{buyer_id}/invoices"]
        deal_pages += [f"/contracts/{i}" for i in db.session.scalars(select(m.Contract.id))]
        deal_pages += [f"/quotes/{i}" for i in db.session.scalars(select(m.Quote.id))]
        deal_pages += [f"/invoices/{i}" for i in db.session.scalars(select(m.Invoice.id))]
    buyer = sqlite_app.test_client()
    login = buyer.post(
        "/login", data={"email": "muahang@demo.xanhmart.vn", "password": "chohtx-demo-2026"}
    )
    assert login.status_code == 302
    for url in deal_pages:
        assert buyer.get(url).status_code == 200, url
    dashboard = buyer.get(f"/orgs/{buyer_id}/trade").get_data(as_text=True)
    assert "HTX Dưa Lưới và Cà Chua VietGAP Củ Chi" in dashboard and "<svg" in dashboard

    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "quantri@vidu.vn",
            "--name",
            "Quản trị",
            "--password",
            TEST_PASSWORD,
        ]
    )
    assert result.exit_code == 0 and "quantri@vidu.vn" in result.output
    bad = runner.invoke(args=["create-admin", "--email", "x", "--name", "Q", "--password", "1"])
    assert bad.exit_code == 1 and "email" in bad.output
    assert (
        client.post(
            "/login", data={"email": "quantri@vidu.vn", "password": TEST_PASSWORD}
        ).status_code
        == 302
    )
    assert client.get("/admin/").status_code == 200


def test_outbox_worker_command_runs_once(sqlite_app):
    result = sqlite_app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0


def test_existing_organisations_get_a_slug_when_profiles_arrive(sqlite_app):
    from sqlalchemy import text

    with sqlite_app.app_context():
        downgrade(revision="0001_foundation")
        db.session.execute(
            text(
                "INSERT INTO organizations (kind, name, name_folded, created_at) "
                "VALUES ('coop', 'HTX Cũ', 'htx cu', '2026-01-01 00:00:00')"
            )
        )
        db.session.commit()
        upgrade()
        row = db.session.execute(
            text("SELECT id, slug, verification_status, version FROM organizations")
        ).one()
        assert row.slug == f"to-chuc-{row.id}"
        assert (row.verification_status, row.version) == ("draft", 1)


def test_hand_recorded_payments_survive_the_payments_migration_both_ways(sqlite_app):
    """0009 turns hand-recorded invoice payments and paid fair fees into bank-transfer
    payments with ledger entries; going back restores the invoice payments."""
    from sqlalchemy import func, select, text

    from marketplace.models import Payment
    from marketplace.services.payments import ledger

    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with sqlite_app.app_context():
        transfers = db.session.scalar(
            select(func.count()).select_from(Payment).where(Payment.payable_kind == "invoice")
        )
        fees = db.session.scalar(
            select(func.count()).select_from(Payment).where(Payment.payable_kind == "fair_fee")
        )
        assert transfers >= 5 and fees >= 2
        downgrade(revision="0008_contracts")
        restored = db.session.execute(text("SELECT count(*) FROM invoice_payments")).scalar()
        assert restored == transfers
        upgrade()
        again = db.session.scalar(select(func.count()).select_from(Payment))
        assert again == transfers + fees
        report = ledger.check()
        assert report.ok, report.problems


def test_booth_holders_get_their_contact_badge_from_the_fairs_migration(sqlite_app):
    """0013 gives every application holding or owning a booth its contact person's badge
    with a short code, checked in if the application was; going back and forth keeps fairs,
    booths and applications."""
    from sqlalchemy import func, select, text

    from marketplace.models import Badge, FairApplication
    from marketplace.models.fairs import BOOTH_HOLDING

    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with sqlite_app.app_context():
        applications = db.session.scalar(select(func.count()).select_from(FairApplication))
        downgrade(revision="0012_conversations")
        assert db.session.execute(text("SELECT count(*) FROM fair_applications")).scalar() == (
            applications
        )
        upgrade()
        holders = list(
            db.session.scalars(
                select(FairApplication).where(FairApplication.status.in_(BOOTH_HOLDING))
            )
        )
        assert holders
        for application in holders:
            [badge] = db.session.scalars(
                select(Badge).where(Badge.application_id == application.id, Badge.is_contact)
            ).all()
            assert badge.name == application.contact_name and badge.fair_id == application.fair_id
            assert len(badge.code) == 7 and not set(badge.code) & set("0O1IL")
            assert (badge.checked_in_at is None) == (application.checked_in_at is None)
