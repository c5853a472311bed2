"""Where the index lives on disk, what it holds of the change sequence, and the current view.

Layout under ``INDEX_DIR``::

    CURRENT            {"dir": "gen-...", "schema_version": N}  (replaced atomically)
    gen-<stamp>/       a Whoosh index, a sidecar per segment, and STATE:
        STATE          {"epoch": E, "seq": S}: every dataset change stamped <= S is indexed

A rebuild writes a new ``gen-`` folder and swaps ``CURRENT`` only when it is complete, so searches
never see a half-built index. Incremental writes go to the current folder under a lock (one
writer per process; across processes Whoosh's own file lock). ``STATE`` is written after the
segment's table of contents and before the lock is released, and never moves backwards: a crash
between the two leaves it behind, and the changes after it are indexed again (harmless).

Searches use the current ``IndexView`` without a lock; ``refresh()`` opens a new one when the
generation on disk changed (the follower thread calls it, and ``view()`` at most every
``RECHECK_SECONDS``) and swaps it in once it is open.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from search_index import whoosh_io
from search_index.documents import Record, document_for
from search_index.schema import SCHEMA_VERSION, build_schema
from search_index.segments import SegmentBuilder
from search_index.view import IndexView

log = logging.getLogger(__name__)

POINTER = "CURRENT"
STATE = "STATE"
BUILD_LOCK = "BUILD.lock"
RECHECK_SECONDS = 1.0
WRITER_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class State:
    epoch: str | None
    seq: int

    def __ge__(self, other: State) -> bool:
        """Holds everything ``other`` holds: the same epoch, as far or further."""
        return self.epoch == other.epoch and self.seq >= other.seq


class IndexStore:
    """One per app (per ``INDEX_DIR``); thread-safe."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._write_lock = threading.RLock()
        self._build_lock = threading.RLock()
        self._refresh_lock = threading.Lock()
        self._view: IndexView | None = None
        self._view_key: tuple | None = None
        self._broken: tuple | None = None
        self._missing: tuple | None = None
        self._building = False  # under _build_lock
        self._checked_at = 0.0

    # -- state on disk -------------------------------------------------------------------------

    def _pointer(self) -> dict | None:
        try:
            return json.loads((self.root / POINTER).read_text())
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return None

    def folder(self) -> Path | None:
        """The current generation's folder, if the index is usable."""
        pointer = self._pointer()
        if pointer is None or pointer.get("schema_version") != SCHEMA_VERSION:
            return None
        folder = self.root / pointer.get("dir", "")
        return folder if pointer.get("dir") and folder.is_dir() else None

    def status(self) -> str:
        """``ok``, ``missing`` (never built, or folder deleted) or ``stale`` (older schema, or
        files a view cannot read)."""
        pointer = self._pointer()
        if pointer is None or not (self.root / pointer.get("dir", "")).is_dir():
            return "missing"
        if pointer.get("schema_version") != SCHEMA_VERSION:
            return "stale"
        if self._broken is not None and self._broken[0] == pointer["dir"]:
            return "stale"
        return "ok"

    def state(self) -> State | None:
        folder = self.folder()
        if folder is None:
            return None
        return read_state(folder)

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def exclusive_build(self) -> Iterator[None]:
        """Held while deciding whether to rebuild and rebuilding: across threads and processes
        (a file lock), so workers starting together build once and the others wait."""
        with self._build_lock:
            if self._building:  # this thread holds it already
                yield
                return
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / BUILD_LOCK, "a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                self._building = True
                try:
                    yield
                finally:
                    self._building = False
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def build(
        self,
        records: Iterable[Record],
        state: State,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write every record into a new folder holding ``state``, then swap it in."""
        with self._build_lock:
            self.root.mkdir(parents=True, exist_ok=True)
            name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
            folder = self.root / name
            folder.mkdir()
            count = 0
            try:
                ix = whoosh_io.create_index(folder, build_schema())
                builder = SegmentBuilder(ix, folder)
                try:
                    for record in records:
                        builder.add_document(document_for(record))
                        count += 1
                        if progress is not None:
                            progress(1)
                except BaseException:
                    builder.cancel()
                    raise
                builder.commit(after=lambda: write_state(folder, state))
                ix.close()
                with self._write_lock:
                    self._swap(name)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            self._remove_old_generations(keep=name)
            return count

    def _swap(self, name: str) -> None:
        tmp = self.root / f"{POINTER}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps({"dir": name, "schema_version": SCHEMA_VERSION}))
        os.replace(tmp, self.root / POINTER)
        self.invalidate()

    def _remove_old_generations(self, keep: str) -> None:
        # Views in this or other processes keep their mapped files (POSIX semantics).
        for path in self.root.glob("gen-*"):
            if path.name != keep:
                shutil.rmtree(path, ignore_errors=True)

    def update(
        self,
        records: Iterable[Record],
        delete_ids: Iterable[str] = (),
        *,
        state: State | None = None,
        merge: bool = True,
        timeout: float = WRITER_TIMEOUT_SECONDS,
    ) -> bool:
        """Replace these documents and delete others, in one commit; with ``state``, record it
        (unless the index already holds as much: then nothing is written). False when there is
        no usable index (the caller rebuilds) or it already held ``state``."""
        records = list(records)
        delete_ids = list(delete_ids)
        with self._write_lock:
            folder = self.folder()
            ix = whoosh_io.open_index(folder) if folder is not None else None
            if ix is None:
                return False
            try:
                builder = SegmentBuilder(ix, folder, timeout=timeout)
                try:
                    held = read_state(folder)
                    if state is not None and held is not None and held >= state:
                        builder.cancel()  # another writer got there first
                        return False
                    # update_document's semantics: the old version goes, the new one is added.
                    builder.delete_ids(sorted({*delete_ids, *(r.id for r in records)}))
                    for record in records:
                        builder.add_document(document_for(record))
                except BaseException:
                    builder.cancel()
                    raise
                after = (lambda: write_state(folder, state)) if state is not None else None
                builder.commit(merge=merge, after=after)
            finally:
                ix.close()
            self.invalidate()
            return True

    def clear(self) -> None:
        """Forget the index entirely (the next catch-up rebuilds it)."""
        with self._write_lock, self._refresh_lock:
            self._view, self._view_key, self._broken = None, None, None
            shutil.rmtree(self.root, ignore_errors=True)
            self.invalidate()

    def close(self) -> None:
        with self._refresh_lock:
            self._view, self._view_key = None, None

    # -- reading -------------------------------------------------------------------------------

    def invalidate(self) -> None:
        self._checked_at = 0.0

    def view(self) -> IndexView | None:
        """The current view (refreshed when stale), or None when there is no usable index."""
        if self._view is None or time.monotonic() - self._checked_at > RECHECK_SECONDS:
            self.refresh()
        return self._view

    def refresh(self, warm: Callable[[IndexView], None] | None = None) -> None:
        """Open the generation on disk if it is not the current view's; ``warm`` runs on the
        new view before searches see it. A thread that finds another refreshing moves on."""
        if not self._refresh_lock.acquire(blocking=self._view is None):
            return
        try:
            self._checked_at = time.monotonic()
            pointer = self._pointer()
            folder = self.folder()
            if folder is None:
                self._view, self._view_key = None, None
                return
            key = (pointer["dir"], whoosh_io.generation(folder))
            if key == self._view_key or key == self._broken:
                return
            try:
                generation, segments = whoosh_io.read_segments(folder)
                view = IndexView(folder, generation, segments, previous=self._view)
                if warm is not None:
                    warm(view)
            except FileNotFoundError:
                # A writer replaced a segment meanwhile: the next refresh opens the new one.
                # The same generation failing twice is not that.
                if self._missing == key:
                    log.error("Search index at %s lacks files; it will be rebuilt.", folder)
                    self._broken = key
                self._missing = key
                return
            except (OSError, ValueError, KeyError):
                log.exception("Search index at %s cannot be read; it will be rebuilt.", folder)
                self._broken = key
                return
            self._view, self._view_key = view, (pointer["dir"], generation)
        finally:
            self._refresh_lock.release()


def read_state(folder: Path) -> State | None:
    try:
        data = json.loads((folder / STATE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return State(data.get("epoch"), int(data.get("seq", 0)))


def write_state(folder: Path, state: State) -> None:
    tmp = folder / f".{STATE}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps({"epoch": state.epoch, "seq": state.seq}))
    os.replace(tmp, folder / STATE)
