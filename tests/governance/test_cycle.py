"""The yearly inventory cycle: the CDO opens it, data officers submit (upload or confirmation)
and mark high-value datasets, and the dashboard shows who has submitted."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.errors import Conflict, InvalidInput, PermissionDenied
from catalog.models import AuditEvent, HarvestJob, InventorySubmission
from catalog.services import inventory_cycle as cycles
from tests.plan.conftest import csrf_from

BIRTHS = ("urn:ct:dph:births-2024", "Births by town, 2024", "public")
HIV = ("urn:ct:dph:hiv-surveillance", "HIV case surveillance", "non-public")


def form_post(client, url: str, data: dict, page: str):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_cdo_opens_the_cycle_and_data_officers_submit(
    app, client, dph_sources, harvest_named, make_user, login, freeze_today
):
    freeze_today(date(2026, 10, 1))
    made = dph_sources([BIRTHS, HIV], [5])
    harvest_named(made["inventory"])
    cdo = make_user("cdo", email="cdo@ct.gov")
    officer = make_user("steward", agencies=("DPH",), email="ado@dph.ct.gov")

    login(cdo)
    opened = form_post(client, "/inventory/cycles", {"year": "2026", "due_on": ""}, "/inventory")
    assert opened.status_code == 302
    with app.app_context():
        cycle = cycles.current_cycle(db.session)
        assert (cycle.year, cycle.due_on) == (2026, date(2026, 12, 31))  # December 31 by default
    again = form_post(client, "/inventory/cycles", {"year": "2026"}, "/inventory")
    assert again.status_code == 302  # refused with a message: the 2026 cycle is open already

    officer_client = app.test_client()
    token = csrf_from(officer_client.get("/login").get_data(as_text=True))
    officer_client.post(
        "/login",
        data={"email": officer.email, "password": "correct horse battery", "csrf_token": token},
    )
    page = "/inventory/DPH"
    html = officer_client.get(page).get_data(as_text=True)
    assert "Births by town, 2024" in html and "HIV case surveillance" in html
    with app.app_context():
        job_id = db.session.scalar(select(HarvestJob.id))
        births_id = db.session.scalar(select(InventorySubmission.id))  # none yet
        assert births_id is None
    assert f'value="upload:{job_id}"' in html  # the uploaded inventory can be submitted
    ids = [line.split('value="')[1].split('"')[0] for line in html.split('name="high_value"')[1:]]
    marked = form_post(officer_client, "/inventory/DPH/high-value", {"high_value": ids[:1]}, page)
    assert marked.status_code == 302
    submitted = form_post(
        officer_client, "/inventory/DPH/submit", {"method": f"upload:{job_id}", "note": ""}, page
    )
    assert submitted.status_code == 302
    # A steward of another agency cannot submit for DPH.
    assert officer_client.get("/inventory/DOT").status_code == 403

    dashboard = client.get("/dashboard")  # the CDO's
    coverage = dashboard.get_data(as_text=True).split('id="coverage-h"')[1].split("</section>")[0]
    assert "2026 inventories are due 2026-12-31: 1 submitted." in " ".join(coverage.split())
    dph_row = coverage.split(">Department of Public Health</a>")[1].split("</tr>")[0]
    assert "submitted 20" in dph_row
    dot_row = coverage.split(">Department of Transportation</a>")[1].split("</tr>")[0]
    assert "not yet" in dot_row
    overview = client.get("/inventory").get_data(as_text=True)
    assert "1 of" in overview and "ado@dph.ct.gov" in overview
    with app.app_context():
        submission = db.session.scalars(select(InventorySubmission)).one()
        assert (submission.method, submission.harvest_job_id) == ("upload", job_id)
        assert (submission.dataset_count, submission.high_value_count) == (2, 1)
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"inventory_cycle.open", "inventory.high_value", "inventory.submit"} <= actions


def test_submission_rules(app, session, dph_sources, harvest_named, make_user, freeze_today):
    freeze_today(date(2026, 10, 1))
    made = dph_sources([BIRTHS], [5])
    harvest_named(made["inventory"])
    cdo = session.merge(make_user("cdo"))
    officer = session.merge(make_user("steward", agencies=("DPH",)))
    other = session.merge(make_user("steward", agencies=("DOT",)))
    with pytest.raises(PermissionDenied):
        cycles.open_cycle(session, officer, 2026)
    with pytest.raises(InvalidInput):  # a due date already past
        cycles.open_cycle(session, cdo, 2026, due_on=date(2026, 1, 31))
    cycles.open_cycle(session, cdo, 2026)
    with pytest.raises(Conflict):
        cycles.open_cycle(session, cdo, 2026)
    with pytest.raises(PermissionDenied):
        cycles.submit_inventory(session, other, "DPH", "confirmation")
    with pytest.raises(InvalidInput):  # an upload names the job
        cycles.submit_inventory(session, officer, "DPH", "upload")
    first = cycles.submit_inventory(session, officer, "DPH", "confirmation", note="As harvested.")
    again = cycles.submit_inventory(session, cdo, "DPH", "confirmation")
    assert first.id == again.id and again.submitted_by == cdo.email  # replaced, not doubled
    with pytest.raises(InvalidInput):  # only the agency's own datasets are marked
        cycles.set_high_value(session, officer, "DPH", ["not-a-dataset"])
    freeze_today(date(2027, 1, 2))
    rows = {
        r["agency"].code: r
        for r in cycles.submission_status(session, cycles.current_cycle(session))
    }
    assert rows["DPH"]["submission"] is not None and not rows["DPH"]["late"]
    assert rows["DOT"]["late"] and "UNASSIGNED" not in rows
    session.rollback()
