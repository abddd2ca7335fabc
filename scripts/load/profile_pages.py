"""One person at a time: each page's median over 20 requests, then where 10 more spend their
time (cProfile, own time and cumulative), against the load test's database.

    eval "$(bash scripts/services.sh env)"
    .venv/bin/python scripts/load/profile_pages.py /c/trai-cay /p/<slug> /htx/<slug> /
    .venv/bin/python scripts/load/profile_pages.py --as buyer0001@bench.chohtx.vn /p/<slug> /search

With ``--as EMAIL`` (a catalogue account, its password ``BENCH_PASSWORD``) every page is timed
twice, anonymously and logged in as that person, with the ratio, and the profile is of the
logged-in requests. With ``--libraries``, instead: 20 rounds of all the pages under one
profile, own time grouped by library (the app, its templates, each installed package, and
"~" for built-ins, mostly waiting on sockets), per request.

Uses BENCH_DATABASE_URL (the catalogue scripts/load.sh made) and the ``chohtx-load``
Elasticsearch index when TEST_ELASTICSEARCH_URL is set. In-process (Flask's test client):
no HTTP server, so what it shows is the app's own time per page.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from marketplace import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from search_catalogue import BENCH_PASSWORD  # noqa: E402


def median_ms(client, path: str) -> float:
    for _ in range(3):
        answer = client.get(path)
    if answer.status_code != 200:
        raise SystemExit(f"{path}: {answer.status_code}")
    times = []
    for _ in range(20):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(paths: list[str], email: str | None) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
            "SECRET_KEY": "profile-pages-" + "x" * 32,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "ELASTICSEARCH_URL": os.environ.get("TEST_ELASTICSEARCH_URL"),
            "ELASTICSEARCH_INDEX": os.environ.get("LOAD_INDEX", "chohtx-load"),
        }
    )
    client = app.test_client()
    anonymous = app.test_client()
    if email:
        answer = client.post("/login", data={"email": email, "password": BENCH_PASSWORD})
        if answer.status_code != 302:
            raise SystemExit(f"log-in as {email} failed ({answer.status_code})")
    for path in paths:
        if email:
            alone, logged_in = median_ms(anonymous, path), median_ms(client, path)
            print(f"{path}: anonymous {alone:.1f} ms, as {email} {logged_in:.1f} ms "
                  f"({logged_in / alone:.2f}x)")  # fmt: skip
        else:
            print(f"{path}: median {median_ms(client, path):.1f} ms")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(10):
            client.get(path)
        profile.disable()
        for order, lines in (("tottime", 14), ("cumtime", 24)):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(lines)
            print("\n".join(out.getvalue().splitlines()[4 : lines + 12]))


def by_library(paths: list[str]) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
            "SECRET_KEY": "profile-pages-" + "x" * 32,
            "RATELIMIT_ENABLED": False,
            "ELASTICSEARCH_URL": os.environ.get("TEST_ELASTICSEARCH_URL"),
            "ELASTICSEARCH_INDEX": os.environ.get("LOAD_INDEX", "chohtx-load"),
        }
    )
    client = app.test_client()
    for path in paths:
        median_ms(client, path)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(20):
        for path in paths:
            client.get(path)
    profile.disable()
    own: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in pstats.Stats(
        profile
    ).stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in filename:
            key = filename.split("site-packages/")[1].split("/")[0]
        elif "/templates/" in filename:
            key = "templates"
        elif "/marketplace/" in filename:
            key = "marketplace"
        elif filename.startswith("~") or filename.startswith("<"):
            key = "~ (built-ins)"
        else:
            key = "python (standard library)"
        own[key] = own.get(key, 0.0) + tottime
    total, requests = sum(own.values()), 20 * len(paths)
    print(f"{requests} requests, {total / requests * 1000:.2f} ms each under the profiler")
    for key, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:16]:
        print(f"{seconds / requests * 1000:7.2f} ms {seconds / total * 100:5.1f} %  {key}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    who = None
    if arguments[:1] == ["--libraries"]:
        by_library(arguments[1:] or ["/"])
        raise SystemExit(0)
    if arguments[:1] == ["--as"]:
        who, arguments = arguments[1], arguments[2:]
    main(arguments or ["/"], who)
