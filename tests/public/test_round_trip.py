"""Round trip: this catalog's data.json, read back, reproduces the records it was made from."""

from __future__ import annotations

import importlib
import json

import pytest
from sqlalchemy import delete, select

from catalog.db import db
from catalog.dcat.records import ExportContext
from catalog.exports.catalogs import iter_catalog, prepare
from catalog.models import DCAT_FIELDS, Dataset
from catalog.services.datasets import snapshot, validate_dataset

# Fields data.json does not carry (the data dictionary travels as describedBy, not inline).
NOT_IN_DATA_JSON = {"columns"}
# What an anonymous visitor does not see of a dataset that is not public.
HIDDEN_WHEN_NOT_PUBLIC = {"described_by", "described_by_type", "system_of_records"}


def export(app) -> dict:
    with app.app_context():
        ctx = ExportContext(base_url="https://catalog.example/")
        prepare(db.session, "data.json", ctx)
        db.session.commit()
        text = "".join(iter_catalog(db.session, "data.json", ctx))
    return json.loads(text)


def stored(app) -> dict[str, dict]:
    with app.app_context():
        return {d.identifier: snapshot(d) for d in db.session.scalars(select(Dataset))}


def comparable(values: dict, agency_name: str) -> dict:
    """DCAT values with empties unified; a missing publisher is the agency (as data.json says)."""
    out = {}
    for field in DCAT_FIELDS:
        if field in NOT_IN_DATA_JSON or field == "identifier":
            continue
        value = values.get(field)
        out[field] = None if value in ([], "", None) else value
    out["publisher_name"] = out["publisher_name"] or agency_name
    out["distribution"] = [
        {k: v for k, v in dist.items() if v is not None}
        for dist in values.get("distribution") or []
    ]
    return out


def expected_public_view(values: dict, access_level: str) -> dict:
    """What the public data.json can reproduce of a record."""
    if access_level == "public":
        return values
    values = dict(values)
    for field in HIDDEN_WHEN_NOT_PUBLIC:
        values[field] = None
    values["distribution"] = []
    values.pop("landing_page")  # points at the catalog's page when the record has none
    return values


def test_data_json_parsed_by_the_input_schema_reproduces_the_records(app, mixed_catalog):
    before = stored(app)
    doc = export(app)

    assert {entry["identifier"] for entry in doc["dataset"]} == {
        "ct-dph-discharges",
        "ct-dph-births",
        "ct-dph-immunizations",
    }
    for entry in doc["dataset"]:
        loaded = validate_dataset(entry)
        original = before[entry["identifier"]]
        level = original["access_level"]
        want = expected_public_view(comparable(original, "Department of Public Health"), level)
        got = comparable(loaded, "Department of Public Health")
        if level != "public":
            got.pop("landing_page")
        assert got == want, entry["identifier"]


def _harvest_cli():
    """The CLI with the dcat-us harvester behind it, or a skip saying what is missing."""
    try:
        harvesters = importlib.import_module("harvesters")
    except ImportError:
        pytest.skip("harvesters package not present yet (area: harvest)")
    try:
        importlib.import_module("harvesters.dcat_us")
    except ImportError:
        registry = getattr(harvesters, "REGISTRY", None)
        if not registry or "dcat-us" not in registry:
            pytest.skip("no dcat-us harvester yet (harvesters.dcat_us or REGISTRY['dcat-us'])")
    from manage import build_cli

    return build_cli()


def test_own_data_json_harvested_by_the_dcat_us_harvester_reproduces_the_records(
    app, runner, mixed_catalog, tmp_path
):
    cli = _harvest_cli()
    before = stored(app)
    path = tmp_path / "data.json"
    path.write_text(json.dumps(export(app)))
    # Start from an empty inventory so that every record comes back through the harvester.
    with app.app_context():
        db.session.execute(delete(Dataset))
        db.session.commit()

    result = runner.invoke(
        cli, ["sources", "add", "self", "--kind", "dcat-us", "--url", str(path), "--agency", "DPH"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["harvest", "self"])
    assert result.exit_code == 0, result.output

    after = stored(app)
    assert set(after) == {"ct-dph-discharges", "ct-dph-births", "ct-dph-immunizations"}
    for identifier, values in after.items():
        original = before[identifier]
        level = original["access_level"]
        want = expected_public_view(comparable(original, "Department of Public Health"), level)
        got = comparable(values, "Department of Public Health")
        if level != "public":
            got.pop("landing_page")
        assert values["agency"] == "DPH"
        assert got == want, identifier
