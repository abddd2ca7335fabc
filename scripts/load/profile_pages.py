"""One person at a time: each page's median over 20 requests, then where 10 more spend their
time (cProfile, own time and cumulative), against the load test's database.

    eval "$(bash scripts/services.sh env)"
    .venv/bin/python scripts/load/profile_pages.py /c/trai-cay /p/<slug> /htx/<slug> /

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

from marketplace import create_app


def main(paths: list[str]) -> None:
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
        for _ in range(3):
            answer = client.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code}")
        times = []
        for _ in range(20):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{path}: median {statistics.median(times):.1f} ms, min {min(times):.1f} ms")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(10):
            client.get(path)
        profile.disable()
        for order, lines in (("tottime", 14), ("cumtime", 24)):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(lines)
            print("\n".join(out.getvalue().splitlines()[4 : lines + 12]))


if __name__ == "__main__":
    main(sys.argv[1:] or ["/"])
