"""Do two app servers answer the same? A few pages and the search API, from each server
directly, compared after removing what differs per response by design (CSRF tokens, the
form-submission token, nonces).

    same_answers.py LOAD_DATA URL_A URL_B      (exit 1 and the differing pages if not)
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request

PER_RESPONSE = [
    (re.compile(r'(name="(?:csrf_token|submission)"[^>]*value=")[^"]*'), r"\1…"),
    (re.compile(r'(value=")[^"]*("[^>]*name="(?:csrf_token|submission)")'), r"\1…\2"),
    (re.compile(r'(nonce=")[^"]*'), r"\1…"),
    (re.compile(r'(name="csrf-token" content=")[^"]*'), r"\1…"),
]


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        body = answer.read().decode("utf-8", "replace")
        status = answer.status
    for pattern, replacement in PER_RESPONSE:
        body = pattern.sub(replacement, body)
    return status, body


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    a, b = sys.argv[2].rstrip("/"), sys.argv[3].rstrip("/")
    paths = [
        "/",
        f"/p/{data['listings'][0]}",
        f"/p/{data['listings'][1]}",
        f"/htx/{data['coops'][0]}",
        f"/c/{data['categories'][0]}",
        "/search?q=m%E1%BA%ADt+ong",
        "/api/v1/search?q=che+shan+tuyet",
        "/api/v1/search?q=mat+ong+hoa+nahn",
    ]
    print("| page | status A / B | bytes A / B | same |")
    print("| --- | --- | --- | --- |")
    differ = 0
    for path in paths:
        (status_a, body_a), (status_b, body_b) = fetch(a + path), fetch(b + path)
        same = status_a == status_b and body_a == body_b
        differ += not same
        print(
            f"| {path} | {status_a} / {status_b} | {len(body_a)} / {len(body_b)} "
            f"| {'yes' if same else '**no**'} |"
        )
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
