"""A Markdown table from Locust's ``--csv`` statistics: per page kind, requests per second,
p50, p95 and p99 (ms) and failures.

    .venv/bin/python scripts/load/report.py PREFIX [title]     (reads PREFIX_stats.csv)
"""

from __future__ import annotations

import csv
import sys


def table(prefix: str) -> str:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    lines = [
        "| page kind | requests | req/s | p50 ms | p95 ms | p99 ms | failures |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    total = [r for r in rows if r["Name"] == "Aggregated"]
    kinds = sorted((r for r in rows if r["Name"] != "Aggregated"), key=lambda r: r["Name"])
    for row in kinds + total:
        name = "**all**" if row["Name"] == "Aggregated" else row["Name"]
        if row["Type"] not in ("GET", "") and row["Name"] != "Aggregated":
            name = f"{name} ({row['Type']})"
        lines.append(
            f"| {name} | {row['Request Count']} | {float(row['Requests/s']):.1f} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} | {row['Failure Count']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 2:
        print(sys.argv[2])
        print()
    print(table(sys.argv[1]))
