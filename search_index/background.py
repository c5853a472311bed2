"""Index a long job's commits in a second process, so that a harvest's database work and its index
work run on two cores instead of taking turns on one.

The harvest announces itself with ``catalog.events.bulk_writes``; while it runs, the lifecycle
hands each committed batch of ids to a ``BackgroundIndexer`` instead of indexing inline. The worker
reads the committed rows through its own connection (the database stays the source of truth) and
indexes them in segments of ``SEGMENT_DATASETS`` (so a harvest becomes searchable in steps of
that size). When the job ends the indexer is drained and joined, so the job returns with its
changes searchable. If the worker fails, every id it was given is indexed inline: nothing is lost.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Start a worker only when a job commits more than this many batches: small jobs (most requests,
# small sources) stay inline and never pay for a process start.
INLINE_BATCHES = 1
# Batches are gathered into segments of at least this many datasets (the rest at the job's end):
# a segment costs a fixed amount per distinct word, so few large ones index fastest.
SEGMENT_DATASETS = 10_000
PARENT_CHECK_SECONDS = 1.0


class BackgroundIndexer:
    def __init__(self, index_root: Path, database_url: str) -> None:
        self.index_root = Path(index_root)
        self.database_url = database_url
        self.batches = 0
        self.changed: set[str] = set()
        self.removed: set[str] = set()
        self._process: Any = None
        self._queue: Any = None

    def submit(self, changed: set[str], removed: set[str]) -> bool:
        """Queue one committed batch. False: index it inline (small job, or no worker possible)."""
        self.batches += 1
        if self.batches <= INLINE_BATCHES:
            return False
        if self._process is None and not self._start():
            return False
        self.changed |= changed
        self.removed |= removed
        self._queue.put((sorted(changed - removed), sorted(removed)))
        return True

    def finish(self) -> tuple[set[str], set[str]] | None:
        """Wait until every queued batch is indexed. Returns the ids to index inline when the
        worker failed, else None."""
        if self._process is None:
            return None
        self._queue.put(None)
        self._process.join()
        exitcode = self._process.exitcode
        self._queue.close()
        self._process = None
        if exitcode == 0:
            return None
        log.error("Background indexer exited with %s; indexing its batches inline.", exitcode)
        return self.changed - self.removed, self.removed

    def _start(self) -> bool:
        # spawn, not fork: the harvest process has threads (validation pool) and open connections.
        context = multiprocessing.get_context("spawn")
        self._queue = context.Queue()
        self._process = context.Process(
            target=_work,
            args=(str(self.index_root), self.database_url, self._queue, os.getpid()),
            name="catalog-indexer",
            daemon=True,
        )
        try:
            self._process.start()
        except OSError:
            log.exception("Could not start the background indexer; indexing inline.")
            self._process = None
            return False
        return True


def _work(index_root: str, database_url: str, jobs: Any, parent_pid: int) -> None:
    from sqlalchemy.orm import Session

    from catalog.db import make_engine
    from search_index.service import reindex
    from search_index.store import IndexStore

    engine = make_engine(database_url)
    store = IndexStore(index_root)
    changed: set[str] = set()
    removed: set[str] = set()
    try:
        with Session(engine) as session:
            while True:
                try:
                    item = jobs.get(timeout=PARENT_CHECK_SECONDS)
                except queue.Empty:
                    if os.getppid() != parent_pid:  # the harvest died: nothing more will come
                        return
                    continue
                last = item is None
                if not last:
                    changed.update(item[0])
                    removed.update(item[1])
                if last or len(changed) + len(removed) >= SEGMENT_DATASETS:
                    if changed or removed:
                        # Merging small segments costs more the bigger the index: only the
                        # job's last commit lets Whoosh merge.
                        reindex(store, session, changed - removed, deleted=removed, merge=last)
                    changed, removed = set(), set()
                if last:
                    return
    finally:
        store.close()
        engine.dispose()


def database_url_for(bind: Any) -> str | None:
    """The URL a second process can open, or None (an in-memory SQLite database cannot be)."""
    url = bind.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)
