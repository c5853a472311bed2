"""DCAT-US 3.0 harvests: GSA's examples (tests/fixtures/dcat-us-3.0-examples), the official
catalog example, sub-catalogs, data services and series, field-level 3.0 warnings; and the round
trip of a 1.1 catalog harvested, then exported as 3.0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.dcat.validation import v3_errors
from catalog.models import DcatResource, HarvestRecord
from tests.conftest import FIXTURE_DIR, FIXTURES
from tests.harvesters.conftest import dataset_by_identifier

EXAMPLES = FIXTURE_DIR / "dcat-us-3.0-examples"
OFFICIAL = FIXTURES / "dcat-us-3.0" / "gsa_catalog_typical_example.json"


def as_catalog(tmp_path: Path, *datasets: dict) -> str:
    """GSA's dataset examples inside a catalog that says it is DCAT-US 3.0."""
    path = tmp_path / "catalog.json"
    catalog = {"@type": "Catalog", "conformsTo": {"@type": "Standard", "title": "DCAT-US 3.0"}}
    path.write_text(json.dumps({**catalog, "dataset": list(datasets)}))
    return str(path)


def record_issues(job_id: int) -> dict[str, list[tuple[str, str, str | None]]]:
    rows = db.session.execute(
        select(HarvestRecord.identifier, HarvestRecord.errors).where(HarvestRecord.job_id == job_id)
    )
    return {
        ident: [(e["severity"], e["type"], e["field"]) for e in errors or []]
        for ident, errors in rows
    }


def test_complete_catalog_example_harvests_sub_catalogs_services_and_series(
    make_source, harvest
) -> None:
    source = make_source(
        url=str(EXAMPLES / "Catalog/good/complete_example.json"), agency_code="DOT"
    )
    job = harvest(source)

    assert job.status == "succeeded", job.error
    # Two datasets, and the one of the hasPart sub-catalog; the series member is one of the two;
    # the related `catalog` is not part of this catalog.
    assert (job.added, job.failed) == (3, 0)
    sub = dataset_by_identifier("https://example.gov/datasets/subcatalog-1-dataset-002")
    assert sub.title == "Quarterly Budget Reports"
    assert sub.publisher_name == "Treasury Department"
    assert dataset_by_identifier("https://example.gov/datasets/subcatalog-1-dataset-001") is None
    budget = dataset_by_identifier("https://example.gov/datasets/catalog-complete-001")
    assert (budget.contact_name, budget.contact_email) == ("Budget Data Team", "budget@example.gov")
    assert budget.access_level == "non-public"  # neither accessLevel nor accessRights given

    resources = {r.kind: r for r in db.session.scalars(select(DcatResource))}
    assert resources["service"].title == "Federal Data API"
    assert resources["service"].document["endpointURL"] == ["https://api.example.gov/data/v1"]
    series = resources["series"]
    assert series.title == "Federal Budget Data Series"
    assert [d.identifier for d in series.datasets] == [budget.identifier]
    assert "seriesMember" not in series.document

    # Harvested again: nothing changes, the resources are kept.
    again = harvest(source)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert len(db.session.scalars(select(DcatResource)).all()) == 2


