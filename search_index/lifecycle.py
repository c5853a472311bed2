"""Index a commit's changes in the process that made it, right after the commit.

``catalog.services.changes`` stamps every commit that writes datasets; after that commit, the
process catches the index up (``follow.after_commit``) reading fresh rows through its own
session. Inside ``catalog.events.bulk_writes`` (a harvest) commits after the first are handed to
a background indexer process instead (``background.py``). An indexing failure is logged and
never undoes the commit: the followers catch up later.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog import events
from catalog.services import changes
from search_index import follow
from search_index.background import BackgroundIndexer, database_url_for

log = logging.getLogger(__name__)

_BULK = "search_index_bulk"
_connected = False


def connect() -> None:
    global _connected
    if _connected:
        return
    events.bulk_write_started.connect(_on_bulk_started)
    events.bulk_write_finished.connect(_on_bulk_finished)
    event.listen(Session, "after_commit", _after_commit)
    _connected = True


def _store() -> Any:
    if not has_app_context():
        return None
    return current_app.extensions.get("search_index")


def _on_bulk_started(_sender: Any, session: Session, **_kw: Any) -> None:
    store = _store()
    if store is None or not current_app.config.get("INDEX_IN_BACKGROUND", True):
        return
    url = database_url_for(session.get_bind())
    if url is not None and store.status() == "ok":  # no index: nothing to keep in step
        session.info[_BULK] = (BackgroundIndexer(store.root, url), store)


def _on_bulk_finished(_sender: Any, session: Session, **_kw: Any) -> None:
    bulk = session.info.pop(_BULK, None)
    if bulk is None:
        return
    indexer, store = bulk
    failed = indexer.finish()
    store.invalidate()  # another process wrote: reopen the view now, not in a second
    if failed:
        _catch_up(session, store, None)


def _after_commit(session: Session) -> None:
    stamp = changes.last_stamp(session)
    if stamp is None:
        return
    bulk = session.info.get(_BULK)
    if bulk is not None and bulk[0].submit(len(stamp[2])):
        return
    store = _store()
    if store is not None:
        _catch_up(session, store, stamp)


def _catch_up(session: Session, store: Any, stamp: Any) -> None:
    bind = session.get_bind()
    try:
        if stamp is None:
            follow.catch_up(store, bind)
        else:
            following = current_app.config.get("INDEX_FOLLOW_SECONDS", 0) > 0
            follow.after_commit(store, bind, stamp, may_rebuild=not following)
    except Exception:
        # The database commit stands; the followers catch the index up.
        log.exception("Indexing after a commit failed")
