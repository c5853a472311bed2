"""The one guard for outbound HTTP: harvests, inventories read from an address, link checks.

The address is checked on the connection actually made: each new connection resolves the host
once, refuses it when any answer is not a global unicast address (loopback, private, link-local,
shared 100.64.0.0/10, reserved, multicast, IPv4 in IPv6...), then connects to the address it
checked. A second lookup that could answer differently (DNS rebinding) never happens. Redirects
are followed by hand (``follow``), so every hop is checked the same way. Proxies from the
environment are ignored: the checked address must be the one connected to.

A ``requests.Session`` is not thread-safe: callers make one per thread (``new_session``).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

MAX_REDIRECTS = 5
ALLOW_PRIVATE_HINT = "set CATALOG_HARVEST_ALLOW_PRIVATE=1 for intranet sources"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The address is not one the catalog may fetch from (not an ``OSError``: never retried)."""


@dataclass(frozen=True)
class Policy:
    """``allow_private`` lets intranet sources through (``CATALOG_HARVEST_ALLOW_PRIVATE``)."""

    allow_private: bool = False


def refused_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched from, or None when it is a global unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            reason = refused_reason(embedded)
            return f"{reason} (inside {address})" if reason else None
    if address.is_multicast:
        return f"{address} is a multicast address"
    if not address.is_global:
        return f"{address} is a loopback, private, shared or reserved address"
    return None


def check_address(address: IPAddress, policy: Policy, host: str) -> None:
    if policy.allow_private:
        return
    reason = refused_reason(address)
    if reason:
        raise AddressRefused(f"{host}: {reason}; {ALLOW_PRIVATE_HINT}")


def check_url(url: str, policy: Policy) -> None:
    """Refuse what can be refused before connecting: other schemes, no host, a literal address
    outside the allowed ranges. Host names are checked when the connection is made."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(f"{url}: only http and https addresses may be fetched")
    if not parts.hostname:
        raise AddressRefused(f"{url}: no host name")
    try:
        literal = ipaddress.ip_address(parts.hostname.split("%")[0])
    except ValueError:
        return
    check_address(literal, policy, parts.hostname)


def resolve(host: str, port: int, policy: Policy) -> list[tuple[Any, ...]]:
    """Every address ``host`` resolves to, each checked; one lookup per connection."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_rest, sockaddr in infos:
        check_address(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), policy, host)
    return infos


def _connect_checked(conn: HTTPConnection, policy: Policy) -> socket.socket:
    """urllib3's ``_new_conn`` with the lookup done once and the checked address connected to."""
    try:
        infos = resolve(conn._dns_host, conn.port, policy)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    last: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            if conn.timeout is not None:
                sock.settimeout(conn.timeout)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.connect(sockaddr)
            return sock
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimeoutError(
                conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
            ) from exc
        except OSError as exc:
            sock.close()
            last = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


def _pool_classes(policy: Policy) -> dict[str, type]:
    class CheckedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _connect_checked(self, policy)

    class CheckedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _connect_checked(self, policy)

    class CheckedHTTPPool(HTTPConnectionPool):
        ConnectionCls = CheckedHTTPConnection

    class CheckedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = CheckedHTTPSConnection

    return {"http": CheckedHTTPPool, "https": CheckedHTTPSPool}


class CheckedAdapter(HTTPAdapter):
    """A transport adapter whose connections go only to addresses the policy allows."""

    def __init__(self, policy: Policy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kw: Any):
        self.poolmanager = PoolManager(num_pools=connections, maxsize=maxsize, block=block, **kw)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any):
        raise AddressRefused("proxies are not used for outbound fetches")

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "policy": self.policy}


def new_session(
    policy: Policy, user_agent: str, max_retries: Any = 0, accept: str | None = None
) -> requests.Session:
    """A session whose every connection is checked. Not thread-safe: one per thread."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: we connect where we checked
    adapter = CheckedAdapter(policy, max_retries=max_retries)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    if accept:
        session.headers["Accept"] = accept
    return session


class TooManyRedirects(Exception):
    pass


def fetch(
    session: requests.Session,
    method: str,
    url: str,
    policy: Policy,
    *,
    params: dict[str, Any] | None = None,
    timeout: float,
    stream: bool = True,
) -> requests.Response:
    """Send ``method`` to ``url``, following redirects by hand: every hop is checked before it
    is requested (and again as it connects). The final response, streamed; the caller closes it.

    Raises ``AddressRefused``, ``TooManyRedirects`` or ``requests.RequestException``."""
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(url, policy)
        response = session.request(
            method, url, params=params, timeout=timeout, stream=stream, allow_redirects=False
        )
        location = response.headers.get("Location") if response.is_redirect else None
        if not location:
            return response
        response.close()
        url, params = urljoin(response.url, location), None
        if response.status_code == 303:
            method = "GET"
    raise TooManyRedirects(f"{url}: more than {MAX_REDIRECTS} redirects")
