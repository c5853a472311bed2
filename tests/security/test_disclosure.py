"""What the public and other agencies may not learn: source paths, addresses and error internals;
the raw rows of another agency's failed records; anything about the hidden fields of a
non-public dataset through its conformance messages; a non-public address through an identifier.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import Dataset, HarvestJob, HarvestRecord, HarvestSource
from catalog.services.conformance import evaluate_datasets
from catalog.services.harvest import add_source
from catalog.standards import current_rule_set
from config.settings import CONFIG_DIR
from harvesters.runner import run_harvest
from tests.conftest import FIXTURES

SECRET = "7731"
SOURCE_PATH = f"/srv/inventories/dph-{SECRET}.xlsx"
SQL_ERROR = f'psycopg.errors.UniqueViolation: duplicate key value violates "ix_{SECRET}"'


@pytest.fixture
def failed_source(app, make_user, token_for):
    # No app context left pushed: each request gets its own (and its own ``g``).
    with app.app_context():
        return _failed_source(make_user, token_for)


def _failed_source(make_user, token_for):
    source = HarvestSource(
        name="dph-inventory", kind="inventory", url=SOURCE_PATH, agency_code="DPH",
        mapping={"columns": {"title": "name"}},
    )  # fmt: skip
    job = HarvestJob(source=source, status="failed", error=SQL_ERROR, failed=1)
    db.session.add(job)
    db.session.flush()
    db.session.add(
        HarvestRecord(
            job_id=job.id, identifier="row-1", title="Row 1", outcome="failed",
            raw={"name": "Row 1", "ssn_column": f"secret {SECRET}"},
            errors=[{"severity": "error", "type": "schema", "message": "bad"}],
        )
    )  # fmt: skip
    db.session.commit()
    tokens = {
        role: token_for(make_user(role, agencies=agencies))
        for role, agencies in (("steward", ("DPH",)), ("cdo", ()))
    }
    tokens["other"] = token_for(make_user("steward", agencies=("DOT",)))
    return job.id, tokens


def _get(client, url: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers)


def test_anonymous_users_see_name_kind_agency_and_outcome_only(client, failed_source) -> None:
    _job_id, tokens = failed_source
    response = _get(client, "/api/v1/harvest/sources")
    assert SECRET not in response.get_data(as_text=True)
    [item] = response.json["items"]
    assert (item["name"], item["kind"], item["agency"]) == ("dph-inventory", "inventory", "DPH")
    assert item["last_job"]["status"] == "failed" and item["last_job"]["counts"]["failed"] == 1
    assert item["url"] is None and "error" not in item["last_job"]
    as_steward = _get(client, "/api/v1/harvest/sources", tokens["steward"]).json["items"][0]
    assert as_steward["url"] == SOURCE_PATH and as_steward["last_job"]["error"] == SQL_ERROR


def test_job_error_internals_are_not_public(client, failed_source) -> None:
    job_id, tokens = failed_source
    body = _get(client, f"/api/v1/harvest/jobs/{job_id}").get_data(as_text=True)
    assert SECRET not in body
    assert _get(client, f"/api/v1/harvest/jobs/{job_id}", tokens["cdo"]).json["error"] == SQL_ERROR


def test_raw_failed_rows_only_for_the_source_agency_and_the_cdo(client, failed_source) -> None:
    job_id, tokens = failed_source
    url = f"/api/v1/harvest/jobs/{job_id}"
    for who in (None, tokens["other"]):
        [item] = _get(client, url, who).json["records"]["items"]
        assert "raw" not in item
        assert SECRET not in _get(client, url, who).get_data(as_text=True)
    for who in (tokens["steward"], tokens["cdo"]):
        [item] = _get(client, url, who).json["records"]["items"]
        assert item["raw"]["ssn_column"] == f"secret {SECRET}"


@pytest.fixture
def registry(app, make_dataset):
    """A non-public dataset with a steward, a data dictionary and an unchecked link."""
    with app.app_context():
        return _registry(make_dataset)


def _registry(make_dataset):
    dataset = make_dataset(
        title="Immunization registry extract", accessLevel="non-public",
        rights="Protected health information (HIPAA).", describedBy="https://internal.ct.gov/dd",
        steward={"name": "Pat", "email": "pat@dph.ct.gov"},
        distribution=[{"accessURL": "https://internal.ct.gov/extract"}],
    )  # fmt: skip
    evaluate_datasets(db.session, [dataset.id], current_rule_set())
    db.session.commit()
    return dataset


# Messages (not rule titles) that would tell what the hidden fields hold.
TELLING = ("steward is assigned.", "dictionary is linked.", "not checked yet", "columns are")


def test_conformance_messages_reveal_nothing_about_hidden_fields(client, registry) -> None:
    body = client.get(f"/api/v1/datasets/{registry.id}").json["conformance"]
    by_rule = {item["rule"]: item for item in body["results"]}
    text = " ".join(item["message"] for item in body["results"])
    assert not any(phrase in text for phrase in TELLING), text
    for rule in ("steward-assigned", "data-dictionary", "links-reachable"):
        assert by_rule[rule]["status"] == "withheld"
    assert by_rule["keywords"]["status"] in ("pass", "fail")  # visible fields still shown
    page = client.get(f"/datasets/{registry.id}").get_data(as_text=True)
    assert not any(phrase in page for phrase in TELLING)


def test_the_datasets_stewards_see_every_message(client, registry, make_user, token_for) -> None:
    token = token_for(make_user("steward", agencies=("DPH",)))
    body = _get(client, f"/api/v1/datasets/{registry.id}", token).json["conformance"]
    text = json.dumps(body)
    assert "A steward is assigned" in text and "A data dictionary is linked" in text


def test_identifiers_are_never_built_from_non_public_urls(app_ctx, client, tmp_path) -> None:
    frame = pd.read_csv(
        FIXTURES / "inventories" / "dayton-montgomery-oh_master_catalog.csv",
        dtype=str, keep_default_na=False,
    ).head(3)  # fmt: skip
    frame.loc[0, "access"] = "No"
    frame.loc[0, "url"] = f"https://gis.internal.dayton.example/{SECRET}/FeatureServer"
    path = tmp_path / "inventory.csv"
    frame.to_csv(path, index=False)
    mapping = Path(CONFIG_DIR) / "inventory_mappings" / "dayton-montgomery-oh.toml"
    source = add_source(db.session, "dayton", "inventory", str(path), "test",
                        agency_code="OPM", mapping_path=mapping)  # fmt: skip
    db.session.commit()
    job = run_harvest(db.session, source, {**app_ctx.config, "HARVEST_WORKERS": 0})
    assert job.status == "succeeded", job.error
    hidden = db.session.scalar(select(Dataset).where(Dataset.access_level == "non-public"))
    assert hidden is not None and SECRET not in hidden.identifier
    for url in ("/data.json", "/datasets.csv", f"/api/v1/datasets/{hidden.id}"):
        assert SECRET not in client.get(url).get_data(as_text=True), url


def test_harvest_pages_show_addresses_and_errors_to_the_sources_stewards_only(
    app, client, failed_source, make_user
) -> None:
    """The staff pages follow the API's rule: another agency's steward sees the source and its
    outcome, not its file path or the failure's internals."""
    from tests.web.test_steward_forms import sign_in

    job_id, _tokens = failed_source
    pages = ("/harvest/", "/harvest/sources/dph-inventory", f"/harvest/jobs/{job_id}")
    make_user("steward", agencies=("DOT",), email="dot.reader@dot.ct.gov")
    sign_in(client, "dot.reader@dot.ct.gov")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200 and "dph-inventory" in response.text, url
        assert SECRET not in response.text, url
    owner = make_user("steward", agencies=("DPH",), email="dph.owner@dph.ct.gov")
    fresh = app.test_client()
    sign_in(fresh, owner.email)
    assert SOURCE_PATH in fresh.get("/harvest/sources/dph-inventory").text
    assert "UniqueViolation" in fresh.get(f"/harvest/jobs/{job_id}").text
