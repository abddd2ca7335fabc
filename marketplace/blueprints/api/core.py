"""What every operation of the public API shares: the OpenAPI document, keys and scopes,
problem documents, cursor pages, ETags, If-Match and Idempotency-Key.

flask-smorest was chosen because it works on this plain Flask app (APIFlask and
flask-openapi3 replace the application class), builds the OpenAPI 3.1 document from the
same marshmallow schemas that webargs uses to validate each request and the response
decorator uses to serialise each answer, and needs no second schema language besides the
forms'. Each area of the API is a ``flask_smorest.Blueprint`` (a tag in the document)
made by ``area``; its operations are decorated, outermost first::

    @bp.route("/things/<int:thing_id>")
    @requires("scope")                # key, scope, rate limit; 401/403/429 documented
    @idempotent                       # POSTs only
    @bp.arguments(ThingIn)            # validates; 422 names the field
    @bp.response(200, ThingOut)       # serialises and documents
    def ...(data, thing_id): return service(actor(), ...)

Services raise their usual errors; ``problem_for`` turns each into an
``application/problem+json`` answer (RFC 9457) in the language of ``Accept-Language``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http
import json
import re
from collections.abc import Callable, Mapping
from copy import deepcopy
from functools import wraps
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import IntegrityError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from marketplace.extensions import db, limiter
from marketplace.models import ApiKey, IdempotentRequest, OrgKind
from marketplace.services import api_keys
from marketplace.services.context import Actor
from marketplace.services.errors import (
    DealChanged,
    NotFound,
    PermissionDenied,
    ServiceError,
    TransitionNotAllowed,
    ValidationFailed,
)
from marketplace.urls import public_base_url

PREFIX = "/api/v1"
PROBLEM = "application/problem+json"
#: Where problem types are described: the guide's section on errors, served by the app at
#: /api/v1/guide (each code has its own anchor there).
GUIDE_PATH = PREFIX + "/guide"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
#: The largest id a row can have (ids are 32-bit integer columns).
MAX_ID = 2**31 - 1


# --- the document --------------------------------------------------------------------------


class ChoApi(Api):
    """flask-smorest's Api, answering errors as problem documents and only under /api/v1
    (the site's pages keep their own error pages)."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):  # the blueprints register their own
        pass

    def _register_responses(self):
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)


def configure(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Chợ HTX API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": (
                    "The marketplace of Vietnam's agricultural co-operatives, for buyers' and "
                    "co-ops' own systems. Authenticate with `Authorization: Bearer <key>` (an "
                    "owner or manager makes keys under the organisation's settings). Errors are "
                    "`application/problem+json`; every POST takes an `Idempotency-Key`; lists "
                    "are cursor pages; reads carry an `ETag`, updates take `If-Match`."
                ),
            },
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {
                    "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "chx_…"}
                }
            },
            "security": [{"apiKey": []}],
        },
    )


class _Parser(FlaskParser):
    """webargs' parser, refusing a body nested too deeply for ``json.loads`` (which raises
    RecursionError, not a decoding error) as invalid JSON (400) instead of a 500."""

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            self._handle_invalid_json_error(ValueError("nested too deeply"), req)


_PARSER = _Parser()


def area(name: str, description: str) -> Blueprint:
    """One area of the API (a tag of the document, named in capitals so it never clashes
    with a page blueprint's name), mounted under /api/v1."""
    bp = Blueprint(name, __name__, url_prefix=PREFIX, description=description)
    bp.ARGUMENTS_PARSER = _PARSER
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(ServiceError, problem_for)
    bp.after_request(_with_etag)
    bp.after_request(note_use_after)
    return bp


# --- problem documents -----------------------------------------------------------------------


class FieldProblemSchema(ma.Schema):
    field = ma.fields.String(
        required=True, metadata={"description": "Dotted path of the field, e.g. lines.0.quantity"}
    )
    detail = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    code = ma.fields.String(metadata={"description": "A short machine-readable reason"})
    errors = ma.fields.List(ma.fields.Nested(FieldProblemSchema))


