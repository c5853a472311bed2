"""An inventory of one agency writes only into that agency: a DPH steward's upload that names
the Office of Policy and Management changes nothing of OPM (issue 18)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from catalog.db import db
from catalog.models import Agency, Dataset, HarvestJob
from catalog.services.datasets import update_dataset
from catalog.services.harvest import add_source, error_groups
from config.settings import CONFIG_DIR
from harvesters.inventory import _id_part
from tests.conftest import FIXTURES
from tests.web.test_steward_forms import csrf_from, sign_in

DAYTON = FIXTURES / "inventories" / "dayton-montgomery-oh_master_catalog.csv"
MAPPING = Path(CONFIG_DIR) / "inventory_mappings" / "dayton-montgomery-oh.toml"
PAGE = "/harvest/sources/dph-inventory"
OPM_NAME = "Office of Policy and Management"


@pytest.fixture
def dph_steward(app, make_user, client):
    with app.app_context():
        add_source(
            db.session, "dph-inventory", "inventory", "inventories/dph.csv", "test",
            agency_code="DPH", mapping_path=MAPPING,
        )  # fmt: skip
        db.session.commit()
    user = make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov")
    assert sign_in(client, user.email).status_code == 302
    return user


def rows(count: int = 12) -> pd.DataFrame:
    return pd.read_csv(DAYTON, dtype=str, keep_default_na=False).head(count)


def row_identifier(row: pd.Series) -> str:
    """The identifier the Dayton mapping gives a row (its address as a digest, then its name)."""
    return f"{_id_part(row['url'].strip(), hidden=True)} #{row['name'].strip()}"


def upload(client, frame: pd.DataFrame) -> int:
    form = {
        "spreadsheet": FileStorage(io.BytesIO(frame.to_csv(index=False).encode()), "dph.csv"),
        "csrf_token": csrf_from(client.get(PAGE).text),
    }
    boundary, body = encode_multipart(form)
    response = client.post(
        f"{PAGE}/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302, response.text[:500]
    with client.application.app_context():
        return db.session.scalar(select(HarvestJob.id).order_by(HarvestJob.id.desc()).limit(1))


def opm_state(app) -> dict[str, tuple]:
    with app.app_context():
        return {
            d.identifier: (d.title, d.status, d.version)
            for d in db.session.scalars(select(Dataset).join(Agency).where(Agency.code == "OPM"))
        }


def test_an_upload_naming_another_agency_changes_nothing_of_that_agency(
    app, client, dph_steward, make_dataset
):
    frame = rows()
    opm_row = frame.index[3]
    frame.loc[opm_row, "publisher"] = OPM_NAME
    # An OPM dataset the catalog already has, whose identifier a DPH row repeats.
    taken = make_dataset(agency="OPM", identifier=row_identifier(frame.loc[5]))
    before = opm_state(app)

    job_id = upload(client, frame)
    with app.app_context():
        job = db.session.get(HarvestJob, job_id)
        assert (job.status, job.added, job.failed) == ("succeeded", len(frame) - 2, 2)
        scope = error_groups(db.session, job)["agency-scope"]
        assert len(scope) == 2
        assert all("writes only into DPH" in item["message"] for item in scope)
        assert any("names agency OPM" in item["message"] for item in scope)
    assert opm_state(app) == before  # nothing created, updated or withdrawn under OPM

    # The same upload again with the OPM row changed, and another row left out: still nothing.
    frame.loc[opm_row, "notes"] = "Changed by the second upload."
    upload(client, frame.drop(index=[8]))
    assert opm_state(app) == before
    assert taken.identifier in before


def test_a_dataset_moved_to_another_agency_is_not_withdrawn_by_the_old_agencys_inventory(
    app, client, dph_steward, make_user
):
    frame = rows()
    upload(client, frame)
    moved_identifier = row_identifier(frame.loc[2])
    with app.app_context():
        moved = db.session.scalar(select(Dataset).where(Dataset.identifier == moved_identifier))
        cdo = db.session.merge(make_user("cdo"))
        update_dataset(db.session, moved.id, {"agency": "OPM"}, cdo)  # the CDO reassigns it
        db.session.commit()
    before = opm_state(app)
    job_id = upload(client, frame.drop(index=[2]))  # the DPH inventory no longer lists it
    with app.app_context():
        assert db.session.get(HarvestJob, job_id).withdrawn == 0
    assert opm_state(app) == before
