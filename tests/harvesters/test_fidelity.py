"""Nothing the sources say is dropped on the way in: each loss found on main, on real payloads."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import responses
from sqlalchemy import select

from catalog.db import db
from catalog.models import ConformanceResult, Dataset, Distribution
from config.settings import CONFIG_DIR
from harvesters.suggest import suggest_mapping
from tests.conftest import FIXTURES
from tests.harvesters.conftest import dataset_by_identifier

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
V10 = FIXTURES / "socrata" / "data-json-v1.0-2013"
CHICAGO_DISCOVERY = (
    FIXTURES / "socrata" / "discovery-api" / "api.us.socrata.com_catalog_v1-a9e053.json"
)
DAYTON = FIXTURES / "inventories" / "dayton-montgomery-oh_master_catalog.csv"
MAPPING = Path(CONFIG_DIR) / "inventory_mappings" / "dayton-montgomery-oh.toml"


def cdc_entries() -> list[dict]:
    return json.loads(CDC.read_text())["dataset"]


def result(dataset_id: str, rule: str) -> ConformanceResult:
    return db.session.scalar(
        select(ConformanceResult).where(
            ConformanceResult.dataset_id == dataset_id, ConformanceResult.rule_id == rule
        )
    )


def test_frequency_words_become_iso_durations_and_freshness_is_checked(make_source, harvest):
    job = harvest(make_source(url=str(CDC)))
    assert job.status == "succeeded"
    expected = {"Weekly": "R/P1W", "Annual": "R/P1Y", "Irregular": "irregular"}
    seen = 0
    for entry in cdc_entries():
        word = entry.get("accrualPeriodicity")
        if word not in expected:
            continue
        dataset = dataset_by_identifier(entry["identifier"])
        assert dataset.accrual_periodicity == expected[word], entry["identifier"]
        if word != "Irregular":  # a regular frequency: the timeliness rule now judges it
            assert result(dataset.id, "up-to-date").status in ("pass", "fail")
        seen += 1
    assert seen == 9  # 6 Weekly, 2 Annual, 1 Irregular: all dropped before
    kept = db.session.scalars(
        select(Dataset.accrual_periodicity).where(Dataset.accrual_periodicity.is_not(None))
    ).all()
    assert len(kept) == 13  # of 16 declared; 3 are free text ("Database will not be updated")


def test_rights_longer_than_255_characters_are_kept_and_count_as_stated(make_source, harvest):
    harvest(make_source(url=str(CDC)))
    long_rights = [e for e in cdc_entries() if len(e.get("rights") or "") > 255]
    assert len(long_rights) == 14
    for entry in long_rights:
        dataset = dataset_by_identifier(entry["identifier"])
        assert dataset.rights == entry["rights"]
        assert result(dataset.id, "rights-stated").status == "pass"


def test_a_data_dictionary_linked_from_a_distribution_counts(make_source, harvest):
    harvest(make_source(url=str(CDC)))
    entry = next(
        e
        for e in cdc_entries()
        if not e.get("describedBy") and any(d.get("describedBy") for d in e["distribution"])
    )
    dataset = dataset_by_identifier(entry["identifier"])
    assert any(d.described_by for d in dataset.distributions)
    outcome = result(dataset.id, "data-dictionary")
    assert (outcome.status, outcome.message) == (
        "pass",
        "A data dictionary is linked from a distribution.",
    )


@responses.activate
def test_media_types_with_parameters_keep_their_distributions(make_source, harvest):
    path = V10 / "data.cityofchicago.org_data.json"
    responses.add(responses.GET, "https://data.example.gov/data.json", body=path.read_bytes())
    job = harvest(make_source())
    assert job.status == "succeeded"
    with_parameters = [
        d
        for e in json.loads(path.read_text())[1:]
        for d in e.get("distribution") or []
        if ";" in (((d.get("formats") or [{}])[0]).get("value") or "")
    ]
    assert len(with_parameters) == 227  # "application/zip; charset=binary" and the like
    stored = {
        url
        for (url,) in db.session.execute(
            select(Distribution.access_url).where(Distribution.media_type == "application/zip")
        )
    }
    zips = {
        d["accessURL"]
        for d in with_parameters
        if d["formats"][0]["value"].startswith("application/zip")
    }
    assert zips and zips <= stored


def test_inventory_download_links_get_a_media_type_from_the_format_or_the_file(
    make_source, harvest, tmp_path
):
    frame = pd.read_csv(DAYTON, dtype=str, keep_default_na=False)
    frame = frame[frame["url"].str.lower().str.contains(r"\.zip$")].copy()
    assert len(frame) == 9
    frame.iloc[0, frame.columns.get_loc("formats")] = "CSV"  # the steward writes a plain format
    frame.iloc[0, frame.columns.get_loc("url")] = "https://go.mcohio.org/data/sales"
    sheet = tmp_path / "downloads.csv"
    frame.to_csv(sheet, index=False)
    mapping = tmp_path / "downloads.toml"
    mapping.write_text(
        MAPPING.read_text().replace(
            '"distribution.accessURL" = "url"', '"distribution.downloadURL" = "url"'
        )
    )
    job = harvest(make_source("downloads", kind="inventory", url=str(sheet), mapping_path=mapping))
    assert (job.status, job.added, job.failed) == ("succeeded", 9, 0)
    types = db.session.execute(
        select(Distribution.download_url, Distribution.media_type).order_by(Distribution.id)
    ).all()
    assert len(types) == 9  # every row keeps its distribution
    assert dict(types)["https://go.mcohio.org/data/sales"] == "text/csv"
    assert {t for u, t in types if u.endswith(".zip")} == {"application/zip"}


@responses.activate
def test_bare_socrata_ids_link_with_the_socrata_harvest_of_the_same_portal(make_source, harvest):
    path = V10 / "data.cityofchicago.org_data.json"
    responses.add(responses.GET, "https://data.example.gov/data.json", body=path.read_bytes())
    assert harvest(make_source("chicago-2013")).status == "succeeded"
    page = json.loads(CHICAGO_DISCOVERY.read_text())
    page["resultSetSize"] = len(page["results"])
    portal = "https://data.cityofchicago.org"
    responses.add(responses.GET, f"{portal}/api/catalog/v1", json=page)
    responses.add(responses.GET, f"{portal}/api/views/", status=404)
    job = harvest(make_source("chicago", kind="socrata", url=portal))
    ids_2013 = {e["identifier"] for e in json.loads(path.read_text())}
    shared = [r for r in page["results"] if r["resource"]["id"] in ids_2013]
    assert len(shared) == 9
    assert (job.status, job.added, job.unchanged) == ("succeeded", 1, 9)  # linked, not duplicated
    dataset = dataset_by_identifier(f"{portal}/api/views/{shared[0]['resource']['id']}")
    assert dataset is not None and dataset.title == shared[0]["resource"]["name"].strip()


def test_the_annotated_copy_flags_dropped_values_not_only_failed_rows(
    make_source, harvest, tmp_path
):
    frame = pd.read_csv(DAYTON, dtype=str, keep_default_na=False).head(30)
    frame.loc[4, "updated"] = "last spring"  # not a date: dropped, the row still imported
    frame.loc[5, "item_page"] = "www.daytonohio.gov/item"  # not an absolute URL
    sheet = tmp_path / "inventory.csv"
    frame.to_csv(sheet, index=False)
    job = harvest(make_source("dayton", kind="inventory", url=str(sheet), mapping_path=MAPPING))
    assert job.added + job.failed == 30
    annotated = pd.read_excel(job.annotated_path, dtype=str, keep_default_na=False)
    assert annotated.loc[4, "severity"] == "warning" and "modified" in annotated.loc[4, "errors"]
    assert annotated.loc[5, "severity"] == "warning" and "landingPage" in annotated.loc[5, "errors"]
    assert "value dropped" in annotated.loc[4, "errors"]
    assert (annotated["severity"] == "error").sum() == job.failed  # rows that did not import
    # Fields the mapping has no column for are not the steward's to fix row by row.
    rest = annotated.drop(index=[4, 5])
    assert set(rest["severity"]) <= {"", "error"}


def test_suggested_mapping_reads_ids_emails_links_and_formats():
    headers = [
        "Inventory ID", "Dataset Name", "Description", "Agency", "Data Steward",
        "Steward E-mail", "Link", "Format", "Public?", "Update Frequency",
    ]  # fmt: skip
    mapping = suggest_mapping(headers)
    columns = mapping["columns"]
    assert columns["identifier"] == "Inventory ID" and "source" not in mapping
    assert columns["title"] == "Dataset Name"
    assert columns["contactPoint.hasEmail"] == "Steward E-mail"
    assert columns["distribution.accessURL"] == "Link"
    assert columns["distribution.format"] == "Format"
    assert columns["accessLevel"] == "Public?"
    # Without an id column or a link, the name alone identifies a row, once.
    assert suggest_mapping(["Dataset Name", "Notes"])["source"]["identifier"] == ["Dataset Name"]


def test_suggested_mapping_reads_cells_where_headers_say_nothing():
    frame = pd.read_csv(DAYTON, dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"url": "where"})
    frame["reach"] = "gis@daytonohio.gov"  # a column of emails under an unhelpful header
    mapping = suggest_mapping(list(frame.columns), frame.head(200).to_dict("records"))
    assert mapping["columns"]["distribution.accessURL"] == "where"
    assert mapping["columns"]["contactPoint.hasEmail"] == "reach"
    assert mapping["source"]["identifier"] == ["where", "name"]
