"""What people and machines see: the CDO dashboard, agency scorecards, exports and the API."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from catalog.db import db
from catalog.services.conformance import take_snapshot
from tests.conformance.conftest import BARE_PUBLIC, GOOD_PUBLIC, NON_PUBLIC

SECRET_TITLE = "Restricted overdose case records"


def login(client, user) -> None:
    """Sign in through the session cookie (the /login template is not this area's to test)."""
    from flask_login.utils import _create_identifier

    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_id"] = identifier


@pytest.fixture
def catalog(cdc_dataset, app):
    """Three DPH datasets from CDC entries and a snapshot."""
    made = {
        "good": cdc_dataset(GOOD_PUBLIC),
        "bare": cdc_dataset(BARE_PUBLIC, title='=HYPERLINK("http://evil.example","click")'),
        "closed": cdc_dataset(NON_PUBLIC, title=SECRET_TITLE),
    }
    with app.app_context():
        take_snapshot(db.session)
        db.session.commit()
    return made


def test_dashboard_needs_a_cdo(client, make_user, catalog) -> None:
    assert client.get("/dashboard").status_code == 302  # to the login page
    login(client, make_user("steward"))
    assert client.get("/dashboard").status_code == 403


def test_dashboard_shows_heatmap_trend_failures_and_links(client, make_user, catalog) -> None:
    login(client, make_user("cdo"))
    response = client.get("/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Agencies × standards" in page
    assert "Department of Public Health" in page or "DPH" in page
    assert "Metadata completeness" in page and "Governance" in page
    # The chart library is served from this site and gets its data from an attribute, not inline JS.
    assert "/static/vendor/chart.umd.min.js" in page
    assert "<script>" not in page
    assert 'data-chart=\'{"labels": [' in page
    assert "No steward is assigned" not in page  # messages belong to agency to-do lists
    assert "A steward is assigned" in page  # most-failed rules by title
    assert "Link health" in page and "Not checked yet" in page


def test_public_agency_page_shows_public_scorecard_only(client, catalog) -> None:
    page = client.get("/agencies/DPH").get_data(as_text=True)
    assert "Scorecard" in page
    assert "Public datasets: <strong>2</strong>" in page
    assert "To do" not in page
    assert SECRET_TITLE not in page


def test_steward_sees_todo_with_how_to_fix(client, make_user, catalog) -> None:
    login(client, make_user("steward", agencies=("DPH",)))
    page = client.get("/agencies/DPH").get_data(as_text=True)
    assert "All datasets: <strong>3</strong>" in page
    assert "To do" in page
    assert "How to fix:</strong> Name the steward responsible for the dataset" in page
    assert SECRET_TITLE in page
    assert "No sharing review has been started." in page


def test_other_agency_steward_gets_public_view(client, make_user, catalog) -> None:
    login(client, make_user("steward", agencies=("DOT",)))
    page = client.get("/agencies/DPH").get_data(as_text=True)
    assert "To do" not in page and SECRET_TITLE not in page


def test_csv_export_is_safe_from_formula_injection(client, catalog) -> None:
    response = client.get("/agencies/DPH/scorecard.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="dph-scorecard.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["dataset_id", "title", "access_level", "score"]
    titles = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","click")' in titles
    assert SECRET_TITLE not in titles  # anonymous: public datasets only
    assert "steward-assigned" in rows[0]


def test_xlsx_export_for_steward_includes_non_public(client, make_user, catalog) -> None:
    login(client, make_user("steward", agencies=("DPH",)))
    response = client.get("/agencies/DPH/scorecard.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    titles = [row[1] for row in values[1:]]
    assert SECRET_TITLE in titles
    injected = next(t for t in titles if "HYPERLINK" in t)
    assert injected.startswith("'=")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_dataset_api_includes_conformance(client, catalog) -> None:
    body = client.get(f"/api/v1/datasets/{catalog['good'].id}").json
    conformance = body["conformance"]
    assert 0 <= conformance["score"] <= 100
    by_rule = {item["rule"]: item for item in conformance["results"]}
    assert by_rule["steward-assigned"]["status"] == "fail"
    assert by_rule["steward-assigned"]["message"] == "No steward is assigned."
    assert by_rule["dcat-us-valid"]["status"] == "pass"
    assert {"rule", "status", "message"} <= set(by_rule["keywords"])


def test_standards_api_lists_rules_with_principles(client, app) -> None:
    body = client.get("/api/v1/standards").json
    keys = {item["key"] for item in body["items"]}
    assert keys == {"metadata", "timeliness", "access", "governance", "dcat-us-3-readiness"}
    scored = {item["key"]: item["scored"] for item in body["items"]}
    assert scored["dcat-us-3-readiness"] is False and scored["metadata"] is True
    rules = {rule["id"]: rule for item in body["items"] for rule in item["rules"]}
    assert rules["sharing-review-complete"]["principle"] == "P12"
    assert rules["rights-stated"]["when_access_level"] == ["restricted public", "non-public"]
    assert (
        body["rule_set_version"]
        == "access@2026.1+dcat-us-3-readiness@2026.1+governance@2026.1+metadata@2026.1"
        "+timeliness@2026.1"
    )


def test_agency_conformance_api(client, make_user, token_for, catalog) -> None:
    public = client.get("/api/v1/agencies/DPH/conformance").json
    assert public["public_only"] is True and public["datasets"] == 2
    assert {s["key"] for s in public["standards"]} == {
        "metadata",
        "timeliness",
        "access",
        "governance",
        "dcat-us-3-readiness",
    }
    assert len(public["trend"]) == 1 and public["trend"][0]["score"] is not None
    token = token_for(make_user("steward", agencies=("DPH",)))
    full = client.get(
        "/api/v1/agencies/DPH/conformance", headers={"Authorization": f"Bearer {token}"}
    ).json
    assert full["public_only"] is False and full["datasets"] == 3
    governance = next(s for s in full["standards"] if s["key"] == "governance")
    assert governance["score"] == 0.0  # no steward anywhere, no sharing review
    assert client.get("/api/v1/agencies/NOPE/conformance").status_code == 404


def test_unknown_agency_and_format_are_404(client, app) -> None:
    assert client.get("/agencies/NOPE").status_code == 404
    assert client.get("/agencies/DPH/scorecard.xls").status_code == 404
