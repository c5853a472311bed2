"""CKAN actions beyond package_search: groups (themes), resources, licenses, tags and
autocompletion, as CKAN answers them; the real ``ckanapi`` CLI dumps datasets and groups."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ckanapi
import pytest


@pytest.fixture
def ckan(live_server):
    with ckanapi.RemoteCKAN(live_server) as remote:
        yield remote


@pytest.fixture
def themed(make_dataset):
    """Three active datasets over two themes (one of them in both)."""
    return {
        "roads": make_dataset(
            identifier="roads", title="Road closures", theme=["Transportation"], agency="DOT"
        ),
        "clinics": make_dataset(identifier="clinics", title="Clinic locations", theme=["Health"]),
        "both": make_dataset(
            identifier="both",
            title="Clinic access by bus",
            theme=["Health", "Transportation"],
            distribution=[
                {
                    "downloadURL": "https://data.ct.gov/bus.csv",
                    "mediaType": "text/csv",
                    "format": "csv",
                },
                {"accessURL": "https://data.ct.gov/bus-api", "format": "Api"},
            ],
        ),
    }


def test_group_list_and_group_show_answer_as_ckan_does(ckan, themed):
    assert ckan.action.group_list() == ["health", "transportation"]
    detailed = ckan.action.group_list(all_fields=True, sort="package_count desc")
    assert [(g["name"], g["title"], g["package_count"]) for g in detailed] == [
        ("health", "Health", 2),
        ("transportation", "Transportation", 2),
    ]
    assert detailed[0]["type"] == "group" and detailed[0]["is_organization"] is False

    group = ckan.action.group_show(id="transportation")
    assert group["title"] == "Transportation" and group["package_count"] == 2
    assert {p["title"] for p in group["packages"]} == {"Road closures", "Clinic access by bus"}
    assert "packages" not in ckan.action.group_show(id="health", include_datasets=False)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.group_show(id="no-such-theme")


def test_resource_show_and_normalised_formats(ckan, themed):
    package = ckan.action.package_show(id=themed["both"].id)
    # "csv" and "Api" were stored with one spelling each
    assert [r["format"] for r in package["resources"]] == ["CSV", "API"]
    resource = ckan.action.resource_show(id=package["resources"][0]["id"])
    assert resource["url"] == "https://data.ct.gov/bus.csv"
    assert resource["package_id"] == themed["both"].id
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id=f"{themed['both'].id}-9")


def test_resource_show_hides_non_public_access_paths(ckan, mixed_catalog):
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id=f"{mixed_catalog['non_public']['id']}-0")


def test_format_facet_has_one_value_per_format(client, make_dataset):
    make_dataset(identifier="a", distribution=[{"accessURL": "https://x.gov/a", "format": "csv"}])
    make_dataset(identifier="b", distribution=[{"accessURL": "https://x.gov/b", "format": "CSV"}])
    make_dataset(
        identifier="c",
        distribution=[{"downloadURL": "https://x.gov/c.csv", "mediaType": "text/csv"}],
    )
    body = client.get('/api/3/action/package_search?facet.field=["res_format"]').json
    assert body["result"]["facets"]["res_format"] == {"CSV": 3}


def test_license_list_tag_list_and_package_autocomplete(ckan, themed):
    licenses = {item["id"]: item for item in ckan.action.license_list()}
    cc0 = licenses["https://creativecommons.org/publicdomain/zero/1.0/"]
    assert cc0["title"] == "Creative Commons CCZero" and cc0["url"].startswith("https://")

    assert ckan.action.tag_list() == ["health", "hospitals"]
    assert ckan.action.tag_list(query="hosp") == ["hospitals"]

    matches = ckan.action.package_autocomplete(q="clinic")
    assert [m["title"] for m in matches] == ["Clinic access by bus", "Clinic locations"]
    assert matches[0]["match_field"] == "name"
    assert matches[0]["name"].startswith("clinic-access-by-bus-")
    assert ckan.action.package_autocomplete(q="clinic", limit=1)[0]["title"] == (
        "Clinic access by bus"
    )
    assert ckan.action.package_autocomplete(q="zzz") == []


def _ckanapi_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real ckanapi command line (its dump workers are further ``ckanapi`` processes)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = shutil.which("ckanapi", path=env["PATH"])
    assert command, "the ckanapi command (requirements.txt) is not installed"
    return subprocess.run(
        [command, *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_ckanapi_dump_datasets_and_groups(live_server, themed, mixed_catalog, tmp_path):
    datasets_out = tmp_path / "datasets.jsonl"
    result = _ckanapi_cli(
        "dump", "datasets", "--all", "-r", live_server, "-O", str(datasets_out), "-p", "1", "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    packages = [json.loads(line) for line in datasets_out.read_text().splitlines()]
    titles = {p["title"] for p in packages}
    assert len(packages) == 6  # three themed + three active of the mixed catalog
    assert {
        "Road closures",
        "Hospital discharges by town",
        "Immunization registry extract",
    } <= titles
    assert all(p["state"] == "active" for p in packages)

    groups_out = tmp_path / "groups.jsonl"
    result = _ckanapi_cli(
        "dump", "groups", "--all", "-r", live_server, "-O", str(groups_out), "-p", "1", "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    groups = {g["name"]: g for g in map(json.loads, groups_out.read_text().splitlines())}
    assert set(groups) == {"health", "transportation"}
    assert groups["health"]["package_count"] == 3  # two themed + the public mixed dataset
    assert groups["transportation"]["title"] == "Transportation"
