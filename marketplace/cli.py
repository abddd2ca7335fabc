"""Flask commands: create-admin, seed-demo, outbox work, fairs expire, contracts sweep,
commission bill, search sync/reindex."""

from __future__ import annotations

import logging
import time

import click
from flask import Flask

from marketplace import unit_of_work
from marketplace.services.context import Actor
from marketplace.services.errors import ValidationFailed


def _expire_booth_holds() -> int:
    """Release every published fair's unpaid holds past their due date, one unit of work
    per fair; returns how many were released."""
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.models import Fair, FairStatus
    from marketplace.services import fairs

    released = 0
    for fair_id in db.session.scalars(
        select(Fair.id).where(Fair.status == FairStatus.PUBLISHED)
    ).all():
        try:
            released += len(fairs.expire_overdue(fair_id))
            unit_of_work.complete()
        except Exception:  # noqa: BLE001 - one fair must not stop the worker's other duties
            unit_of_work.rollback()
            logging.getLogger("marketplace.cli").exception("releasing holds of fair %s", fair_id)
    return released


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True, help="Email of the admin account.")
    @click.option("--name", prompt=True, help="Full name.")
    @click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Password (asked for when not given).",
    )
    def create_admin_command(email: str, name: str, password: str) -> None:
        """Create a platform admin, or make an existing account one."""
        from marketplace.services.accounts.accounts import create_admin

        try:
            user = create_admin(Actor.system(), email=email, name=name, password=password)
        except ValidationFailed as exc:
            for field, message in exc.errors.items():
                click.echo(f"{field}: {message}", err=True)
            raise SystemExit(1) from exc
        unit_of_work.complete()
        click.echo(f"Admin ready: {user.email}")

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load Vietnamese demo data (idempotent) and print one login per role."""
        from marketplace.demo import seed_demo

        logins = seed_demo()
        click.echo(f"Demo logins (password for all: {logins.password}):")
        for role, email in logins.accounts:
            click.echo(f"  {role:<28} {email}")

    @app.cli.group("fairs")
    def fairs_group() -> None:
        """Trade-fair housekeeping."""

    @fairs_group.command("expire")
    def fairs_expire() -> None:
        """Release unpaid booth holds past their due date and offer them to the waitlist.

        `flask outbox work` does this on every pass too (pages only read); run it daily
        from cron where no worker runs."""
        released = _expire_booth_holds()
        click.echo(f"released {released} unpaid booth holds")

    @app.cli.group("contracts")
    def contracts_group() -> None:
        """Supply-contract housekeeping."""

    @contracts_group.command("sweep")
    def contracts_sweep() -> None:
        """Daily: tell both parties about deliveries now overdue (once each), end contracts
        that are over, cancel drafts whose dates passed unsigned, and mark invoices past their
        due date overdue.

        Pages do the same for what they show when they are opened; this keeps quiet
        contracts right and sends the overdue notices."""
        from marketplace.services.deals import contracts, deliveries, invoices

        flagged = deliveries.flag_overdue()
        ended, lapsed = contracts.sweep()
        overdue = invoices.mark_overdue()
        unit_of_work.complete()
        click.echo(
            f"flagged {flagged} overdue deliveries, ended {ended} contracts, cancelled "
            f"{lapsed} unsigned drafts, {overdue} overdue invoices"
        )

    @app.cli.group("ledger")
    def ledger_group() -> None:
        """The money ledger."""

    @ledger_group.command("check")
    def ledger_check() -> None:
        """Prove that every transaction balances and that every payment, refund, payout,
        invoice and fair fee agrees with the entries; exits 1 and lists the problems if not."""
        from marketplace.services.payments import ledger

        report = ledger.check()
        for problem in report.problems:
            click.echo(f"PROBLEM {problem}")
        click.echo(
            f"{report.transactions} transactions, {report.entries} entries: "
            + ("the ledger balances" if report.ok else f"{len(report.problems)} problems")
        )
        if not report.ok:
            raise SystemExit(1)

    @app.cli.group("commission")
    def commission_group() -> None:
        """The platform's monthly fee invoices."""

    @commission_group.command("bill")
    @click.option("--month", default=None, help="The month to bill, YYYY-MM (default: last month).")
    def commission_bill(month: str | None) -> None:
        """Bill each organisation the fees on the transfers it received in the month (once:
        running it again issues nothing more), deducting what the platform holds for it, and
        tell it. Run monthly from cron."""
        from marketplace.services.payments import commission

        try:
            billed = commission.bill(Actor.system(), month)
        except ValidationFailed as exc:
            unit_of_work.rollback()
            for message in exc.errors.values():
                click.echo(str(message), err=True)
            raise SystemExit(1) from exc
        unit_of_work.complete()
        click.echo(
            f"{billed.period:%Y-%m}: issued {len(billed.issued)} commission invoices, "
            f"{sum(i.amount for i in billed.issued)} VND, {billed.deducted} VND deducted"
        )

    @app.cli.group("search")
    def search_group() -> None:
        """Keep the search engine's index in line with the database."""

    @search_group.command("sync")
    def search_sync() -> None:
        """Apply every pending search change now (after the engine was unreachable)."""
        from marketplace.search import indexing

        if app.extensions["search"].engine is None:
            click.echo("No search engine configured: the database backend is always current.")
            return
        app.extensions["search"].reset()
        applied, failed = indexing.sync()
        click.echo(f"applied {applied} pending search changes, {failed} still failing")
        if failed:
            raise SystemExit(1)

    @search_group.command("refresh-expired")
    def search_refresh_expired() -> None:
        """Rebuild documents whose certificate ended (daily, from cron): another valid
        certificate of the same kind then counts again."""
        from marketplace.search import indexing

        rebuilt = indexing.refresh_expired()
        unit_of_work.complete()
        click.echo(f"rebuilt {rebuilt} search documents")

    @search_group.command("reindex")
    @click.option("--batch", default=2000, show_default=True, help="Documents per bulk request.")
    @click.option("--rebuild-projection", is_flag=True, help="Rebuild the database rows first.")
    def search_reindex(batch: int, rebuild_projection: bool) -> None:
        """Rebuild the index into a new one and swap the alias; searches go on meanwhile."""
        from sqlalchemy import func, select

        from marketplace.extensions import db
        from marketplace.models import SearchDocument
        from marketplace.search import documents, indexing

        if rebuild_projection:
            count = documents.rebuild_all()
            db.session.commit()
            click.echo(f"projection rebuilt: {count} searchable listings")
        if app.extensions["search"].engine is None:
            click.echo("No search engine configured (ELASTICSEARCH_URL); nothing to reindex.")
            return
        total = db.session.scalar(select(func.count()).select_from(SearchDocument)) or 0
        with click.progressbar(length=total, label="indexing", show_pos=True) as bar:
            result = indexing.reindex(progress=bar.update, batch=batch)
        click.echo(
            f"{result['documents']} documents in {result['index']}; "
            f"{result['replayed']} changed meanwhile and replayed; "
            f"replaced {', '.join(result['replaced']) or 'nothing'}"
        )

    @app.cli.group("outbox")
    def outbox_group() -> None:
        """Deliver queued emails and other outgoing messages."""

    @outbox_group.command("work")
    @click.option("--once", is_flag=True, help="One pass, then exit.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
    def outbox_work(once: bool, interval: float) -> None:
        """Retry undelivered messages whose next attempt is due (emails, search changes,
        refunds to the card provider), release unpaid booth holds past their due date (and
        forget old form tokens)."""
        from marketplace.web import prune_submissions

        while True:
            prune_submissions()
            _expire_booth_holds()
            delivered = unit_of_work.deliver_due()
            if delivered:
                click.echo(f"delivered {delivered}")
            if once:
                return
            time.sleep(interval)
