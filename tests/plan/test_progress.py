"""Progress reports: stewards report for their own agencies (form and API); the CDO sees who
has not reported for a period; the plan page shows the roll-up without narratives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import AuditEvent, ProgressReport
from tests.plan.conftest import csrf_from

# The shipped 2025-2026 plan has no objectives (its text is not known): the CDO writes some.
pytestmark = pytest.mark.usefixtures("plan_objectives")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def report(**overrides):
    body = {
        "plan": "2025-2026",
        "objective": "G1.1",
        "agency": "DPH",
        "period": "2026-H2",
        "status": "on-track",
        "metric_value": 62,
        "narrative": "Data dictionaries published for 31 of 50 datasets.",
    }
    body.update(overrides)
    return body


def test_steward_reports_progress_for_own_agency_and_a_resubmission_replaces_it(
    client, make_user, token_for, app
):
    token = token_for(make_user("steward", agencies=("DPH",), email="ado@dph.ct.gov"))

    created = client.post("/api/v1/progress-reports", json=report(), headers=auth(token))
    assert created.status_code == 201, created.json
    assert created.json["agency"] == "DPH" and created.json["objective"] == "G1.1"
    assert created.json["plan"] == "2025-2026" and created.json["submitted_by"] == "ado@dph.ct.gov"

    replaced = client.post(
        "/api/v1/progress-reports",
        json=report(status="at-risk", metric_value=55),
        headers=auth(token),
    )
    assert replaced.status_code == 200
    assert replaced.json["id"] == created.json["id"] and replaced.json["status"] == "at-risk"

    listed = client.get("/api/v1/progress-reports?period=2026-H2&agency=DPH", headers=auth(token))
    assert [item["metric_value"] for item in listed.json["items"]] == [55]
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "progress_report")
        ).all()
        assert sorted(actions) == ["progress.create", "progress.update"]


def test_steward_of_another_agency_is_refused_and_nothing_is_stored(
    client, make_user, token_for, app
):
    token = token_for(make_user("steward", agencies=("DOT",)))

    response = client.post(
        "/api/v1/progress-reports", json=report(agency="DPH"), headers=auth(token)
    )

    assert response.status_code == 403
    assert "DPH" in response.json["errors"]["_schema"][0]
    with app.app_context():
        assert db.session.scalar(select(ProgressReport.id)) is None


def test_bad_reports_are_field_errors(client, make_user, token_for):
    token = token_for(make_user("steward", agencies=("DPH",)))
    response = client.post(
        "/api/v1/progress-reports",
        json=report(period="second half", status="fine", objective="G9.9"),
        headers=auth(token),
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) >= {"period", "status"}
    unknown = client.post(
        "/api/v1/progress-reports", json=report(objective="G9.9"), headers=auth(token)
    )
    assert unknown.status_code == 422 and "G9.9" in unknown.json["errors"]["objective"][0]
    assert client.post("/api/v1/progress-reports", json=report()).status_code == 401


def test_reading_reports_needs_an_account_and_stewards_see_only_their_agencies(
    client, make_user, token_for
):
    dph = token_for(make_user("steward", agencies=("DPH",)))
    dot = token_for(make_user("steward", agencies=("DOT",)))
    cdo = token_for(make_user("cdo"))
    client.post("/api/v1/progress-reports", json=report(), headers=auth(dph))
    client.post("/api/v1/progress-reports", json=report(agency="DOT"), headers=auth(dot))

    assert client.get("/api/v1/progress-reports").status_code == 401
    seen_by_dot = client.get("/api/v1/progress-reports", headers=auth(dot)).json["items"]
    assert [item["agency"] for item in seen_by_dot] == ["DOT"]
    seen_by_cdo = client.get("/api/v1/progress-reports?period=2026-H2", headers=auth(cdo)).json[
        "items"
    ]
    assert sorted(item["agency"] for item in seen_by_cdo) == ["DOT", "DPH"]
    assert client.get("/api/v1/progress-reports?period=2026", headers=auth(cdo)).status_code == 422


def test_cdo_page_lists_agencies_that_have_not_reported(client, make_user, token_for, login):
    dph = token_for(make_user("steward", agencies=("DPH",)))
    for objective in ("G1.1", "G1.2", "G2.1"):
        client.post("/api/v1/progress-reports", json=report(objective=objective), headers=auth(dph))
    dot = token_for(make_user("steward", agencies=("DOT",)))
    client.post("/api/v1/progress-reports", json=report(agency="DOT"), headers=auth(dot))
    login(make_user("cdo"))

    page = client.get("/plan/progress?version=2025-2026&period=2026-H2")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    missing = html.split('class="missing-agencies"')[1].split("</ul>")[0]
    partial = html.split('class="partial-agencies"')[1].split("</ul>")[0]
    assert "(DPH)" not in missing and "(DOT)" not in missing
    assert "Department of Revenue Services (DRS)" in missing
    assert "(DOT): 1 of 3" in partial
    assert "(UNASSIGNED)" not in html
    # Another period: everyone is missing.
    other = client.get("/plan/progress?version=2025-2026&period=2026-Q1").get_data(as_text=True)
    assert "(DPH)" in other.split('class="missing-agencies"')[1].split("</ul>")[0]


def test_steward_reports_through_the_form_for_own_agency_only(client, make_user, login, app):
    login(make_user("steward", agencies=("DPH",)))
    page = client.get("/plan/progress/new?version=2025-2026")
    html = page.get_data(as_text=True)
    assert 'value="DPH"' in html and 'value="DOT"' not in html
    form = {
        "csrf_token": csrf_from(html), "agency": "DPH", "objective": "G2.1", "period": "2026-Q4",
        "status": "done", "metric_value": "100", "narrative": "All reviews complete.",
    }  # fmt: skip
    saved = client.post("/plan/progress/new?version=2025-2026", data=form)
    assert saved.status_code == 302

    refused = client.post("/plan/progress/new?version=2025-2026", data={**form, "agency": "DOT"})
    assert refused.status_code == 403
    with app.app_context():
        rows = db.session.scalars(select(ProgressReport)).all()
        assert [(r.agency.code, r.objective.key, r.period, r.metric_value) for r in rows] == [
            ("DPH", "G2.1", "2026-Q4", 100.0)
        ]


def test_plan_page_shows_progress_without_narratives(client, make_user, token_for):
    token = token_for(make_user("steward", agencies=("DPH",)))
    client.post("/api/v1/progress-reports", json=report(), headers=auth(token))
    client.post(
        "/api/v1/progress-reports",
        json=report(period="2026-H1", metric_value=10),
        headers=auth(token),
    )

    html = client.get("/plan?version=2025-2026").get_data(as_text=True)

    assert "2026-H2: 1 agency report (1 on-track); median value 62 percent against 80" in " ".join(
        html.split()
    )
    assert "Data dictionaries published" not in html


def test_progress_pages_need_sign_in_and_missing_list_needs_cdo(client, make_user, login):
    assert client.get("/plan/progress").status_code == 302
    login(make_user("steward", agencies=("DPH",)))
    html = client.get("/plan/progress").get_data(as_text=True)
    assert "have not reported" not in html
