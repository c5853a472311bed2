"""A steward uploads an agency inventory from the web, reads the job, downloads the annotated
spreadsheet, fixes its bad rows in it and uploads it again (test client, CSRF on)."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from catalog.db import db
from catalog.models import AuditEvent, Dataset, HarvestJob, HarvestSource
from catalog.services.harvest import UPLOAD_EVENT, add_source
from config.settings import CONFIG_DIR
from tests.conftest import FIXTURES
from tests.web.test_steward_forms import csrf_from, sign_in

DAYTON = FIXTURES / "inventories" / "dayton-montgomery-oh_master_catalog.csv"
MAPPING = Path(CONFIG_DIR) / "inventory_mappings" / "dayton-montgomery-oh.toml"
SOURCE_PAGE = "/harvest/sources/dayton"
UPLOAD = "/harvest/sources/dayton/upload"


@pytest.fixture
def dayton_source(app):
    with app.app_context():
        add_source(
            db.session, "dayton", "inventory", "inventories/dayton.csv", "test",
            agency_code="OPM", mapping_path=MAPPING,
        )  # fmt: skip
        db.session.commit()


@pytest.fixture
def steward(make_user, dayton_source):
    return make_user("steward", agencies=("OPM",), email="pat@opm.ct.gov")


@pytest.fixture
def uploads(app) -> Path:
    """The source's upload folder, empty at the start of the test."""
    folder = Path(app.config["INSTANCE_DIR"]) / "uploads" / "dayton"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def upload(client, data: bytes, filename: str, token: str | None = "from the page"):
    form = {"spreadsheet": FileStorage(io.BytesIO(data), filename)}
    if token == "from the page":
        token = csrf_from(client.get(SOURCE_PAGE).text)
    if token:
        form["csrf_token"] = token
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(form)
    return client.post(UPLOAD, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def counts(app) -> tuple[int, int]:
    """(jobs, datasets)."""
    with app.app_context():
        jobs = db.session.scalar(select(func.count()).select_from(HarvestJob))
        datasets = db.session.scalar(select(func.count()).select_from(Dataset))
        return jobs, datasets


def small_csv(rows: int = 20) -> bytes:
    frame = pd.read_csv(DAYTON, dtype=str, keep_default_na=False).head(rows)
    return frame.to_csv(index=False).encode()


def annotated_link(page: str) -> str:
    match = re.search(r'href="(/harvest/jobs/\d+/annotated\.xlsx)"', page)
    assert match, "no link to the annotated spreadsheet"
    return match.group(1)


def test_steward_uploads_the_dayton_inventory_fixes_bad_rows_and_uploads_again(
    app, client, steward, uploads
):
    assert sign_in(client, "pat@opm.ct.gov").status_code == 302
    assert "Upload an inventory" in client.get(SOURCE_PAGE).text

    response = upload(client, DAYTON.read_bytes(), "Dayton master catalog.csv")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Dayton master catalog.csv harvested: 1775 added, 0 updated, 0 unchanged" in page
    assert "7 failed" in page
    assert (
        "Harvested from <strong>Dayton master catalog.csv</strong>, uploaded by pat@opm.ct.gov"
        in page
    )
    assert "vocabulary (6)" in page and "duplicate-identifier (1)" in page
    assert "/instance" not in page and str(uploads.parent.parent) not in page  # no server paths
    # The file is kept under a generated name; the steward's name is only displayed.
    (kept,) = uploads.iterdir()
    assert kept.suffix == ".csv" and "Dayton" not in kept.name
    assert kept.read_bytes() == DAYTON.read_bytes()

    with client.get(annotated_link(page)) as download:
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert "annotated.xlsx" in download.headers["Content-Disposition"]
        workbook = load_workbook(io.BytesIO(download.data))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    assert header[-2:] == ["errors", "severity"]
    col = {name: i for i, name in enumerate(header)}
    bad = [row for row in sheet.iter_rows(min_row=2) if row[col["severity"]].value == "error"]
    assert len(bad) == 7
    assert sum("accessLevel" in row[col["errors"]].value for row in bad) == 6
    assert sum("appears more than once" in row[col["errors"]].value for row in bad) == 1
    assert all(row[col["errors"]].value is None for row in sheet.iter_rows(min_row=2)
               if row[col["severity"]].value is None)  # fmt: skip

    # The steward fixes the seven rows in Excel, leaves the errors column in, and uploads again.
    for row in bad:
        if "accessLevel" in row[col["errors"]].value:
            row[col["access"]].value = "Public"
        else:
            row[col["name"]].value = row[col["name"]].value.strip() + " (second layer)"
    fixed = io.BytesIO()
    workbook.save(fixed)
    response = upload(client, fixed.getvalue(), "Dayton master catalog-annotated.xlsx")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "7 added, 0 updated, 1775 unchanged, 0 withdrawn, 0 failed" in page
    assert "No record had an error or a warning." not in page  # missing-field warnings remain
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dataset)) == 1782
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "dataset.update"))
            == 0
        )
        fixed_title = db.session.scalar(
            select(Dataset.title).where(Dataset.title.like("% (second layer)"))
        )
        assert fixed_title == "DRMP_Boundaries (second layer)"
        uploads_recorded = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == UPLOAD_EVENT).order_by(AuditEvent.id)
        ).all()
        assert [(e.actor_label, e.after["filename"]) for e in uploads_recorded] == [
            ("pat@opm.ct.gov", "Dayton master catalog.csv"),
            ("pat@opm.ct.gov", "Dayton master catalog-annotated.xlsx"),
        ]
    assert len(list(uploads.iterdir())) == 2


