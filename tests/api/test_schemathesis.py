"""Schemathesis (the real tool) against the live API, with a key of each kind of
organisation: generated requests — valid and invalid — must never get a server error, and
every answer must match the document (status, content type, headers, body schema)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from urllib.request import urlopen

import pytest
from openapi_spec_validator import validate

from tests.factories import (
    api_key,
    published_listing,
    verified_buyer,
    verified_coop,
    verified_organiser,
)

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
#: Cases per operation and phase: enough to reach every status an operation documents on
#: this 2-core machine within a few minutes for all three kinds.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def keys(api_server) -> dict[str, str]:
    app = api_server.app
    coop = verified_coop(app, name="HTX Kiểm Thử API")
    published_listing(app, coop)
    buyer = verified_buyer(app, name="Siêu thị Kiểm Thử API")
    organiser = verified_organiser(app)
    return {
        "coop": api_key(app, coop, name="schemathesis"),
        "buyer": api_key(app, buyer, name="schemathesis"),
        "organiser": api_key(app, organiser, name="schemathesis"),
    }


def _document(url: str) -> dict:
    with urlopen(f"{url}/api/v1/openapi.json") as response:  # noqa: S310 - loopback
        return json.load(response)


def _operations(url: str) -> int:
    methods = {"get", "post", "put", "patch", "delete"}
    return sum(len(methods & set(item)) for item in _document(url)["paths"].values())


def test_the_live_document_validates(api_server):
    validate(_document(api_server.url))


@pytest.mark.parametrize("kind", ["coop", "buyer", "organiser"])
def test_schemathesis_finds_no_server_error_and_no_broken_answer(api_server, keys, kind, tmp_path):
    report = tmp_path / "junit.xml"
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"),
        "run",
        f"{api_server.url}/api/v1/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {keys[kind]}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "20261206",
        "--workers",
        "2",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    result = subprocess.run(  # noqa: S603 - our own command line
        command, capture_output=True, text=True, timeout=1200, check=False, cwd=tmp_path
    )
    output = result.stdout[-12000:] + result.stderr[-4000:]
    assert result.returncode == 0, f"schemathesis found problems with a {kind}'s key:\n{output}"
    # It must have reached every operation of the document (none skipped as unusable).
    operations = _operations(api_server.url)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert tested and int(tested.group(1)) == operations, output
