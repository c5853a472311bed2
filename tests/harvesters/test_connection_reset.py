"""Connection resets from a real socket, so that urllib3's ``Retry`` is what is under test.

``responses`` raises an exception given as a body straight out of ``Session.send``, past the
adapter's retries, so a reset that urllib3 would retry cannot be shown with it (the reset that
never stops is shown with ``responses`` in ``test_faults.py``). Here a server on 127.0.0.1 resets
connections (RST, via ``SO_LINGER`` 0) as each test scripts it and otherwise serves the real CDC
``data.json``.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from catalog.db import db
from catalog.models import Dataset
from tests.conftest import FIXTURES
from tests.harvesters.conftest import table_counts

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"


class ResettingServer:
    """Answers connection *n* as ``script[n]`` says (the last entry repeats): ``"reset"`` resets
    it once the request is read, ``"half"`` sends the headers and half the body then resets,
    ``"ok"`` serves the whole payload."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.script: list[str] = ["ok"]
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/data.json"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def serve(self, *script: str) -> None:
        self.script, self.connections = list(script), 0

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                action = self.script[min(self.connections, len(self.script) - 1)]
                self.connections += 1
                self._answer(conn, action)

    def _answer(self, conn: socket.socket, action: str) -> None:
        conn.settimeout(5)
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(self.payload)}\r\nConnection: close\r\n\r\n"
        ).encode()
        if action == "ok":
            conn.sendall(head + self.payload)
            return
        if action == "half":
            conn.sendall(head + self.payload[: len(self.payload) // 2])
            time.sleep(0.3)  # let the client read the half it was sent before the reset
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.fixture
def server() -> Iterator[ResettingServer]:
    running = ResettingServer(CDC.read_bytes())
    yield running
    running.close()


def assert_nothing_lost(expected: int) -> None:
    db.session.expire_all()
    assert table_counts()["dataset"] == expected
    assert db.session.scalar(select(func.count()).where(Dataset.status != "active")) == 0


def test_a_reset_before_the_response_is_retried_and_the_harvest_succeeds(
    server, make_source, harvest
) -> None:
    server.serve("reset", "ok")
    job = harvest(make_source(url=server.url))
    assert (job.status, job.added, job.failed) == ("succeeded", 60, 0), job.error
    assert server.connections == 2


def test_resets_on_every_try_fail_the_job_after_the_retries_and_withdraw_nothing(
    server, make_source, harvest
) -> None:
    source = make_source(url=server.url)
    assert harvest(source).added == 60
    server.serve("reset")
    job = harvest(source)
    assert job.status == "failed"
    assert "Max retries exceeded" in job.error and "reset" in job.error.lower(), job.error
    assert server.connections == 4  # the first try and CATALOG_HARVEST_RETRIES=3 more
    assert job.withdrawn == 0
    assert_nothing_lost(60)


def test_a_reset_halfway_through_the_body_fails_the_job_and_withdraws_nothing(
    server, make_source, harvest
) -> None:
    source = make_source(url=server.url)
    assert harvest(source).added == 60
    server.serve("half")
    job = harvest(source)
    assert job.status == "failed"
    assert "read failed" in job.error or "reset" in job.error.lower(), job.error
    assert (job.added, job.updated, job.withdrawn) == (0, 0, 0)
    assert_nothing_lost(60)
