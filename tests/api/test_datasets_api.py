"""The dataset API as a client sees it: status codes, error bodies, audit trail, versions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import AuditEvent
from tests.conftest import dataset_payload


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def steward_token(make_user, token_for):
    return token_for(make_user("steward", agencies=("DPH",), email="steward@dph.ct.gov"))


def test_steward_registers_dataset_for_own_agency(client, steward_token, app):
    response = client.post("/api/v1/datasets", json=dataset_payload(), headers=auth(steward_token))

    assert response.status_code == 201, response.json
    body = response.json
    assert body["title"] == "Hospital discharges by town"
    assert body["agency"] == "DPH"
    assert body["publisher"]["name"] == "Department of Public Health"
    assert body["contactPoint"]["hasEmail"] == "mailto:data.officer@ct.gov"
    assert body["status"] == "active" and body["version"] == 1
    assert response.headers["Location"].endswith(f"/api/v1/datasets/{body['id']}")
    assert client.get(f"/api/v1/datasets/{body['id']}").json["title"] == body["title"]
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == body["id"])
        ).one()
        assert event.actor_label == "steward@dph.ct.gov"
        assert event.action == "dataset.create"
        assert event.before is None and event.after["title"] == body["title"]


def test_steward_of_another_agency_gets_403(client, steward_token):
    response = client.post(
        "/api/v1/datasets", json=dataset_payload(agency="DOT"), headers=auth(steward_token)
    )
    assert response.status_code == 403
    assert "DOT" in response.json["errors"]["agency"][0]
    assert client.get("/api/v1/datasets").json["total"] == 0


def test_no_token_gets_401_and_bad_token_gets_401(client):
    assert client.post("/api/v1/datasets", json=dataset_payload()).status_code == 401
    response = client.post(
        "/api/v1/datasets", json=dataset_payload(), headers=auth("ctdc_not-a-real-token")
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "errors" in response.json


def test_body_that_is_not_json_gets_400(client, steward_token):
    response = client.post(
        "/api/v1/datasets",
        data="title=Hello",
        headers={**auth(steward_token), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json["errors"]["_body"]
    broken = client.post(
        "/api/v1/datasets",
        data='{"title": ',
        headers={**auth(steward_token), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400


def test_missing_title_gets_422_with_field_message(client, steward_token):
    response = client.post(
        "/api/v1/datasets", json=dataset_payload(title=None), headers=auth(steward_token)
    )
    assert response.status_code == 422
    assert response.json == {"errors": {"title": ["Missing data for required field."]}}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"accessLevel": "open"}, "accessLevel"),
        ({"accessLevel": "non-public"}, "rights"),
        ({"modified": "May 2024"}, "modified"),
        ({"accrualPeriodicity": "monthly"}, "accrualPeriodicity"),
        (
            {"contactPoint": {"fn": "Office", "hasEmail": "mailto:not-an-email"}},
            "contactPoint.hasEmail",
        ),
        ({"contactPoint": {"hasEmail": "mailto:a@ct.gov"}}, "contactPoint.fn"),
        ({"landingPage": "javascript:alert(1)"}, "landingPage"),
        ({"keyword": "health"}, "keyword"),
        (
            {"distribution": [{"downloadURL": "https://data.ct.gov/x.csv"}]},
            "distribution.0.mediaType",
        ),
        ({"agency": "NOPE"}, "agency"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_dcat_rules_are_enforced_with_field_messages(client, steward_token, overrides, field):
    response = client.post(
        "/api/v1/datasets", json=dataset_payload(**overrides), headers=auth(steward_token)
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert all(isinstance(m, str) and m for m in response.json["errors"][field])


def test_non_public_dataset_with_rights_is_accepted(client, steward_token):
    response = client.post(
        "/api/v1/datasets",
        json=dataset_payload(
            accessLevel="non-public", rights="Contains protected health information (HIPAA)."
        ),
        headers=auth(steward_token),
    )
    assert response.status_code == 201
    assert response.json["accessLevel"] == "non-public"


def test_duplicate_identifier_gets_409(client, steward_token):
    body = dataset_payload(identifier="dph-hospital-discharges")
    assert (
        client.post("/api/v1/datasets", json=body, headers=auth(steward_token)).status_code == 201
    )
    again = client.post("/api/v1/datasets", json=body, headers=auth(steward_token))
    assert again.status_code == 409
    assert "identifier" in again.json["errors"]


def test_patch_changes_fields_and_audits_before_and_after(client, steward_token, app):
    created = client.post(
        "/api/v1/datasets", json=dataset_payload(), headers=auth(steward_token)
    ).json

    response = client.patch(
        f"/api/v1/datasets/{created['id']}",
        json={"title": "Hospital discharges by town, 2010-2023", "version": 1},
        headers=auth(steward_token),
    )

    assert response.status_code == 200, response.json
    assert response.json["title"] == "Hospital discharges by town, 2010-2023"
    assert response.json["version"] == 2
    assert response.json["keyword"] == ["health", "hospitals"]  # untouched fields kept
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dataset.update")
        ).one()
        assert event.actor_label == "steward@dph.ct.gov"
        assert event.before == {"title": "Hospital discharges by town"}
        assert event.after == {"title": "Hospital discharges by town, 2010-2023"}


def test_edit_against_stale_version_gets_409_and_changes_nothing(client, steward_token):
    created = client.post(
        "/api/v1/datasets", json=dataset_payload(), headers=auth(steward_token)
    ).json
    url = f"/api/v1/datasets/{created['id']}"
    first = client.patch(
        url, json={"title": "First edit", "version": 1}, headers=auth(steward_token)
    )
    assert first.status_code == 200

    stale = client.patch(
        url, json={"title": "Second edit", "version": 1}, headers=auth(steward_token)
    )

    assert stale.status_code == 409
    assert "version" in stale.json["errors"]
    assert client.get(url).json["title"] == "First edit"
    via_header = client.patch(
        url, json={"title": "Third"}, headers={**auth(steward_token), "If-Match": '"1"'}
    )
    assert via_header.status_code == 409


def test_patch_by_steward_of_other_agency_gets_403(client, make_user, token_for, make_dataset):
    dataset = make_dataset(agency="DOT")
    token = token_for(make_user("steward", agencies=("DPH",)))
    response = client.patch(
        f"/api/v1/datasets/{dataset.id}", json={"title": "x"}, headers=auth(token)
    )
    assert response.status_code == 403


def test_patch_cannot_move_dataset_to_an_agency_not_stewarded(client, steward_token, make_dataset):
    dataset = make_dataset(agency="DPH")
    response = client.patch(
        f"/api/v1/datasets/{dataset.id}", json={"agency": "DOT"}, headers=auth(steward_token)
    )
    assert response.status_code == 403
    assert client.get(f"/api/v1/datasets/{dataset.id}").json["agency"] == "DPH"


def test_cdo_edits_any_agency(client, make_user, token_for, make_dataset):
    dataset = make_dataset(agency="DOT")
    token = token_for(make_user("cdo"))
    response = client.patch(
        f"/api/v1/datasets/{dataset.id}", json={"keyword": ["roads"]}, headers=auth(token)
    )
    assert response.status_code == 200
    assert response.json["keyword"] == ["roads"]


def test_patch_making_dataset_non_public_needs_rights(client, steward_token, make_dataset):
    dataset = make_dataset(agency="DPH")
    url = f"/api/v1/datasets/{dataset.id}"
    refused = client.patch(url, json={"accessLevel": "non-public"}, headers=auth(steward_token))
    assert refused.status_code == 422
    assert "rights" in refused.json["errors"]
    ok = client.patch(
        url,
        json={"accessLevel": "non-public", "rights": "Personal data under CGS 4-190."},
        headers=auth(steward_token),
    )
    assert ok.status_code == 200


def test_withdrawn_dataset_leaves_the_list_but_stays_readable(client, steward_token, make_dataset):
    keep = make_dataset(title="Kept")
    gone = make_dataset(title="Gone")
    response = client.patch(
        f"/api/v1/datasets/{gone.id}", json={"status": "withdrawn"}, headers=auth(steward_token)
    )
    assert response.status_code == 200
    assert response.json["status"] == "withdrawn" and "withdrawn" in response.json

    listed = client.get("/api/v1/datasets").json
    assert [item["id"] for item in listed["items"]] == [keep.id]
    assert client.get(f"/api/v1/datasets/{gone.id}").json["status"] == "withdrawn"
    everything = client.get("/api/v1/datasets?include_withdrawn=1").json
    assert everything["total"] == 2


def test_unknown_dataset_is_404_json(client):
    response = client.get("/api/v1/datasets/does-not-exist")
    assert response.status_code == 404
    assert "errors" in response.json


def test_list_pages_and_rejects_bad_paging(client, make_dataset):
    for number in range(5):
        make_dataset(title=f"Dataset {number}")
    first = client.get("/api/v1/datasets?per_page=2&page=1").json
    last = client.get("/api/v1/datasets?per_page=2&page=3").json
    assert first["total"] == 5 and len(first["items"]) == 2 and len(last["items"]) == 1
    assert {"total", "page", "per_page", "items", "facets"} <= set(first)
    assert client.get("/api/v1/datasets?per_page=1000").status_code == 400
    assert client.get("/api/v1/datasets?page=zero").status_code == 400


def test_anonymous_never_sees_internal_details(client, make_dataset, make_user, token_for):
    dataset = make_dataset(
        accessLevel="non-public",
        rights="Protected health information (HIPAA, 45 CFR 164).",
        notes="Counsel reviewing DUA with DSS; do not share.",
        steward={"name": "Pat Steward", "email": "pat@ct.gov"},
        distribution=[{"downloadURL": "https://internal.ct.gov/x.csv", "mediaType": "text/csv"}],
    )
    anonymous = client.get(f"/api/v1/datasets/{dataset.id}").json
    assert anonymous["rights"].startswith("Protected health")
    for hidden in ("notes", "steward", "distribution"):
        assert hidden not in anonymous
    assert "DUA" not in str(anonymous)

    other = token_for(make_user("steward", agencies=("DOT",)))
    assert "notes" not in client.get(f"/api/v1/datasets/{dataset.id}", headers=auth(other)).json
    owner = token_for(make_user("steward", agencies=("DPH",)))
    seen = client.get(f"/api/v1/datasets/{dataset.id}", headers=auth(owner)).json
    assert seen["notes"].startswith("Counsel") and seen["steward"]["name"] == "Pat Steward"
    assert seen["distribution"][0]["downloadURL"] == "https://internal.ct.gov/x.csv"


def test_agencies_are_listed(client):
    codes = {item["code"] for item in client.get("/api/v1/agencies").json["items"]}
    assert {"DPH", "DOT", "OPM", "UNASSIGNED"} <= codes
