"""TRUSTED_PROXIES: behind a reverse proxy the client's address comes from X-Forwarded-For."""

import pytest

from marketplace import create_app
from marketplace.config import ConfigError, Settings
from tests.factories import make_test_config


def _statuses(app, forwarded_for: str, count: int) -> list[int]:
    client = app.test_client()
    return [
        client.post(
            "/login",
            # A new email each time, so only the per-address limit can answer 429.
            data={"email": f"nobody{forwarded_for}-{i}@example.vn", "password": "wrong-2026"},
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
        ).status_code
        for i in range(count)
    ]


def _app(app, proxies: int):
    return create_app(
        make_test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            TRUSTED_PROXIES=proxies,
            LOGIN_RATE_LIMIT="2 per minute",
        )
    )


def test_behind_one_proxy_each_client_has_its_own_login_limit(app):
    proxied = _app(app, 1)
    assert _statuses(proxied, "203.0.113.7", 3) == [422, 422, 429]
    assert _statuses(proxied, "198.51.100.9", 2) == [422, 422]


def test_without_trusted_proxies_the_forwarded_header_is_ignored(app):
    direct = _app(app, 0)
    assert _statuses(direct, "203.0.113.7", 3) == [422, 422, 429]
    assert _statuses(direct, "198.51.100.9", 1) == [429]


def test_trusted_proxies_setting():
    assert Settings.from_env({"SECRET_KEY": "k" * 40}).values["TRUSTED_PROXIES"] == 0
    env = {"SECRET_KEY": "k" * 40, "TRUSTED_PROXIES": "2"}
    assert Settings.from_env(env).values["TRUSTED_PROXIES"] == 2
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        Settings.from_env({"SECRET_KEY": "k" * 40, "TRUSTED_PROXIES": "-1"})
