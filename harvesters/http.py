"""All harvest HTTP goes through one configured ``requests.Session``.

Timeouts, retries with backoff on 429 and 5xx (honouring ``Retry-After``, capped), a User-Agent
and a response size limit. Which addresses may be reached (http and https only; loopback, private
and reserved addresses refused unless ``HARVEST_ALLOW_PRIVATE`` is set, checked on the connection
actually made and on every redirect hop) is the outbound guard's, ``catalog.guards.outbound``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.util.retry import Retry

from catalog.guards import outbound

USER_AGENT = "ct-data-catalog-harvester/1.0 (+https://portal.ct.gov/data)"
MAX_RETRY_AFTER_SECONDS = 60
CHUNK = 64 * 1024


class FetchError(Exception):
    """The source could not be read completely: the job must fail and withdraw nothing."""


class CappedRetry(Retry):
    """urllib3 Retry that never sleeps longer than ``MAX_RETRY_AFTER_SECONDS`` on Retry-After."""

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER_SECONDS)


@dataclass
class HttpSettings:
    timeout: float = 30.0
    max_bytes: int = 512 * 1024 * 1024
    allow_private: bool = False
    retries: int = 3
    backoff: float = 0.5

    @property
    def policy(self) -> outbound.Policy:
        return outbound.Policy(allow_private=self.allow_private)

    @classmethod
    def from_config(cls, config: Any) -> HttpSettings:
        return cls(
            timeout=float(config.get("HARVEST_TIMEOUT_SECONDS", 30)),
            max_bytes=int(config.get("HARVEST_MAX_RESPONSE_BYTES", 512 * 1024 * 1024)),
            allow_private=bool(config.get("HARVEST_ALLOW_PRIVATE", False)),
            retries=int(config.get("HARVEST_RETRIES", 3)),
            backoff=float(config.get("HARVEST_RETRY_BACKOFF", 0.5)),
        )


def make_session(settings: HttpSettings) -> requests.Session:
    retry = CappedRetry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        backoff_factor=settings.backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        redirect=False,
    )
    return outbound.new_session(
        settings.policy, USER_AGENT, max_retries=retry, accept="application/json, */*;q=0.5"
    )


class HttpClient:
    """The one way harvesters reach the network."""

    def __init__(self, settings: HttpSettings | None = None) -> None:
        self.settings = settings or HttpSettings()
        self.session = make_session(self.settings)

    def close(self) -> None:
        self.session.close()

    # -- public --------------------------------------------------------------------------------

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """GET a JSON document (whole, within the size limit)."""
        response = self.open(url, params=params)
        try:
            body = self._read_limited(response)
        finally:
            response.close()
        if looks_like_markup(body):
            raise not_json(url, response.headers.get("Content-Type"))
        try:
            return json.loads(body)
        except ValueError as exc:
            raise FetchError(f"{url}: invalid or truncated JSON ({exc})") from None

    def get_bytes(self, url: str) -> bytes:
        response = self.open(url)
        try:
            return self._read_limited(response)
        finally:
            response.close()

    def open(self, url: str, params: dict[str, Any] | None = None) -> requests.Response:
        """A streamed, successful response (the caller closes it); every hop checked."""
        try:
            response = outbound.fetch(
                self.session,
                "GET",
                url,
                self.settings.policy,
                params=params,
                timeout=self.settings.timeout,
            )
        except outbound.AddressRefused as exc:
            raise FetchError(str(exc)) from None
        except outbound.TooManyRedirects as exc:
            raise FetchError(str(exc)) from None
        except requests.Timeout:
            raise FetchError(f"{url}: timed out after {self.settings.timeout:g}s") from None
        except requests.RequestException as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            response.close()
            raise FetchError(f"{response.url}: HTTP {response.status_code} {response.reason}")
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > self.settings.max_bytes:
            response.close()
            raise FetchError(
                f"{url}: response of {int(length)} bytes exceeds the limit of "
                f"{self.settings.max_bytes} bytes"
            )
        return response

    def stream(self, url: str) -> LimitedReader:
        """A file-like reader over a response body that stops at the size limit."""
        return LimitedReader(self.open(url), self.settings.max_bytes)

    # -- internals -----------------------------------------------------------------------------

    def _read_limited(self, response: requests.Response) -> bytes:
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > self.settings.max_bytes:
                    raise FetchError(
                        f"{response.url}: response exceeds the limit of "
                        f"{self.settings.max_bytes} bytes"
                    )
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise FetchError(f"{response.url}: read failed: {exc}") from None
        return b"".join(chunks)


class LimitedReader:
    """``read(n)`` over a streamed response, raising ``FetchError`` past ``max_bytes``."""

    def __init__(self, response: requests.Response, max_bytes: int) -> None:
        self.response = response
        self.max_bytes = max_bytes
        self.size = 0
        self.url = response.url
        self.content_type = response.headers.get("Content-Type")
        self._chunks = response.iter_content(CHUNK)

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""
        try:
            chunk = next(self._chunks, b"")
        except requests.RequestException as exc:
            raise FetchError(f"{self.response.url}: read failed: {exc}") from None
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise FetchError(
                f"{self.response.url}: response exceeds the limit of {self.max_bytes} bytes"
            )
        return chunk

    def close(self) -> None:
        self.response.close()


def looks_like_markup(head: bytes) -> bool:
    """True when a body that should be JSON starts like an HTML or XML page."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def not_json(url: str, content_type: str | None) -> FetchError:
    """The error for an HTML or XML page where JSON was expected (a portal's error page)."""
    return FetchError(
        f"{url}: invalid JSON: the server sent an HTML or XML page "
        f"(Content-Type: {content_type or 'none'}) where JSON was expected, "
        "perhaps an error or maintenance page"
    )
