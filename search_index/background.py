"""Index a long job's commits in a second process, so that a harvest's database work and its index
work run on two cores instead of taking turns on one.

The harvest announces itself with ``catalog.events.bulk_writes``; while it runs, each commit after
the first only tells a ``BackgroundIndexer`` how many datasets it stamped. The worker catches the
index up with the database's change sequence (``follow.catch_up``) whenever
``SEGMENT_DATASETS`` have accumulated, so a harvest becomes searchable in steps of that size in
segments that are few and large. When the job ends the indexer catches up once more and is
joined, so the job returns with its changes searchable. If the harvest dies, the worker notices
(its parent is gone), catches up with what was committed and stops; if the worker dies, the
harvest catches up inline. Either way nothing committed is left out.
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
# Commits are gathered into segments of at least this many datasets (the rest at the job's end):
# a segment costs a fixed amount per distinct word, so few large ones index fastest.
SEGMENT_DATASETS = 10_000
PARENT_CHECK_SECONDS = 1.0


class BackgroundIndexer:
    def __init__(self, index_root: Path, database_url: str) -> None:
        self.index_root = Path(index_root)
        self.database_url = database_url
        self.batches = 0
        self._process: Any = None
        self._queue: Any = None

    def submit(self, count: int) -> bool:
        """One more commit of ``count`` datasets. False: index it inline (a small job, or no
        worker could start)."""
        self.batches += 1
        if self.batches <= INLINE_BATCHES:
            return False
        if self._process is None and not self._start():
            return False
        self._queue.put(count)
        return True

    def finish(self) -> bool:
        """Wait until the worker caught up; True if it failed (the caller catches up)."""
        if self._process is None:
            return False
        self._queue.put(None)
        self._process.join()
        exitcode = self._process.exitcode
        self._queue.close()
        self._process = None
        if exitcode != 0:
            log.error("Background indexer exited with %s; catching up inline.", exitcode)
        return exitcode != 0

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
    from catalog.db import make_engine
    from search_index.follow import catch_up
    from search_index.store import IndexStore

    engine = make_engine(database_url)
    store = IndexStore(index_root)
    pending = 0
    try:
        while True:
            try:
                item = jobs.get(timeout=PARENT_CHECK_SECONDS)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the harvest died: index what it committed
                    catch_up(store, engine)
                    return
                continue
            if item is None:
                catch_up(store, engine)  # the job's last commit lets Whoosh merge
                return
            pending += item
            if pending >= SEGMENT_DATASETS:
                # Merging small segments costs more the bigger the index: not until the end.
                catch_up(store, engine, merge=False)
                pending = 0
    finally:
        store.close()
        engine.dispose()


def database_url_for(bind: Any) -> str | None:
    """The URL a second process can open, or None (an in-memory SQLite database cannot be)."""
    url = bind.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)