def test_complete_dataset_example_maps_every_3_0_field(make_source, harvest, tmp_path) -> None:
    raw = json.loads((EXAMPLES / "Dataset/good/complete_example.json").read_text())
    source = make_source(url=as_catalog(tmp_path, raw))
    job = harvest(source)

    assert (job.added, job.failed) == (1, 0), record_issues(job.id)
    # The Identifier object's notation is the identifier (its @id is the dataset's IRI).
    dataset = dataset_by_identifier("NCDC-CLIMATE-OBS-2024")
    assert dataset.title == "National Climate Observations 2024"
    assert dataset.publisher_name == "National Climate Data Center"
    assert (dataset.contact_name, dataset.contact_email) == (
        "Climate Data Support Team",
        "climate-support@example.gov",
    )
    assert dataset.access_level == "public"  # from accessRights
    assert dataset.temporal == "2024-01-01/2024-12-31"
    assert dataset.spatial == "United States of America"
    assert dataset.accrual_periodicity == "R/P1D"
    assert dataset.landing_page == "https://example.gov/datasets/climate-2024"
    assert dataset.described_by == "https://example.gov/docs/climate-data-dictionary.pdf"
    assert dataset.described_by_type == "application/pdf"
    assert dataset.theme == ["Climate Science", "Environmental Monitoring"]
    assert dataset.keyword[:2] == ["climate", "weather"] and dataset.language == ["en"]
    assert (
        dataset.rights == "This data is in the public domain and may be used without restriction."
    )
    assert [d.format for d in dataset.distributions] == ["CSV", "JSON"]
    rich = dataset.dcat3
    assert rich["identifier"]["notation"] == "NCDC-CLIMATE-OBS-2024"
    assert rich["otherIdentifier"][0]["notation"] == "10.12345/ncdc-climate-2024"
    assert rich["publisher"]["altLabel"] == "NCDC"
    assert rich["contactPoint"][0]["tel"] == "+1-555-CLIMATE"
    assert rich["accessRights"].startswith("Public access with no restrictions")
    assert rich["temporal"][0]["@id"] == "https://example.gov/periods/2024"
    assert rich["spatial"][0]["geometry"].startswith("POLYGON")
    assert rich["version"] == "2024.1" and rich["provenance"][1].startswith("Quality control")
    # Values GSA's later schema rejects (inScheme as an IRI) are reported and not kept.
    issues = record_issues(job.id)[dataset.identifier]
    assert {field for _sev, kind, field in issues if kind == "dcat-us-3.0"} == {
        "creator", "previousVersion", "status", "theme", "wasGeneratedBy",
    }  # fmt: skip
    assert all(sev == "warning" for sev, _kind, _field in issues)
    assert "status" not in rich and "creator" not in rich
    series = db.session.scalar(select(DcatResource).where(DcatResource.kind == "series"))
    assert series.identifier == "https://example.gov/series/annual-climate-observations"
    assert [d.id for d in series.datasets] == [dataset.id]


NO_ID = {("warning", "dcat-us-3.0", "identifier"), ("warning", "derived-identifier", "identifier")}


@pytest.mark.parametrize(
    ("path", "identifier", "expected_issues"),
    [
        ("Dataset/good/typical_example.json",
         "https://example.gov/datasets/climate-observations-2024", set()),
        ("Dataset/good/minimal_example.json", None, NO_ID),
        ("Dataset/good/good-accrual-periodicity.json", None,
         NO_ID | {("warning", "dcat-us-3.0", "publisher")}),
    ],
)  # fmt: skip
def test_good_dataset_examples_are_harvested_with_their_fields(
    make_source, harvest, tmp_path, path, identifier, expected_issues
) -> None:
    raw = json.loads((EXAMPLES / path).read_text())
    job = harvest(make_source(url=as_catalog(tmp_path, raw)))

    assert (job.added, job.failed) == (1, 0)
    ((ident, issues),) = record_issues(job.id).items() if expected_issues else [(identifier, [])]
    assert set(issues) >= expected_issues
    dataset = dataset_by_identifier(ident)
    assert dataset.title == raw["title"] and dataset.description == raw["description"]
    contact = (
        raw["contactPoint"][0] if isinstance(raw["contactPoint"], list) else raw["contactPoint"]
    )
    assert dataset.contact_name == contact["fn"]
    assert dataset.contact_email == contact["hasEmail"].removeprefix("mailto:")
    if path.endswith("typical_example.json"):
        assert dataset.accrual_periodicity == "R/P1D" and dataset.access_level == "public"
        assert dataset.spatial.startswith('{"type":"Polygon"')
        assert dataset.distributions[0].format == "CSV"  # from the media type
    if "accrual" in path:
        assert dataset.accrual_periodicity == "R/P3M"
        assert dataset.publisher_name == "https://example.gov/org/sample-agency"


