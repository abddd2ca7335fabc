"""Product search: the page, its JSON API and suggestions while typing.

All three read the same URL arguments (marketplace.search.query); a wrong one gets a 400
naming it, never a 500 or an engine's message.
"""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_babel import get_locale

from marketplace.blueprints.search import bp, presenters
from marketplace.extensions import limiter
from marketplace.models import OrgKind
from marketplace.search.query import QueryError
from marketplace.services.accounts import organizations
from marketplace.services.catalogue import search as search_service


def _search_limit() -> str:
    return current_app.config["SEARCH_RATE_LIMIT"]


@bp.route("/search")
@limiter.limit(_search_limit)
def results():
    try:
        query = search_service.parse_query(request.args)
    except QueryError as exc:
        fallback = presenters.fallback_options(request.args, str(get_locale()))
        return render_template(
            "search/results.html",
            error=exc,
            results=None,
            fallback=fallback,
            args=request.args,
            coops=[],
        ), 400
    found = presenters.present(search_service.find(query))
    coops = []
    if query.raw and query.page == 1:
        coops = organizations.search_organizations(query.raw, kind=OrgKind.COOP, limit=4)
    return render_template(
        "search/results.html", error=None, results=found, args=request.args, coops=coops
    )


@bp.route("/api/v1/search")
@limiter.limit(_search_limit)
def api_search():
    try:
        query = search_service.parse_query(request.args)
    except QueryError as exc:
        return jsonify(error={"argument": exc.argument, "message": str(exc.message)}), 400
    return jsonify(presenters.results_json(presenters.present(search_service.find(query))))


@bp.route("/api/v1/search/suggest")
@limiter.limit(_search_limit)
def api_suggest():
    return jsonify(search_service.suggest(request.args.get("q", "")))
