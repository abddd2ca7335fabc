"""gunicorn settings for Chợ HTX: `gunicorn -c gunicorn.conf.py wsgi:app`.

The values below are a starting point, not measured choices: issue 19's load test
(`scripts/load.sh`) is the way to choose them on the machine that serves the site, and
docs/benchmarks.md records what was measured. Each can be overridden from the environment
(GUNICORN_WORKERS=…) without editing this file; command-line flags override both.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# Where to listen: GUNICORN_BIND (e.g. "127.0.0.1:8000" behind a proxy), else all addresses
# on PORT (8000).
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"

# Threaded workers: a request mostly waits on PostgreSQL and Elasticsearch, so a few threads
# per process keep the cores busy with less memory than more processes. Starting point:
# one process per core plus one, four threads each.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 4)

# Keep-alive lets a browser (or the proxy in front) reuse a connection for the next page;
# a few seconds, shorter than the proxy's own idle timeout.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A request is stopped after `timeout` seconds (the longest page is a PDF render); workers get
# `graceful_timeout` to finish their requests on a restart.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)

# Workers are replaced after this many requests (jittered so they do not all restart at
# once), which bounds slow memory growth in a long-running process.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)

# Load the app in each worker (not the master): connection pools are never shared across a
# fork.
preload_app = False

# Access log off by default (the proxy logs requests); GUNICORN_ACCESS_LOG=- writes it to
# stdout. Errors go to stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "warning"
