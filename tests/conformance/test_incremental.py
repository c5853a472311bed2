"""Re-evaluating changed datasets writes only the outcomes that changed: what is stored afterwards
equals a full evaluation from scratch, after edits, withdrawals and restores."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import ConformanceResult, Dataset
from catalog.services.conformance import evaluate_all
from catalog.services.datasets import restore_dataset, update_dataset, withdraw_dataset
from catalog.standards import current_rule_set
from tests.conformance.conftest import BARE_PUBLIC, GOOD_PUBLIC, NON_PUBLIC, YEARLY


def stored() -> tuple[set, dict]:
    rows = db.session.execute(
        select(
            ConformanceResult.dataset_id, ConformanceResult.rule_id, ConformanceResult.status,
            ConformanceResult.message, ConformanceResult.agency_id, ConformanceResult.access_level,
        )
    ).all()  # fmt: skip
    scores = dict(db.session.execute(select(Dataset.id, Dataset.conformance_score)).all())
    return {tuple(r) for r in rows}, scores


@pytest.mark.parametrize(
    "edit",
    [
        {"description": "Short."},
        {"keyword": []},
        {"accessLevel": "non-public", "rights": "Personal data; ask the DPH data officer."},
        {"modified": "2026-11-30", "description": "A longer description of what is counted."},
        {"agency": "DOT"},
    ],
    ids=["description", "keywords", "access", "modified", "agency"],
)
def test_changed_outcomes_only_and_the_same_as_a_full_evaluation(app_ctx, cdc_dataset, edit):
    ids = [cdc_dataset(i).id for i in (GOOD_PUBLIC, BARE_PUBLIC, YEARLY, NON_PUBLIC)]
    update_dataset(db.session, ids[0], edit, "cdo-test")
    update_dataset(db.session, ids[2], edit, "cdo-test")
    withdraw_dataset(db.session, ids[1], "cdo-test")
    db.session.commit()
    incremental = stored()
    assert not {row for row in incremental[0] if row[0] == ids[1]}  # withdrawn: no results
    restore_dataset(db.session, ids[1], "cdo-test")
    db.session.commit()
    restored = stored()

    evaluate_all(db.session, current_rule_set())
    db.session.commit()
    assert stored() == restored
