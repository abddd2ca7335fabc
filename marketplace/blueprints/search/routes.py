"""Search from the header box. Finds organisations by name until the catalogue exists."""

from __future__ import annotations

from flask import render_template, request

from marketplace.blueprints.search import bp
from marketplace.models import OrgKind
from marketplace.services import organizations
from marketplace.validation import strip_control


@bp.route("/search")
def results():
    query = (strip_control(request.args.get("q")) or "").strip()[:200]
    kind_arg = request.args.get("kind")
    kind = OrgKind(kind_arg) if kind_arg in {k.value for k in OrgKind} else None
    found = organizations.search_organizations(query, kind=kind) if query else []
    return render_template("search/results.html", query=query, kind=kind, results=found)
