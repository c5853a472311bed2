"""A steward's work is never undone by a harvest: overrides, and changes held for sign-off."""

from __future__ import annotations

import json

import pytest
import responses
from flask import g
from sqlalchemy import select

from catalog.db import db
from catalog.models import AuditEvent, Dataset, FieldOverride, PendingChange
from tests.harvesters.conftest import dataset_by_identifier
from tests.harvesters.test_dcat_us import CDC, serve

RIGHTS = "Contains small counts that could identify patients; request access from the DPH."
LICENSE = "https://opendatacommons.org/licenses/odbl/1-0/"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def mocked_http():
    responses.start()
    yield
    responses.stop()
    responses.reset()


@pytest.fixture
def cdc(mocked_http, make_source, harvest):
    """The CDC data.json harvested once into DPH; returns (document, source, run)."""
    document = json.loads(CDC.read_text())
    serve(json.dumps(document))
    source = make_source(agency_code="DPH")

    def run():
        serve(json.dumps(document))
        job = harvest(source)
        assert job.status == "succeeded", job.error
        return job

    run()
    return document, source, run


@pytest.fixture
def steward(make_user, token_for):
    user = make_user("steward", agencies=("DPH",), email="pat@dph.ct.gov")
    return token_for(user)


def public_entries(document: dict) -> list[dict]:
    return [e for e in document["dataset"] if e["accessLevel"] == "public"]


def pending(dataset_id: str) -> dict[str, object]:
    rows = db.session.scalars(select(PendingChange).where(PendingChange.dataset_id == dataset_id))
    return {row.field: row.proposed for row in rows}


def actions(dataset_id: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_id == dataset_id)
            .order_by(AuditEvent.id)
        )
    )


def test_an_override_and_a_pending_change_survive_three_harvests(cdc, client, steward):
    document, _source, run = cdc
    retitled, governed = public_entries(document)[:2]
    a = dataset_by_identifier(retitled["identifier"]).id
    b = dataset_by_identifier(governed["identifier"]).id
    rights_before = db.session.get(Dataset, b).rights
    response = client.patch(
        f"/api/v1/datasets/{a}", json={"title": "Filament emissions (steward's title)"},
        headers=auth(steward),
    )  # fmt: skip
    assert response.status_code == 200, response.json

    # Upstream: A gets a new title and description; B becomes non-public with rights and an
    # other licence, and a new description.
    retitled.update(title="Upstream title 1", description="Upstream description 1.")
    governed.update(accessLevel="non-public", rights=RIGHTS, license=LICENSE)
    governed["description"] = "Upstream description of B."
    for harvest_number in (1, 2, 3):
        if harvest_number == 3:
            retitled["title"] = "Upstream title 2"  # the source changes its mind again
        job = run()
        db.session.expire_all()
        first, second = db.session.get(Dataset, a), db.session.get(Dataset, b)
        assert first.title == "Filament emissions (steward's title)"
        assert first.description == "Upstream description 1."  # not overridden: follows
        assert (second.access_level, second.rights) == ("public", rights_before)
        assert second.license != LICENSE
        assert second.description == "Upstream description of B."
        assert pending(b) == {"access_level": "non-public", "rights": RIGHTS, "license": LICENSE}
        override = db.session.scalar(select(FieldOverride).where(FieldOverride.dataset_id == a))
        assert override.field == "title" and override.source_value == retitled["title"]
        if harvest_number == 2:
            assert (job.updated, job.unchanged) == (0, 60)
    # One proposal event, when the change first appeared: later harvests do not raise it again.
    assert actions(b).count("dataset.change_proposed") == 1

    body = client.get(f"/api/v1/datasets/{b}", headers=auth(steward)).json
    proposals = {p["field"]: p for p in body["pending_changes"]}
    assert set(proposals) == {"accessLevel", "rights", "license"}
    assert proposals["accessLevel"]["current"] == "public"
    assert proposals["accessLevel"]["proposed"] == "non-public"
    assert proposals["accessLevel"]["source"] == "src" and proposals["accessLevel"]["job"]
    assert proposals["accessLevel"]["detected"].endswith("Z")
    title = client.get(f"/api/v1/datasets/{a}", headers=auth(steward)).json["overrides"][0]
    assert (title["field"], title["source_value"]) == ("title", "Upstream title 2")
    g.pop("api_user", None)  # requests share the test's app context (and its ``g``)
    assert "pending_changes" not in client.get(f"/api/v1/datasets/{b}").json  # anonymous


