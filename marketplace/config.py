"""Settings read from the environment, with embedded defaults for a laptop.

With no environment at all the app uses SQLite in the instance folder, the local
file storage and the database search backend. Setting ``DATABASE_URL``,
``ELASTICSEARCH_URL``, ``S3_BUCKET``, ``SMTP_HOST`` (and later ``STRIPE_SECRET_KEY``) switches
each piece to its production service.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

#: Outside production, with no SECRET_KEY, the random key kept in this instance-folder file.
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a key


class ConfigError(RuntimeError):
    """The configuration is unsafe or inconsistent; the message says how to fix it."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from exc


def instance_secret_key(instance_path: str) -> str:
    """The random key in ``<instance>/secret_key``, made (mode 0600) on first use.

    Two workers starting at once agree: each writes its own temporary file and links it to the
    final name only if that is absent, then both read whatever is there.
    """
    folder = os.path.abspath(instance_path)
    path = os.path.join(folder, SECRET_KEY_FILE)
    try:
        if not os.path.exists(path):
            os.makedirs(folder, exist_ok=True)
            temporary = f"{path}.{os.getpid()}.{secrets.token_hex(8)}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_urlsafe(48) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                # Another worker may have been first: then its key wins.
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, path)
            finally:
                os.unlink(temporary)
        with open(path, encoding="ascii") as fh:
            key = fh.read().strip()
    except OSError as exc:
        raise ConfigError(
            f"No SECRET_KEY is set and the key file {path} cannot be used ({exc.strerror}): "
            "set SECRET_KEY, or make the instance folder writable."
        ) from exc
    if len(key) < 32:
        raise ConfigError(f"{path} holds no usable key: delete it, or set SECRET_KEY.")
    return key


def _trusted_proxies(env: dict[str, str]) -> int:
    count = _int(env, "TRUSTED_PROXIES", 0)
    if count < 0:
        raise ConfigError(f"TRUSTED_PROXIES must be 0 or more, got {count}.")
    return count


