"""Where the index lives on disk, and the one long-lived searcher per process.

Layout under ``INDEX_DIR``::

    CURRENT            {"dir": "gen-...", "schema_version": N}  (replaced atomically)
    gen-<stamp>/       a complete Whoosh index

A rebuild writes a new ``gen-`` folder and swaps ``CURRENT`` only when it is complete, so searchers
never see a half-built index. Incremental writes go to the current folder under a lock (one writer
per process; across processes Whoosh's own lock, waited for). Searchers are reopened after writes:
within the process at once, from other processes' writes within ``RECHECK_SECONDS``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError, Index

from search_index import _whoosh_patches
from search_index.documents import Record, document_for
from search_index.schema import SCHEMA_VERSION, build_schema
from search_index.segments import SegmentBuilder
from search_index.view import IndexView

log = logging.getLogger(__name__)
_whoosh_patches.apply()

POINTER = "CURRENT"
RECHECK_SECONDS = 1.0
WRITER_TIMEOUT_SECONDS = 60.0


class IndexStore:
    """One per app (per ``INDEX_DIR``); thread-safe."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._write_lock = threading.RLock()
        self._build_lock = threading.RLock()
        self._view_lock = threading.RLock()
        self._view: IndexView | None = None
        self._view_key: tuple | None = None
        self._checked_at = 0.0
        self._changed_while_building: set[str] | None = None

    # -- state on disk -------------------------------------------------------------------------

    def _pointer(self) -> dict | None:
        try:
            return json.loads((self.root / POINTER).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def status(self) -> str:
        """``ok``, ``missing`` (never built, or folder deleted) or ``stale`` (older schema)."""
        pointer = self._pointer()
        if pointer is None or not (self.root / pointer.get("dir", "")).is_dir():
            return "missing"
        if pointer.get("schema_version") != SCHEMA_VERSION:
            return "stale"
        return "ok"

    def _open(self) -> Index | None:
        if self.status() != "ok":
            return None
        pointer = self._pointer()
        storage = FileStorage(str(self.root / pointer["dir"]), supports_mmap=False)
        try:
            return storage.open_index()
        except EmptyIndexError:
            return None

    # -- writing -------------------------------------------------------------------------------

    def build(
        self,
        records: Iterable[Record],
        progress: Callable[[int], None] | None = None,
    ) -> tuple[int, set[str]]:
        """Write every record into a new folder, then swap it in.

        Returns (documents written, ids changed by incremental writes while building); the caller
        re-indexes those from the database so nothing written meanwhile is lost.
        """
        with self._build_lock:
            self.root.mkdir(parents=True, exist_ok=True)
            name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
            folder = self.root / name
            folder.mkdir()
            with self._write_lock:
                self._changed_while_building = set()
            count = 0
            try:
                ix = FileStorage(str(folder), supports_mmap=False).create_index(build_schema())
                builder = SegmentBuilder(ix)
                try:
                    for record in records:
                        builder.add_document(document_for(record))
                        count += 1
                        if progress is not None:
                            progress(1)
                except BaseException:
                    builder.cancel()
                    raise
                builder.commit()
                ix.close()
                with self._write_lock:
                    self._swap(name)
                    changed, self._changed_while_building = self._changed_while_building, None
            except BaseException:
                with self._write_lock:
                    self._changed_while_building = None
                shutil.rmtree(folder, ignore_errors=True)
                raise
            self._remove_old_generations(keep=name)
            return count, changed

    @contextmanager
    def exclusive_build(self) -> Iterator[None]:
        """Hold while deciding whether to build, so concurrent callers build once."""
        with self._build_lock:
            yield

    def _swap(self, name: str) -> None:
        tmp = self.root / f"{POINTER}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps({"dir": name, "schema_version": SCHEMA_VERSION}))
        os.replace(tmp, self.root / POINTER)
        self.invalidate()

    def _remove_old_generations(self, keep: str) -> None:
        # Open searchers in this or other processes keep their files readable (POSIX semantics).
        for path in self.root.glob("gen-*"):
            if path.name != keep:
                shutil.rmtree(path, ignore_errors=True)

    def update(
        self, records: Iterable[Record], delete_ids: Iterable[str] = (), *, merge: bool = True
    ) -> bool:
        """Replace these documents and delete others, in one commit. False when there is no
        usable index (missing or stale): the next search rebuilds it from the database.
        ``merge=False`` skips Whoosh's merging of small segments (a bulk job merges once, last)."""
        records = list(records)
        delete_ids = list(delete_ids)
        with self._write_lock:
            if self._changed_while_building is not None:
                self._changed_while_building.update(r.id for r in records)
                self._changed_while_building.update(delete_ids)
            ix = self._open()
            if ix is None:
                return False
            try:
                builder = SegmentBuilder(ix, timeout=WRITER_TIMEOUT_SECONDS)
                try:
                    # update_document's semantics: the old version goes, the new one is added.
                    for dataset_id in {*delete_ids, *(r.id for r in records)}:
                        builder.delete_by_term("id", dataset_id)
                    for record in records:
                        builder.add_document(document_for(record))
                except BaseException:
                    builder.cancel()
                    raise
                builder.commit(merge=merge)
            finally:
                ix.close()
            self.invalidate()
            return True

    def clear(self) -> None:
        """Forget the index entirely (the next search rebuilds it)."""
        with self._write_lock, self._view_lock:
            self._close_view()
            shutil.rmtree(self.root, ignore_errors=True)
            self.invalidate()

    def close(self) -> None:
        with self._view_lock:
            self._close_view()

    def _close_view(self) -> None:
        if self._view is not None:
            self._view.searcher.close()
        self._view, self._view_key = None, None

    # -- reading -------------------------------------------------------------------------------

    def invalidate(self) -> None:
        with self._view_lock:
            self._checked_at = 0.0

    @contextmanager
    def view(self) -> Iterator[IndexView | None]:
        """The current searcher with its caches, or None when there is no usable index.

        Searches run one at a time per process: a Whoosh searcher reading files without mmap
        is not safe to share between threads, and queries here take milliseconds.
        """
        with self._view_lock:
            now = time.monotonic()
            if self._view is None or now - self._checked_at > RECHECK_SECONDS:
                self._checked_at = now
                self._refresh()
            yield self._view

    def _refresh(self) -> None:
        pointer = self._pointer()
        same_folder = pointer is not None and self._view_key and pointer["dir"] == self._view_key[0]
        if self._view is not None and same_folder and self._view.searcher.up_to_date():
            return
        ix = self._open()
        previous = self._view
        # Searches hold the view lock, so nobody is using the old searcher now.
        self._close_view()
        if ix is None:
            return
        self._view = IndexView(ix.searcher(), previous, folder=self.root / pointer["dir"])
        self._view_key = (pointer["dir"], self._view.searcher.ixreader.generation())
