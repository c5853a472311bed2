"""The outbound guard: harvests and the link checker reach only global addresses, checked on the
connection actually made and on every redirect hop, with no session shared between threads.

Nothing here leaves the machine: `responses` answers for public addresses, and the only real
server is an internal one on 127.0.0.1 that the guard must keep the catalog away from.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
import responses
from sqlalchemy import select

from catalog.db import db
from catalog.models import LinkCheck
from catalog.services.linkcheck import check_links
from harvesters.http import FetchError, HttpClient, HttpSettings

INTERNAL_SECRET = b"internal-admin-page-7731"
PUBLIC_IP = "93.184.216.34"  # a global address; never connected to (see the fixtures)


class _Internal(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"secret": "' + INTERNAL_SECRET + b'"}')

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def internal() -> Iterator[tuple[int, list[str]]]:
    """A service on loopback that no fetch may reach: its port and the paths requested."""
    hits: list[str] = []
    handler = type("Handler", (_Internal,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_traffic_off_the_machine(monkeypatch) -> None:
    """Connections to anything but loopback are refused here, whatever the code under test."""
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: tuple) -> None:
        if not str(address[0]).startswith(("127.", "::1")):
            raise ConnectionRefusedError(f"test: no connection to {address[0]}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


def test_dns_rebinding_cannot_swap_the_checked_address(
    internal, no_traffic_off_the_machine, monkeypatch
) -> None:
    """The first answer is public, every later one loopback: the harvest client must connect to
    the address it checked, so the internal service is never reached."""
    port, hits = internal
    answers = iter([PUBLIC_IP])
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port_, *args, **kwargs):
        if host != "rebind.example":
            return real_getaddrinfo(host, port_, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port_ or 80)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    client = HttpClient(HttpSettings(allow_private=False, retries=2, backoff=0, timeout=5))
    with pytest.raises(FetchError):
        client.get_json(f"http://rebind.example:{port}/data.json")
    assert hits == []


@responses.activate
def test_link_checker_does_not_follow_a_redirect_to_loopback(app_ctx, internal) -> None:
    """A public distribution URL that redirects to an internal service: refused at the hop,
    and the stored answer says nothing about the internal service."""
    port, hits = internal
    start = f"http://{PUBLIC_IP}/data.csv"
    target = f"http://127.0.0.1:{port}/admin"
    responses.add_passthru(f"http://127.0.0.1:{port}")
    for method in (responses.HEAD, responses.GET):
        responses.add(method, start, status=302, headers={"Location": target})
    [answer] = check_links(db.session, [start], concurrency=1, timeout=5, allow_private=False)
    assert hits == []
    assert not answer.ok
    assert str(port) not in answer.detail and "127.0.0.1" not in answer.detail
    stored = db.session.scalar(select(LinkCheck).where(LinkCheck.url == start))
    assert stored.ok is False and "127.0.0.1" not in stored.detail


REFUSED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.0.10",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
    "224.0.0.1",
    "[::1]",
    "[fc00::1]",
    "[fe80::1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped loopback
    "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
]


@pytest.mark.parametrize("host", REFUSED)
@responses.activate
def test_link_checker_refuses_every_non_global_range(app_ctx, host) -> None:
    url = f"http://{host}/data.csv"
    responses.add(responses.HEAD, url, status=200)
    responses.add(responses.GET, url, status=200)
    [answer] = check_links(db.session, [url], concurrency=1, timeout=1, allow_private=False)
    assert (answer.ok, answer.detail) == (False, "address refused")
    assert len(responses.calls) == 0


@pytest.mark.parametrize("host", REFUSED)
def test_harvest_client_refuses_the_same_ranges(host) -> None:
    with pytest.raises(FetchError, match="CATALOG_HARVEST_ALLOW_PRIVATE"):
        HttpClient(HttpSettings(allow_private=False, retries=0)).get_bytes(f"http://{host}/x")


def test_a_host_name_resolving_to_loopback_is_refused_as_it_connects(internal) -> None:
    port, hits = internal
    with pytest.raises(FetchError, match="loopback"):
        HttpClient(HttpSettings(allow_private=False, retries=0)).get_bytes(
            f"http://localhost:{port}/"
        )
    assert hits == []


def test_allow_private_lets_intranet_addresses_through(internal) -> None:
    port, hits = internal
    body = HttpClient(HttpSettings(allow_private=True, retries=0)).get_json(
        f"http://localhost:{port}/data.json"
    )
    assert body == {"secret": INTERNAL_SECRET.decode()} and hits == ["/data.json"]


@responses.activate
def test_link_checker_gives_each_thread_its_own_session(app_ctx, monkeypatch) -> None:
    urls = [f"https://data.example.gov/{n}.csv" for n in range(24)]
    for url in urls:
        responses.add(responses.HEAD, url, status=200)
    used: dict[int, set[int]] = {}
    real_request = requests.Session.request

    def request(self, *args, **kwargs):
        used.setdefault(id(self), set()).add(threading.get_ident())
        time.sleep(0.01)  # let the threads overlap
        return real_request(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", request)
    answers = check_links(db.session, urls, concurrency=4, timeout=5, allow_private=False)
    assert all(a.ok for a in answers)
    assert len({t for threads in used.values() for t in threads}) > 1  # it did run in threads
    assert all(len(threads) == 1 for threads in used.values()), "a session crossed threads"


def test_proxies_from_the_environment_are_not_used(
    monkeypatch, internal, no_traffic_off_the_machine
) -> None:
    """A proxy would connect somewhere the guard never checked."""
    port, hits = internal
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    with pytest.raises(FetchError):
        HttpClient(HttpSettings(allow_private=False, retries=0)).get_bytes(
            f"http://{PUBLIC_IP}/data.json"
        )
    assert hits == []
