"""Bank statement CSVs: each incoming line is matched to an open payable by the transfer
reference in its message and by amount; the payee reviews the verdicts, then applies the
matching lines all at once (all or nothing). Under- and over-payments, unknown references,
lines already recorded and lines for someone else are flagged, never applied.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Organization, PayableKind, ProviderReference, StatementImport
from marketplace.models._types import utcnow
from marketplace.parsing import MAX_DB_MONEY, amount_of
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.payments.payables import (
    PAID_ON_WINDOW,
    paid_so_far,
    parse_reference,
    payable,
    require_payee_manager,
)
from marketplace.services.payments.transfers import record_transfer
from marketplace.validation import InvalidValue, strip_control
from marketplace.vietnam import today

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 2000
#: Column names seen in Vietnamese banks' exports (folded to lower case, no marks).
_COLUMNS = {
    "date": ("ngay", "ngay giao dich", "ngay gd", "date", "transaction date", "posting date"),
    "amount": ("so tien", "so tien ghi co", "ghi co", "credit", "amount", "so tien (vnd)"),
    "message": ("noi dung", "dien giai", "mo ta", "description", "details", "narrative"),
    "reference": ("so tham chieu", "ma giao dich", "ma gd", "so but toan", "reference", "ref"),
}


def _fold(text: str) -> str:
    from marketplace.search.folding import fold

    return " ".join(fold(text or "").split())


def _amount(text: str) -> int | None:
    """Whole đồng as the listings read prices ("1.250.000", "1250000 ₫"; decimals refused),
    a leading "+" of a credit allowed; None when it cannot be read."""
    try:
        return amount_of((text or "").strip().removeprefix("+"), at_most=MAX_DB_MONEY)
    except InvalidValue:
        return None


def _date(text: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return datetime.strptime((text or "").strip(), pattern).date()
        except ValueError:
            continue
    return None


def importer_of(actor: Actor, organization_id: int) -> Organization:
    """The organisation whose statements the actor may import: the payee's owners and
    managers, and admins (NotFound for others, PermissionDenied for staff)."""
    return require_payee_manager(actor, organization_id)


def upload(actor: Actor, organization_id: int, filename: str, data: bytes) -> StatementImport:
    """Read a statement CSV (UTF-8) and match its lines; nothing is applied yet."""
    importer_of(actor, organization_id)
    if not data:
        raise ValidationFailed({"file": _l("Choose the statement file.")})
    if len(data) > MAX_BYTES:
        raise ValidationFailed({"file": _l("The file is larger than 2 MB.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            {"file": _l("The file is not UTF-8 text. Export the statement as “CSV UTF-8”.")}
        ) from None
    try:
        sample = text[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ValidationFailed({"file": _l("The file is not a readable CSV statement.")}) from exc
    if not rows:
        raise ValidationFailed({"file": _l("The file has no lines.")})
    header = [_fold(cell) for cell in rows[0]]
    columns = {}
    for key, names in _COLUMNS.items():
        for index, name in enumerate(header):
            if name in names:
                columns[key] = index
                break
    if not {"date", "amount", "message"} <= set(columns):
        raise ValidationFailed(
            {
                "file": _l(
                    "The first line must name the columns: date, amount and description "
                    "(Ngày, Số tiền, Nội dung)."
                )
            }
        )
    if len(rows) - 1 > MAX_LINES:
        raise ValidationFailed({"file": _l("At most %(n)d lines at a time.", n=MAX_LINES)})
    parsed = []
    seen_references: set[str] = set()
    #: What each payable still owes once the lines above are counted.
    remaining: dict[tuple[str, int], int] = {}
    for number, row in enumerate(rows[1:], start=2):

        def cell(key: str, row=row) -> str:
            index = columns.get(key)
            return row[index].strip() if index is not None and index < len(row) else ""

        line = {
            "line": number,
            "date": cell("date"),
            "amount_text": cell("amount")[:40],
            "message": cell("message")[:300],
            "reference": cell("reference")[:120],
        }
        line.update(_verdict(organization_id, line, seen_references, remaining))
        parsed.append(line)
    statement = StatementImport(
        organization_id=organization_id,
        filename=(strip_control(filename or "") or "statement.csv").replace("\x00", "")[:200],
        rows=parsed,
        uploaded_by_id=actor.user_id,
    )
    db.session.add(statement)
    db.session.flush()
    audit.record(
        actor,
        "statement.upload",
        "statement_import",
        statement.id,
        organization_id=organization_id,
        details={"lines": len(parsed)},
    )
    db.session.flush()
    return statement


def _verdict(
    organization_id: int, line: dict, seen: set[str], remaining: dict[tuple[str, int], int]
) -> dict:
    day = _date(line["date"])
    amount = _amount(line["amount_text"])
    result: dict = {"paid_on": day.isoformat() if day else None, "amount": amount}
    if day is None or day > today() or day < today() - PAID_ON_WINDOW:
        return result | {"verdict": "bad_date"}
    if amount is None or amount <= 0:
        return result | {"verdict": "bad_amount"}
    reference = line["reference"] or f"{line['date']}|{amount}|{line['message']}"[:120]
    result["bank_reference"] = reference
    if reference in seen or db.session.scalar(
        select(ProviderReference.id).where(
            ProviderReference.provider == f"bank:{organization_id}",
            ProviderReference.reference == reference,
        )
    ):
        return result | {"verdict": "duplicate"}
    seen.add(reference)
    named = parse_reference(line["message"])
    if named is None:
        return result | {"verdict": "unknown"}
    kind, payable_id = named
    try:
        found = payable(kind, payable_id)
    except NotFound:
        return result | {"verdict": "unknown"}
    result |= {"payable_kind": kind.value, "payable_id": payable_id, "number": found.number}
    if found.payee_id != organization_id:
        return result | {"verdict": "not_yours"}
    key = (kind.value, payable_id)
    outstanding = remaining.get(key, found.amount - paid_so_far(kind, payable_id))
    result["owed"] = outstanding
    if not found.open or outstanding <= 0:
        return result | {"verdict": "paid"}
    if amount < outstanding:
        return result | {"verdict": "under"}
    if amount > outstanding:
        return result | {"verdict": "over"}
    remaining[key] = 0  # a second line for it is then flagged
    return result | {"verdict": "match"}


def review(actor: Actor, statement_id: int) -> StatementImport:
    statement = db.session.get(StatementImport, statement_id)
    if statement is None:
        raise NotFound("statement")
    importer_of(actor, statement.organization_id)
    return statement


def apply(actor: Actor, statement_id: int) -> int:
    """Record every matching line as a bank transfer, all or nothing: if any of them no
    longer matches (paid meanwhile), none is recorded — the caller's other changes stay —
    and the user is told which. Raises ValidationFailed."""
    statement = review(actor, statement_id)
    if statement.applied_at is not None:
        raise ValidationFailed({"file": _l("This statement has already been applied.")})
    lines = [row for row in statement.rows if row.get("verdict") == "match"]
    if not lines:
        raise ValidationFailed({"file": _l("No line matches an open payment.")})
    try:
        with db.session.begin_nested():
            for row in lines:
                current = row
                record_transfer(
                    actor,
                    PayableKind(row["payable_kind"]),
                    int(row["payable_id"]),
                    amount=str(row["amount"]),
                    paid_on=date.fromisoformat(row["paid_on"]),
                    bank_reference=row["bank_reference"],
                )
    except ValidationFailed as exc:
        raise ValidationFailed(
            {
                "file": _l(
                    "Line %(n)d no longer matches: %(why)s Nothing was recorded; "
                    "upload the statement again.",
                    n=current["line"],
                    why=" ".join(str(m) for m in exc.errors.values()),
                )
            }
        ) from exc
    statement = db.session.get(StatementImport, statement_id)
    statement.applied_at = utcnow()
    audit.record(
        actor,
        "statement.apply",
        "statement_import",
        statement.id,
        organization_id=statement.organization_id,
        details={"recorded": len(lines)},
    )
    db.session.flush()
    return len(lines)
