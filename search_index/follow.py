"""The index follows the database: catch up with the change sequence, rebuild when needed.

Every commit that writes datasets stamps them with the next value of the database's change
sequence (``catalog.services.changes``). The index records the last value it holds (``STATE``).
``catch_up`` reads the database's last value, the ids stamped after the index's, and indexes
those rows afresh (ids no longer in the database are removed). It runs:

* in the process that committed, right after the commit (``lifecycle.py``), so a write is
  searchable at once where it was made;
* in a background process during a harvest (``background.py``), which also finishes the job if
  the harvest is killed;
* in every process that searches: when it first opens the index and then every
  ``INDEX_FOLLOW_SECONDS`` from a daemon thread (``Follower``), or before each search when that
  setting is 0 (tests). So a process killed between its commit and its index write, or a
  harvest killed mid-run, never leaves committed datasets out of search for longer than that,
  and several hosts, each with its own index folder, follow one PostgreSQL.

The index is rebuilt from scratch when it is missing, from another schema version, from another
epoch of the sequence (an emptied or restored database), ahead of the database, or when more
than half of it changed.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from catalog.services import changes
from search_index.documents import iter_records
from search_index.store import IndexStore, State
from search_index.view import IndexView
from search_index.whoosh_io import LockError

log = logging.getLogger(__name__)

REBUILD_AT = 50_000  # pending datasets beyond which (and beyond half the index) a rebuild wins


def database_state(bind: Engine, *, create: bool = False) -> State:
    with bind.connect() as connection:
        epoch, value = changes.head(connection, create=create)
        if create:
            connection.commit()
    return State(epoch, value)


def rebuild(store: IndexStore, bind: Engine, progress: Callable[[int], None] | None = None) -> int:
    """Index every dataset row into a new generation, then catch up with what changed since."""
    state = database_state(bind, create=True)  # read before the rows: changes after it follow
    with Session(bind=bind) as session:
        count = store.build(iter_records(session), state, progress=progress)
    catch_up(store, bind)
    return count


def catch_up(
    store: IndexStore,
    bind: Engine,
    *,
    merge: bool = True,
    build_missing: bool = True,
    timeout: float | None = None,
) -> str:
    """Bring the index up to the database; returns ``current``, ``updated``, ``rebuilt``,
    ``missing`` (no index and ``build_missing`` is false) or ``busy`` (another writer)."""
    head = database_state(bind)
    held = _held(store)
    if held is None or held.epoch != head.epoch or held.seq > head.seq:
        if not build_missing and held is None:
            return "missing"
        with store.exclusive_build():
            held = _held(store)  # another thread or process may have rebuilt meanwhile
            head = database_state(bind)
            if held is None or held.epoch != head.epoch or held.seq > head.seq:
                if held is not None:
                    log.warning("Search index at %s is from another epoch: rebuilding.", store.root)
                rebuild(store, bind)
                return "rebuilt"
    if held.seq == head.seq:
        return "current"
    with Session(bind=bind) as session:
        ids = changes.changed_since(session.connection(), held.seq, head.seq)
        view = store.view()
        size = view.n_live if view is not None else 0
        if len(ids) > REBUILD_AT and len(ids) > size // 2:
            session.close()
            with store.exclusive_build():
                rebuild(store, bind)
            return "rebuilt"
        records = list(iter_records(session, ids))
    found = {r.id for r in records}
    kwargs: dict[str, Any] = {"state": head, "merge": merge}
    if timeout is not None:
        kwargs["timeout"] = timeout
    try:
        store.update(records, delete_ids=sorted(set(ids) - found), **kwargs)
    except LockError:
        return "busy"
    return "updated"


def _held(store: IndexStore) -> State | None:
    return store.state() if store.status() == "ok" else None


def index_ids(store: IndexStore, bind: Engine, ids: set[str]) -> None:
    """Index these datasets afresh without moving the recorded sequence (a commit's own
    changes while others are pending: the follower records them all later)."""
    with Session(bind=bind) as session:
        records = list(iter_records(session, sorted(ids)))
    found = {r.id for r in records}
    store.update(records, delete_ids=sorted(set(ids) - found))


def after_commit(
    store: IndexStore,
    bind: Engine,
    stamp: tuple[str, int, frozenset[str]],
    *,
    may_rebuild: bool,
) -> None:
    """What the committing process does: catch up when little else is pending, else index its
    own changes now and leave the rest to the followers (who also rebuild a missing index
    unless ``may_rebuild``)."""
    epoch, value, ids = stamp
    held = _held(store)
    if held is None or held.epoch != epoch:
        if may_rebuild:
            catch_up(store, bind)
        return
    with bind.connect() as connection:
        pending = changes.count_since(connection, held.seq, value)
    if pending <= 2 * len(ids) + 100:
        catch_up(store, bind)
    else:
        index_ids(store, bind, set(ids))


class Follower(threading.Thread):
    """Catches up and opens new views every ``interval`` seconds, off the request path."""

    def __init__(
        self,
        store: IndexStore,
        bind: Engine,
        interval: float,
        warm: Callable[[IndexView], None] | None = None,
    ) -> None:
        super().__init__(name="search-index-follower", daemon=True)
        self.store, self.bind, self.interval, self.warm = store, bind, interval, warm
        self.pid = os.getpid()
        self.stopping = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                catch_up(self.store, self.bind, timeout=self.interval)
                self.store.refresh(self.warm)
            except Exception:
                log.exception("Search index follower failed; trying again.")
            self.ready.set()
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
