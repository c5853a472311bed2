"""The CKAN Action API subset, read by the real ``ckanapi`` client against a running server."""

from __future__ import annotations

import json

import ckanapi
import pytest


@pytest.fixture
def ckan(live_server):
    with ckanapi.RemoteCKAN(live_server) as remote:
        yield remote


def test_ckanapi_reads_package_search_and_package_show(ckan, mixed_catalog):
    result = ckan.action.package_search(q="hospital", rows=10)

    assert result["count"] == 1
    package = result["results"][0]
    assert package["title"] == "Hospital discharges by town"
    assert package["organization"]["name"] == "dph"
    assert package["organization"]["title"] == "Department of Public Health"
    assert {t["name"] for t in package["tags"]} == {"health", "hospitals"}
    assert [r["format"] for r in package["resources"]] == ["CSV", "API"]
    assert package["resources"][0]["url"].endswith("rows.csv")
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["identifier"] == "ct-dph-discharges"
    assert extras["accessLevel"] == "public"
    assert json.loads(extras["theme"]) == ["Health"]

    shown = ckan.action.package_show(id=package["name"])
    assert shown["id"] == package["id"] == mixed_catalog["public"]["id"]
    assert ckan.action.package_show(id=package["id"])["name"] == package["name"]


def test_ckanapi_get_only_and_the_api_3_path(live_server, mixed_catalog):
    with ckanapi.RemoteCKAN(live_server, get_only=True) as remote:
        result = remote.action.package_search(fq="organization:dph", sort="title_string asc")
    assert [p["title"] for p in result["results"]] == [
        "Birth records with town detail",
        "Hospital discharges by town",
        "Immunization registry extract",
    ]
    import requests

    body = requests.get(f"{live_server}/api/3/action/status_show", timeout=10).json()
    assert body["success"] is True
    assert body["help"].endswith("/api/3/action/help_show?name=status_show")
    assert body["result"]["ckan_version"].startswith("2.")


def test_not_found_and_validation_errors_map_to_ckanapi_exceptions(ckan, mixed_catalog):
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.NotFound):  # withdrawn datasets are gone from CKAN's view
        ckan.action.package_show(id=mixed_catalog["withdrawn"]["id"])
    with pytest.raises(ckanapi.ValidationError) as excinfo:
        ckan.action.package_search(fq="secret_field:x")
    assert "fq" in excinfo.value.error_dict
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(rows="many")


def test_unknown_action_is_a_bad_request(client):
    response = client.get("/api/3/action/package_create")
    assert response.status_code == 400
    assert response.json["success"] is False
    assert "Action name not known" in response.json["error"]["message"]


def test_package_search_paging_sorting_filters_and_facets(client, make_dataset):
    for index in range(5):
        make_dataset(
            title=f"Dataset {index}",
            identifier=f"d{index}",
            agency="DPH" if index % 2 else "DOT",
            keyword=["roads"] if index < 3 else ["health"],
            theme=["Transportation"],
        )

    def search(**params):
        response = client.post("/api/3/action/package_search", json=params)
        assert response.status_code == 200, response.json
        return response.json["result"]

    page = search(rows=2, start=0, sort="title_string asc")
    assert page["count"] == 5
    assert [p["title"] for p in page["results"]] == ["Dataset 0", "Dataset 1"]
    page2 = search(rows=2, start=2, sort="title_string asc")
    assert [p["title"] for p in page2["results"]] == ["Dataset 2", "Dataset 3"]
    assert [p["title"] for p in search(sort="title_string desc", rows=1)["results"]] == [
        "Dataset 4"
    ]

    filtered = search(fq='organization:dot +tags:"roads"')
    assert sorted(p["title"] for p in filtered["results"]) == ["Dataset 0", "Dataset 2"]
    assert search(fq="-organization:dot")["count"] == 2
    assert search(q="organization:dph")["count"] == 2  # field terms in q act as filters
    assert search(q="title:4")["count"] == 1  # text fields are words
    assert search(q='organization:dph title:"Dataset 3"')["count"] == 1

    faceted = search(**{"facet.field": json.dumps(["organization", "tags", "groups"]), "rows": 0})
    assert faceted["results"] == []
    assert faceted["facets"]["organization"] == {"dot": 3, "dph": 2}
    assert faceted["facets"]["tags"] == {"roads": 3, "health": 2}
    assert faceted["facets"]["groups"] == {"Transportation": 5}
    items = faceted["search_facets"]["tags"]["items"]
    assert {"name": "roads", "display_name": "roads", "count": 3} in items

    # GET with query-string parameters, as a browser or curl would send them.
    response = client.get(
        '/api/3/action/package_search?fq=tags:health&facet.field=["organization"]'
    )
    assert response.json["result"]["count"] == 2
    assert response.json["result"]["facets"]["organization"] == {"dph": 1, "dot": 1}


def test_organizations_tags_and_status(client, mixed_catalog, make_dataset):
    make_dataset(title="Road closures", identifier="roads", agency="DOT", keyword=["traffic"])

    names = client.get("/api/3/action/organization_list").json["result"]
    assert "dph" in names and "dot" in names
    full = client.get("/api/3/action/organization_list?all_fields=true").json["result"]
    counts = {org["name"]: org["package_count"] for org in full}
    assert counts["dph"] == 3 and counts["dot"] == 1  # the withdrawn dataset is not counted

    org = client.get("/api/3/action/organization_show?id=DPH&include_datasets=true").json
    assert org["success"] and org["result"]["title"] == "Department of Public Health"
    assert len(org["result"]["packages"]) == 3
    missing = client.get("/api/3/action/organization_show?id=nope")
    assert missing.status_code == 404
    assert missing.json["error"]["__type"] == "Not Found Error"

    tags = client.get("/api/3/action/tag_list").json["result"]
    assert tags == ["births", "health", "hospitals", "traffic", "vaccines", "vital statistics"]
    assert client.get("/api/3/action/tag_list?query=hosp").json["result"] == ["hospitals"]


def test_anonymous_ckan_view_hides_non_public_access(client, mixed_catalog):
    result = client.get("/api/3/action/package_search?rows=100").json["result"]
    packages = {p["extras"][0]["value"]: p for p in result["results"]}
    assert set(packages) == {"ct-dph-discharges", "ct-dph-births", "ct-dph-immunizations"}
    assert packages["ct-dph-births"]["resources"] == []
    assert packages["ct-dph-immunizations"]["resources"] == []
    text = json.dumps(result)
    for secret in ("sftp.dph.ct.gov", "files.dph.ct.gov", "internal.dph.ct.gov", "Internal:"):
        assert secret not in text
    # A format filter cannot be used to probe non-public distributions.
    probe = client.get("/api/3/action/package_search?fq=res_format:text/csv").json["result"]
    assert [p["title"] for p in probe["results"]] == ["Hospital discharges by town"]


def test_ckan_posts_need_no_csrf_token(client, mixed_catalog):
    response = client.post(
        "/api/action/package_show",
        data=json.dumps({"id": mixed_catalog["public"]["id"]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json["result"]["title"] == "Hospital discharges by town"
