"""What the load test visits and as whom: slugs of listings, co-ops and categories from the
bench database, the search words, and the logins the catalogue generator made.

    .venv/bin/python scripts/load/data.py DATABASE_URL catalogue.json > load-data.json

``catalogue.json`` is ``scripts/search_catalogue.py --json`` output (with ``--deals``).
Slugs are taken in a fixed pseudo-random order (by their md5), so two runs on the same
catalogue visit the same pages.
"""

from __future__ import annotations

import json
import sys

from sqlalchemy import create_engine, text

#: Searches people type: words with and without tone marks, a typo, a no-hit typo.
QUERIES = [
    "mật ong",
    "mat ong",
    "mật ong hoa nhãn",
    "sam lai chau",
    "Sâm Ngọc Linh",
    "che shan tuyet co thu",
    "gạo ST25",
    "nuoc mam phu quoc",
    "shan tuyett",
    "hat dieu rang muoi",
    "mat ong hoa nahn",
    "rượu ngô",
    "chả cá",
    "cà phê",
    "hữu cơ",
]


def main() -> None:
    url, catalogue = sys.argv[1], sys.argv[2]
    with open(catalogue, encoding="utf-8") as f:
        figures = json.loads(f.read().strip().splitlines()[-1])
    deals = figures.get("deals") or {}
    engine = create_engine(url)
    with engine.connect() as conn:

        def slugs(sql: str) -> list[str]:
            return list(conn.execute(text(sql)).scalars())

        data = {
            "listings": slugs(
                "SELECT slug FROM listings WHERE status = 'published' ORDER BY md5(slug) LIMIT 5000"
            ),
            "coops": slugs(
                "SELECT slug FROM organizations WHERE kind = 'coop' "
                "AND verification_status = 'approved' ORDER BY md5(slug) LIMIT 2000"
            ),
            "categories": slugs(
                "SELECT DISTINCT c.slug FROM categories c JOIN listings l ON l.category_id = c.id "
                "WHERE l.status = 'published' ORDER BY c.slug"
            ),
            "queries": QUERIES,
            "active_coops": deals.get("active_coops", 1),
            "buyers": deals.get("buyers", 1),
            "password": deals.get("password", ""),
            "domain": "bench.chohtx.vn",
        }
    engine.dispose()
    json.dump(data, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
