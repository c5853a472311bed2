"""Keep the index in step with the database from domain events.

``datasets_changed`` / ``datasets_deleted`` only queue ids on the sending session. When that
session commits, the queued ids are indexed in one batch, reading fresh rows through a new
session (the committed one cannot run SQL inside ``after_commit``). A rollback drops the queue.
So a request that saves several datasets, or a harvest batch, is one index commit.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog import events
from catalog.db import db

log = logging.getLogger(__name__)

_PENDING = "search_index_pending"
_connected = False


def connect() -> None:
    global _connected
    if _connected:
        return
    events.datasets_changed.connect(_on_changed)
    events.datasets_deleted.connect(_on_deleted)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    _connected = True


def _queue(ids: Any, deleted: bool) -> None:
    if not has_app_context() or "search_index" not in current_app.extensions:
        return
    session = db.session()
    changed, removed, _store = session.info.setdefault(
        _PENDING, (set(), set(), current_app.extensions["search_index"])
    )
    (removed if deleted else changed).update(str(i) for i in ids or ())


def _on_changed(_sender: Any, ids: Any = None, **_kw: Any) -> None:
    _queue(ids, deleted=False)


def _on_deleted(_sender: Any, ids: Any = None, **_kw: Any) -> None:
    _queue(ids, deleted=True)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    changed, removed, store = pending
    from search_index.service import reindex

    fresh = Session(bind=session.get_bind())
    try:
        reindex(store, fresh, changed - removed, deleted=removed)
    except Exception:
        # The database commit stands; the index catches up at the next rebuild.
        log.exception("Indexing %d changed datasets failed", len(changed) + len(removed))
    finally:
        fresh.close()
