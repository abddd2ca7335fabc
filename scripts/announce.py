"""Print where `make run` serves, once the server answers there.

Usage: python scripts/announce.py HOST PORT PID — waits until http://HOST:PORT/healthz answers
while process PID (the server) is alive, then prints the address; prints nothing if the server
stops first (for example when the port is taken).
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def main(host: str, port: str, pid: int) -> int:
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    if ":" in local and not local.startswith("["):
        local = f"[{local}]"
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    while _alive(pid):
        if _answers(f"http://{local}:{port}/healthz"):
            # The server may have lost the port to another one that answered: check it again.
            if _alive(pid):
                print(f"\nChợ HTX is serving on http://{shown}:{port}\n", flush=True)
            return 0
        time.sleep(0.3)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
