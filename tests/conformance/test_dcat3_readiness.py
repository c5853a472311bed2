"""DCAT-US 3.0 readiness: per-dataset results on what the record itself lacks for 3.0, shown
per agency on the dashboard, not counted in dataset scores."""

from __future__ import annotations

from sqlalchemy import select

from catalog.db import db
from catalog.models import ConformanceResult, Dataset
from catalog.services.conformance import take_snapshot
from catalog.services.datasets import create_dataset
from tests.conformance.test_pages_and_api import login
from tests.conftest import dataset_payload


def _results(dataset_id: str) -> dict[str, tuple[str, str]]:
    rows = db.session.execute(
        select(
            ConformanceResult.rule_id, ConformanceResult.status, ConformanceResult.message
        ).where(ConformanceResult.dataset_id == dataset_id)
    )
    return {rule: (status, message) for rule, status, message in rows}


def test_readiness_names_what_a_record_lacks_for_3_0(app_ctx) -> None:
    ready = create_dataset(
        db.session,
        dataset_payload(
            identifier="ready", accrualPeriodicity="R/P1M", temporal="2020-01-01/2024-12-31"
        ),
        "test",
    )
    lacking = create_dataset(
        db.session,
        dataset_payload(identifier="lacking", contactPoint={"fn": "Desk"}, modified="R/P1Y"),
        "test",
    )
    db.session.commit()

    good, bad = _results(ready.id), _results(lacking.id)

    assert good["dcat3-valid"] == ("pass", "Valid DCAT-US 3.0.")
    assert good["dcat3-modified-date"][0] == good["dcat3-frequency"][0] == "pass"
    assert bad["dcat3-valid"][0] == "fail" and "contactPoint" in bad["dcat3-valid"][1]
    assert bad["dcat3-contact-email"][0] == "fail"
    assert bad["dcat3-modified-date"][0] == "fail"
    assert bad["dcat3-temporal"][0] == "not_applicable"
    # The 1.1 rule set still passes this record: readiness is about 3.0 only.
    assert bad["dcat-us-valid"][0] == "pass"


def test_readiness_does_not_change_scores_and_shows_per_agency(app_ctx, client, make_user) -> None:
    dataset = create_dataset(
        db.session,
        dataset_payload(identifier="lacking", contactPoint={"fn": "Desk"}, modified="R/P1Y"),
        "test",
    )
    db.session.commit()
    scored = [r for r in _results(dataset.id) if r.startswith("dcat3-")]
    assert scored  # evaluated...
    # ...but the score is the same as with the readiness results left out: recompute it.
    from catalog.services.conformance import score
    from catalog.standards import current_rule_set

    by_rule = _results(dataset.id)
    weights = {r.id: r.weight for r in current_rule_set().rules if r.scored}
    expected = score((by_rule[rule][0], weight) for rule, weight in weights.items())
    stored = db.session.scalar(select(Dataset.conformance_score).where(Dataset.id == dataset.id))
    assert stored == expected

    take_snapshot(db.session)
    db.session.commit()
    login(client, make_user("cdo"))
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<th scope="col">DCAT-US 3.0 readiness</th>' in page
