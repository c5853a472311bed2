"""Socrata Discovery API and views harvests, fed the real recorded responses."""

from __future__ import annotations

import json
import re

import pytest
import responses

from catalog.db import db
from harvesters import socrata
from tests.conftest import FIXTURES
from tests.harvesters.conftest import PORTAL, dataset_by_identifier

DISCOVERY = sorted((FIXTURES / "socrata" / "discovery-api").glob("*.json"))
VIEWS = sorted((FIXTURES / "socrata" / "views").glob("*.json"))
CATALOG_URL = f"{PORTAL}/api/catalog/v1"
VIEWS_URL = re.compile(r"https://[^/]+/api/views/[^/]+\.json")


def one_page(path) -> dict:
    """A recorded page is one page of a larger result set: say it is the whole set."""
    page = json.loads(path.read_text())
    page["resultSetSize"] = len(page["results"])
    return page


def identifier(result: dict) -> str:
    return f"https://{result['metadata']['domain']}/api/views/{result['resource']['id']}"


@pytest.mark.parametrize("path", DISCOVERY, ids=lambda p: p.name)
@responses.activate
def test_every_discovery_fixture_harvests_with_counts_and_mapped_fields(
    path, make_source, harvest
) -> None:
    page = one_page(path)
    responses.add(responses.GET, CATALOG_URL, json=page)
    responses.add(responses.GET, VIEWS_URL, status=404)  # enrichment missing: records still stand
    job = harvest(make_source(kind="socrata", url=PORTAL))
    assert job.status == "succeeded", job.error
    assert job.added == len({identifier(r) for r in page["results"]})
    assert job.added + job.failed == len(page["results"])
    result = page["results"][0]
    dataset = dataset_by_identifier(identifier(result))
    resource, classification = result["resource"], result["classification"]
    assert dataset.title == resource["name"].strip()
    assert dataset.landing_page == result["permalink"]
    assert set(classification.get("domain_tags") or []) <= set(dataset.keyword)
    if classification.get("domain_category"):
        assert dataset.theme == [classification["domain_category"]]
    assert dataset.access_level == "public"
    if resource["type"] == "dataset":
        assert dataset.distributions[0].media_type == "text/csv"
        assert dataset.distributions[0].download_url.endswith(
            f"/{resource['id']}/rows.csv?accessType=DOWNLOAD"
        )
    if resource.get("columns_name"):
        assert [c["name"] for c in dataset.columns] == [n for n in resource["columns_name"] if n][
            : len(dataset.columns)
        ]
    assert dataset.modified  # data_updated_at, Socrata's milliseconds trimmed


@responses.activate
def test_data_ct_gov_agency_custom_field_maps_to_an_agency(make_source, harvest) -> None:
    page = one_page(DISCOVERY[3])  # v1-378650: includes data.ct.gov q5as-kyim (Agency_Agency field)
    responses.add(responses.GET, CATALOG_URL, json=page)
    responses.add(responses.GET, VIEWS_URL, status=404)
    harvest(make_source(kind="socrata", url=PORTAL, agency_code="OPM"))
    ct = dataset_by_identifier("https://data.ct.gov/api/views/q5as-kyim")
    assert ct.agency.code == "DPH"
    assert ct.publisher_name == "Department of Public Health"
    other = dataset_by_identifier("https://data.wa.gov/api/views/qxh8-f4bd")
    assert other.agency.code == "OPM"  # no match: the source's default agency


@pytest.mark.parametrize("view_path", VIEWS, ids=lambda p: p.name)
@responses.activate
def test_views_enrich_records_without_custom_metadata(view_path, make_source, harvest) -> None:
    view = json.loads(view_path.read_text())
    page = one_page(DISCOVERY[0])
    for result in page["results"]:
        result["classification"]["domain_metadata"] = []
    responses.add(responses.GET, CATALOG_URL, json=page)
    responses.add(responses.GET, VIEWS_URL, json=view)
    job = harvest(make_source(kind="socrata", url=PORTAL))
    assert job.status == "succeeded"
    dataset = dataset_by_identifier(identifier(page["results"][0]))
    view_columns = [c.get("name") or c.get("fieldName") for c in view.get("columns") or []]
    assert [c["name"] for c in dataset.columns] == [n for n in view_columns if n]
    if view.get("tags") and not page["results"][0]["classification"].get("tags"):
        assert set(view["tags"]) <= set(dataset.keyword)


@responses.activate
def test_pages_with_scroll_id_until_exhausted(make_source, harvest, monkeypatch) -> None:
    monkeypatch.setattr(socrata, "PAGE_SIZE", 4)
    page = one_page(DISCOVERY[1])
    results = page["results"]
    ids = [r["resource"]["id"] for r in results]

    def callback(request):
        scroll = request.params.get("scroll_id")
        start = ids.index(scroll) + 1 if scroll else 0
        body = dict(page, results=results[start : start + 4])
        return 200, {}, json.dumps(body)

    responses.add_callback(
        responses.GET, CATALOG_URL, callback=callback, content_type="application/json"
    )
    responses.add(responses.GET, VIEWS_URL, status=404)
    job = harvest(make_source(kind="socrata", url=PORTAL))
    assert (job.status, job.added) == ("succeeded", len(results))
    catalog_calls = [c for c in responses.calls if "/api/catalog/v1" in c.request.url]
    assert len(catalog_calls) == 3
    assert "domains=data.example.gov" in catalog_calls[0].request.url


@responses.activate
def test_a_page_short_of_the_stated_total_is_a_partial_gather(make_source, harvest) -> None:
    page = json.loads(DISCOVERY[1].read_text())  # 10 results of resultSetSize 86
    responses.add(responses.GET, CATALOG_URL, json=one_page(DISCOVERY[1]))
    responses.add(responses.GET, VIEWS_URL, status=404)
    source = make_source(kind="socrata", url=PORTAL)
    harvest(source)
    page["results"] = page["results"][:5]
    responses.replace(responses.GET, CATALOG_URL, json=page)
    job = harvest(source)
    assert job.status == "failed" and "Partial gather" in job.error
    assert job.withdrawn == 0
    from sqlalchemy import func, select

    from catalog.models import Dataset

    assert db.session.scalar(select(func.count()).where(Dataset.status == "active")) == 10


@responses.activate
def test_unchanged_rerun_ignores_view_counters(make_source, harvest) -> None:
    page = one_page(DISCOVERY[2])
    responses.add(responses.GET, CATALOG_URL, json=page)
    responses.add(responses.GET, VIEWS_URL, status=404)
    source = make_source(kind="socrata", url=PORTAL)
    harvest(source)
    for result in page["results"]:
        result["resource"]["page_views"] = {"page_views_total": 1}
        result["resource"]["download_count"] = 99999
    responses.replace(responses.GET, CATALOG_URL, json=page)
    job = harvest(source)
    assert job.counts["unchanged"] == len(page["results"]) and job.counts["updated"] == 0