def test_accepted_changes_apply_and_a_rejected_one_is_not_raised_again(cdc, client, steward):
    document, _source, run = cdc
    entry = public_entries(document)[0]
    dataset_id = dataset_by_identifier(entry["identifier"]).id
    entry.update(accessLevel="restricted public", rights=RIGHTS, license=LICENSE)
    run()

    def decide(field: str, decision: str):
        return client.post(
            f"/api/v1/datasets/{dataset_id}/pending-changes",
            json={"field": field, "decision": decision},
            headers=auth(steward),
        )

    # Accepting the access level first would leave a restricted dataset without rights.
    refused = decide("accessLevel", "accept")
    assert refused.status_code == 422 and "rights" in json.dumps(refused.json)
    assert decide("rights", "accept").status_code == 200
    body = decide("accessLevel", "accept").json
    assert (body["accessLevel"], body["rights"]) == ("restricted public", RIGHTS)
    body = decide("license", "reject").json
    assert body.get("license") != LICENSE and body["pending_changes"] == []
    assert decide("license", "reject").status_code == 404  # nothing left to decide
    assert actions(dataset_id)[-3:] == [
        "dataset.pending_change.accept",
        "dataset.pending_change.accept",
        "dataset.pending_change.reject",
    ]

    entry["modified"] = "2026-11-30"  # the record changes again, the licence does not
    job = run()
    assert job.updated == 1
    assert pending(dataset_id) == {}  # the rejected licence is not proposed again
    entry["license"] = "https://creativecommons.org/licenses/by/4.0/"
    run()
    assert pending(dataset_id) == {"license": "https://creativecommons.org/licenses/by/4.0/"}


def test_an_access_change_upstream_leaves_a_stewards_description_edit_alone(cdc, client, steward):
    document, _source, run = cdc
    entry = public_entries(document)[0]
    dataset_id = dataset_by_identifier(entry["identifier"]).id
    edited = client.patch(
        f"/api/v1/datasets/{dataset_id}", json={"description": "Reviewed by the DPH steward."},
        headers=auth(steward),
    )  # fmt: skip
    assert edited.status_code == 200
    entry.update(accessLevel="non-public", rights=RIGHTS, license=LICENSE)
    entry["description"] = entry["description"] + " (updated upstream)"
    run()
    db.session.expire_all()
    dataset = db.session.get(Dataset, dataset_id)
    assert dataset.description == "Reviewed by the DPH steward."
    assert dataset.access_level == "public" and dataset.license != LICENSE
    assert set(pending(dataset_id)) == {"access_level", "rights", "license"}


def test_following_the_source_again_drops_the_override(cdc, client, steward):
    document, _source, run = cdc
    entry = public_entries(document)[0]
    dataset_id = dataset_by_identifier(entry["identifier"]).id
    client.patch(
        f"/api/v1/datasets/{dataset_id}", json={"title": "Local title"}, headers=auth(steward)
    )
    entry["title"] = "Upstream title"
    run()
    assert client.get(f"/api/v1/datasets/{dataset_id}").json["title"] == "Local title"
    response = client.delete(
        f"/api/v1/datasets/{dataset_id}/overrides/title", headers=auth(steward)
    )
    assert response.status_code == 200
    assert response.json["title"] == "Upstream title" and response.json["overrides"] == []
    entry["title"] = "Upstream title, later"
    run()
    assert client.get(f"/api/v1/datasets/{dataset_id}").json["title"] == "Upstream title, later"
    assert "dataset.follow_source" in actions(dataset_id)


def test_only_the_datasets_stewards_and_the_cdo_decide(cdc, client, make_user, token_for):
    document, _source, run = cdc
    entry = public_entries(document)[0]
    dataset_id = dataset_by_identifier(entry["identifier"]).id
    entry["license"] = LICENSE
    run()
    other = token_for(make_user("steward", agencies=("DOT",)))
    decision = {"field": "license", "decision": "accept"}
    url = f"/api/v1/datasets/{dataset_id}/pending-changes"
    assert client.post(url, json=decision, headers=auth(other)).status_code == 403
    assert client.post(url, json=decision).status_code == 401
    assert (
        "pending_changes"
        not in client.get(f"/api/v1/datasets/{dataset_id}", headers=auth(other)).json
    )
    cdo = token_for(make_user("cdo"))
    bad = client.post(url, json={"field": "license", "decision": "maybe"}, headers=auth(cdo))
    assert bad.status_code == 422
    assert client.post(url, json=decision, headers=auth(cdo)).json["license"] == LICENSE


def test_batch_audit_events_record_what_a_single_create_records(cdc, make_dataset):
    document, _source, _run = cdc
    harvested = dataset_by_identifier(document["dataset"][0]["identifier"])
    by_hand = make_dataset()
    after = {
        d: db.session.scalar(
            select(AuditEvent.after).where(
                AuditEvent.entity_id == d, AuditEvent.action == "dataset.create"
            )
        )
        for d in (harvested.id, by_hand.id)
    }
    assert set(after[harvested.id]) == set(after[by_hand.id])  # governance keys included
    assert after[harvested.id]["agency"] == "DPH"
