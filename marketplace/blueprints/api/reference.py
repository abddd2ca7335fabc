"""The API's reference page and its guide. The reference is Swagger UI, served by the app
from the pinned swagger-ui-dist package (static/vendor/swagger-ui/, copied by
scripts/vendor_js.sh), drawing the OpenAPI
document at /api/v1/openapi.json. Nothing comes from a CDN, and the page keeps the site's
content security policy: Swagger UI sets its few styles through the DOM, which the policy
allows, and its start-up is static/js/api-reference.js rather than an inline script.

The guide is docs/api.md itself, rendered with markdown-it-py (CommonMark and tables; the
file is ours, so its few HTML anchors pass through), so the page and the repository never
disagree."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, url_for
from markdown_it import MarkdownIt
from markupsafe import Markup

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1")


@cache
def _guide_html(path: str) -> Markup:
    text = Path(path).read_text(encoding="utf-8")
    renderer = MarkdownIt("commonmark", {"html": True}).enable("table")
    return Markup(renderer.render(text))  # noqa: S704 - our own file, not user input


def guide_file() -> Path:
    """docs/api.md, next to the package (the app runs from the repository)."""
    return Path(current_app.root_path).parent / "docs" / "api.md"


@bp.route("/guide")
def guide():
    """The guide: keys, a first request, errors (where problem types point), pages,
    webhooks and their signatures."""
    path = guide_file()
    if not path.is_file():
        abort(404)
    return render_template("api/guide.html", guide=_guide_html(str(path)))


@bp.route("/docs")
def reference():
    return render_template(
        "api/reference.html",
        spec_url=url_for("api-docs.openapi_json"),
        guide_url=url_for("api_reference.guide"),
    )
