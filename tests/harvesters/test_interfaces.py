"""The harvest API, pages and CLI as their users see them."""

from __future__ import annotations

import csv
import io

import responses
from sqlalchemy import select

from catalog.cli import demo_command
from catalog.db import db
from catalog.models import Dataset, HarvestSource
from harvesters.cli import harvest_command, sources
from tests.conftest import FIXTURES

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
DAYTON = FIXTURES / "inventories" / "dayton-montgomery-oh_master_catalog.csv"


def get(client, url: str, token: str | None = None):
    """GET as a fresh caller (these tests hold an app context, whose ``g`` requests share)."""
    from flask import g

    g.pop("api_user", None)
    g.pop("_login_user", None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers)


def sign_in(client, user, monkeypatch) -> None:
    """A signed-in session for ``user`` (session protection off: the test client's identity)."""
    from catalog.extensions import login_manager

    monkeypatch.setattr(login_manager, "session_protection", None)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def test_sources_api_lists_last_job_counts(make_source, harvest, client, make_user, token_for):
    source = make_source(url=str(CDC))
    make_source("idle", url=str(CDC))
    job = harvest(source)
    body = client.get("/api/v1/harvest/sources").get_json()
    by_name = {item["name"]: item for item in body["items"]}
    assert by_name["src"]["kind"] == "dcat-us" and by_name["src"]["url"] is None  # a local path
    cdo = token_for(make_user("cdo"))
    as_cdo = {i["name"]: i for i in get(client, "/api/v1/harvest/sources", cdo).json["items"]}
    assert as_cdo["src"]["url"] == str(CDC)
    assert by_name["src"]["last_job"]["id"] == job.id
    assert by_name["src"]["last_job"]["status"] == "succeeded"
    assert by_name["src"]["last_job"]["counts"] == {
        "added": 60,
        "updated": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "failed": 0,
    }
    assert by_name["idle"]["last_job"] is None


def test_job_api_hides_raw_records_of_non_public_datasets_from_anonymous_users(
    make_source,
    harvest,
    client,
    make_user,
    token_for,
) -> None:
    job = harvest(make_source(url=str(CDC), agency_code="DPH"))
    body = client.get(f"/api/v1/harvest/jobs/{job.id}?per_page=100").get_json()
    assert body["records"]["total"] == 60 and body["counts"]["added"] == 60
    levels = dict(db.session.execute(select(Dataset.id, Dataset.access_level)).all())
    items = body["records"]["items"]
    assert all(("raw" in item) == (levels[item["dataset_id"]] == "public") for item in items)
    assert any(levels[i["dataset_id"]] == "non-public" for i in items)
    steward = token_for(make_user("steward", agencies=("DPH",)))
    as_steward = get(client, f"/api/v1/harvest/jobs/{job.id}?per_page=100", steward).get_json()
    assert all("raw" in item for item in as_steward["records"]["items"])
    other = token_for(make_user("steward", agencies=("DOT",)))
    as_other = get(client, f"/api/v1/harvest/jobs/{job.id}?per_page=100", other).get_json()
    assert not all("raw" in item for item in as_other["records"]["items"])
    assert client.get("/api/v1/harvest/jobs/999999").status_code == 404


def test_errors_download_as_csv_grouped_by_type_for_stewards_only(
    make_source,
    harvest,
    client,
    make_user,
    token_for,
) -> None:
    from config.settings import CONFIG_DIR

    mapping = f"{CONFIG_DIR}/inventory_mappings/dayton-montgomery-oh.toml"
    job = harvest(make_source("dayton", kind="inventory", url=str(DAYTON), mapping_path=mapping))
    url = f"/api/v1/harvest/jobs/{job.id}/errors.csv"
    assert get(client, url).status_code == 401
    token = token_for(make_user("cdo"))
    response = get(client, url, token)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    types = [row["type"] for row in rows]
    assert "vocabulary" in types and "duplicate-identifier" in types
    # grouped: each type's rows are contiguous
    assert types == sorted(types, key=lambda t: types.index(t))


def test_source_page_shows_recent_jobs_and_errors_to_stewards(
    make_source, harvest, client, make_user, monkeypatch
) -> None:
    from config.settings import CONFIG_DIR

    mapping = f"{CONFIG_DIR}/inventory_mappings/dayton-montgomery-oh.toml"
    job = harvest(make_source("dayton", kind="inventory", url=str(DAYTON), mapping_path=mapping))
    assert get(client, "/harvest/sources/dayton").status_code == 302  # sign in first
    sign_in(client, make_user("steward", agencies=("DPH",)), monkeypatch)
    page = get(client, "/harvest/sources/dayton").get_data(as_text=True)
    assert f"#{job.id}" in page and "succeeded" in page
    listing = get(client, "/harvest/").get_data(as_text=True)
    assert "dayton" in listing
    detail = get(client, f"/harvest/jobs/{job.id}").get_data(as_text=True)
    assert "vocabulary" in detail and "Download the errors as CSV" in detail
    assert "<script" not in detail


def test_cli_sources_and_harvest(runner, app) -> None:
    result = runner.invoke(
        sources, ["add", "cdc", "--kind", "dcat-us", "--url", str(CDC), "--agency", "DPH"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(sources, ["add", "cdc", "--kind", "dcat-us", "--url", str(CDC)])
    assert result.exit_code == 1 and "exists" in result.output
    for bad in ("..", ".hidden", "a/b", "has space"):  # names become parts of file names
        result = runner.invoke(sources, ["add", bad, "--kind", "dcat-us", "--url", str(CDC)])
        assert result.exit_code == 1 and "starting with a letter" in result.output, bad
    result = runner.invoke(sources, ["list"])
    assert "cdc" in result.output and "never run" in result.output
    result = runner.invoke(harvest_command, ["cdc"])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output and "60" in result.output
    result = runner.invoke(harvest_command, ["--all"])
    assert result.exit_code == 0 and "succeeded" in result.output
    result = runner.invoke(sources, ["remove", "cdc"])
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(HarvestSource)) is None
        assert db.session.scalar(select(Dataset.id)) is not None  # datasets stay


@responses.activate
def test_cli_exits_non_zero_when_a_job_fails(runner) -> None:
    responses.add(responses.GET, "https://data.example.gov/data.json", status=404)
    runner.invoke(
        sources,
        ["add", "broken", "--kind", "dcat-us", "--url", "https://data.example.gov/data.json"],
    )
    result = runner.invoke(harvest_command, ["broken"])
    assert result.exit_code == 1
    assert "Harvest failed for: broken" in result.output


def test_cli_suggest_mapping(runner) -> None:
    result = runner.invoke(sources, ["suggest-mapping", str(DAYTON)])
    assert result.exit_code == 0 and 'title = "name"' in result.output


def test_demo_harvests_the_samples_and_is_idempotent(runner) -> None:
    first = runner.invoke(demo_command, ["--no-serve"])
    assert first.exit_code == 0, first.output
    assert "demo-dayton-inventory: succeeded (25 added" in first.output
    second = runner.invoke(demo_command, ["--no-serve"])
    assert second.exit_code == 0
    assert "0 added" in second.output and "12 unchanged" in second.output
