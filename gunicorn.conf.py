"""gunicorn settings for Chợ HTX: `gunicorn -c gunicorn.conf.py wsgi:app`.

The worker shape was chosen by measurement (docs/benchmarks.md, "Choosing gunicorn's
workers"): on a 2-core machine serving the anonymous mix at 100,000 listings, three sync
workers beat threaded ones. Run `scripts/load.sh` on the machine that serves the site to
check it there. Each value can be overridden from the environment (GUNICORN_WORKERS=…)
without editing this file; command-line flags override both.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# Where to listen: GUNICORN_BIND (e.g. "127.0.0.1:8000" behind a proxy), else all addresses
# on PORT (8000).
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"

# Sync workers, one per core plus one. Measured with the anonymous mix at 32 clients (2 cores
# shared with PostgreSQL, Elasticsearch and the load generator): 3 sync workers 93.7 req/s,
# p95 460 ms; 4 sync 80.1 req/s, p95 510 ms; 5 sync 81.7, 540 ms; 3 gthread × 4 threads
# 67.6 req/s, p95 1,000 ms — the pages are CPU-bound Python (templates, ORM), so threads
# only queue on the interpreter lock. Sync workers need a buffering proxy in front (nginx,
# HAProxy) so a slow client never holds a worker.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "sync"
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 1)

# Keep-alive lets the proxy in front reuse a connection for the next page (gthread workers;
# sync workers close each connection); a few seconds, shorter than the proxy's idle timeout.
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
