"""Exactly-once check of the outbox after a scale-out run.

    outbox_check.py baseline DATABASE_URL FILE     before the run: ids already delivered
    outbox_check.py backlog DATABASE_URL COUNT     queue COUNT messages only workers will see
    outbox_check.py check DATABASE_URL FILE LOG [--wait SECONDS]

``check`` waits (up to ``--wait`` seconds) until no message is due, then compares the
table with the delivery log written by ``scripts/load/recorded.py`` in every process:

- lost: a message due and still undelivered after the wait; messages waiting for a retry
  after a failure (``last_error`` set, next attempt later) are counted apart, as retried, not
  lost — they are still in the table and will go;
- doubled: a message id in the log more than once (handed to its handler twice);
- unrecorded: delivered in the table but not in the log (delivered by a process outside the
  run), and recorded but not marked delivered (a delivery whose commit was lost).

Prints a Markdown table and exits 1 when anything was lost, doubled or unaccounted for.
"""

from __future__ import annotations

import collections
import json
import sys
import time

from sqlalchemy import create_engine, text


def _engine(url: str):
    return create_engine(url)


def baseline(url: str, path: str) -> None:
    with _engine(url).connect() as conn:
        ids = list(
            conn.execute(text("SELECT id FROM outbox_messages WHERE delivered_at IS NOT NULL"))
            .scalars()
            .all()
        )
        top = conn.execute(text("SELECT coalesce(max(id), 0) FROM outbox_messages")).scalar()
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"delivered": ids, "max_id": top}, f)


def backlog(url: str, count: int) -> None:
    """Queue ``count`` messages at once, as a burst of changes would: half search changes
    (20 listings each, applied to Elasticsearch again) and half emails to bench accounts. No
    app server knows their ids, so only the outbox workers deliver them, competing for the
    same rows (``claim``: ``FOR UPDATE SKIP LOCKED``)."""
    with _engine(url).begin() as conn:
        ids = list(conn.execute(text("SELECT id FROM listings ORDER BY id")).scalars())
        rows = []
        for n in range(count):
            if n % 2:
                chunk = [ids[(n * 20 + k) % len(ids)] for k in range(20)]
                rows.append({"topic": "search.index", "payload": json.dumps({"ids": chunk})})
            else:
                email = {
                    "to": f"htx{n % 50 + 1:05d}@bench.chohtx.vn",
                    "subject": f"Thông báo {n}",
                    "text": "Có cập nhật mới trong giao dịch của bạn.",
                }
                rows.append({"topic": "email", "payload": json.dumps(email, ensure_ascii=False)})
        conn.execute(
            text(
                "INSERT INTO outbox_messages (topic, payload, attempts, created_at, "
                "next_attempt_at) VALUES (:topic, CAST(:payload AS json), 0, now(), now())"
            ),
            rows,
        )


def check(url: str, path: str, log_path: str, wait: float) -> int:
    with open(path, encoding="utf-8") as f:
        before = json.load(f)
    already = set(before["delivered"])
    engine = _engine(url)
    due_sql = text(
        "SELECT count(*) FROM outbox_messages WHERE delivered_at IS NULL "
        "AND next_attempt_at <= now()"
    )
    deadline = time.monotonic() + wait
    with engine.connect() as conn:
        while conn.execute(due_sql).scalar() and time.monotonic() < deadline:
            conn.rollback()
            time.sleep(1)
        rows = conn.execute(
            text(
                "SELECT id, topic, delivered_at IS NOT NULL, attempts, last_error IS NOT NULL, "
                "next_attempt_at <= now() FROM outbox_messages"
            )
        ).all()
    engine.dispose()
    recorded: collections.Counter[int] = collections.Counter()
    by_process: collections.Counter[str] = collections.Counter()
    try:
        with open(log_path, encoding="utf-8") as f:
            for line in f:
                message_id, pid, _topic = line.split()
                recorded[int(message_id)] += 1
                by_process[pid] += 1
    except FileNotFoundError:
        pass
    topics: collections.Counter[str] = collections.Counter()
    new_topics: collections.Counter[str] = collections.Counter()
    delivered = lost = retried = not_due = unrecorded = 0
    for message_id, topic, is_delivered, _attempts, failed, due in rows:
        if message_id in already:
            continue
        topics[topic] += 1
        if message_id > before["max_id"]:
            new_topics[topic] += 1
        if is_delivered:
            delivered += 1
            if recorded[message_id] == 0:
                unrecorded += 1
        elif failed and not due:
            retried += 1
        elif due:
            lost += 1
        else:
            not_due += 1
    doubled = sum(1 for n in recorded.values() if n > 1)
    known = {r[0] for r in rows if r[2]}
    phantom = sum(1 for message_id in recorded if message_id not in known)
    print("| outbox messages (not delivered before the run) | count |")
    print("| --- | ---: |")
    print(f"| in the table | {sum(topics.values())} |")
    for topic, n in sorted(topics.items()):
        print(f"| … of which {topic} (made during the run: {new_topics[topic]}) | {n} |")
    print(f"| delivered | {delivered} |")
    print(f"| delivered by more than one hand (doubled) | **{doubled}** |")
    print(f"| due and undelivered after the wait (lost) | **{lost}** |")
    print(f"| failed, waiting for their retry | {retried} |")
    print(f"| not due yet (delivered later by design) | {not_due} |")
    print(f"| delivered but not in the log | {unrecorded} |")
    print(f"| in the log but not delivered | {phantom} |")
    print(f"| processes that delivered | {len(by_process)} |")
    return 1 if doubled or lost or unrecorded or phantom else 0


if __name__ == "__main__":
    command, url, path = sys.argv[1:4]
    if command == "baseline":
        baseline(url, path)
    elif command == "backlog":
        backlog(url, int(path))
    else:
        wait = float(sys.argv[sys.argv.index("--wait") + 1]) if "--wait" in sys.argv else 60.0
        sys.exit(check(url, path, sys.argv[4], wait))
