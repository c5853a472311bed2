"""Domain events, declared once. Services send them; listeners (the search index) react.

Receivers get ``sender`` (the service name) and keyword arguments as documented per signal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from blinker import Namespace

_signals = Namespace()

datasets_changed = _signals.signal(
    "datasets-changed",
    doc="Datasets were created, updated or withdrawn. kwargs: ids (list[str]).",
)
datasets_deleted = _signals.signal(
    "datasets-deleted",
    doc="Datasets were removed from the database for good. kwargs: ids (list[str]).",
)
bulk_write_started = _signals.signal(
    "bulk-write-started",
    doc="A long job (a harvest) starts committing many batches. kwargs: session.",
)
bulk_write_finished = _signals.signal(
    "bulk-write-finished",
    doc="That job ended (successfully or not); listeners finish deferred work before returning. "
    "kwargs: session.",
)


@contextmanager
def bulk_writes(sender: str, session: Any) -> Iterator[None]:
    """Announce a job that commits many batches through ``session``, so that listeners (the search
    index) may batch or parallelise their per-commit work until it ends."""
    bulk_write_started.send(sender, session=session)
    try:
        yield
    finally:
        bulk_write_finished.send(sender, session=session)
