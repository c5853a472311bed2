"""Search and discovery: the only package that knows Whoosh (its internals: ``whoosh_io``).

``init_app(app)`` checks the Whoosh version (failing loudly on one not tested), attaches an
``IndexStore`` for ``app.config["INDEX_DIR"]`` and indexes each commit's dataset changes.
Pages, the API, CKAN's ``package_search`` and the exports call ``search_datasets`` or
``search_ids``; ``suggest`` answers autocomplete. ``warm_up(app)`` catches the index up with the
database, opens it and runs a first search, before a worker takes traffic; then a follower
thread keeps it current (``INDEX_FOLLOW_SECONDS``).
"""

from __future__ import annotations

import os
import threading

from flask import Flask

from search_index import whoosh_io
from search_index.language import QueryError
from search_index.params import ANONYMOUS, SORTS, SearchParams, SortKey, Visibility
from search_index.schema import CONFORMANCE_BANDS, FACETS, SCHEMA_VERSION, conformance_band
from search_index.service import (
    IndexUnavailable,
    SearchHit,
    SearchPage,
    rebuild,
    search_datasets,
    search_ids,
    search_outcome,
    suggest,
    visibility_for,
)
from search_index.store import IndexStore

__all__ = [
    "ANONYMOUS",
    "CONFORMANCE_BANDS",
    "FACETS",
    "SCHEMA_VERSION",
    "SORTS",
    "IndexStore",
    "IndexUnavailable",
    "QueryError",
    "SearchHit",
    "SearchPage",
    "SearchParams",
    "SortKey",
    "Visibility",
    "clear_index",
    "conformance_band",
    "ensure_follower",
    "get_store",
    "init_app",
    "prepare",
    "rebuild",
    "search_datasets",
    "search_ids",
    "search_outcome",
    "suggest",
    "visibility_for",
    "warm_up",
]

_followers_lock = threading.Lock()


def init_app(app: Flask) -> None:
    from search_index import lifecycle

    whoosh_io.check_version()
    app.extensions["search_index"] = IndexStore(app.config["INDEX_DIR"])
    lifecycle.connect()


def get_store(app: Flask) -> IndexStore:
    return app.extensions["search_index"]


def clear_index(app: Flask) -> None:
    """Drop the index; the next catch-up rebuilds it from the database."""
    get_store(app).clear()


def ensure_follower(app: Flask):
    """This process's follower thread (started once per process: a forked worker starts its
    own), or None when ``INDEX_FOLLOW_SECONDS`` is 0."""
    from search_index.follow import Follower

    interval = float(app.config.get("INDEX_FOLLOW_SECONDS", 0) or 0)
    if interval <= 0:
        return None
    with _followers_lock:
        follower = app.extensions.get("search_index_follower")
        if follower is None or follower.pid != os.getpid() or not follower.is_alive():
            follower = Follower(get_store(app), app.extensions["catalog_db"], interval, _warm)
            app.extensions["search_index_follower"] = follower
            follower.start()
    return follower


def prepare() -> None:
    """Catch the index up (building it if missing) in a short-lived app of its own: what a
    server's master process does before it starts workers (gunicorn.conf.py)."""
    from catalog import create_app
    from search_index import follow

    app = create_app()
    try:
        with app.app_context():
            follow.catch_up(get_store(app), app.extensions["catalog_db"])
    finally:
        app.extensions["catalog_db"].dispose()


def warm_up(app: Flask, timeout: float | None = None) -> None:
    """Before taking traffic: catch up (building a missing index), open the view and run a
    search that touches what every search touches. gunicorn calls it (gunicorn.conf.py)."""
    from search_index import follow

    store = get_store(app)
    with app.app_context():
        follow.catch_up(store, app.extensions["catalog_db"])
        store.refresh(_warm)
        follower = ensure_follower(app)
        if follower is not None:
            follower.ready.wait(timeout)


def _warm(view) -> None:
    """Page in what the first searches read (facets, sort keys, frequent postings) and fill
    the result cache with the unfiltered first page."""
    from search_index.service import outcome_for

    for s in view.new_segments:
        for name, array in s.sidecar.arrays.items():
            if array.size and not name.endswith(".pos"):  # positions: phrases only
                flat = array.reshape(-1)
                flat[:: max(1, 4096 // flat.itemsize)].sum()  # a read on every page
    outcome_for(view, SearchParams(), ANONYMOUS)
