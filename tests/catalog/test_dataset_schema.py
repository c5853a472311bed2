"""The DCAT-US input schema against real published metadata (data.cdc.gov's data.json)."""

from __future__ import annotations

import json

import pytest
from marshmallow import EXCLUDE, ValidationError

from catalog.schemas.dataset import DatasetInputSchema
from catalog.services.datasets import parse_modified
from tests.conftest import FIXTURES

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"


def load(entry: dict) -> dict:
    return DatasetInputSchema().load(entry, unknown=EXCLUDE)


def errors_of(entry: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        load(entry)
    return caught.value.messages


@pytest.fixture(scope="module")
def cdc() -> dict[str, dict]:
    document = json.loads(CDC.read_text())
    return {entry["identifier"].rsplit("/", 1)[-1]: entry for entry in document["dataset"]}


def test_a_complete_real_record_loads_into_model_fields(cdc):
    data = load(cdc["235m-gsry"])
    assert data["title"] == cdc["235m-gsry"]["title"]
    assert data["contact_email"] == "sa-cin-webteam@cdc.gov"  # mailto: stripped
    assert data["access_level"] == "public"
    assert data["publisher_name"] == "data.cdc.gov"
    assert all(dist.get("download_url") or dist.get("access_url") for dist in data["distribution"])


def test_real_non_public_record_without_rights_is_flagged(cdc):
    entry = cdc["37nu-tuw8"]
    assert entry["accessLevel"] != "public" and not entry.get("rights")
    assert "rights" in errors_of(entry)


def test_real_record_with_a_free_text_frequency_is_flagged(cdc):
    entry = cdc["29hc-w46k"]
    assert entry["accrualPeriodicity"] == "Weekly"
    assert "accrualPeriodicity" in errors_of(entry)


def test_real_record_declaring_irregular_updates_is_valid(cdc):
    assert load(cdc["28df-2bwy"])["accrual_periodicity"] == "irregular"


def test_real_record_with_blank_description_is_flagged(cdc):
    assert errors_of(cdc["24xb-jxbc"])["description"] == ["Must not be blank."]


def test_long_rights_text_is_kept_whole(cdc):
    entry = cdc["36v4-xsse"]
    assert len(entry["rights"]) > 255  # CDC states its access restrictions in paragraphs
    assert load(entry)["rights"] == entry["rights"]


def test_partial_load_lets_a_harvest_keep_records_missing_fields(cdc):
    entry = {k: v for k, v in cdc["37nu-tuw8"].items() if k != "rights"}
    data = DatasetInputSchema().load(entry, unknown=EXCLUDE, partial=("rights",))
    assert data["access_level"] == entry["accessLevel"]


def test_every_real_entry_either_loads_or_names_its_fields(cdc):
    loaded = failed = 0
    for entry in cdc.values():
        try:
            load(entry)
            loaded += 1
        except ValidationError as exc:
            failed += 1
            assert exc.messages and all(isinstance(key, str) for key in exc.messages)
    assert loaded and failed and loaded + failed == len(cdc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-20", (2024, 11, 20)),
        ("2024-11-20T10:30:00Z", (2024, 11, 20)),
        ("2024-11-20T23:30:00-05:00", (2024, 11, 21)),
        ("R/P1W", None),
        ("not a date", None),
        (None, None),
    ],
)
def test_modified_is_parsed_for_sorting(value, expected):
    parsed = parse_modified(value)
    assert (parsed.year, parsed.month, parsed.day) == expected if expected else parsed is None


def test_blank_optional_fields_count_as_absent():
    data = DatasetInputSchema().load(
        {"title": "T", "description": "D", "accessLevel": "public", "contactPoint": {"fn": "X"},
         "rights": "  ", "license": "", "landingPage": "", "modified": ""}
    )  # fmt: skip
    assert data["rights"] is None and data["license"] is None and data["modified"] is None


@pytest.mark.parametrize("value", ["irregular", "R/P1M", "R/PT1H", "R/P0.5W"])
def test_update_frequencies_the_standard_allows(value):
    data = DatasetInputSchema().load(
        {"title": "T", "description": "D", "accessLevel": "public", "contactPoint": {"fn": "X"},
         "accrualPeriodicity": value}
    )  # fmt: skip
    assert data["accrual_periodicity"] == value