def local_base_url(env: dict[str, str]) -> str:
    """The address a laptop serves on: ``flask run``'s host and port (FLASK_RUN_HOST/PORT,
    which ``make run`` sets), ``http://127.0.0.1:5000`` without them."""
    host = (env.get("FLASK_RUN_HOST") or "").strip() or "127.0.0.1"
    if host in ("0.0.0.0", "::", "[::]"):  # noqa: S104 - naming an address, not binding one
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = _int(env, "FLASK_RUN_PORT", 5000)
    return f"http://{host}:{port}"


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` / ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    """Parsed view of the environment, turned into a Flask config mapping."""

    values: dict[str, Any]

    @classmethod
    def from_env(
        cls, env: dict[str, str] | None = None, instance_path: str = "instance"
    ) -> Settings:
        env = dict(os.environ if env is None else env)
        environment = env.get("APP_ENV", env.get("FLASK_ENV", "development")).lower()
        production = environment == "production"
        database_url = env.get("DATABASE_URL") or (
            "sqlite:///" + os.path.join(os.path.abspath(instance_path), "marketplace.sqlite3")
        )
        # No constant key anywhere: outside production a missing SECRET_KEY means a random one
        # kept in the instance folder (so sessions and signed links survive a restart and all
        # workers share it). This is the one write configuration makes, and it is allowed here:
        # reading the settings needs the key, it touches only the instance folder the app owns,
        # it happens once per folder, and it is skipped whenever SECRET_KEY is given (the tests,
        # production). Production never gets one: check_production_safety demands SECRET_KEY.
        secret_key = env.get("SECRET_KEY") or (
            "" if production else instance_secret_key(instance_path)
        )
        values: dict[str, Any] = {
            "ENV_NAME": environment,
            "SECRET_KEY": secret_key,
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            # Sessions: HttpOnly always, Secure when served over HTTPS (production).
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
            "REMEMBER_COOKIE_DURATION": timedelta(days=30),
            "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
            "PREFERRED_URL_SCHEME": "https" if production else "http",
            "SERVER_NAME": env.get("SERVER_NAME") or None,
            # Forms
            "WTF_CSRF_ENABLED": _bool(env.get("WTF_CSRF_ENABLED"), True),
            "WTF_CSRF_TIME_LIMIT": 8 * 3600,
            "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
            # Languages and time
            "BABEL_DEFAULT_LOCALE": "vi",
            "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
            "LANGUAGES": ("vi", "en"),
            # Rate limits: memory on a laptop, Redis/Memcached URI in production.
            "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
            "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
            "RATELIMIT_HEADERS_ENABLED": True,
            "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
            "PASSWORD_RESET_RATE_LIMIT": env.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour"),
            "SIGNUP_RATE_LIMIT": env.get("SIGNUP_RATE_LIMIT", "20 per hour"),
            # Per person, for sending messages (the first to a co-op, replies, deal threads).
            "MESSAGE_RATE_LIMIT": env.get("MESSAGE_RATE_LIMIT") or "20 per minute;300 per day",
            # Per address, for the search page and its API (generous: buyers search a lot).
            "SEARCH_RATE_LIMIT": env.get("SEARCH_RATE_LIMIT") or "300 per minute",
            # /readyz: per address; its details only for a platform admin or this bearer token.
            "HEALTH_RATE_LIMIT": env.get("HEALTH_RATE_LIMIT") or "60 per minute",
            # Per API key, across every operation of /api/v1.
            "API_RATE_LIMIT": env.get("API_RATE_LIMIT") or "120 per minute;5000 per hour",
            # Webhooks go to public addresses only; tests let them reach a local receiver.
            "WEBHOOK_ALLOW_PRIVATE": _bool(env.get("WEBHOOK_ALLOW_PRIVATE"), False),
            "HEALTH_TOKEN": env.get("HEALTH_TOKEN") or None,
            # Reverse proxies in front of the app: their X-Forwarded-For/-Proto entries are
            # trusted, so rate limits and the audit log see the client's address (0: none).
            "TRUSTED_PROXIES": _trusted_proxies(env),
            # Tokens
            "PASSWORD_RESET_MAX_AGE": _int(env, "PASSWORD_RESET_MAX_AGE", 3600),
            "INVITATION_MAX_AGE": _int(env, "INVITATION_MAX_AGE", 7 * 24 * 3600),
            # Email: printed to the log unless SMTP_HOST is set.
            "MAIL_FROM": env.get("MAIL_FROM", "Chợ HTX <no-reply@chohtx.local>"),
            "SMTP_HOST": env.get("SMTP_HOST") or None,
            "SMTP_PORT": _int(env, "SMTP_PORT", 587),
            "SMTP_USERNAME": env.get("SMTP_USERNAME") or None,
            "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
            "SMTP_STARTTLS": _bool(env.get("SMTP_STARTTLS"), True),
            "SMTP_TIMEOUT": _int(env, "SMTP_TIMEOUT", 10),
            # Search: the database backend unless ELASTICSEARCH_URL is set; then the engine
            # answers, and the database whenever the engine fails.
            "ELASTICSEARCH_URL": env.get("ELASTICSEARCH_URL") or None,
            "ELASTICSEARCH_INDEX": env.get("ELASTICSEARCH_INDEX") or "chohtx-listings",
            "ELASTICSEARCH_TIMEOUT": float(env.get("ELASTICSEARCH_TIMEOUT") or 3),
            # After an engine failure, searches use the database for this long before retrying.
            "SEARCH_RETRY_SECONDS": float(env.get("SEARCH_RETRY_SECONDS") or 30),
            # Search leaves the engine for the database while changes older than this wait.
            "SEARCH_BACKLOG_SECONDS": float(env.get("SEARCH_BACKLOG_SECONDS") or 10),
            # Search keeps the category tree this long between requests.
            "SEARCH_CATEGORY_CACHE_SECONDS": float(env.get("SEARCH_CATEGORY_CACHE_SECONDS") or 30),
            # Files: a local folder unless S3_BUCKET is set (any S3-compatible endpoint).
            "S3_BUCKET": env.get("S3_BUCKET") or None,
            "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
            "S3_REGION": env.get("S3_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            "S3_ACCESS_KEY_ID": env.get("S3_ACCESS_KEY_ID") or env.get("AWS_ACCESS_KEY_ID"),
            "S3_SECRET_ACCESS_KEY": env.get("S3_SECRET_ACCESS_KEY")
            or env.get("AWS_SECRET_ACCESS_KEY"),
            "S3_PUBLIC_BASE_URL": env.get("S3_PUBLIC_BASE_URL") or None,
            "LOCAL_STORAGE_PATH": env.get("LOCAL_STORAGE_PATH") or None,
            "PRIVATE_URL_MAX_AGE": _int(env, "PRIVATE_URL_MAX_AGE", 300),
            # Cards: offered only when STRIPE_SECRET_KEY is set (and webhooks verified with
            # STRIPE_WEBHOOK_SECRET); STRIPE_API_BASE points the SDK at stripe-mock in tests.
            "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
            "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
            "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,
            # Webhook signatures older than this are refused (replays of old events).
            "STRIPE_WEBHOOK_TOLERANCE": _int(env, "STRIPE_WEBHOOK_TOLERANCE", 300),
            # The platform's commission on payments, in basis points (300 = 3 %); a category
            # can have its own (admin, categories page).
            "PLATFORM_COMMISSION_BPS": _int(env, "PLATFORM_COMMISSION_BPS", 300),
            # What organisations are told to expect: the admins' usual time to check a profile
            # sent for verification, in working days (a promise shown on the start page).
            "VERIFICATION_DAYS": _int(env, "VERIFICATION_DAYS", 2),
            # The site's address in absolute links (emails, QR codes, share tags). Required in
            # production; elsewhere, when unset, links follow the host and port a request came
            # in on, and outside a request (worker, CLI) the address `flask run` was given.
            "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or "").strip() or None,
            "LOCAL_BASE_URL": local_base_url(env),
            # Seconds the home page's product cards are reused (0 turns the cache off).
            "HOME_CACHE_SECONDS": _int(env, "HOME_CACHE_SECONDS", 30),
        }
        return cls(values)


def check_production_safety(config: dict[str, Any]) -> None:
    """Refuse to start a production app with development secrets or storage, and any app
    with a commission outside 0–30 %."""
    if not 0 <= int(config.get("PLATFORM_COMMISSION_BPS") or 0) <= 3000:
        raise ConfigError("PLATFORM_COMMISSION_BPS must be from 0 to 3000 (0 to 30 %).")
    if config.get("ENV_NAME") != "production" or config.get("TESTING"):
        return
    if config.get("STRIPE_SECRET_KEY") and not config.get("STRIPE_WEBHOOK_SECRET"):
        raise ConfigError(
            "STRIPE_SECRET_KEY needs STRIPE_WEBHOOK_SECRET: without it card payments would be "
            "taken but never confirmed."
        )
    if config.get("STRIPE_API_BASE"):
        raise ConfigError("STRIPE_API_BASE is for tests (stripe-mock); unset it in production.")
    if config.get("WEBHOOK_ALLOW_PRIVATE"):
        raise ConfigError(
            "WEBHOOK_ALLOW_PRIVATE lets webhooks reach private addresses (for tests); unset it "
            "in production."
        )
    key = config.get("SECRET_KEY") or ""
    if len(key) < 32:
        raise ConfigError(
            "APP_ENV=production needs a real SECRET_KEY: set SECRET_KEY to a random string of "
            "at least 32 characters, for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        raise ConfigError("APP_ENV=production needs DATABASE_URL pointing at PostgreSQL.")
    base = urlsplit(str(config.get("PUBLIC_BASE_URL") or ""))
    if base.scheme not in ("http", "https") or not base.hostname:
        raise ConfigError(
            "APP_ENV=production needs PUBLIC_BASE_URL, the site's public address (for example "
            "https://chohtx.vn): it goes into emailed links, share tags and the QR codes printed "
            "on packaging, and is never taken from a request's Host header."
        )
