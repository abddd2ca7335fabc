"""The API's reference page: Swagger UI, served by the app from the pinned swagger-ui-dist
package (static/vendor/swagger-ui/, copied by scripts/vendor_js.sh), drawing the OpenAPI
document at /api/v1/openapi.json. Nothing comes from a CDN, and the page keeps the site's
content security policy: Swagger UI sets its few styles through the DOM, which the policy
allows, and its start-up is static/js/api-reference.js rather than an inline script."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

from marketplace.blueprints.api.core import PROBLEM_BASE

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1")

#: The guide (docs/api.md): keys, a first request, errors, pages, webhooks and their
#: signatures — where the problem documents' types point as well.
GUIDE_URL = PROBLEM_BASE.rstrip("#")


@bp.route("/docs")
def reference():
    return render_template(
        "api/reference.html",
        spec_url=url_for("api-docs.openapi_json"),
        guide_url=GUIDE_URL,
    )