@pytest.mark.parametrize(
    "path", ["Catalog/good/typical_example.json", "Catalog/good/minimal_example.json"]
)
def test_good_catalog_examples_without_identifiers_are_harvested(make_source, harvest, path):
    job = harvest(make_source(url=str(EXAMPLES / path)))
    assert job.status == "succeeded" and (job.added, job.failed) == (1, 0)
    document = json.loads((EXAMPLES / path).read_text())
    title = document["dataset"][0]["title"]
    ((identifier, issues),) = record_issues(job.id).items()
    assert identifier.startswith("urn:dcat-us-3:")
    assert ("warning", "derived-identifier", "identifier") in issues
    assert dataset_by_identifier(identifier).title == title


def test_bad_accrual_periodicity_example_gives_field_errors(make_source, harvest, tmp_path) -> None:
    raw = json.loads((EXAMPLES / "Dataset/bad/bad-accrual-periodicity.json").read_text())
    job = harvest(make_source(url=as_catalog(tmp_path, raw)))

    ((identifier, issues),) = record_issues(job.id).items()
    fields = {field for _sev, _kind, field in issues}
    assert {"accrualPeriodicity", "contactPoint", "identifier", "publisher"} <= fields
    dataset = dataset_by_identifier(identifier)
    assert dataset.accrual_periodicity is None  # the bad value is dropped, the record kept


def test_official_catalog_example_is_recognised_as_3_0(make_source, harvest) -> None:
    job = harvest(make_source(url=str(OFFICIAL)))
    assert (job.added, job.failed) == (1, 0)
    dataset = dataset_by_identifier("https://example.gov/datasets/climate-observations-1")
    assert dataset.title == "Daily Climate Observations 2024"
    assert dataset.contact_email == "climate@example.gov"


def test_catalog_whose_has_part_holds_datasets(make_source, harvest, tmp_path) -> None:
    def dataset(n: int) -> dict:
        return {
            "@type": "Dataset", "identifier": f"urn:test:{n}", "title": f"Dataset {n}",
            "description": "Nested.", "publisher": {"name": "Department of Transportation"},
            "contactPoint": [{"fn": "Desk", "hasEmail": "mailto:desk@ct.gov"}],
            "accessRights": "public",
        }  # fmt: skip

    path = tmp_path / "nested.json"
    path.write_text(
        json.dumps(
            {
                "@type": "Catalog",
                "conformsTo": {"@type": "Standard", "title": "DCAT-US 3.0"},
                "dataset": [dataset(1)],
                "hasPart": [
                    {"@type": "Catalog", "dataset": [dataset(2)],
                     "hasPart": [{"@type": "Catalog", "dataset": [dataset(3)]}]},
                ],
            }
        )
    )  # fmt: skip
    job = harvest(make_source(url=str(path)))
    assert (job.added, job.failed) == (3, 0)
    assert {dataset_by_identifier(f"urn:test:{n}").agency.code for n in (1, 2, 3)} == {"DOT"}


