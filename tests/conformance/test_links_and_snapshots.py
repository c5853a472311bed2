"""The link checker (on demand, cached) and dated snapshots."""

from __future__ import annotations

import responses
from sqlalchemy import func, select

from catalog.db import db
from catalog.models import ConformanceResult, ConformanceSnapshot, LinkCheck
from catalog.services.conformance import take_snapshot
from catalog.services.datasets import withdraw_dataset
from catalog.standards import current_rule_set
from tests.conformance.conftest import GOOD_PUBLIC, cdc_payload

OK_URL = "https://data.cdc.gov/api/views/8pt5-q6wp/rows.csv?accessType=DOWNLOAD"
GONE_URL = "https://data.cdc.gov/api/views/gone-gone/rows.csv?accessType=DOWNLOAD"


def _distributions() -> list[dict]:
    # The CDC entry's own CSV distribution, and a copy pointing at a removed view.
    first = dict(cdc_payload(GOOD_PUBLIC)["distribution"][0])
    gone = dict(first, downloadURL=GONE_URL)
    return [dict(first, downloadURL=OK_URL), gone]


@responses.activate
def test_links_command_checks_once_caches_and_feeds_the_rule(cdc_dataset, results, runner) -> None:
    import manage

    responses.head(OK_URL, status=200)
    responses.head(GONE_URL, status=404)
    dataset = cdc_dataset(GOOD_PUBLIC, distribution=_distributions())
    assert results(dataset.id)["by_rule"]["links-reachable"] == (
        "not_applicable",
        "2 link(s) not checked yet.",
    )

    result = runner.invoke(manage.build_cli(), ["conformance", "links", "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    assert "Checked 2 links: 1 ok, 1 broken; 1 datasets re-evaluated." in result.output
    assert results(dataset.id)["by_rule"]["links-reachable"] == (
        "fail",
        f"Link {GONE_URL} did not answer: HTTP 404.",
    )

    again = runner.invoke(manage.build_cli(), ["conformance", "links"])
    assert "Checked 0 links" in again.output  # answers younger than --max-age-hours are reused
    assert len(responses.calls) == 2


@responses.activate
def test_head_refused_falls_back_to_get(cdc_dataset, results, runner) -> None:
    import manage

    responses.head(OK_URL, status=405)
    responses.get(OK_URL, status=200, body="a,b\n1,2\n")
    first = _distributions()[0]
    dataset = cdc_dataset(GOOD_PUBLIC, distribution=[first])
    runner.invoke(manage.build_cli(), ["conformance", "links"])
    assert results(dataset.id)["by_rule"]["links-reachable"] == ("pass", "All 1 link(s) answered.")


def test_private_addresses_are_refused_unless_allowed(app_ctx) -> None:
    from catalog.services.linkcheck import check_links

    [answer] = check_links(db.session, ["http://127.0.0.1:9/data.csv"], allow_private=False)
    assert (answer.ok, answer.detail) == (False, "address refused")


def test_snapshot_is_dated_versioned_and_replaced_the_same_day(cdc_dataset, app_ctx) -> None:
    cdc_dataset(GOOD_PUBLIC)
    first = take_snapshot(db.session)
    db.session.commit()
    second = take_snapshot(db.session)
    db.session.commit()
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(ConformanceSnapshot)) == 1
    assert second.rule_set_version == current_rule_set().version
    figures = second.figures
    assert figures["agencies"]["DPH"]["datasets"] == 1
    assert set(figures["agencies"]["DPH"]["standards"]) == {
        "metadata",
        "timeliness",
        "access",
        "governance",
        "dcat-us-3-readiness",
    }
    assert figures["principles"]["P3"] == 0.0  # steward assigned: failing
    assert figures["rules"]["steward-assigned"]["fail"] == 1


def test_withdrawn_dataset_loses_its_results(cdc_dataset, app_ctx) -> None:
    dataset = cdc_dataset(GOOD_PUBLIC)
    count = (
        select(func.count())
        .select_from(ConformanceResult)
        .where(ConformanceResult.dataset_id == dataset.id)
    )
    assert db.session.scalar(count) == len(current_rule_set().rules)
    withdraw_dataset(db.session, dataset.id, "test")
    db.session.commit()
    assert db.session.scalar(count) == 0
    assert db.session.scalar(select(func.count()).select_from(LinkCheck)) == 0


def test_listener_evaluates_in_the_senders_session(cdc_dataset, app_ctx) -> None:
    from sqlalchemy import update

    from catalog import events
    from catalog.models import Dataset

    dataset = cdc_dataset(GOOD_PUBLIC)
    db.session.execute(
        update(Dataset).where(Dataset.id == dataset.id).values(steward_name="Pat Steward")
    )
    events.datasets_changed.send("reviews", ids=[dataset.id], session=db.session)
    status = db.session.scalar(
        select(ConformanceResult.status).where(
            ConformanceResult.dataset_id == dataset.id,
            ConformanceResult.rule_id == "steward-assigned",
        )
    )
    assert status == "pass"
