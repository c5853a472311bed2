"""The production rate-limit storage: with ``redis://`` every gunicorn worker counts sign-in
attempts together (with the default ``memory://`` each worker would count its own).

Runs against the machine's Redis (``.ci/run`` starts it when it is down). Where no Redis answers
it is skipped, except when ``CATALOG_REQUIRE_REDIS=1`` (CI sets it): then that is a failure, so
the test cannot quietly stop running. Keys carry a prefix unique to the run and are removed."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from catalog import create_app
from catalog.extensions import limiter
from tests.web.test_steward_forms import csrf_from

REDIS = "redis://127.0.0.1:6379"


def redis_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def worker_config(app):
    if not redis_running():
        if os.environ.get("CATALOG_REQUIRE_REDIS") == "1":
            pytest.fail("CATALOG_REQUIRE_REDIS=1 but no redis server answers on 127.0.0.1:6379")
        pytest.skip("no redis server on 127.0.0.1:6379")
    prefix = f"catalog-test-{uuid.uuid4().hex}"
    yield {**app.config, "ENV_NAME": "testing", "RATELIMIT_ENABLED": True,
           "RATELIMIT_STORAGE_URI": REDIS, "RATELIMIT_KEY_PREFIX": prefix}  # fmt: skip
    limiter.enabled = False
    import redis

    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


def attempt(client, number: int) -> int:
    token = csrf_from(client.get("/login").text)
    data = {"email": "pat@dph.ct.gov", "password": f"guess {number}", "csrf_token": token}
    return client.post("/login", data=data).status_code


def test_sign_in_attempts_are_counted_across_workers_in_redis(worker_config, make_user) -> None:
    make_user("steward", email="pat@dph.ct.gov")
    first = create_app(worker_config)
    statuses = [attempt(first.test_client(), n) for n in range(10)]
    # Another worker process: its own app and its own connection to the storage.
    second = create_app(worker_config)
    statuses.append(attempt(second.test_client(), 10))
    for worker in (first, second):
        worker.extensions["catalog_db"].dispose()
    assert statuses == [401] * 10 + [429]
    # The counts live in the real Redis, under this run's prefix (not in a worker's memory).
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        assert list(client.scan_iter(f"*{worker_config['RATELIMIT_KEY_PREFIX']}*"))
    finally:
        client.close()
