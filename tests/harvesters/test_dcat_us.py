"""DCAT-US data.json (1.1 and 1.0) harvests fed real payloads through `responses`."""

from __future__ import annotations

import json

import pytest
import responses
from sqlalchemy import func, select

from catalog.db import db
from catalog.dcat.incoming import record_identifier
from catalog.models import AuditEvent, Dataset
from tests.conftest import FIXTURES
from tests.harvesters.conftest import PORTAL, dataset_by_identifier, table_counts

DATA_JSON_FILES = sorted((FIXTURES / "socrata" / "data-json").glob("*.json")) + sorted(
    (FIXTURES / "socrata" / "data-json-v1.0-2013").glob("*.json")
)
CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
URL = f"{PORTAL}/data.json"


def entries(path) -> list[dict]:
    document = json.loads(path.read_text())
    return document["dataset"] if isinstance(document, dict) else document


def serve(body: bytes | str, status: int = 200) -> None:
    """Serve ``body`` at the data.json address (replacing what was served before)."""
    if any(r.url == URL for r in responses.registered()):
        responses.replace(responses.GET, URL, body=body, status=status)
    else:
        responses.add(responses.GET, URL, body=body, status=status)


@pytest.mark.parametrize("path", DATA_JSON_FILES, ids=lambda p: p.name)
@responses.activate
def test_every_data_json_fixture_harvests_with_counts_and_mapped_fields(
    path, make_source, harvest
) -> None:
    records = entries(path)
    identifiers = [str(e["identifier"]) for e in records]
    duplicates = len(identifiers) - len(set(identifiers))
    serve(path.read_bytes())
    job = harvest(make_source())
    assert job.status == "succeeded", job.error
    assert job.added + job.failed == len(records)
    assert job.failed == duplicates
    assert job.added == len(set(identifiers))
    first = records[1] if isinstance(json.loads(path.read_text()), list) else records[0]
    dataset = dataset_by_identifier(record_identifier(first, URL))
    assert dataset.title == first["title"].strip()
    assert dataset.status == "active"
    if isinstance(first.get("keyword"), list):
        assert set(dataset.keyword) == {k.strip() for k in first["keyword"] if k.strip()}
    elif first.get("keywords"):
        assert set(dataset.keyword) == {k.strip() for k in first["keywords"] if k.strip()}
    assert dataset.access_level == first["accessLevel"].lower()


@responses.activate
def test_v11_fields_are_mapped(make_source, harvest) -> None:
    serve(CDC.read_bytes())
    harvest(make_source(agency_code="DPH"))
    entry = entries(CDC)[0]
    dataset = dataset_by_identifier(record_identifier(entry, URL))
    assert dataset.contact_email == entry["contactPoint"]["hasEmail"].removeprefix("mailto:")
    assert dataset.landing_page == entry["landingPage"]
    assert dataset.bureau_code == entry["bureauCode"]
    assert dataset.publisher_name == "data.cdc.gov"
    assert dataset.agency.code == "DPH"  # unmatched publisher: the source's default agency
    assert [d.download_url for d in dataset.distributions] == [
        d.get("downloadURL") for d in entry["distribution"]
    ]
    non_public = [e for e in entries(CDC) if e["accessLevel"] == "non-public"]
    assert dataset_by_identifier(non_public[0]["identifier"]).access_level == "non-public"


@responses.activate
def test_v10_fields_are_mapped_and_unmatched_publisher_goes_to_unassigned(
    make_source, harvest
) -> None:
    path = FIXTURES / "socrata" / "data-json-v1.0-2013" / "data.wa.gov_data.json"
    serve(path.read_bytes())
    harvest(make_source())
    entry = entries(path)[1]
    dataset = dataset_by_identifier(record_identifier(entry, URL))
    assert dataset.issued == entry["releaseDate"]
    assert dataset.modified == entry["modified"]
    assert dataset.distributions[0].access_url == entry["distribution"][0]["accessURL"]
    assert dataset.agency.code == "UNASSIGNED"


@responses.activate
def test_v10_values_of_the_wrong_type_are_dropped_with_a_warning_not_the_record(
    make_source, harvest
) -> None:
    path = FIXTURES / "socrata" / "data-json-v1.0-2013" / "data.wa.gov_data.json"
    document = entries(path)
    odd = dict(document[1], keyword=5, accessLevel=3, theme={"a": 1}, distribution="x")
    odd.pop("keywords", None)
    document[1] = odd
    serve(json.dumps(document))
    job = harvest(make_source())
    assert (job.status, job.failed, job.added) == ("succeeded", 0, len(document))
    identifier = record_identifier(odd, URL)
    dataset = dataset_by_identifier(identifier)
    assert dataset.title == odd["title"]
    assert dataset.keyword == [] and dataset.theme == [] and dataset.distributions == []
    from catalog.services.harvest import error_groups

    warned = {
        (g["identifier"], g["field"])
        for items in error_groups(db.session, job).values()
        for g in items
    }
    for field in ("keyword", "accessLevel", "theme", "distribution"):
        assert (identifier, field) in warned


@responses.activate
def test_a_record_without_access_level_is_kept_as_non_public_with_a_warning(
    make_source, harvest
) -> None:
    document = json.loads(CDC.read_text())
    entry = document["dataset"][0]
    del entry["accessLevel"]
    serve(json.dumps(document))
    job = harvest(make_source())
    assert (job.status, job.added, job.failed) == ("succeeded", 60, 0)
    assert dataset_by_identifier(entry["identifier"]).access_level == "non-public"
    from catalog.services.harvest import error_groups

    missing = error_groups(db.session, job)["missing-field"]
    assert {(g["identifier"], g["field"]) for g in missing} >= {
        (entry["identifier"], "accessLevel")
    }


