"""Domain events, declared once. Services send them; listeners (the search index) react.

Receivers get ``sender`` (the service name) and keyword arguments as documented per signal.
"""

from __future__ import annotations

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
