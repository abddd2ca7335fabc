import os

import pytest

from marketplace import create_app
from marketplace.config import (
    DEVELOPMENT_SECRET_KEY,
    ConfigError,
    Settings,
    check_production_safety,
    normalise_database_url,
)


def test_no_environment_gives_embedded_defaults(tmp_path):
    values = Settings.from_env({}, instance_path=str(tmp_path)).values
    assert values["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/marketplace.sqlite3"
    assert values["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
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
        },
        instance_path=str(tmp_path),
    ).values
    assert values["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/chohtx"
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["REMEMBER_COOKIE_SECURE"] is True
    assert values["SMTP_HOST"] == "smtp.example"
    assert values["ELASTICSEARCH_URL"] == "http://es:9200"
    check_production_safety(values)


@pytest.mark.parametrize("key", [None, DEVELOPMENT_SECRET_KEY, "short"])
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
    app = create_app({"TESTING": True})
    assert not instance.exists(), "create_app must not create folders or databases"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert os.listdir(tmp_path) == []
