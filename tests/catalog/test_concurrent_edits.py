"""Two stewards editing one dataset at the same time: one wins, the other gets a conflict."""

from __future__ import annotations

import threading

from catalog.db import db
from catalog.errors import VersionConflict
from catalog.services.datasets import get_dataset, update_dataset


def test_simultaneous_edits_one_wins_one_conflicts(app, make_dataset, make_user):
    dataset = make_dataset(agency="DPH")
    first = make_user("steward", agencies=("DPH",))
    second = make_user("steward", agencies=("DPH",))
    both_read = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(user, title: str) -> None:
        with app.app_context():
            session = db.session
            actor = session.merge(user)
            # Both hold version 1 in memory before either writes (kept referenced, so the
            # session's weak identity map does not drop it and re-read a newer row).
            seen = get_dataset(session, dataset.id)
            assert seen.version == 1
            both_read.wait()
            try:
                update_dataset(session, dataset.id, {"title": title}, actor)
                session.commit()
                outcomes[title] = "saved"
            except VersionConflict:
                outcomes[title] = "conflict"
            except Exception as exc:  # a lock error would be a failure too
                outcomes[title] = f"error: {exc!r}"
                session.rollback()

    threads = [
        threading.Thread(target=edit, args=(first, "Edit A")),
        threading.Thread(target=edit, args=(second, "Edit B")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["conflict", "saved"], outcomes
    with app.app_context():
        stored = get_dataset(db.session, dataset.id)
        winner = next(title for title, outcome in outcomes.items() if outcome == "saved")
        assert stored.title == winner and stored.version == 2
