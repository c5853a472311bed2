"""/data.json: the public inventory as DCAT-US 1.1, valid against the official schema."""

from __future__ import annotations

import json

from catalog.db import db
from catalog.dcat.validation import _v11_validator as catalog_validator
from catalog.dcat.validation import v11_errors as validation_errors
from catalog.services.datasets import create_dataset
from tests.conftest import dataset_payload

SECRET_STRINGS = (
    "sftp.dph.ct.gov",
    "files.dph.ct.gov",
    "internal.dph.ct.gov",
    "patient_id",
    "Internal:",
    "pat.steward@ct.gov",
)


def by_identifier(doc: dict) -> dict[str, dict]:
    return {entry["identifier"]: entry for entry in doc["dataset"]}


def test_data_json_validates_against_the_official_schema(client, mixed_catalog):
    response = client.get("/data.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    doc = response.get_json()
    assert validation_errors(doc) == []
    assert doc["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert doc["@id"].endswith("/data.json")
    entries = by_identifier(doc)
    assert set(entries) == {"ct-dph-discharges", "ct-dph-births", "ct-dph-immunizations"}
    public = entries["ct-dph-discharges"]
    assert public["publisher"] == {
        "@type": "org:Organization",
        "name": "Department of Public Health",
    }
    assert public["distribution"][0]["downloadURL"].endswith("rows.csv")
    assert public["distribution"][0]["mediaType"] == "text/csv"
    assert public["theme"] == ["Health"] and public["accrualPeriodicity"] == "R/P1Y"
    assert "id" not in public and "version" not in public and "columns" not in public


def test_non_public_entries_follow_project_open_data_conventions(client, mixed_catalog):
    doc = client.get("/data.json").get_json()
    entries = by_identifier(doc)
    non_public = entries["ct-dph-immunizations"]
    restricted = entries["ct-dph-births"]

    for entry in (non_public, restricted):
        assert "distribution" not in entry  # no download or access paths published
        assert "systemOfRecords" not in entry and "describedBy" not in entry
        assert entry["rights"]  # says why and how to ask
        key = "non_public" if entry is non_public else "restricted"
        assert entry["landingPage"].endswith(f"/datasets/{mixed_catalog[key]['id']}")
    assert non_public["accessLevel"] == "non-public"
    assert "HIPAA" in non_public["rights"]
    text = json.dumps(doc)
    for secret in SECRET_STRINGS:
        assert secret not in text


def test_schema_validator_really_checks_uris():
    doc = {
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "dataset": [
            {
                "title": "t",
                "description": "d",
                "identifier": "i",
                "accessLevel": "public",
                "publisher": {"name": "p"},
                "contactPoint": {"fn": "c"},
                "landingPage": "not a uri at all",
            }
        ],
    }
    assert catalog_validator().format_checker.checkers.get("uri")
    errors = validation_errors(doc)
    assert len(errors) == 1 and errors[0].startswith("dataset/0/landingPage")


def test_records_missing_fields_are_normalised(client, app):
    """A harvested record may lack description and contact point; data.json fills them in."""
    with app.app_context():
        create_dataset(
            db.session,
            dataset_payload(
                identifier="harvested-1",
                description=None,
                contactPoint=None,
                keyword=[],
                accessLevel="non-public",
                agency="DOT",
            ),
            "harvest:test",
            partial=("description", "contactPoint", "rights"),
        )
        db.session.commit()

    doc = client.get("/data.json").get_json()

    assert validation_errors(doc) == []
    entry = by_identifier(doc)["harvested-1"]
    assert entry["description"].startswith("No description has been provided yet.")
    # The agency names no data officer: the catalog's own contact address (DCAT_CONTACT_EMAIL).
    assert entry["contactPoint"] == {
        "@type": "vcard:Contact",
        "fn": "Department of Transportation",
        "hasEmail": "mailto:opendata@ct.gov",
    }
    assert "keyword" not in entry
    assert "To request access, contact" in entry["rights"] and len(entry["rights"]) <= 255


def test_unchanged_catalog_answers_not_modified(client, make_dataset):
    make_dataset(identifier="one")
    first = client.get("/data.json")
    etag = first.headers["ETag"]

    again = client.get("/data.json", headers={"If-None-Match": etag})
    assert again.status_code == 304

    make_dataset(identifier="two", title="Another dataset")
    changed = client.get("/data.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert len(changed.get_json()["dataset"]) == 2


def test_empty_catalog_is_valid(client):
    doc = client.get("/data.json").get_json()
    assert doc["dataset"] == []
    assert validation_errors(doc) == []


def test_export_command_writes_a_valid_data_json(runner, mixed_catalog, tmp_path):
    from manage import build_cli

    out = tmp_path / "data.json"
    result = runner.invoke(
        build_cli(),
        [
            "export",
            "data.json",
            "--out",
            str(out),
            "--base-url",
            "https://data.ct.gov/",
            "--validate",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "Wrote 3 datasets" in result.output
    doc = json.loads(out.read_text())
    assert doc["@id"] == "https://data.ct.gov/data.json"
    assert validation_errors(doc) == []


def test_data_json_is_generated_once_then_sent_from_the_cache(client, make_dataset, monkeypatch):
    import catalog.exports.views as views

    make_dataset(identifier="cached-one")
    first = client.get("/data.json").get_data(as_text=True)

    def fail(*_args, **_kwargs):
        raise AssertionError("data.json regenerated although nothing changed")

    monkeypatch.setattr(views, "iter_catalog", fail)
    assert client.get("/data.json").get_data(as_text=True) == first

    monkeypatch.undo()
    make_dataset(identifier="cached-two", title="Another")
    assert {e["identifier"] for e in client.get("/data.json").get_json()["dataset"]} == {
        "cached-one",
        "cached-two",
    }


def test_changing_only_distributions_refreshes_the_cached_data_json(
    client, mixed_catalog, steward, token_for
):
    from tests.public.conftest import auth

    before = client.get("/data.json").get_json()
    assert by_identifier(before)["ct-dph-discharges"]["distribution"][0]["format"] == "CSV"
    response = client.patch(
        f"/api/v1/datasets/{mixed_catalog['public']['id']}",
        json={
            "distribution": [
                {
                    "downloadURL": "https://data.ct.gov/new.json",
                    "mediaType": "application/json",
                    "format": "JSON",
                }
            ]
        },
        headers=auth(token_for(steward)),
    )
    assert response.status_code == 200
    after = by_identifier(client.get("/data.json").get_json())["ct-dph-discharges"]
    assert [d["format"] for d in after["distribution"]] == ["JSON"]