def test_another_agencys_steward_is_refused_and_nothing_is_harvested(
    app, client, make_user, dayton_source, uploads
):
    make_user("steward", agencies=("DOT",), email="dot@dot.ct.gov")
    sign_in(client, "dot@dot.ct.gov")
    page = client.get(SOURCE_PAGE).text
    assert "Upload an inventory" not in page
    response = upload(client, small_csv(), "inventory.csv", token=csrf_from(page))
    assert response.status_code == 403
    assert counts(app) == (0, 0)
    assert not uploads.exists()


def test_anonymous_upload_goes_to_sign_in(app, client, dayton_source, uploads):
    token = csrf_from(client.get("/login").text)
    response = upload(client, small_csv(), "inventory.csv", token=token)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert counts(app) == (0, 0)
    assert not uploads.exists()


def test_cdo_may_upload(app, client, make_user, dayton_source):
    make_user("cdo", email="cdo@opm.ct.gov")
    sign_in(client, "cdo@opm.ct.gov")
    response = upload(client, small_csv(), "inventory.csv")
    assert response.status_code == 302
    assert counts(app) == (1, 20)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"PK\x03\x04 not really a workbook", "inventory.xlsx", "could not be read as XLSX"),
        (bytes(range(256)) * 4, "inventory.csv", "could not be read as CSV"),
        (b"title,owner\nRoads,DOT\n", "inventory.csv", "lacks the columns the mapping"),
        (b"%PDF-1.7", "inventory.pdf", "Upload a CSV or XLSX file."),
    ],
    ids=["damaged-xlsx", "binary-csv", "other-columns", "pdf"],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_message(
    app, client, steward, uploads, data, filename, message
):
    sign_in(client, "pat@opm.ct.gov")
    response = upload(client, data, filename)
    assert response.status_code == 422
    assert message in response.text and 'role="alert"' in response.text
    assert counts(app) == (0, 0)
    assert not uploads.exists() or not any(uploads.iterdir())


def test_upload_without_csrf_token_is_refused(app, client, steward, uploads):
    sign_in(client, "pat@opm.ct.gov")
    response = upload(client, small_csv(), "inventory.csv", token=None)
    assert response.status_code == 400
    assert counts(app) == (0, 0)
    assert not uploads.exists()


def test_uploaded_file_name_is_shown_escaped(client, steward):
    sign_in(client, "pat@opm.ct.gov")
    response = upload(client, small_csv(), "<img src=x onerror=alert(1)>.csv")
    page = client.get(response.headers["Location"]).text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in page


def test_annotated_spreadsheet_is_for_the_sources_agency_only(app, client, make_user, steward):
    sign_in(client, "pat@opm.ct.gov")
    link = annotated_link(client.get(upload(client, small_csv(), "a.csv").headers["Location"]).text)
    with client.get(link) as response:
        assert response.status_code == 200

    make_user("steward", agencies=("DOT",), email="dot@dot.ct.gov")
    other = app.test_client()
    sign_in(other, "dot@dot.ct.gov")
    job_page = other.get(link.removesuffix("/annotated.xlsx")).text
    assert "annotated.xlsx" not in job_page and "available to the stewards of OPM" in job_page
    assert other.get(link).status_code == 403
    assert app.test_client().get(link).status_code == 302  # anonymous: sign in first


def test_job_without_annotated_spreadsheet_is_404(app, client, steward):
    with app.app_context():
        source = db.session.scalar(select(HarvestSource).where(HarvestSource.name == "dayton"))
        job = HarvestJob(source_id=source.id, status="failed", error="File not found")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    sign_in(client, "pat@opm.ct.gov")
    assert client.get(f"/harvest/jobs/{job_id}/annotated.xlsx").status_code == 404
    assert "annotated" not in client.get(f"/harvest/jobs/{job_id}").text
