import pytest

from catalog import create_app
from config.settings import ConfigError, load_settings


def test_production_needs_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("CATALOG_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("CATALOG_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="CATALOG_SECRET_KEY"):
        load_settings("production")
    monkeypatch.setenv("CATALOG_SECRET_KEY", "x" * 64)
    settings = load_settings("production")
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["SESSION_COOKIE_HTTPONLY"]


def test_development_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("CATALOG_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("CATALOG_SECRET_KEY", raising=False)
    first = load_settings("development")["SECRET_KEY"]
    assert len(first) >= 64
    assert load_settings("development")["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("CATALOG_ENV", "staging")
    with pytest.raises(ConfigError, match="CATALOG_ENV"):
        load_settings()


def test_environment_variables_configure_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("CATALOG_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("CATALOG_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    monkeypatch.setenv("CATALOG_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("CATALOG_HARVEST_ALLOW_PRIVATE", "1")
    settings = load_settings("testing")
    assert settings["DATABASE_URL"].endswith("other.db")
    assert settings["INDEX_DIR"] == str(tmp_path / "idx")
    assert settings["HARVEST_ALLOW_PRIVATE"] is True


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_oversize_body_is_refused(client, app, make_user, token_for):
    token = token_for(make_user("steward"))
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/api/v1/datasets",
        data=b"x" * (limit + 1),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413


def test_nul_characters_are_refused_in_every_part_of_a_request(client, app, make_user, token_for):
    """PostgreSQL cannot store NUL; found by schemathesis as a 500 on /api/v1/agreements."""
    from catalog.db import db
    from catalog.models import Dataset
    from tests.conftest import dataset_payload

    token = token_for(make_user("steward", agencies=("DPH",)))
    api = {"Authorization": f"Bearer {token}"}
    queries = ["/api/v1/agreements?agency=%00", "/api/v1/datasets?q=a%00b", "/?q=x&agency=%00"]
    for url in queries:
        response = client.get(url, headers=api)
        assert response.status_code == 400, url
        assert "NUL" in response.get_data(as_text=True)
    assert client.get("/api/v1/agreements?agency=%00").json == {
        "errors": {"_request": ["NUL characters are not allowed in requests."]}
    }
    body = dataset_payload(title="Hospital\u0000 discharges", agency="DPH")
    response = client.post("/api/v1/datasets", json=body, headers=api)
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    response = client.post("/login", data={"email": "a\x00@ct.gov", "password": "x"})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Dataset).count() == 0


def test_create_app_uses_given_config(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path)})
    assert app.config["DATABASE_URL"] == url and app.testing