_TITLES: dict[int, Any] = {
    400: _l("Bad request"),
    401: _l("Not authenticated"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    406: _l("Not acceptable"),
    409: _l("Conflict"),
    412: _l("Changed since you read it"),
    413: _l("Too large"),
    415: _l("Unsupported media type"),
    422: _l("Invalid request"),
    428: _l("Precondition required"),
    429: _l("Too many requests"),
}

#: marshmallow's messages, in the reader's language.
_FIELD_MESSAGES: dict[str, Any] = {
    "Missing data for required field.": _l("This field is required."),
    "Unknown field.": _l("Unknown field."),
    "Field may not be null.": _l("This field may not be empty."),
    "Not a valid integer.": _l("Not a whole number."),
    "Not a valid number.": _l("Not a number."),
    "Not a valid string.": _l("Not text."),
    "Not a valid boolean.": _l("Not true or false."),
    "Not a valid date.": _l("Not a date (YYYY-MM-DD)."),
    "Not a valid datetime.": _l("Not a date and time (ISO 8601)."),
    "Not a valid list.": _l("Not a list."),
    "Not a valid mapping type.": _l("Not an object."),
    "Invalid input type.": _l("Wrong type of value."),
    "Invalid value.": _l("Invalid value."),
    "Not a valid URL.": _l("Not a web address."),
    "Not a valid email address.": _l("Not an email address."),
    "Shorter than minimum length 1.": _l("This field may not be empty."),
}


def _field_message(message: Any) -> str:
    text = str(message)
    known = _FIELD_MESSAGES.get(text)
    if known is not None:
        return str(known)
    if text.startswith(("Must be greater", "Must be less", "Must be between")):
        return _("Out of the allowed range (%(rule)s).", rule=text)
    if text.startswith(("Length must", "Longer than", "Shorter than")):
        return _("Wrong length (%(rule)s).", rule=text)
    if text.startswith("Must be one of"):
        return _("Not one of the allowed values (%(rule)s).", rule=text)
    return text


def _flatten(messages: Any, path: str = "") -> list[dict[str, str]]:
    """webargs' nested {"json": {"lines": {"0": {"quantity": [...]}}}} as dotted fields."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            found += _flatten(value, f"{path}.{name}".strip(".") if name else path)
    elif isinstance(messages, list | tuple) and messages and not isinstance(messages[0], dict):
        found += [{"field": path or "body", "detail": _field_message(m)} for m in messages]
    elif isinstance(messages, list | tuple):
        for item in messages:
            found += _flatten(item, path)
    else:
        found.append({"field": path or "body", "detail": _field_message(messages)})
    return found


def problem(
    status: int,
    detail: Any = None,
    *,
    code: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    code = code or http.HTTPStatus(status).name.lower()
    body: dict[str, Any] = {
        "type": f"{public_base_url().rstrip('/')}{GUIDE_PATH}#{code}",
        "title": str(_TITLES.get(status, http.HTTPStatus(status).phrase)),
        "status": status,
        "code": code,
    }
    if detail is not None:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 422:  # webargs: the body or query did not match the schema
        messages = getattr(exc, "data", {}).get("messages", {})
        fields = []
        for location, found in (messages or {}).items():
            for item in _flatten(found):
                prefix = "" if location in ("json", "form", "files") else f"{location}."
                fields.append({"field": prefix + item["field"], "detail": item["detail"]})
        return problem(
            422, _("The request does not match the schema."), code="invalid_request", errors=fields
        )
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(getattr(exc, "retry_after", None) or 60)
    detail = {
        404: _("There is nothing here, or it is not yours to see."),
        405: _("This address does not take that method."),
        413: _("What you sent is larger than allowed."),
        429: _("Too many requests with this key. Wait a minute and try again."),
    }.get(status, exc.description if status < 500 else None)
    return problem(status, detail, headers=headers)


def problem_for(exc: ServiceError) -> Response:
    """A service's refusal as a problem document."""
    if isinstance(exc, DealChanged):
        return problem(
            412,
            exc.errors.get("version"),
            code="stale_version",
            errors=[{"field": "If-Match", "detail": str(exc.errors.get("version"))}],
        )
    if isinstance(exc, ValidationFailed):
        return problem(
            422,
            _("Some values were refused."),
            code="validation_failed",
            errors=[
                {"field": str(name), "detail": _message_text(message)}
                for name, message in exc.errors.items()
            ],
        )
    if isinstance(exc, NotFound):
        return problem(404, _("There is nothing here, or it is not yours to see."))
    if isinstance(exc, PermissionDenied):
        return problem(
            403, _("Your key's organisation or role may not do this."), code="not_allowed"
        )
    if isinstance(exc, TransitionNotAllowed):
        return problem(
            409,
            _("This cannot be done while it is %(state)s.", state=exc.current.value),
            code="wrong_state",
        )
    return problem(400, str(exc))


def _message_text(message: Any) -> str:
    if isinstance(message, list | tuple):
        return " ".join(_message_text(m) for m in message)
    if isinstance(message, dict):
        return " ".join(f"{k}: {_message_text(v)}" for k, v in message.items())
    return str(message)


# --- keys, scopes and rate limits -------------------------------------------------------------

_DOC = Blueprint("_api_doc", __name__)


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _key_bucket() -> str:
    return f"api-key:{g.get('api_key_id', 'none')}"


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


_KIND_WORDS = {OrgKind.BUYER: "buyer", OrgKind.COOP: "co-op"}


def requires(scope: str | Mapping[OrgKind, str]) -> Callable:
    """The request must carry an active key with this scope; counts against the key's rate
    limit; the key's actor is then ``actor()``. With a mapping, the scope is the one for the
    kind of the key's organisation (any other kind needs the first, which it cannot have)."""
    by_kind = {} if isinstance(scope, str) else dict(scope)
    for name in by_kind.values() or [scope]:
        if name not in api_keys.SCOPES:
            raise ValueError(name)

    def needed(key: ApiKey) -> str:
        if not by_kind:
            return scope  # type: ignore[return-value]
        return by_kind.get(key.organization.kind, next(iter(by_kind.values())))

    if by_kind:
        sides = " or ".join(
            f"`{name}` (a {_KIND_WORDS[kind]}'s key)" for kind, name in by_kind.items()
        )
        scope_text = f"Scope: {sides}."
    else:
        scope_text = f"Scope: `{scope}`."

    def decorator(view: Callable) -> Callable:
        limited = limiter.shared_limit(_rate_limit, scope="api-key", key_func=_key_bucket)(view)

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = bearer_token()
            key = api_keys.authenticate(token) if token else None
            if key is None:
                was_revoked = bool(token) and api_keys.revoked(token)
                return problem(
                    401,
                    _("This key was revoked.")
                    if was_revoked
                    else _("Send a valid key: Authorization: Bearer <key>."),
                    code="revoked_key" if was_revoked else "unauthenticated",
                    headers={"WWW-Authenticate": 'Bearer realm="api"'},
                )
            wanted = needed(key)
            if wanted not in key.scopes:
                return problem(
                    403,
                    _("This key does not have the %(scope)s permission.", scope=wanted),
                    code="missing_scope",
                )
            g.api_key_id = key.id
            g.api_actor = Actor(user=key.created_by, ip=request.remote_addr, api_key=key)
            if api_keys.needs_last_use(key):
                g.api_note_use = key.id
            return limited(*args, **kwargs)

        # 400: a body that is not JSON at all (webargs refuses it before any schema).
        for status, name in (
            (400, "BAD_REQUEST"),
            (401, "UNAUTHORIZED"),
            (403, "FORBIDDEN"),
            (429, "TOO_MANY_REQUESTS"),
        ):
            wrapper = _DOC.alt_response(status, response=name)(wrapper)
        wrapper = Blueprint.doc(
            description=(getattr(view, "__doc__", "") or "").strip() + f"\n\n{scope_text}"
        )(wrapper)
        return wrapper

    return decorator


#: The scope that lets an organisation's key act on its side of a deal, by its kind.
SIDE_SCOPES = {OrgKind.BUYER: "procurement", OrgKind.COOP: "sales"}


#: ``requires`` with the scope fitting the key's side of a deal: ``procurement`` for a buyer's
#: key, ``sales`` for a co-op's (any other key has neither: 403).
requires_side = requires(SIDE_SCOPES)


def actor() -> Actor:
    """The acting key's actor (inside an operation decorated with ``requires``)."""
    return g.api_actor


def current_key() -> ApiKey:
    return g.api_actor.api_key


# --- idempotent writes ------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _request_hash() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.mimetype == "application/json":
        try:
            body = json.dumps(request.get_json(silent=False), sort_keys=True)
        except Exception:  # noqa: BLE001 - a broken body hashes as its bytes
            body = request.get_data(as_text=True)
        digest.update(body.encode())
    elif request.files or request.form:
        for name in sorted(request.form):
            digest.update(f"{name}={request.form.getlist(name)}\n".encode())
        for name in sorted(request.files):
            for file in request.files.getlist(name):
                digest.update(name.encode() + hashlib.sha256(file.read()).digest())
                file.seek(0)
    else:
        digest.update(request.get_data())
    return digest.hexdigest()


def idempotent(view: Callable) -> Callable:
    """An ``Idempotency-Key`` header makes a repeat of this POST return the first answer
    (a 2xx); the same key with another request is refused (422); a repeat arriving while
    the first is still running gets 409 and may retry."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key_text = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key_text:
            return view(*args, **kwargs)
        if len(key_text) > 255:
            return problem(
                422,
                _("An Idempotency-Key is at most 255 characters."),
                code="invalid_idempotency_key",
                errors=[{"field": IDEMPOTENCY_HEADER, "detail": _("Too long.")}],
            )
        if not key_text.isprintable():  # a NUL cannot be stored
            return problem(
                422,
                _("An Idempotency-Key is printable text, such as a UUID."),
                code="invalid_idempotency_key",
                errors=[{"field": IDEMPOTENCY_HEADER, "detail": _("Not printable text.")}],
            )
        api_key = current_key()
        fingerprint = _request_hash()
        earlier = db.session.scalar(
            db.select(IdempotentRequest).where(
                IdempotentRequest.api_key_id == api_key.id, IdempotentRequest.key == key_text
            )
        )
        if earlier is not None:
            return _replay(earlier, fingerprint)
        record = IdempotentRequest(
            api_key_id=api_key.id,
            key=key_text,
            method=request.method,
            path=request.path[:500],
            request_hash=fingerprint,
            status_code=0,
            response_body="",
            response_headers={},
        )
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:
            return problem(
                409,
                _("A request with this Idempotency-Key is still being handled; try again."),
                code="idempotency_in_progress",
            )
        response = current_app.make_response(view(*args, **kwargs))
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            record.response_body = response.get_data(as_text=True)
            record.response_headers = {
                name: response.headers[name]
                for name in ("Location", "ETag", "Content-Type")
                if name in response.headers
            }
            if "ETag" not in record.response_headers and "api_etag" in g:
                # The area's after_request adds it only later, to this answer alone.
                record.response_headers["ETag"] = g.api_etag
        return response

    _document_parameter(
        wrapper,
        {
            "in": "header",
            "name": IDEMPOTENCY_HEADER,
            "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": (
                "Any unique string (a UUID): a repeat with the same key returns the first "
                "answer; the same key with a different request is refused (422)."
            ),
        },
    )
    wrapper = _DOC.alt_response(422, response="UNPROCESSABLE_ENTITY")(wrapper)
    return _DOC.alt_response(409, response="CONFLICT")(wrapper)


def _replay(earlier: IdempotentRequest, fingerprint: str) -> Response:
    if earlier.request_hash != fingerprint or earlier.path != request.path[:500]:
        return problem(
            422,
            _("This Idempotency-Key was used for a different request."),
            code="idempotency_key_reused",
            errors=[{"field": IDEMPOTENCY_HEADER, "detail": _("Already used with another body.")}],
        )
    if earlier.status_code == 0:
        return problem(
            409,
            _("A request with this Idempotency-Key is still being handled; try again."),
            code="idempotency_in_progress",
        )
    headers = {k: v for k, v in earlier.response_headers.items() if k != "Content-Type"}
    response = current_app.response_class(
        earlier.response_body,
        status=earlier.status_code,
        mimetype=earlier.response_headers.get("Content-Type", "application/json"),
        headers=headers,
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


# --- cursor pages -----------------------------------------------------------------------------


class PageQuery(ma.Schema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, 1–{MAX_LIMIT}"},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=200),
        metadata={"description": "`next_cursor` of the previous page"},
    )


def page_schema(item: type[ma.Schema], name: str | None = None) -> type[ma.Schema]:
    """``{"data": [item…], "next_cursor": str | null}`` for ``item``."""
    return type(
        name or item.__name__.removesuffix("Schema") + "PageSchema",
        (ma.Schema,),
        {
            "data": ma.fields.List(ma.fields.Nested(item), required=True),
            "next_cursor": ma.fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page; null at the end"},
            ),
        },
    )


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id the page continues after; a cursor this API did not make is refused (422)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)["after"]
        # Ids are 32-bit columns: a larger number is no cursor this API made.
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
            return value
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        pass
    raise ValidationFailed({"query.cursor": _l("Not a cursor this API gave.")})


def page_of(stmt: Any, id_column: Any, args: dict[str, Any], *, newest_first: bool = True):
    """One cursor page of ``stmt`` ordered by ``id_column``: ``{"data", "next_cursor"}``."""
    limit = args.get("limit") or DEFAULT_LIMIT
    after = decode_cursor(args.get("cursor"))
    if after is not None:
        stmt = stmt.where(id_column < after if newest_first else id_column > after)
    stmt = stmt.order_by(id_column.desc() if newest_first else id_column).limit(limit + 1)
    rows = list(db.session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": rows, "next_cursor": encode_cursor(rows[-1].id) if more and rows else None}


def page_of_list(items: list[Any], args: dict[str, Any], *, newest_first: bool = True):
    """A cursor page of objects a service already listed (each with an ``id``)."""
    after = decode_cursor(args.get("cursor"))
    limit = args.get("limit") or DEFAULT_LIMIT
    ordered = sorted(items, key=lambda item: item.id, reverse=newest_first)
    if after is not None:
        ordered = [i for i in ordered if (i.id < after if newest_first else i.id > after)]
    page = ordered[:limit]
    more = len(ordered) > limit
    return {"data": page, "next_cursor": encode_cursor(page[-1].id) if more and page else None}


# --- ETag and If-Match -----------------------------------------------------------------------


def version_tag(version: int) -> str:
    return f'"v{version}"'


def set_version(version: int) -> None:
    """This answer's ETag is the object's version (what ``If-Match`` compares)."""
    g.api_etag = version_tag(version)


def check_if_match(version: int) -> None:
    """Refuse an update whose ``If-Match`` names another version (412); without the header
    the update goes ahead."""
    header = request.headers.get("If-Match")
    if not header:
        return
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" in wanted or version_tag(version) in wanted:
        return
    raise DealChanged(
        _l("It was changed since you read it (now version %(version)s).", version=version)
    )


_VERSION_TAG = re.compile(r'^(?:W/)?"v(\d{1,9})"$')


def seen_version(current: int) -> int:
    """The version the client read, from ``If-Match`` (the current one without the header
    or with ``*``), for services that compare it as they compare a page's hidden version:
    a stale tag is then refused with 412, and a contract the other side signed in between
    may still be signed. A tag that names no version is stale."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return current
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or version_tag(current) in {t.removeprefix("W/") for t in tags}:
        return current
    for tag in tags:
        found = _VERSION_TAG.match(tag)
        if found:
            return int(found.group(1))
    check_if_match(current)  # refuses (412)
    return current


def _document_parameter(view: Callable, parameter: dict[str, Any]) -> Callable:
    """Add a header parameter to the operation's document (added to those other decorators
    declared: ``Blueprint.doc`` would replace their list)."""
    doc = deepcopy(getattr(view, "_apidoc", {}))
    parameters = doc.setdefault("manual_doc", {}).setdefault("parameters", [])
    if all(p.get("name") != parameter["name"] for p in parameters):
        parameters.append(parameter)
    view._apidoc = doc  # type: ignore[attr-defined]
    return view


def if_match(view: Callable) -> Callable:
    """Document If-Match and the 412 answer on an update."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    _document_parameter(
        wrapper,
        {
            "in": "header",
            "name": "If-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": "The ETag you read; a stale one is refused with 412",
        },
    )
    return _DOC.alt_response(412, response="PRECONDITION_FAILED")(wrapper)


def _with_etag(response: Response) -> Response:
    """Reads carry an ETag (the version where there is one, else a hash of the body) and
    answer 304 to a matching If-None-Match."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        if "api_etag" in g and 200 <= response.status_code < 300:
            response.headers["ETag"] = g.api_etag
        return response
    if response.direct_passthrough or response.is_streamed:
        return response
    tag = g.get("api_etag")
    if tag:
        response.headers["ETag"] = tag
    else:
        response.add_etag()
    return response.make_conditional(request)


def note_use_after(response: Response) -> Response:
    """Write a key's last use after the response, in its own short transaction."""
    key_id = g.pop("api_note_use", None)
    if key_id is None:
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def after_close() -> None:
        with app.app_context():
            try:
                api_keys.note_last_use(key_id)
                db.session.commit()
            except Exception:  # noqa: BLE001 - bookkeeping must never break a response
                db.session.rollback()

    response.call_on_close(after_close)
    return response


ETAG_DOC = {
    "headers": {"ETag": {"schema": {"type": "string"}, "description": "Send as If-None-Match"}}
}
