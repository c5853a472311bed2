"""The one HTTP client: retries, Retry-After, size limit, schemes and private addresses."""

from __future__ import annotations

import json
import time

import pytest
import responses
from urllib3 import HTTPResponse

from harvesters.http import FetchError, HttpClient, HttpSettings
from tests.conftest import FIXTURES
from tests.harvesters.conftest import PORTAL

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
URL = f"{PORTAL}/data.json"


@responses.activate
def test_retries_on_500_then_succeeds(make_source, harvest) -> None:
    responses.add(responses.GET, URL, status=500)
    responses.add(responses.GET, URL, status=502)
    responses.add(responses.GET, URL, body=CDC.read_bytes())
    job = harvest(make_source())
    assert (job.status, job.added) == ("succeeded", 60)
    assert len(responses.calls) == 3


@responses.activate
def test_retries_on_429_then_succeeds(make_source, harvest) -> None:
    responses.add(responses.GET, URL, status=429, headers={"Retry-After": "1"})
    responses.add(responses.GET, URL, body=CDC.read_bytes())
    job = harvest(make_source())
    assert (job.status, job.added) == ("succeeded", 60)
    assert len(responses.calls) == 2


def test_retry_after_is_honoured_and_capped() -> None:
    """`responses` does not sleep between retries, so the wait is checked on the Retry itself."""
    retry = HttpClient(HttpSettings()).session.get_adapter("https://x").max_retries
    assert 429 in retry.status_forcelist and retry.respect_retry_after_header
    wait = HTTPResponse(status=429, headers={"Retry-After": "1"})
    started = time.monotonic()
    retry.sleep(wait)
    assert 1.0 <= time.monotonic() - started < 2.0
    assert retry.get_retry_after(HTTPResponse(status=429, headers={"Retry-After": "3600"})) == 60


@responses.activate
def test_gives_up_after_the_retries_and_the_job_fails(make_source, harvest) -> None:
    for _ in range(4):
        responses.add(responses.GET, URL, status=503)
    job = harvest(make_source())
    assert job.status == "failed" and "503" in job.error
    assert len(responses.calls) == 4


@responses.activate
def test_user_agent_is_sent(make_source, harvest) -> None:
    responses.add(responses.GET, URL, body=CDC.read_bytes())
    harvest(make_source())
    assert responses.calls[0].request.headers["User-Agent"].startswith("ct-data-catalog-harvester/")


@responses.activate
def test_oversize_response_fails_the_job(make_source, harvest) -> None:
    responses.add(responses.GET, URL, body=CDC.read_bytes())
    small = HttpClient(HttpSettings(allow_private=True, max_bytes=50_000, backoff=0))
    job = harvest(make_source(), client=small)
    assert job.status == "failed"
    assert "exceeds the limit of 50000 bytes" in job.error
    assert job.withdrawn == 0


@responses.activate
def test_oversize_json_page_is_refused() -> None:
    responses.add(responses.GET, URL, body=json.dumps({"x": "y" * 5000}))
    with pytest.raises(FetchError, match="exceeds the limit"):
        HttpClient(HttpSettings(allow_private=True, max_bytes=1000)).get_json(URL)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/data.json",
        "http://10.1.2.3/data.json",
        "http://[::1]/data.json",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.0.10/data.json",
    ],
)
@responses.activate
def test_private_and_loopback_addresses_are_refused(url, make_source, harvest) -> None:
    strict = HttpClient(HttpSettings(allow_private=False, backoff=0))
    job = harvest(make_source(url=url), client=strict)
    assert job.status == "failed"
    assert "private" in job.error and "CATALOG_HARVEST_ALLOW_PRIVATE" in job.error
    assert len(responses.calls) == 0


@responses.activate
def test_redirect_to_a_private_address_is_refused() -> None:
    responses.add(
        responses.GET,
        "http://93.184.216.34/data.json",
        status=302,
        headers={"Location": "http://127.0.0.1:8080/admin"},
    )
    with pytest.raises(FetchError, match="private"):
        HttpClient(HttpSettings(allow_private=False)).get_json("http://93.184.216.34/data.json")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/data.json", "gopher://x/"]
)
def test_only_http_and_https(url) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        HttpClient(HttpSettings(allow_private=True)).get_json(url)


@responses.activate
def test_allow_private_setting_lets_intranet_sources_through() -> None:
    responses.add(responses.GET, "http://10.1.2.3/data.json", json={"dataset": []})
    assert HttpClient(HttpSettings(allow_private=True)).get_json("http://10.1.2.3/data.json") == {
        "dataset": []
    }


@responses.activate
def test_timeout_fails_the_job(make_source, harvest) -> None:
    import requests

    for _ in range(4):
        responses.add(responses.GET, URL, body=requests.exceptions.ReadTimeout("read timed out"))
    job = harvest(make_source())
    assert job.status == "failed"
    assert "timed out" in job.error
    assert job.withdrawn == 0


@responses.activate
def test_invalid_json_page_fails_a_portal_job(make_source, harvest) -> None:
    responses.add(responses.GET, f"{PORTAL}/api/catalog/v1", body='{"results": [{"resource": ')
    job = harvest(make_source(kind="socrata", url=PORTAL))
    assert job.status == "failed" and "invalid or truncated JSON" in job.error