def test_several_contact_points_periods_and_rights_round_trip_to_3_0(
    make_source, harvest, tmp_path, client
) -> None:
    raw = {
        "@type": "Dataset", "identifier": "urn:test:rich", "title": "Bridge inspections",
        "description": "Inspections of state bridges.", "accessRights": "public",
        "publisher": {"@type": "Organization", "name": "Department of Transportation",
                      "subOrganizationOf": [{"name": "State of Connecticut"}]},
        "contactPoint": [{"fn": "Bridge desk", "hasEmail": "mailto:bridges@ct.gov"},
                         {"fn": "Data office", "hasEmail": "mailto:data@ct.gov"}],
        "temporal": [{"startDate": "2001-01-01", "endDate": "2010-12-31"},
                     {"startDate": "2015-01-01"}],
        "spatial": [{"@type": "Location", "prefLabel": "Hartford County"},
                    {"@type": "Location", "prefLabel": "Tolland County"}],
        "rights": ["Statement one.", "Statement two."],
        "identifierSystem": "ignored",
    }  # fmt: skip
    job = harvest(make_source(url=as_catalog(tmp_path, raw)))
    assert job.added == 1
    dataset = dataset_by_identifier("urn:test:rich")
    assert dataset.temporal == "2001-01-01/2010-12-31" and dataset.rights == "Statement one."

    doc = client.get("/catalog/dcat-us-3.json").get_json()
    assert v3_errors(doc) == []
    (entry,) = doc["dataset"]
    assert [c["fn"] for c in entry["contactPoint"]] == ["Bridge desk", "Data office"]
    assert entry["temporal"] == raw["temporal"]
    assert [s["prefLabel"] for s in entry["spatial"]] == ["Hartford County", "Tolland County"]
    assert entry["rights"] == ["Statement one.", "Statement two."]
    assert entry["publisher"]["subOrganizationOf"] == [{"name": "State of Connecticut"}]

    # A steward's edit of the 1.1 column wins over the richer value it came from.
    from catalog.services.datasets import update_dataset

    update_dataset(db.session, dataset.id, {"temporal": "2020-01-01/2020-12-31"}, "test")
    db.session.commit()
    entry = client.get("/catalog/dcat-us-3.json").get_json()["dataset"][0]
    assert entry["temporal"] == [
        {"@type": "PeriodOfTime", "startDate": "2020-01-01", "endDate": "2020-12-31"}
    ]
    assert len(entry["contactPoint"]) == 2  # untouched values keep their 3.0 form


def test_a_1_1_catalog_harvested_then_exported_as_3_0_validates(make_source, harvest, client):
    cdc = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
    job = harvest(make_source(url=str(cdc), agency_code="DPH"))
    assert job.status == "succeeded" and job.added == 60

    doc = client.get("/catalog/dcat-us-3.json").get_json()

    assert v3_errors(doc) == []
    assert len(doc["dataset"]) == 60
    source_titles = {e["identifier"]: e["title"] for e in json.loads(cdc.read_text())["dataset"]}
    exported = {values_id(e): e["title"] for e in doc["dataset"]}
    assert exported == source_titles


def values_id(entry: dict) -> str:
    ident = entry["identifier"]
    return ident if isinstance(ident, str) else ident.get("@id") or ident["notation"]


def test_richer_values_the_source_drops_do_not_linger(make_source, harvest, tmp_path, client):
    raw = {
        "@type": "Dataset", "identifier": "urn:test:shrinks", "title": "Ferry schedules",
        "description": "Schedules.", "publisher": {"name": "Department of Transportation"},
        "accessRights": "public",
        "contactPoint": [{"fn": "Ferry desk", "hasEmail": "mailto:ferry@ct.gov"},
                         {"fn": "Second desk", "hasEmail": "mailto:second@ct.gov"}],
    }  # fmt: skip
    source = make_source(url=as_catalog(tmp_path, raw))
    harvest(source)
    assert len(dataset_by_identifier("urn:test:shrinks").dcat3["contactPoint"]) == 2

    raw["contactPoint"] = raw["contactPoint"][:1]
    raw.pop("accessRights")
    raw["accessLevel"] = "public"
    as_catalog(tmp_path, raw)
    assert harvest(source).updated == 1

    db.session.expire_all()
    assert dataset_by_identifier("urn:test:shrinks").dcat3 is None
    entry = client.get("/catalog/dcat-us-3.json").get_json()["dataset"][0]
    assert [c["fn"] for c in entry["contactPoint"]] == ["Ferry desk"]
