"""CSV files people open in Excel: UTF-8 with a BOM (so Vietnamese names show) and no cell
that a spreadsheet would run as a formula (the names come from users)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def spreadsheet_safe(value: object) -> object:
    """Text starting with = + - @ (or a tab or return) gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue()
