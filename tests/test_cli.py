"""The CLI as an operator uses it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from catalog.db import db
from catalog.models import Agency, User
from catalog.services.users import user_for_token

PROJECT = Path(__file__).resolve().parents[1]


def test_init_is_idempotent(runner, app):
    first = runner.invoke(args=["init"])
    second = runner.invoke(args=["init"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "0 added" in second.output
    with app.app_context():
        codes = db.session.scalars(db.session.query(Agency.code).statement).all()
        assert len(codes) == len(set(codes)) and "DPH" in codes


def test_users_create_and_token(runner, app, client):
    created = runner.invoke(
        args=["users", "create", "Ana@DPH.ct.gov", "--role", "steward", "--agency", "DPH",
              "--password", "a long enough password"]
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    issued = runner.invoke(args=["users", "token", "ana@dph.ct.gov"])
    assert issued.exit_code == 0
    token = issued.output.strip().splitlines()[-1]
    with app.app_context():
        user = user_for_token(db.session, token)
        assert user is not None and user.email == "ana@dph.ct.gov"
        assert token not in str(db.session.execute(text("SELECT token_hash FROM api_token")).all())
    response = client.post(
        "/api/v1/datasets",
        json={"title": "T", "description": "D", "accessLevel": "public",
              "contactPoint": {"fn": "Ana"}},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json["agency"] == "DPH"  # the steward's only agency


def test_user_errors_exit_non_zero_with_one_line_reason(runner, app):
    unknown_agency = runner.invoke(
        args=["users", "create", "x@ct.gov", "--role", "steward", "--agency", "NOPE"]
    )
    assert unknown_agency.exit_code != 0
    assert "Unknown agency code 'NOPE'" in unknown_agency.output
    no_agency = runner.invoke(args=["users", "create", "y@ct.gov", "--role", "steward"])
    assert no_agency.exit_code != 0 and "at least one agency" in no_agency.output
    short = runner.invoke(args=["users", "create", "z@ct.gov", "--role", "cdo", "--password", "x"])
    assert short.exit_code != 0 and "at least 12" in short.output
    missing = runner.invoke(args=["users", "token", "nobody@ct.gov"])
    assert missing.exit_code != 0 and "No user" in missing.output
    with app.app_context():
        assert db.session.query(User).count() == 0


def _run(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True,
        text=True, timeout=600, **kwargs,
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_then_run_serves_the_loaded_datasets(tmp_path):
    """The README's path for a newcomer: demo --no-serve, then run, then the API."""
    env = {**os.environ, "CATALOG_INSTANCE_DIR": str(tmp_path)}
    env.pop("CATALOG_DATABASE_URL", None)
    env.pop("CATALOG_ENV", None)
    demo = _run(["demo", "--no-serve"], env)
    assert demo.returncode == 0, demo.stderr
    again = _run(["demo", "--no-serve"], env)
    assert again.returncode == 0, again.stderr
    accounts = _demo_accounts(again.stdout)
    assert set(accounts) == {"steward@dph.ct.gov", "cdo@ct.gov", "admin@ct.gov"}
    token = _run(["users", "token", "steward@dph.ct.gov"], env).stdout.strip().splitlines()[-1]
    database = create_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    with database.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM dataset WHERE status='active'")).scalar()
    assert stored > 0

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "run", "--port", str(port)], cwd=PROJECT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        body = None
        for _ in range(100):
            try:
                body = requests.get(f"http://127.0.0.1:{port}/api/v1/datasets", timeout=2).json()
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert body is not None, "the server did not start"
        assert body["total"] == stored
        first = body["items"][0]
        one = requests.get(f"http://127.0.0.1:{port}/api/v1/datasets/{first['id']}", timeout=5)
        assert one.json()["title"] == first["title"]

        # The README's "API in one minute", as written, with the demo's steward.
        created = requests.post(
            f"http://127.0.0.1:{port}/api/v1/datasets",
            headers={"Authorization": f"Bearer {token}"},
            json={"title": "Hospital discharges", "description": "By town and year.",
                  "accessLevel": "public", "agency": "DPH",
                  "contactPoint": {"fn": "DPH Data Officer", "hasEmail": "mailto:dph.data@ct.gov"}},
            timeout=5,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        # The password printed by the second demo run signs the steward in.
        browser = requests.Session()
        login = browser.get(f"http://127.0.0.1:{port}/login", timeout=5).text
        csrf = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        signed_in = browser.post(
            f"http://127.0.0.1:{port}/login",
            data={"email": "steward@dph.ct.gov", "password": accounts["steward@dph.ct.gov"],
                  "csrf_token": csrf},
            timeout=5,
        )  # fmt: skip
        assert "Sign out" in signed_in.text
        assert requests.get(f"http://127.0.0.1:{port}/favicon.ico", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def _demo_accounts(output: str) -> dict[str, str]:
    """The ``role email password`` lines the demo prints at its end."""
    rows = [line.split() for line in output.splitlines() if line.startswith("  ")]
    return {row[1]: row[2] for row in rows if len(row) == 3 and "@" in row[1]}


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {**os.environ, "CATALOG_ENV": "production", "CATALOG_INSTANCE_DIR": str(tmp_path)}
    env.pop("CATALOG_SECRET_KEY", None)
    result = _run(["init"], env)
    assert result.returncode != 0
    assert "CATALOG_SECRET_KEY is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_passwords_are_stored_hashed(app, make_user):
    from catalog.services.users import authenticate

    make_user("cdo", email="cdo@opm.ct.gov", password="a long enough password")
    with app.app_context():
        user = db.session.query(User).filter_by(email="cdo@opm.ct.gov").one()
        assert "a long enough password" not in user.password_hash
        assert authenticate(db.session, "cdo@opm.ct.gov", "a long enough password") == user
        assert authenticate(db.session, "cdo@opm.ct.gov", "a long enough passworD") is None
