"""CKAN package_search harvests, fed catalog.data.gov's real package dicts."""

from __future__ import annotations

import json

import responses

from tests.conftest import FIXTURES
from tests.harvesters.conftest import PORTAL, dataset_by_identifier

SEARCH_URL = f"{PORTAL}/api/3/action/package_search"
SOURCES = FIXTURES / "ckan" / "catalog.data.gov_harvest-sources_datajson_packages.json"
ARM = FIXTURES / "ckan" / "catalog.data.gov_package_arm-dataset.json"


def serve_packages(packages: list[dict]) -> None:
    def callback(request):
        start, rows = int(request.params["start"]), int(request.params["rows"])
        result = {"count": len(packages), "results": packages[start : start + rows]}
        return 200, {}, json.dumps({"success": True, "result": result})

    responses.add_callback(
        responses.GET, SEARCH_URL, callback=callback, content_type="application/json"
    )


@responses.activate
def test_package_search_pages_with_start_and_rows(make_source, harvest) -> None:
    packages = json.loads(SOURCES.read_text())
    serve_packages(packages)
    job = harvest(make_source(kind="ckan", url=PORTAL))
    assert job.status == "succeeded", job.error
    assert job.added + job.failed == 145
    assert job.added == len({p["id"] for p in packages})
    assert [c.request.params["start"] for c in responses.calls] == ["0", "100"]
    ct = next(p for p in packages if p["title"] == "Connecticut Data.json")
    dataset = dataset_by_identifier(f"{PORTAL}/dataset/{ct['id']}")
    assert dataset.title == "Connecticut Data.json"
    assert dataset.publisher_name == "State of Connecticut"
    assert dataset.landing_page == f"{PORTAL}/dataset/{ct['name']}"
    assert dataset.access_level == "public"


@responses.activate
def test_dcat_us_extras_are_mapped(make_source, harvest) -> None:
    package = json.loads(ARM.read_text())
    extras = {e["key"]: e["value"] for e in package["extras"]}
    serve_packages([package])
    job = harvest(make_source(kind="ckan", url=PORTAL))
    assert (job.status, job.added) == ("succeeded", 1)
    dataset = dataset_by_identifier(extras["identifier"])
    assert dataset.title == package["title"]
    assert dataset.contact_email == extras.get(
        "contact_email", package["maintainer_email"]
    ).removeprefix("mailto:")
    assert dataset.bureau_code == extras["bureauCode"]
    assert dataset.access_level == extras["accessLevel"]
    assert {"arm", "climate"} <= set(dataset.keyword)
    assert dataset.distributions[0].access_url == package["resources"][0]["url"]
    assert dataset.distributions[0].format == "CDF"


@responses.activate
def test_not_a_ckan_response_fails(make_source, harvest) -> None:
    responses.add(
        responses.GET, SEARCH_URL, json={"success": False, "error": {"message": "Not found"}}
    )
    job = harvest(make_source(kind="ckan", url=PORTAL))
    assert job.status == "failed" and "package_search" in job.error
