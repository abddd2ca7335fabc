"""HTTP blueprints, registered explicitly."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from marketplace.blueprints.admin.routes import bp as admin_bp
    from marketplace.blueprints.auth.routes import bp as auth_bp
    from marketplace.blueprints.contracts.routes import bp as contracts_bp
    from marketplace.blueprints.fairs.routes import bp as fairs_bp
    from marketplace.blueprints.integrations.routes import bp as integrations_bp
    from marketplace.blueprints.listings.routes import bp as listings_bp
    from marketplace.blueprints.main.routes import bp as main_bp
    from marketplace.blueprints.media.routes import bp as media_bp
    from marketplace.blueprints.messages.routes import bp as messages_bp
    from marketplace.blueprints.notifications.routes import bp as notifications_bp
    from marketplace.blueprints.onboarding.routes import bp as onboarding_bp
    from marketplace.blueprints.orgs.routes import bp as orgs_bp
    from marketplace.blueprints.payments.routes import bp as payments_bp
    from marketplace.blueprints.search.routes import bp as search_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(onboarding_bp)
    app.register_blueprint(listings_bp)
    app.register_blueprint(fairs_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(orgs_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(contracts_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(integrations_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")

    from marketplace.blueprints.api import register as register_api

    register_api(app)
