"""The app, with every outbox delivery written to a log, for the scale-out check.

``OUTBOX_DELIVERY_LOG`` names a file; each successful delivery appends a line
``<message id> <process id> <topic>`` (one short ``O_APPEND`` write, so lines from several
processes never interleave). Nothing else changes: the same ``deliver_one`` runs, so the log
shows whether any message was handed to its handler twice, by any process: an app server
delivering after its response, or an outbox worker.

    gunicorn -c gunicorn.conf.py --chdir scripts/load recorded:app      # an app server
    .venv/bin/python scripts/load/recorded.py outbox work              # = flask outbox work
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from marketplace import create_app  # noqa: E402
from marketplace.services import outbox  # noqa: E402

_deliver_one = outbox.deliver_one


def _recording_deliver_one(message) -> bool:
    delivered = _deliver_one(message)
    if delivered:
        line = f"{message.id} {os.getpid()} {message.topic}\n".encode()
        fd = os.open(os.environ["OUTBOX_DELIVERY_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return delivered


outbox.deliver_one = _recording_deliver_one
app = create_app()


if __name__ == "__main__":
    from flask.cli import FlaskGroup

    FlaskGroup(create_app=lambda: app)(args=sys.argv[1:])
