"""Faults injected at the ``requests`` boundary, fed real payloads, on every source kind.

Each test harvests a real payload once, then breaks the source: the job must end in the right state
with the right counts, and no dataset may be lost (withdrawn or deleted) because of the fault.
Faults already covered elsewhere: HTTP errors, retries on 5xx/429, timeouts, oversize responses
(``test_http.py``); truncated, HTML and empty ``data.json``, duplicate identifiers, a record
dropped from a clean gather (``test_dcat_us.py``); invalid records (``test_lifecycle.py``).
"""

from __future__ import annotations

import json
import re

import pytest
import requests
import responses
from sqlalchemy import func, select

from catalog.db import db
from catalog.models import Dataset, HarvestRecord
from catalog.services.harvest import error_groups
from harvesters import socrata
from tests.conftest import FIXTURES
from tests.harvesters.conftest import PORTAL, dataset_by_identifier, table_counts

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
DISCOVERY = FIXTURES / "socrata" / "discovery-api" / "api.us.socrata.com_catalog_v1-086e69.json"
CKAN_PACKAGES = FIXTURES / "ckan" / "catalog.data.gov_harvest-sources_datajson_packages.json"
DATA_JSON_URL = f"{PORTAL}/data.json"
CATALOG_URL = f"{PORTAL}/api/catalog/v1"
SEARCH_URL = f"{PORTAL}/api/3/action/package_search"
VIEWS_URL = re.compile(r"https://[^/]+/api/views/[^/]+\.json")
HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>Site maintenance</title></head>"
    "<body><h1>We'll be back soon</h1></body></html>"
)


def reset() -> requests.exceptions.ConnectionError:
    """What requests raises when the peer resets the connection."""
    return requests.exceptions.ConnectionError(
        ConnectionResetError(104, "Connection reset by peer")
    )


# -- the three kinds that read JSON over HTTP, each with a real payload --------------------------


def discovery_page() -> dict:
    page = json.loads(DISCOVERY.read_text())
    page["resultSetSize"] = len(page["results"])
    return page


def ckan_packages() -> list[dict]:
    """The catalog.data.gov packages, one per id (the recorded set repeats a few)."""
    unique = {p["id"]: p for p in json.loads(CKAN_PACKAGES.read_text())}
    return list(unique.values())


def serve_data_json(document: object) -> None:
    responses.upsert(responses.GET, DATA_JSON_URL, body=json.dumps(document))


def serve_discovery(page: dict) -> None:
    responses.upsert(responses.GET, CATALOG_URL, json=page)
    responses.upsert(responses.GET, VIEWS_URL, status=404)


def serve_ckan(packages: list[dict]) -> None:
    def callback(request):
        start, rows = int(request.params["start"]), int(request.params["rows"])
        result = {"count": len(packages), "results": packages[start : start + rows]}
        return 200, {}, json.dumps({"success": True, "result": result})

    for registered in responses.registered():
        if registered.url == SEARCH_URL:
            responses.remove(registered)
    responses.add_callback(
        responses.GET, SEARCH_URL, callback=callback, content_type="application/json"
    )


KINDS = {
    # kind: (source url, the address every run reads first, serve the real payload, record count)
    "dcat-us": (
        DATA_JSON_URL,
        DATA_JSON_URL,
        lambda: serve_data_json(json.loads(CDC.read_text())),
        60,
    ),
    "socrata": (PORTAL, CATALOG_URL, lambda: serve_discovery(discovery_page()), 10),
    "ckan": (PORTAL, SEARCH_URL, lambda: serve_ckan(ckan_packages()), len(ckan_packages())),
}


def harvested_once(kind, make_source, harvest):
    """A source of ``kind`` harvested cleanly from its real payload: (source, dataset count)."""
    url, _first, serve, expected = KINDS[kind]
    serve()
    source = make_source(kind=kind, url=url)
    job = harvest(source)
    assert (job.status, job.added, job.failed) == ("succeeded", expected, 0), job.error
    return source, expected


def break_first_address(kind: str, **response) -> None:
    """Replace whatever is served at the kind's first address with ``response``."""
    first = KINDS[kind][1]
    for registered in responses.registered():
        if registered.url == first:
            responses.remove(registered)
    responses.add(responses.GET, first, **response)


def assert_nothing_lost(expected: int) -> None:
    db.session.expire_all()
    assert table_counts()["dataset"] == expected
    assert db.session.scalar(select(func.count()).where(Dataset.status != "active")) == 0


