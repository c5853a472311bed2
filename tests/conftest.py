"""Shared fixtures: a real database (SQLite file, or PostgreSQL via CATALOG_TEST_DATABASE_URL),
the app, a client, a CLI runner and factories. Each test starts from empty tables except the
reference data that ``init`` loads."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, text

import search_index
from catalog import create_app
from catalog.db import Base, db
from catalog.models import AuditEvent, Dataset, User
from catalog.services import users as users_service
from catalog.services.bootstrap import init_catalog
from catalog.services.datasets import create_dataset
from catalog.services.plan_io import load_plan_versions
from catalog.services.users import create_user, issue_token
from tests.live_server import serve
from tests.plan_fixtures import (  # noqa: F401  (fixtures for the plan's work)
    dph_sources,
    freeze_today,
    harvest_named,
    inventory_file,
    login,
    period_history,
    portal_file,
)

# Everything a test reads lives in the repository; tests/fixtures/SOURCES.md names each source.
FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures"
FIXTURES = FIXTURE_DIR / "real"
CHROMIUM = os.environ.get("CATALOG_CHROMIUM", "/usr/bin/chromium")
# Tables filled by `init` from config/ and kept between tests.
PLAN_TABLES = ("plan_version", "plan_principle", "plan_goal", "plan_objective", "plan_focal_point")
REFERENCE_TABLES = {"agency", "legal_authority", *PLAN_TABLES}


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("CATALOG_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'catalog.db'}"


def _reset_schema(url: str) -> None:
    """Start each run from an empty database, then build it with the real migrations."""
    engine = db.configure(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    # Hashing strength is not under test; scrypt would make every sign-in cost ~100 ms.
    users_service.PASSWORD_METHOD = "pbkdf2:sha256:1000"
    url = _database_url(tmp_path_factory)
    instance = tmp_path_factory.mktemp("instance")
    _reset_schema(url)
    application = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": url,
            "INSTANCE_DIR": str(instance),
            "INDEX_DIR": str(instance / "index"),
            "SECRET_KEY": "test-secret-key",
            "HARVEST_ALLOW_PRIVATE": True,
        }
    )
    with application.app_context():
        init_catalog(db.session, Path(application.config["CONFIG_DIR"]))
        db.session.commit()
    yield application
    db.session.remove()
    application.extensions["catalog_db"].dispose()
    db.engine.dispose()


@pytest.fixture(autouse=True)
def _close_other_apps_engines(request: pytest.FixtureRequest) -> Iterator[None]:
    """Apps a test builds for itself get their connections closed when it ends."""
    yield
    keep = (
        request.getfixturevalue("app").extensions["catalog_db"]
        if "app" in request.fixturenames
        else None
    )
    for engine in list(db.app_engines):
        if engine is not keep:
            engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    db.session.remove()
    with db.engine.begin() as conn:
        # The CDO writes the plan in the catalog (every edit audited): a test that did puts the
        # shipped plan back, so the next test starts from what `init` loads.
        plan_written = conn.execute(
            select(AuditEvent.id).where(AuditEvent.action.startswith("plan.")).limit(1)
        ).first()
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES or (plan_written and table.name in PLAN_TABLES):
                conn.execute(delete(table))
    application = request.getfixturevalue("app")
    if plan_written:
        with application.app_context():
            load_plan_versions(db.session, Path(application.config["CONFIG_DIR"]) / "plan")
            db.session.execute(delete(AuditEvent))  # the import's own events
            db.session.commit()
            db.session.remove()
    search_index.clear_index(application)


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture
def session(app_ctx: Flask):
    return db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """``make_user(role="steward", agencies=("DPH",), password=None, email=None)``."""
    counter = iter(range(1, 10_000))

    def _make(
        role: str = "steward",
        agencies: tuple[str, ...] = ("DPH",),
        password: str | None = "correct horse battery",
        email: str | None = None,
    ) -> User:
        with app.app_context():
            user = create_user(
                db.session,
                email or f"{role}{next(counter)}@example.ct.gov",
                role,
                agency_codes=list(agencies) if role == "steward" else [],
                password=password,
            )
            db.session.commit()
            return user

    return _make


@pytest.fixture
def token_for(app: Flask) -> Callable[[User], str]:
    def _token(user: User) -> str:
        with app.app_context():
            token = issue_token(db.session, db.session.merge(user))
            db.session.commit()
            return token

    return _token


def dataset_payload(**overrides: object) -> dict:
    """A valid DCAT-US 1.1 dataset body; override any key."""
    payload = {
        "title": "Hospital discharges by town",
        "description": "Counts of inpatient discharges by patient town and year.",
        "keyword": ["health", "hospitals"],
        "accessLevel": "public",
        "contactPoint": {"fn": "Data Officer", "hasEmail": "mailto:data.officer@ct.gov"},
        "modified": "2024-05-01",
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "agency": "DPH",
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


@pytest.fixture
def make_dataset(app: Flask) -> Callable[..., Dataset]:
    def _make(actor: User | str = "test", **overrides: object) -> Dataset:
        with app.app_context():
            dataset = create_dataset(db.session, dataset_payload(**overrides), actor)
            db.session.commit()
            return dataset

    return _make


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for every browser test (the sync API allows one per thread)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The test app served over real HTTP on 127.0.0.1 (for Chromium and ckanapi)."""
    with serve(app) as url:
        yield url


@pytest.fixture
def plan_objectives(app: Flask) -> dict[str, str]:
    """Goals G1 (objectives G1.1, G1.2) and G2 (G2.1) written by the CDO into the 2025-2026
    plan (the shipped versions have none: their text is not known). The cleanup restores it."""
    from catalog.services.plan_authoring import save_element

    with app.app_context():
        cdo = create_user(db.session, "plan-author@opm.ct.gov", "cdo", password=None)
        for goal, term, title in (
            ("G1", "two-year", "Document every dataset"),
            ("G2", "longer-term", "Review every obstacle to sharing"),
        ):
            save_element(
                db.session, "2025-2026", "goal", {"key": goal, "term": term, "title": title}, cdo
            )
        for goal, key, text, target in (
            ("G1", "G1.1", "Publish a data dictionary for each dataset", 80),
            ("G1", "G1.2", "Name a steward for each dataset", 100),
            ("G2", "G2.1", "Close every sharing review on time", 100),
        ):
            save_element(
                db.session, "2025-2026", "objective",
                {"key": key, "text": text, "metric": "percent of datasets", "target": str(target),
                 "unit": "percent", "due": "2026-12-31"},
                cdo, goal_key=goal,
            )  # fmt: skip
        db.session.commit()
    return {"plan": "2025-2026", "goal": "G1", "objective": "G1.1"}
