"""Backup and restore: every record and the audit trail come back identical."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.db import Base, make_engine
from catalog.errors import ServiceError
from catalog.services.backup import backup_database, restore_database
from catalog.services.datasets import update_dataset


def table_rows(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(
                    select(table).order_by(*(table.primary_key.columns or table.columns))
                )
            ]
            for table in Base.metadata.sorted_tables
        }


def test_restore_into_empty_database_reproduces_everything(
    app, session, make_dataset, make_user, token_for, tmp_path
):
    steward = make_user("steward", agencies=("DPH", "DOT"))
    token_for(steward)
    dataset = make_dataset(
        actor=steward,
        distribution=[{"downloadURL": "https://data.ct.gov/a.csv", "mediaType": "text/csv"}],
        notes="internal",
    )
    update_dataset(session, dataset.id, {"title": "Renamed"}, session.merge(steward))
    session.commit()
    source = app.extensions["catalog_db"]
    backup = tmp_path / "catalog.jsonl.gz"

    counts = backup_database(source, backup)
    target = make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    restored = restore_database(target, backup)

    assert counts == restored
    # user created, token issued, dataset created, dataset renamed
    assert counts["audit_event"] == 4 and counts["dataset"] == 1
    before, after = table_rows(source), table_rows(target)
    # The change sequence keeps its value but starts a new epoch: search indexes rebuild.
    ((_one, value, epoch),) = before.pop("change_sequence")
    ((_one, restored_value, restored_epoch),) = after.pop("change_sequence")
    assert restored_value == value and restored_epoch != epoch
    assert after == before
    with pytest.raises(ServiceError, match="not empty"):
        restore_database(target, backup)
    target.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    bogus = tmp_path / "bogus.gz"
    bogus.write_bytes(b"not gzip at all")
    target = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(ServiceError, match="Cannot read backup"):
        restore_database(target, bogus)
    target.dispose()


def test_backup_and_restore_commands(runner, make_dataset, tmp_path):
    make_dataset()
    out = tmp_path / "b.jsonl.gz"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0 and out.exists(), result.output
    refused = runner.invoke(args=["restore", str(out)])
    assert refused.exit_code != 0 and "not empty" in refused.output
