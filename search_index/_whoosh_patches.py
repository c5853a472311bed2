"""Two targeted fixes for whoosh-reloaded 2.7.5 (pinned ``<2.8``), applied on import.

1. Segment names from the global ``random`` module. Whoosh names each new segment with
   ``random.choice``; anything that re-seeds that module (Hypothesis does, before every example
   schemathesis runs) makes two commits draw the same name, and the second then finds the first
   segment's ``.seg`` file and fails in ``create_compound_file`` (``AssertionError``), leaving
   the index stale. Names now come from ``secrets``, which nothing can re-seed.
2. While a new segment's postings are written, ``W3PerDocReader._cached_reader`` is asked for the
   segment's field-length column once per posting; the column does not exist yet, the "no" is not
   cached, and each call costs a filesystem ``stat``. Remembering the "no" for the life of that
   reader changes no result (segment files are written once and never appear later under a
   reader that has already looked) and removes about a third of Whoosh's own build time.
"""

from __future__ import annotations

import secrets

from whoosh.codec import base, whoosh3
from whoosh.util import IDCHARS

_original = whoosh3.W3PerDocReader._cached_reader
_MISSING = "_search_index_missing_columns"


def _cached_reader(self, fieldname, column):
    missing = self.__dict__.setdefault(_MISSING, set())
    if fieldname in missing:
        return None
    reader = _original(self, fieldname, column)
    if reader is None:
        missing.add(fieldname)
    return reader


def _random_id(cls, size=16):
    return "".join(secrets.choice(IDCHARS) for _ in range(size))


def apply() -> None:
    if whoosh3.W3PerDocReader._cached_reader is not _cached_reader:
        whoosh3.W3PerDocReader._cached_reader = _cached_reader
    base.Segment._random_id = classmethod(_random_id)
