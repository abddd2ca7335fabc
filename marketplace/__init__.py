"""Chợ HTX: the application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace.config import Settings, check_production_safety

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, CLI. Touches no database or network.

    ``config`` overrides the environment-derived settings (tests pass their own).
    """
    app = Flask(
        __name__,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
        instance_path=os.environ.get("INSTANCE_PATH") or os.path.join(PROJECT_ROOT, "instance"),
    )
    env = dict(os.environ)
    if config and config.get("SECRET_KEY") and not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = config["SECRET_KEY"]  # given: no instance key file is made
    app.config.update(Settings.from_env(env, instance_path=app.instance_path).values)
    if config:
        app.config.update(config)
    check_production_safety(app.config)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # The client's address (rate-limit keys, audit log) from the trusted proxies' headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)

    from marketplace import cli, extensions, i18n, security, unit_of_work
    from marketplace.blueprints import register_blueprints
    from marketplace.errors import register_error_handlers
    from marketplace.mail import mailer_from_config
    from marketplace.search import indexing as search_indexing
    from marketplace.search.elastic import ElasticBackend
    from marketplace.search.service import SearchService
    from marketplace.services import fairs, webhooks
    from marketplace.services.deals import invoices
    from marketplace.services.payments import commission, payables, refunds
    from marketplace.storage import storage_from_config
    from marketplace.web import register_request_hooks

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=os.path.join(PROJECT_ROOT, "migrations"), render_as_batch=True
    )
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    register_request_hooks(app)

    # Built lazily-safe: constructing a client opens no connection and creates no folder.
    app.extensions["storage"] = storage_from_config(app.config, app.instance_path)
    from marketplace.payments.stripe_provider import from_config as cards_from_config

    # Cards are offered only when Stripe keys are configured.
    app.extensions["cards"] = cards_from_config(app.config)
    mailer = app.config.get("MAILER") or mailer_from_config(app.config)
    app.extensions["mailer"] = mailer
    from marketplace import documents, mail

    # What a queued email may name as an attachment, made when it is sent.
    app.extensions["attachment_makers"] = {
        "invoice": documents.invoice_attachment,
        "receipt": documents.receipt_attachment,
        "contract": documents.contract_attachment,
        "delivery_note": documents.delivery_note_attachment,
        "fair_fee": documents.fair_fee_attachment,
    }
    app.extensions["outbox_handlers"] = {
        "email": lambda payload: mail.deliver(
            payload, app.extensions["mailer"], app.extensions["attachment_makers"]
        ),
        "storage.delete": lambda payload: app.extensions["storage"].delete(payload["key"]),
        search_indexing.TOPIC: search_indexing.handle,
        refunds.TOPIC: refunds.send_refund,
        webhooks.TOPIC: webhooks.deliver,
    }
    # Every kind of payable, each registered once; payment code asks the registry.
    payables.install(
        app,
        invoices.InvoicePayables(),
        fairs.FairFeePayables(),
        commission.CommissionPayables(),
    )
    # Search: the database backend always; Elasticsearch too when ELASTICSEARCH_URL is set.
    engine = None
    if app.config.get("ELASTICSEARCH_URL"):
        engine = ElasticBackend(
            app.config["ELASTICSEARCH_URL"],
            alias=app.config["ELASTICSEARCH_INDEX"],
            timeout=app.config["ELASTICSEARCH_TIMEOUT"],
        )
    app.extensions["search"] = SearchService(engine, retry_after=app.config["SEARCH_RETRY_SECONDS"])
    search_indexing.install_listeners()
    unit_of_work.register(app)

    register_blueprints(app)
    register_error_handlers(app)
    cli.register(app)
    return app
