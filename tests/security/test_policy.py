"""Policy: passwords long and hard to guess (zxcvbn, a maintained estimator with lists of common
passwords), a production secret key of at least 32 bytes, HSTS in production."""

from __future__ import annotations

import pytest

from catalog import create_app
from catalog.errors import InvalidInput
from config.settings import ConfigError, load_settings


@pytest.mark.parametrize(
    "password",
    ["a" * 12, "password1234", "qwertyuiop123", "letmein12345", "Password123!", "short"],
)
def test_weak_passwords_are_refused(runner, app, password) -> None:
    result = runner.invoke(
        args=["users", "create", "ana@dph.ct.gov", "--role", "cdo", "--password", password]
    )
    assert result.exit_code != 0
    assert "password" in result.output.lower()


def test_a_password_made_of_the_email_is_refused(session) -> None:
    from catalog.services.users import create_user

    with pytest.raises(InvalidInput) as raised:
        create_user(session, "margaret.hamilton@dph.ct.gov", "cdo", password="margarethamilton")
    assert "password" in raised.value.errors


def test_a_long_uncommon_passphrase_is_accepted(runner, app) -> None:
    result = runner.invoke(
        args=["users", "create", "ana@dph.ct.gov", "--role", "cdo",
              "--password", "quiet ferns under moonlit granite"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("key", ["short", "x" * 31])
def test_production_refuses_a_short_secret_key(monkeypatch, tmp_path, key) -> None:
    monkeypatch.setenv("CATALOG_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("CATALOG_SECRET_KEY", key)
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        load_settings("production")


def test_production_accepts_a_32_byte_key(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CATALOG_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("CATALOG_SECRET_KEY", "k" * 32)
    assert load_settings("production")["SECRET_KEY"] == "k" * 32


def test_production_sends_hsts_and_development_does_not(app, monkeypatch) -> None:
    monkeypatch.setenv("CATALOG_SECRET_KEY", "k" * 32)
    # The test app's settings (database, folders), minus what production decides itself.
    overrides = {k: v for k, v in app.config.items() if k != "HSTS_SECONDS"}
    production = create_app({**overrides, "ENV_NAME": "production", "SECRET_KEY": "k" * 32})
    try:
        header = production.test_client().get("/login").headers.get("Strict-Transport-Security")
        assert header is not None and "max-age=31536000" in header
    finally:
        production.extensions["catalog_db"].dispose()
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
