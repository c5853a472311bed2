"""Spreadsheet uploads are checked for size, uncompressed size and rows before any parser reads
them: a 100 KB workbook of a million rows is refused at once with a reason, and nothing is kept or
harvested."""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from catalog.db import db
from catalog.errors import InvalidInput
from catalog.services.harvest import add_source, get_source
from tests.web.test_inventory_upload import DAYTON, MAPPING, counts, small_csv, upload
from tests.web.test_steward_forms import sign_in


@pytest.fixture
def steward(app, make_user):
    with app.app_context():
        add_source(
            db.session, "dayton", "inventory", "inventories/dayton.csv", "test",
            agency_code="OPM", mapping_path=MAPPING,
        )  # fmt: skip
        db.session.commit()
    return make_user("steward", agencies=("OPM",), email="pat@opm.ct.gov")


@pytest.fixture
def uploads(app) -> Path:
    folder = Path(app.config["INSTANCE_DIR"]) / "uploads" / "dayton"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)


def bomb(rows: int = 1_000_000, padding: int = 0) -> bytes:
    """A real workbook (the Dayton header) whose sheet is swapped for ``rows`` empty rows, plus
    ``padding`` bytes of zeros in another part: tiny on disk, huge unpacked."""
    frame = pd.read_csv(DAYTON, dtype=str, keep_default_na=False).head(1)
    base = io.BytesIO()
    frame.to_excel(base, index=False)
    out = io.BytesIO()
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                rows_xml = b"<row/>" * rows
                data = data.split(b"<sheetData>")[0] + b"<sheetData>" + rows_xml
                data += b"</sheetData></worksheet>"
            dest.writestr(info.filename, data)
        if padding:
            dest.writestr("xl/media/padding.bin", b"\0" * padding)
    return out.getvalue()


def test_a_million_row_workbook_is_refused_before_parsing(client, steward, uploads, app) -> None:
    data = bomb()
    assert len(data) < 200_000
    sign_in(client, "pat@opm.ct.gov")
    started = time.monotonic()
    response = upload(client, data, "inventory.xlsx")
    elapsed = time.monotonic() - started
    assert response.status_code == 422
    assert "more than 50,000 rows" in response.text
    assert elapsed < 10  # refused by counting, not after pandas read a million rows
    assert counts(app) == (0, 0) and not any(uploads.glob("*"))


def test_a_workbook_that_unpacks_too_large_is_refused(client, steward, uploads, app) -> None:
    data = bomb(rows=10, padding=80 * 1024 * 1024)
    assert len(data) < 1_000_000
    sign_in(client, "pat@opm.ct.gov")
    response = upload(client, data, "inventory.xlsx")
    assert response.status_code == 422
    assert "unpacks to 80.0 MB; the limit is 64.0 MB" in response.text
    assert counts(app) == (0, 0)


def test_a_csv_with_too_many_rows_is_refused(client, steward, uploads, app) -> None:
    header = small_csv(1).splitlines()[0]
    data = header + b"\n" + b"x,y\n" * 50_001
    sign_in(client, "pat@opm.ct.gov")
    response = upload(client, data, "inventory.csv")
    assert response.status_code == 422 and "more than 50,000 rows" in response.text


def test_a_file_over_the_size_limit_is_refused(app, steward, uploads) -> None:
    from harvesters.upload import harvest_upload

    with app.app_context():
        source = get_source(db.session, "dayton")
        user = db.session.merge(steward)
        config = {**app.config, "UPLOAD_MAX_BYTES": 1000}
        try:
            harvest_upload(db.session, source, small_csv(20), "inv.csv", user, config)
        except InvalidInput as exc:
            assert (
                "the limit is 0.0 MB" in exc.errors["file"][0] or "limit" in exc.errors["file"][0]
            )
        else:
            raise AssertionError("an oversized file was accepted")


def test_a_normal_inventory_still_uploads(client, steward, uploads, app) -> None:
    sign_in(client, "pat@opm.ct.gov")
    assert upload(client, small_csv(20), "inventory.csv").status_code == 302