# -- connection resets ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
@responses.activate
def test_connection_reset_on_every_try_fails_the_job_and_withdraws_nothing(
    kind, make_source, harvest
) -> None:
    source, expected = harvested_once(kind, make_source, harvest)
    break_first_address(kind, body=reset())
    job = harvest(source)
    assert job.status == "failed"
    assert "Connection reset by peer" in job.error
    assert job.counts == {"added": 0, "updated": 0, "unchanged": 0, "withdrawn": 0, "failed": 0}
    assert_nothing_lost(expected)


@responses.activate
def test_connection_reset_on_a_later_page_fails_the_job_and_keeps_every_dataset(
    make_source, harvest, monkeypatch
) -> None:
    """The first page reads fine, the second is reset: the records already read are saved (here
    unchanged), the rest are not withdrawn, and the job says it failed."""
    monkeypatch.setattr(socrata, "PAGE_SIZE", 4)
    page = discovery_page()
    results = page["results"]
    ids = [r["resource"]["id"] for r in results]

    def paged(fail_after_first: bool):
        def callback(request):
            scroll = request.params.get("scroll_id")
            if scroll and fail_after_first:
                raise reset()
            start = ids.index(scroll) + 1 if scroll else 0
            return 200, {}, json.dumps(dict(page, results=results[start : start + 4]))

        return callback

    responses.add_callback(
        responses.GET, CATALOG_URL, callback=paged(False), content_type="application/json"
    )
    responses.add(responses.GET, VIEWS_URL, status=404)
    source = make_source(kind="socrata", url=PORTAL)
    assert harvest(source).added == 10
    responses.remove(responses.GET, CATALOG_URL)
    responses.add_callback(
        responses.GET, CATALOG_URL, callback=paged(True), content_type="application/json"
    )
    job = harvest(source)
    assert job.status == "failed" and "Connection reset by peer" in job.error
    assert (job.unchanged, job.withdrawn) == (4, 0)
    assert_nothing_lost(10)


# -- a page that is not what was asked for -------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
@responses.activate
def test_html_page_with_status_200_fails_the_job_with_a_clear_error(
    kind, make_source, harvest
) -> None:
    """A portal in maintenance answers 200 with an HTML page: the job fails, says the source sent
    HTML where JSON was expected, and withdraws nothing."""
    source, expected = harvested_once(kind, make_source, harvest)
    break_first_address(kind, body=HTML_ERROR_PAGE, content_type="text/html; charset=utf-8")
    job = harvest(source)
    assert job.status == "failed"
    assert "text/html" in job.error and "JSON" in job.error, job.error
    assert job.withdrawn == 0
    assert_nothing_lost(expected)