@responses.activate
def test_local_path_source(make_source, harvest) -> None:
    job = harvest(make_source(url=str(CDC)))
    assert (job.status, job.added) == ("succeeded", 60)


@responses.activate
def test_unchanged_rerun_reports_all_unchanged_and_writes_nothing_else(
    make_source, harvest
) -> None:
    serve(CDC.read_bytes())
    source = make_source()
    harvest(source)
    before = table_counts()
    versions = dict(db.session.execute(select(Dataset.identifier, Dataset.version)).all())
    job = harvest(source)
    assert job.status == "succeeded"
    assert job.counts == {"added": 0, "updated": 0, "unchanged": 60, "withdrawn": 0, "failed": 0}
    assert table_counts() == before
    db.session.expire_all()
    assert dict(db.session.execute(select(Dataset.identifier, Dataset.version)).all()) == versions


@responses.activate
def test_record_missing_from_clean_gather_is_withdrawn_then_reinstated(
    make_source, harvest, client
) -> None:
    document = json.loads(CDC.read_text())
    serve(json.dumps(document))
    source = make_source()
    harvest(source)
    gone = document["dataset"].pop(3)
    serve(json.dumps(document))
    job = harvest(source)
    assert job.status == "succeeded"
    assert (job.withdrawn, job.unchanged) == (1, 59)
    dataset = dataset_by_identifier(gone["identifier"])
    db.session.refresh(dataset)
    assert dataset.status == "withdrawn" and dataset.withdrawn_at is not None
    assert dataset.version == 2
    body = client.get(f"/api/v1/datasets/{dataset.id}").get_json()
    assert body["status"] == "withdrawn"
    listed = client.get("/api/v1/datasets?per_page=100").get_json()
    assert dataset.id not in {item["id"] for item in listed["items"]}

    document["dataset"].insert(3, gone)
    serve(json.dumps(document))
    job = harvest(source)
    assert (job.updated, job.unchanged, job.withdrawn) == (1, 59, 0)
    db.session.refresh(dataset)
    assert dataset.status == "active" and dataset.withdrawn_at is None


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (None, 200, "truncated"),
        ("<html>Service unavailable</html>", 200, "Invalid"),
        ('{"dataset": []}', 200, "no records"),
        ("[]", 200, "no records"),
        ("oops", 404, "HTTP 404"),
        ("oops", 503, "HTTP 503"),
    ],
    ids=["truncated", "html", "empty-catalog", "empty-array", "http-404", "http-503"],
)
@responses.activate
def test_failed_gather_withdraws_nothing_and_fails_loudly(
    make_source, harvest, body, status, reason
) -> None:
    text = CDC.read_text()
    serve(text)
    source = make_source()
    harvest(source)
    serve(text[: len(text) // 2] if body is None else body, status=status)
    job = harvest(source)
    assert job.status == "failed"
    assert reason.lower() in (job.error or "").lower()
    assert job.withdrawn == 0
    assert table_counts()["dataset"] == 60
    assert db.session.scalar(select(func.count()).where(Dataset.status != "active")) == 0


@responses.activate
def test_duplicate_identifiers_are_record_errors_not_a_failed_job(make_source, harvest) -> None:
    document = json.loads(CDC.read_text())
    copy = dict(document["dataset"][5], title="A second record with the same identifier")
    document["dataset"].append(copy)
    serve(json.dumps(document))
    job = harvest(make_source())
    assert (job.status, job.added, job.failed) == ("succeeded", 60, 1)
    from catalog.services.harvest import error_groups

    groups = error_groups(db.session, job)
    assert [g["identifier"] for g in groups["duplicate-identifier"]] == [copy["identifier"]]
    assert dataset_by_identifier(copy["identifier"]).title == document["dataset"][5]["title"]


@responses.activate
def test_same_dataset_through_two_sources_is_linked_not_duplicated(make_source, harvest) -> None:
    serve(CDC.read_bytes())
    responses.add(responses.GET, f"{PORTAL}/mirror/data.json", body=CDC.read_bytes())
    harvest(make_source("first"))
    job = harvest(make_source("second", url=f"{PORTAL}/mirror/data.json"))
    assert (job.status, job.added, job.unchanged) == ("succeeded", 0, 60)
    counts = table_counts()
    assert counts["dataset"] == 60 and counts["harvest_link"] == 120


@responses.activate
def test_governance_fields_and_steward_edits_survive_a_reharvest(make_source, harvest) -> None:
    from catalog.services.datasets import update_dataset

    document = json.loads(CDC.read_text())
    entry = document["dataset"][0]
    entry.pop("spatial", None)
    serve(json.dumps(document))
    source = make_source()
    harvest(source)
    dataset = dataset_by_identifier(record_identifier(entry, URL))
    update_dataset(
        db.session,
        dataset.id,
        {
            "steward": {"name": "Pat Steward", "email": "mailto:pat@ct.gov"},
            "classification": "internal",
            "notes": "Reviewed 2026",
            "spatial": "Connecticut",
        },
        "steward-test",
    )
    db.session.commit()
    entry["title"] = "A new title from the source"
    serve(json.dumps(document))
    job = harvest(source)
    assert (job.updated, job.unchanged) == (1, 59)
    db.session.refresh(dataset)
    assert dataset.title == "A new title from the source"
    assert (dataset.steward_name, dataset.classification, dataset.governance_notes) == (
        "Pat Steward",
        "internal",
        "Reviewed 2026",
    )
    assert dataset.spatial == "Connecticut"
    assert dataset.version == 3
    actions = db.session.scalars(
        select(AuditEvent.actor_label)
        .where(AuditEvent.entity_id == dataset.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["harvest:src", "steward-test", "harvest:src"]
