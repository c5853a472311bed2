"""Each default rule passes and fails where it should, with its message, on real CDC entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from catalog.db import db
from catalog.models import Dataset
from catalog.models._common import utcnow
from catalog.services.conformance import evaluate_datasets
from catalog.standards import current_rule_set
from tests.conformance.conftest import BARE_PUBLIC, GOOD_PUBLIC, NON_PUBLIC, YEARLY

STEWARD = {"name": "Pat Steward", "email": "mailto:pat.steward@ct.gov"}


def test_every_dataset_gets_a_result_per_rule_and_a_score(cdc_dataset, results, app) -> None:
    dataset = cdc_dataset(GOOD_PUBLIC)
    outcome = results(dataset.id)
    with app.app_context():
        rule_ids = {rule.id for rule in current_rule_set().rules}
    assert set(outcome["by_rule"]) == rule_ids
    assert 0 <= outcome["score"] <= 100


def test_dcat_schema_valid_entry_passes(cdc_dataset, results) -> None:
    assert results(cdc_dataset(GOOD_PUBLIC).id)["by_rule"]["dcat-us-valid"] == (
        "pass",
        "Valid DCAT-US 1.1.",
    )


@pytest.mark.usefixtures("app_ctx")
def test_dcat_schema_names_the_failing_field(cdc_dataset, results) -> None:
    # Rows written before the input schema existed (or by hand) can hold values it refuses.
    dataset = cdc_dataset(GOOD_PUBLIC)
    status, message = _after_core_update(dataset.id, results, access_level="secret")[
        "dcat-us-valid"
    ]
    assert status == "fail"
    assert message.startswith("Not valid DCAT-US 1.1: accessLevel: ")
    assert "secret" in message and "is not one of" in message


def _after_core_update(dataset_id, results, **values):
    db.session.execute(update(Dataset).where(Dataset.id == dataset_id).values(**values))
    evaluate_datasets(db.session, [dataset_id], current_rule_set())
    db.session.commit()
    return results(dataset_id)["by_rule"]


@pytest.mark.usefixtures("app_ctx")
def test_description_quality(cdc_dataset, results) -> None:
    good = cdc_dataset(GOOD_PUBLIC)
    assert results(good.id)["by_rule"]["description-quality"][0] == "pass"
    short = cdc_dataset(BARE_PUBLIC, identifier="short-1", description="Flu counts.")
    assert results(short.id)["by_rule"]["description-quality"] == (
        "fail",
        "Description is 11 characters long; at least 50 expected.",
    )
    title = "Weekly counts of influenza hospitalisations by county and age group"
    same = cdc_dataset(BARE_PUBLIC, identifier="same-1", title=title, description=title)
    assert results(same.id)["by_rule"]["description-quality"] == (
        "fail",
        "Description only repeats the title.",
    )


@pytest.mark.usefixtures("app_ctx")
def test_keywords(cdc_dataset, results) -> None:
    assert results(cdc_dataset(GOOD_PUBLIC).id)["by_rule"]["keywords"][0] == "pass"
    assert results(cdc_dataset(BARE_PUBLIC).id)["by_rule"]["keywords"] == (
        "fail",
        "Keywords is missing.",
    )
    one = cdc_dataset(BARE_PUBLIC, identifier="one-kw", keyword=["health"])
    assert results(one.id)["by_rule"]["keywords"] == (
        "fail",
        "Keywords has 1 entries; at least 2 expected.",
    )


@pytest.mark.usefixtures("app_ctx")
def test_license_from_allowed_list(cdc_dataset, results) -> None:
    assert results(cdc_dataset(GOOD_PUBLIC).id)["by_rule"]["license-allowed"] == (
        "pass",
        "License is on the allowed list.",
    )
    assert results(cdc_dataset(BARE_PUBLIC).id)["by_rule"]["license-allowed"] == (
        "fail",
        "License is missing.",
    )
    odd = cdc_dataset(
        BARE_PUBLIC, identifier="odd-license", license="https://example.com/our-terms"
    )
    assert results(odd.id)["by_rule"]["license-allowed"] == (
        "fail",
        "License 'https://example.com/our-terms' is not on the allowed list.",
    )
    closed = cdc_dataset(NON_PUBLIC)
    assert results(closed.id)["by_rule"]["license-allowed"][0] == "not_applicable"


@pytest.mark.usefixtures("app_ctx")
def test_contact_email(cdc_dataset, results) -> None:
    assert results(cdc_dataset(GOOD_PUBLIC).id)["by_rule"]["contact-email"] == (
        "pass",
        "Contact email is a valid email address.",
    )
    none = cdc_dataset(BARE_PUBLIC, contactPoint={"fn": "CDC INFO"})
    assert results(none.id)["by_rule"]["contact-email"] == ("fail", "Contact email is missing.")


@pytest.mark.usefixtures("app_ctx")
def test_rights_stated_when_not_public(cdc_dataset, results) -> None:
    closed = cdc_dataset(
        NON_PUBLIC, rights="Contains patient records; request access from the DPH data officer."
    )
    assert results(closed.id)["by_rule"]["rights-stated"] == ("pass", "Rights is present.")
    assert results(cdc_dataset(GOOD_PUBLIC).id)["by_rule"]["rights-stated"] == (
        "not_applicable",
        "Does not apply at this access level.",
    )
    by_rule = _after_core_update(closed.id, results, rights="n/a")
    assert by_rule["rights-stated"] == (
        "fail",
        "Rights is 3 characters long; at least 10 expected.",
    )


@pytest.mark.usefixtures("app_ctx")
def test_data_dictionary(cdc_dataset, results) -> None:
    assert results(cdc_dataset(GOOD_PUBLIC).id)["by_rule"]["data-dictionary"] == (
        "pass",
        "A data dictionary is linked.",
    )
    assert results(cdc_dataset(BARE_PUBLIC).id)["by_rule"]["data-dictionary"] == (
        "fail",
        "No data dictionary: neither describedBy nor column descriptions.",
    )
    columns = [{"name": "county", "type": "text", "description": "County of residence"}]
    described = cdc_dataset(BARE_PUBLIC, identifier="cols-1", columns=columns)
    assert results(described.id)["by_rule"]["data-dictionary"] == (
        "pass",
        "1 columns are described.",
    )


@pytest.mark.usefixtures("app_ctx")
def test_timeliness_against_declared_frequency(cdc_dataset, results) -> None:
    stale = cdc_dataset(YEARLY)  # R/P1Y, last modified in 2018
    status, message = results(stale.id)["by_rule"]["up-to-date"]
    assert status == "fail"
    assert "the declared frequency R/P1Y allows 549" in message
    fresh_day = (utcnow() - timedelta(days=30)).date().isoformat()
    fresh = cdc_dataset(YEARLY, identifier="fresh-1", modified=fresh_day)
    assert results(fresh.id)["by_rule"]["up-to-date"] == (
        "pass",
        "Last modified 30 days ago (within 549).",
    )
    assert results(cdc_dataset(GOOD_PUBLIC).id)["by_rule"]["up-to-date"] == (
        "not_applicable",
        "No regular update frequency is declared.",
    )


@pytest.mark.usefixtures("app_ctx")
def test_steward_assigned(cdc_dataset, results) -> None:
    assert results(cdc_dataset(GOOD_PUBLIC).id)["by_rule"]["steward-assigned"] == (
        "fail",
        "No steward is assigned.",
    )
    named = cdc_dataset(BARE_PUBLIC, steward=STEWARD)
    assert results(named.id)["by_rule"]["steward-assigned"] == ("pass", "A steward is assigned.")


@pytest.mark.usefixtures("app_ctx")
def test_sharing_review_for_non_public(cdc_dataset, results) -> None:
    closed = cdc_dataset(NON_PUBLIC)
    assert results(closed.id)["by_rule"]["sharing-review-complete"] == (
        "fail",
        "No sharing review has been started.",
    )
    by_rule = _after_core_update(closed.id, results, review_status="in_review")
    assert by_rule["sharing-review-complete"] == (
        "fail",
        "Sharing review not completed (state: in review).",
    )
    for done in ("resolved_agreement", "resolved_deidentified", "resolved_statute", "restricted"):
        by_rule = _after_core_update(closed.id, results, review_status=done)
        assert by_rule["sharing-review-complete"][0] == "pass", done
    assert (
        results(cdc_dataset(GOOD_PUBLIC).id)["by_rule"]["sharing-review-complete"][0]
        == "not_applicable"
    )


@pytest.mark.usefixtures("app_ctx")
def test_score_rises_when_a_failing_rule_is_fixed(cdc_dataset, results, app) -> None:
    from catalog.services.datasets import update_dataset

    dataset = cdc_dataset(GOOD_PUBLIC)
    before = results(dataset.id)["score"]
    update_dataset(db.session, dataset.id, {"steward": STEWARD}, "test")
    db.session.commit()
    after = results(dataset.id)
    assert after["by_rule"]["steward-assigned"][0] == "pass"
    assert after["score"] > before
    # The score is written with a Core UPDATE: the version counter moved only for the edit.
    assert db.session.get(Dataset, dataset.id).version == 2
