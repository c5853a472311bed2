"""Keep the index in step with the database from domain events.

``datasets_changed`` / ``datasets_deleted`` only queue ids on the sending session. When that
session commits, the queued ids are indexed in one batch, reading fresh rows through a new
session (the committed one cannot run SQL inside ``after_commit``). A rollback drops the queue.
So a request that saves several datasets, or a harvest batch, is one index commit. Inside
``catalog.events.bulk_writes`` (a harvest) batches after the first go to a background indexer
process instead (``background.py``), which is drained when the job ends.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog import events
from catalog.db import db
from search_index.background import BackgroundIndexer, database_url_for

log = logging.getLogger(__name__)

_PENDING = "search_index_pending"
_BULK = "search_index_bulk"
_connected = False


def connect() -> None:
    global _connected
    if _connected:
        return
    events.datasets_changed.connect(_on_changed)
    events.datasets_deleted.connect(_on_deleted)
    events.bulk_write_started.connect(_on_bulk_started)
    events.bulk_write_finished.connect(_on_bulk_finished)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    _connected = True


def _queue(ids: Any, deleted: bool, session: Session | None) -> None:
    if not has_app_context() or "search_index" not in current_app.extensions:
        return
    session = session if session is not None else db.session()
    changed, removed, _store = session.info.setdefault(
        _PENDING, (set(), set(), current_app.extensions["search_index"])
    )
    (removed if deleted else changed).update(str(i) for i in ids or ())


def _on_changed(_sender: Any, ids: Any = None, session: Any = None, **_kw: Any) -> None:
    _queue(ids, deleted=False, session=session)


def _on_deleted(_sender: Any, ids: Any = None, session: Any = None, **_kw: Any) -> None:
    _queue(ids, deleted=True, session=session)


def _on_bulk_started(_sender: Any, session: Session, **_kw: Any) -> None:
    if not has_app_context() or "search_index" not in current_app.extensions:
        return
    if not current_app.config.get("INDEX_IN_BACKGROUND", True):
        return
    store = current_app.extensions["search_index"]
    url = database_url_for(session.get_bind())
    if url is not None and store.status() == "ok":  # no index: nothing to keep in step
        session.info[_BULK] = (BackgroundIndexer(store.root, url), store)


def _on_bulk_finished(_sender: Any, session: Session, **_kw: Any) -> None:
    bulk = session.info.pop(_BULK, None)
    if bulk is None:
        return
    indexer, store = bulk
    leftover = indexer.finish()
    store.invalidate()  # another process wrote: reopen the searcher now, not in a second
    if leftover is not None:
        _reindex_inline(session, store, *leftover)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    changed, removed, store = pending
    bulk = session.info.get(_BULK)
    if bulk is not None and bulk[0].submit(changed, removed):
        return
    _reindex_inline(session, store, changed, removed)


def _reindex_inline(session: Session, store: Any, changed: set[str], removed: set[str]) -> None:
    from search_index.service import reindex

    fresh = Session(bind=session.get_bind())
    try:
        reindex(store, fresh, changed - removed, deleted=removed)
    except Exception:
        # The database commit stands; the index catches up at the next rebuild.
        log.exception("Indexing %d changed datasets failed", len(changed) + len(removed))
    finally:
        fresh.close()
