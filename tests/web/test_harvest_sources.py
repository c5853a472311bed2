"""Harvest sources from the web: the CDO adds, edits, pauses and removes them; the stewards of a
source's agency and the CDO press "Run now"; other stewards cannot. (No app context is held by
these tests, so each request gets its own, as in production.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import AuditEvent, HarvestJob, HarvestSource
from catalog.services.harvest import add_source
from tests.conftest import FIXTURES
from tests.web.test_steward_forms import csrf_from, sign_in

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"


@pytest.fixture
def people(make_user):
    return {
        "cdo": make_user("cdo", email="cdo@ct.gov"),
        "dph": make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov"),
        "dot": make_user("steward", agencies=("DOT",), email="lee@dot.ct.gov"),
    }


@pytest.fixture
def source(app):
    with app.app_context():
        add_source(db.session, "cdc", "dcat-us", str(CDC), "test", agency_code="DPH")
        db.session.commit()


def _signed_in(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def _post(client, target: str, page: str, **data):
    return client.post(target, data={"csrf_token": csrf_from(client.get(page).text), **data})


def _source(app, name: str = "cdc") -> HarvestSource | None:
    with app.app_context():
        return db.session.scalar(select(HarvestSource).where(HarvestSource.name == name))


def _jobs(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(HarvestJob.status, HarvestJob.trigger, HarvestJob.requested_by)
        ).all()


def test_the_cdo_adds_a_source_with_a_schedule(app, people):
    client = _signed_in(app, "cdo@ct.gov")
    response = _post(
        client, "/harvest/sources/new", "/harvest/sources/new", name="cdc-portal",
        kind="dcat-us", url=str(CDC), agency="DPH", schedule="0 3 * * *", mapping="",
    )  # fmt: skip
    assert response.status_code == 302
    added = _source(app, "cdc-portal")
    assert (added.schedule, added.agency_code, added.paused) == ("0 3 * * *", "DPH", False)
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "harvest_source.create")
        )
        assert event.actor_label == "cdo@ct.gov"
    page = client.get("/harvest/sources/cdc-portal").text
    assert "0 3 * * *" in page and "Run now" in page and "Edit this source" in page


def test_a_bad_schedule_is_refused_on_the_form(app, people):
    client = _signed_in(app, "cdo@ct.gov")
    response = _post(
        client, "/harvest/sources/new", "/harvest/sources/new", name="x", kind="dcat-us",
        url=str(CDC), agency="", schedule="every morning", mapping="",
    )  # fmt: skip
    assert response.status_code == 422
    assert "cron expression of five fields" in response.text
    assert _source(app, "x") is None


def test_the_cdo_edits_pauses_and_removes_a_source(app, people, source):
    client = _signed_in(app, "cdo@ct.gov")
    edit = "/harvest/sources/cdc/edit"
    response = _post(client, edit, edit, url=str(CDC), agency="DPH", schedule="@hourly", mapping="")
    assert response.status_code == 302
    assert _source(app).schedule == "@hourly"
    page = "/harvest/sources/cdc"
    assert _post(client, "/harvest/sources/cdc/pause", page, paused="1").status_code == 302
    assert _source(app).paused is True
    assert "Resume the schedule" in client.get(page).text
    _post(client, "/harvest/sources/cdc/remove", page, confirm="wrong")
    assert _source(app) is not None
    _post(client, "/harvest/sources/cdc/remove", page, confirm="cdc")
    assert _source(app) is None


def test_stewards_cannot_manage_sources(app, people, source):
    client = _signed_in(app, "pat@dph.ct.gov")
    assert client.get("/harvest/sources/new").status_code == 403
    assert client.get("/harvest/sources/cdc/edit").status_code == 403
    page = client.get("/harvest/sources/cdc").text
    assert "Edit this source" not in page and "Run now" in page
    token = csrf_from(page)
    assert (
        client.post(
            "/harvest/sources/cdc/pause", data={"csrf_token": token, "paused": "1"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/harvest/sources/cdc/remove", data={"csrf_token": token, "confirm": "cdc"}
        ).status_code
        == 403
    )
    assert _source(app).paused is False


def test_run_now_by_the_agencys_steward_queues_one_job(app, people, source):
    client = _signed_in(app, "pat@dph.ct.gov")
    page = "/harvest/sources/cdc"
    response = _post(client, "/harvest/sources/cdc/run", page)
    assert response.status_code == 302
    assert _jobs(app) == [("queued", "web", "pat@dph.ct.gov")]
    shown = client.get(page).text
    assert "queued" in shown and "waiting for a worker" in shown
    _post(client, "/harvest/sources/cdc/run", page)  # pressed again while it waits
    assert len(_jobs(app)) == 1


def test_run_now_is_refused_to_another_agencys_steward(app, people, source):
    client = _signed_in(app, "lee@dot.ct.gov")
    page = client.get("/harvest/sources/cdc").text
    assert "Run now" not in page
    response = client.post("/harvest/sources/cdc/run", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 403
    assert _jobs(app) == []
