import os
import stat

import pytest

from marketplace import create_app
from marketplace.config import (
    ConfigError,
    Settings,
    check_production_safety,
    normalise_database_url,
)


def test_no_environment_gives_embedded_defaults(tmp_path):
    values = Settings.from_env({}, instance_path=str(tmp_path)).values
    assert values["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/marketplace.sqlite3"
    assert values["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
    assert values["ELASTICSEARCH_URL"] is None and values["S3_BUCKET"] is None
    assert values["SMTP_HOST"] is None
    assert values["BABEL_DEFAULT_LOCALE"] == "vi"
    assert values["BABEL_DEFAULT_TIMEZONE"] == "Asia/Ho_Chi_Minh"
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SECURE"] is False


def test_environment_switches_to_production_services(tmp_path):
    values = Settings.from_env(
        {
            "APP_ENV": "production",
            "DATABASE_URL": "postgres://u:p@db.example/chohtx",
            "SECRET_KEY": "x" * 40,
            "SMTP_HOST": "smtp.example",
            "ELASTICSEARCH_URL": "http://es:9200",
            "PUBLIC_BASE_URL": "https://chohtx.vn",
        },
        instance_path=str(tmp_path),
    ).values
    assert values["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/chohtx"
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["REMEMBER_COOKIE_SECURE"] is True
    assert values["SMTP_HOST"] == "smtp.example"
    assert values["ELASTICSEARCH_URL"] == "http://es:9200"
    assert values["PUBLIC_BASE_URL"] == "https://chohtx.vn"
    check_production_safety(values)


@pytest.mark.parametrize("key", [None, "", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, key):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:1/x")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_sqlite(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app()


def test_bad_number_in_environment_is_a_clear_error():
    with pytest.raises(ConfigError, match="SMTP_PORT"):
        Settings.from_env({"SMTP_PORT": "twenty-five"})


def test_normalise_database_url():
    assert normalise_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_create_app_has_no_side_effects(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setenv("INSTANCE_PATH", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    # With a key given, nothing at all is written (without one, the generated key file is the
    # only write: see test_without_secret_key_a_random_key_is_kept_in_the_instance_folder).
    app = create_app({"TESTING": True, "SECRET_KEY": "k" * 40})
    assert not instance.exists(), "create_app must not create folders or databases"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert os.listdir(tmp_path) == []


def test_no_constant_secret_key_in_the_code():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder, _dirs, files in os.walk(os.path.join(root, "marketplace")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as fh:
                    assert "dev-only-not-secret" not in fh.read(), name


def test_without_secret_key_a_random_key_is_kept_in_the_instance_folder(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setenv("INSTANCE_PATH", str(instance))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first, second = create_app(), create_app()
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in instance.iterdir()] == ["secret_key"]
    other = Settings.from_env({}, instance_path=str(tmp_path / "other")).values["SECRET_KEY"]
    assert other != first.config["SECRET_KEY"] and len(other) >= 48


def test_workers_starting_at_once_agree_on_the_generated_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(
            pool.map(
                lambda _: Settings.from_env({}, instance_path=str(tmp_path)).values["SECRET_KEY"],
                range(16),
            )
        )
    assert len(keys) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]


def test_an_explicit_secret_key_writes_no_file(tmp_path):
    values = Settings.from_env({"SECRET_KEY": "k" * 40}, instance_path=str(tmp_path)).values
    assert values["SECRET_KEY"] == "k" * 40
    assert list(tmp_path.iterdir()) == []


def test_production_never_generates_a_key(tmp_path):
    values = Settings.from_env({"APP_ENV": "production"}, instance_path=str(tmp_path)).values
    assert not values["SECRET_KEY"]
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        check_production_safety(values | {"SQLALCHEMY_DATABASE_URI": "postgresql://x/y"})


def test_production_refuses_webhooks_to_private_addresses(tmp_path):
    values = Settings.from_env(
        {
            "APP_ENV": "production",
            "DATABASE_URL": "postgres://u:p@db.example/chohtx",
            "SECRET_KEY": "x" * 40,
            "PUBLIC_BASE_URL": "https://chohtx.vn",
            "WEBHOOK_ALLOW_PRIVATE": "1",
        },
        instance_path=str(tmp_path),
    ).values
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_PRIVATE"):
        check_production_safety(values)
