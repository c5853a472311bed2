"""Configuration classes. Every setting can be given as a ``CATALOG_*`` environment variable."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_DIR = CONFIG_DIR.parent


# Signed cookies and CSRF tokens are only as strong as this key.
MIN_SECRET_KEY_BYTES = 32


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"CATALOG_{name}")
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"CATALOG_{name} must be an integer, got {raw!r}") from exc


class BaseConfig:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    DEBUG = False
    # Uploads and API bodies larger than this are refused with 413.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    API_PER_PAGE_DEFAULT = 20
    API_PER_PAGE_MAX = 100
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    HSTS_SECONDS = 0  # production sets it (the development server is plain http)
    CONFIG_DIR = str(CONFIG_DIR)
    # Each process that searches catches its index up with the database this often, from a
    # background thread (0: before each search instead, as the tests do).
    INDEX_FOLLOW_SECONDS = 1.0

    @classmethod
    def from_environment(cls) -> dict:
        """Resolve the settings that depend on the environment into a plain dict."""
        instance_dir = Path(_env("INSTANCE_DIR", str(PROJECT_DIR / "instance"))).resolve()
        settings = {
            key: getattr(cls, key) for key in dir(cls) if key.isupper() and not key.startswith("_")
        }
        settings.update(
            INSTANCE_DIR=str(instance_dir),
            DATABASE_URL=_env("DATABASE_URL", f"sqlite:///{instance_dir / 'catalog.db'}"),
            INDEX_DIR=_env("INDEX_DIR", str(instance_dir / "index")),
            HARVEST_ALLOW_PRIVATE=_env("HARVEST_ALLOW_PRIVATE", "0") == "1",
            HARVEST_TIMEOUT_SECONDS=_env_int("HARVEST_TIMEOUT_SECONDS", 30),
            HARVEST_MAX_RESPONSE_BYTES=_env_int("HARVEST_MAX_RESPONSE_BYTES", 512 * 1024 * 1024),
            HARVEST_RETRIES=_env_int("HARVEST_RETRIES", 3),
            # Validation processes beside the harvest process (0: validate in it).
            HARVEST_WORKERS=_env_int("HARVEST_WORKERS", 1),
            # Harvest batches after the first are indexed by a second process (0: inline).
            INDEX_IN_BACKGROUND=_env("INDEX_IN_BACKGROUND", "1") == "1",
            INDEX_FOLLOW_SECONDS=float(
                _env("INDEX_FOLLOW_SECONDS", str(cls.INDEX_FOLLOW_SECONDS)) or 0
            ),
            # A running job on another host without a heartbeat for this long is taken as dead
            # (on its own host the process itself is checked): resumed elsewhere or failed.
            HARVEST_JOB_TIMEOUT_SECONDS=_env_int("HARVEST_JOB_TIMEOUT_SECONDS", 60),
            JOB_HEARTBEAT_SECONDS=_env_int("JOB_HEARTBEAT_SECONDS", 10),
            JOB_MAX_ATTEMPTS=_env_int("JOB_MAX_ATTEMPTS", 3),
            # The task queue: Celery on Redis (redis://host:6379/0). Empty: `manage.py worker`
            # runs the jobs and schedules in its own process, reading queued jobs from the
            # database.
            BROKER_URL=_env("BROKER_URL"),
            # Queue name, and the prefix of every Redis key the queue writes (several catalogs,
            # or test runs, can share one Redis).
            QUEUE_NAME=_env("QUEUE_NAME", "catalog"),
            DISPATCH_SECONDS=_env_int("DISPATCH_SECONDS", 60),
            SCHEDULE_TIMEZONE=_env("SCHEDULE_TIMEZONE", "America/New_York"),
            # Periodic tasks: a cron expression or @daily...; "off" turns one off.
            SCHEDULE_LINKCHECK=_env("SCHEDULE_LINKCHECK", "0 2 * * *"),
            SCHEDULE_SNAPSHOT=_env("SCHEDULE_SNAPSHOT", "30 23 * * *"),
            SCHEDULE_NOTICES=_env("SCHEDULE_NOTICES", "0 7 * * *"),
            SCHEDULE_MAIL=_env("SCHEDULE_MAIL", "* * * * *"),
            SCHEDULE_REPORTS=_env("SCHEDULE_REPORTS", "0 6 * * 1"),
            # Rebuilds the catalog files' fragments of changed datasets, so the first request
            # for /data.json after a large harvest does not do it.
            SCHEDULE_EXPORTS=_env("SCHEDULE_EXPORTS", "*/5 * * * *"),
            SMTP_URL=_env("SMTP_URL"),
            MAIL_FROM=_env("MAIL_FROM", "CT data catalog <catalog@localhost>"),
            RATELIMIT_STORAGE_URI=_env("RATELIMIT_STORAGE_URI", cls.RATELIMIT_STORAGE_URI),
            # The site's public address: links in e-mail, dataset IRIs in DCAT exports and RDF
            # (pages answer with the host a request came to when it is not set).
            PUBLIC_URL=_env("PUBLIC_URL"),
            # Named in DCAT-US 3.0 exports for datasets whose record and agency give no contact
            # address (3.0 requires one): set it to the catalog's monitored mailbox.
            DCAT_CONTACT_NAME=_env("DCAT_CONTACT_NAME", "Connecticut Chief Data Officer"),
            DCAT_CONTACT_EMAIL=_env("DCAT_CONTACT_EMAIL", "opendata@ct.gov"),
            # A signed-in session ends this long after sign-in (and at sign-out, a new password
            # or deactivation, whatever happens to its cookie).
            PERMANENT_SESSION_LIFETIME=timedelta(hours=_env_int("SESSION_HOURS", 12)),
            # New API tokens expire after this many days (0: they last until revoked).
            API_TOKEN_DAYS=_env_int("API_TOKEN_DAYS", 90),
            # Spreadsheet uploads: refused before parsing past these limits.
            UPLOAD_MAX_BYTES=_env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024),
            UPLOAD_MAX_UNCOMPRESSED_BYTES=_env_int("UPLOAD_MAX_UNCOMPRESSED_BYTES", 64 * 2**20),
            UPLOAD_MAX_ROWS=_env_int("UPLOAD_MAX_ROWS", 50_000),
            SECRET_KEY=cls.secret_key(instance_dir),
        )
        return settings

    @classmethod
    def secret_key(cls, instance_dir: Path) -> str:
        key = _env("SECRET_KEY")
        if not key:
            raise ConfigError(
                "CATALOG_SECRET_KEY is required outside development and tests; "
                "set it to a long random value, e.g. the output of "
                "python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        if len(key.encode()) < MIN_SECRET_KEY_BYTES:
            raise ConfigError(
                f"CATALOG_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes long, got "
                f"{len(key.encode())}; use the output of "
                "python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        return key


class DevelopmentConfig(BaseConfig):
    """Local use: a secret key is generated once and kept in the instance folder."""

    ENV_NAME = "development"

    @classmethod
    def secret_key(cls, instance_dir: Path) -> str:
        key = _env("SECRET_KEY")
        if key:
            return key
        key_file = instance_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        instance_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


class TestingConfig(DevelopmentConfig):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    INDEX_FOLLOW_SECONDS = 0.0


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # Strict-Transport-Security: browsers use https only, for a year.
    HSTS_SECONDS = 365 * 24 * 3600


CONFIGS = {cls.ENV_NAME: cls for cls in (DevelopmentConfig, TestingConfig, ProductionConfig)}


def load_settings(env_name: str | None = None) -> dict:
    """Settings for ``env_name`` (default ``CATALOG_ENV``, else development)."""
    name = env_name or _env("ENV", "development")
    try:
        config_class = CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(
            f"CATALOG_ENV must be one of {', '.join(sorted(CONFIGS))}, got {name!r}"
        ) from exc
    return config_class.from_environment()
