"""A harvested record with an absurd date or a lone surrogate fails alone (or is cleaned with a
warning); the rest of the source is saved and the job succeeds."""

from __future__ import annotations

import json

import responses
from sqlalchemy import select

from catalog.db import db
from catalog.models import Dataset, HarvestRecord
from tests.conftest import FIXTURES


@responses.activate
def test_a_harvest_keeps_going_past_absurd_dates_and_lone_surrogates(make_source, harvest) -> None:
    url = "https://data.example.gov/data.json"
    document = json.loads(
        (FIXTURES / "socrata/data-json/data.cdc.gov_data.json_subset.json").read_text()
    )
    overflow, surrogate = document["dataset"][1], document["dataset"][2]
    overflow["modified"] = "9999-12-31T23:59:59-12:00"
    surrogate["title"] = "Broken \ud800 title"
    surrogate["keyword"] = ["\udfff"]
    responses.add(responses.GET, url, body=json.dumps(document))
    job = harvest(make_source(url=url))
    assert job.status == "succeeded", job.error
    assert job.added + job.failed == len(document["dataset"])
    saved = db.session.scalar(select(Dataset).where(Dataset.identifier == surrogate["identifier"]))
    assert saved is not None and saved.title == "Broken \ufffd title"
    record = db.session.scalar(
        select(HarvestRecord).where(HarvestRecord.identifier == overflow["identifier"])
    )
    problems = json.dumps(record.errors)
    assert "modified" in problems
