"""Search and discovery: the only package that knows Whoosh.

``init_app(app)`` attaches an ``IndexStore`` for ``app.config["INDEX_DIR"]`` and listens to the
catalog's dataset events. Pages and the API call ``search_datasets`` and ``suggest``.
"""

from __future__ import annotations

from flask import Flask

from search_index import lifecycle
from search_index.query import SORTS, SearchParams
from search_index.schema import CONFORMANCE_BANDS, FACETS, SCHEMA_VERSION, conformance_band
from search_index.service import SearchHit, SearchPage, rebuild, search_datasets, suggest
from search_index.store import IndexStore

__all__ = [
    "CONFORMANCE_BANDS",
    "FACETS",
    "SCHEMA_VERSION",
    "SORTS",
    "IndexStore",
    "SearchHit",
    "SearchPage",
    "SearchParams",
    "clear_index",
    "conformance_band",
    "get_store",
    "init_app",
    "rebuild",
    "search_datasets",
    "suggest",
]


def init_app(app: Flask) -> None:
    app.extensions["search_index"] = IndexStore(app.config["INDEX_DIR"])
    lifecycle.connect()


def get_store(app: Flask) -> IndexStore:
    return app.extensions["search_index"]


def clear_index(app: Flask) -> None:
    """Drop the index; the next search rebuilds it from the database."""
    get_store(app).clear()