@pytest.mark.parametrize("kind", ["socrata", "ckan"])
@responses.activate
def test_truncated_json_page_fails_the_job_and_withdraws_nothing(
    kind, make_source, harvest
) -> None:
    source, expected = harvested_once(kind, make_source, harvest)
    whole = (
        json.dumps(discovery_page())
        if kind == "socrata"
        else json.dumps(
            {"success": True, "result": {"count": expected, "results": ckan_packages()}}
        )
    )
    break_first_address(kind, body=whole[: len(whole) // 2], content_type="application/json")
    job = harvest(source)
    assert job.status == "failed" and "truncated JSON" in job.error
    assert job.withdrawn == 0
    assert_nothing_lost(expected)


# -- sources that shrink to nothing --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["socrata", "ckan"])
@responses.activate
def test_a_portal_that_suddenly_lists_nothing_withdraws_nothing(kind, make_source, harvest) -> None:
    source, expected = harvested_once(kind, make_source, harvest)
    if kind == "socrata":
        serve_discovery(dict(discovery_page(), results=[], resultSetSize=0))
    else:
        serve_ckan([])
    job = harvest(source)
    assert job.status == "failed"
    assert f"listed no records where there were {expected}" in job.error
    assert job.withdrawn == 0
    assert_nothing_lost(expected)


# -- bad records among good ones -----------------------------------------------------------------

NOT_OBJECTS = [None, "a string where a dataset belongs", 42, ["a", "list"]]


@responses.activate
def test_data_json_with_malformed_entries_keeps_the_good_ones_and_reports_the_rest(
    make_source, harvest
) -> None:
    document = json.loads(CDC.read_text())
    good = list(document["dataset"])
    # A DCAT-US 1.1 record whose optional fields have the wrong types: kept, values dropped.
    wrong_types = dict(
        good[7],
        identifier="bad-types-but-a-title",
        title="A record whose optional fields have the wrong types",
        keyword=42,
        distribution="https://example.org/not-a-list.csv",
        modified={"not": "a date"},
        theme=[None, 7],
    )
    bad = [
        *NOT_OBJECTS,
        {"title": "A record without an identifier", "accessLevel": "public"},
        {"identifier": "title-is-a-list", "title": ["not", "a", "string"]},
        {"identifier": "title-is-missing", "description": "No title at all"},
    ]
    document["dataset"] = good[:20] + bad[:4] + good[20:40] + bad[4:] + [wrong_types] + good[40:]
    serve_data_json(document)
    source = make_source()
    job = harvest(source)
    assert job.status == "succeeded", job.error
    assert (job.added, job.failed) == (61, len(bad))
    kept = dataset_by_identifier("bad-types-but-a-title")
    assert kept.title == wrong_types["title"] and kept.keyword == [] and kept.distributions == []
    groups = error_groups(db.session, job)
    reported = sum(len(items) for items in groups.values())
    assert reported >= len(bad)
    assert {"missing-identifier", "invalid-value"} <= set(groups)

    again = harvest(source)
    assert (again.status, again.unchanged, again.failed, again.withdrawn) == (
        "succeeded",
        61,
        len(bad),
        0,
    )
    assert_nothing_lost(61)


@responses.activate
def test_discovery_page_with_malformed_results_keeps_the_good_ones(make_source, harvest) -> None:
    page = discovery_page()
    good = page["results"]
    bad = [
        *NOT_OBJECTS,
        {"resource": "not an object", "classification": {}, "metadata": {}},
        {"resource": {"name": "No id"}, "classification": {}, "metadata": {}},
        {"resource": {"id": "abcd-1234", "name": None}, "classification": "x", "metadata": []},
    ]
    page["results"] = good[:5] + bad + good[5:]
    page["resultSetSize"] = len(page["results"])
    serve_discovery(page)
    job = harvest(make_source(kind="socrata", url=PORTAL))
    assert job.status == "succeeded", job.error
    assert (job.added, job.failed) == (10, len(bad))
    assert_nothing_lost(10)


@responses.activate
def test_package_search_with_malformed_packages_keeps_the_good_ones(make_source, harvest) -> None:
    packages = ckan_packages()[:30]
    bad = [
        *NOT_OBJECTS,
        {"id": "no-title-pkg", "resources": "not a list", "tags": [None, 3]},
        {"title": "No id or name", "extras": "not a list"},
        {"id": "odd-extras", "title": "Odd extras", "extras": [{"key": "identifier"}, "x"]},
    ]
    serve_ckan(packages[:10] + bad + packages[10:])
    job = harvest(make_source(kind="ckan", url=PORTAL))
    assert job.status == "succeeded", job.error
    assert job.added >= 30 and job.added + job.failed == 30 + len(bad)
    assert table_counts()["dataset"] == job.added


@responses.activate
def test_nul_characters_in_a_record_are_removed_with_a_warning(make_source, harvest) -> None:
    """PostgreSQL stores no NUL in text or jsonb: one stray NUL must not fail the batch."""
    document = json.loads(CDC.read_text())
    entry = document["dataset"][3]
    title = entry["title"]
    entry["title"] = title[:5] + "\x00" + title[5:]
    entry["keyword"] = [*entry.get("keyword", []), "nul\x00word"]
    entry["extra\x00key"] = "value\x00"
    responses.add(responses.GET, DATA_JSON_URL, body=json.dumps(document))
    job = harvest(make_source(url=DATA_JSON_URL))
    assert (job.status, job.added, job.failed) == ("succeeded", 60, 0), job.error
    dataset = db.session.scalar(select(Dataset).where(Dataset.identifier == entry["identifier"]))
    assert dataset.title == title
    assert "nulword" in dataset.keyword
    record = db.session.scalar(
        select(HarvestRecord).where(HarvestRecord.identifier == entry["identifier"])
    )
    assert "\x00" not in json.dumps(record.raw, ensure_ascii=False)
    assert any(e["type"] == "invalid-character" for e in record.errors)
