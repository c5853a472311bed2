"""One check across every public export: nothing internal or non-public reaches anonymous users."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

# Strings that only exist in governance fields or in access paths of datasets that are not public.
SECRETS = (
    "sftp.dph.ct.gov",  # non-public distribution
    "files.dph.ct.gov",  # restricted public download
    "internal.dph.ct.gov",  # non-public system of records
    "patient_id",  # non-public data dictionary
    "Internal:",  # governance notes
    "pat.steward@ct.gov",  # steward
)


def xlsx_text(data: bytes) -> str:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Datasets"]
    return json.dumps([list(row) for row in sheet.iter_rows(values_only=True)], default=str)


@pytest.mark.parametrize(
    "path",
    [
        "/data.json",
        "/datasets.csv",
        "/datasets.xlsx",
        "/api/3/action/package_search?rows=100",
        "/api/3/action/package_list",
        "/api/v1/datasets?per_page=100",
    ],
)
def test_no_export_shows_internal_or_non_public_details(client, mixed_catalog, path):
    response = client.get(path)
    assert response.status_code == 200
    text = xlsx_text(response.data) if path.endswith(".xlsx") else response.get_data(as_text=True)
    assert "Immunization registry extract" in text or path.endswith("package_list")
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked through {path}"


def test_package_show_of_each_dataset_hides_them_too(client, mixed_catalog):
    for key in ("public", "restricted", "non_public"):
        dataset_id = mixed_catalog[key]["id"]
        text = client.get(f"/api/3/action/package_show?id={dataset_id}").get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, (key, secret)
