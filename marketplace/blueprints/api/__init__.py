"""The public API under /api/v1: one flask-smorest blueprint per area, one OpenAPI 3.1
document (``/api/v1/openapi.json``) built from the schemas that validate each request, and
a reference page (``/api/v1/docs``). ``core`` holds what every operation shares."""

from __future__ import annotations

from flask import Flask

from marketplace.blueprints.api.core import ChoApi, configure
from marketplace.extensions import csrf


def register(app: Flask) -> None:
    from marketplace.blueprints.api import (
        catalogue,
        deals,
        deliveries,
        fairs,
        listings,
        money,
        procurement,
        reference,
        webhooks,
    )

    configure(app)
    api = ChoApi(app)
    for module in (
        catalogue,
        listings,
        procurement,
        deals,
        deliveries,
        money,
        fairs,
        webhooks,
    ):
        csrf.exempt(module.bp)
        api.register_blueprint(module.bp)
    app.register_blueprint(reference.bp)
    app.extensions["chohtx_api"] = api
