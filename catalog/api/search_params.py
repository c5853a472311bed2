"""Search parameters from the request's query string (the search page and /api/v1/datasets)."""

from __future__ import annotations

from flask import request

from search_index import SearchParams
from search_index.params import from_args


def search_params(page: int, per_page: int) -> SearchParams:
    return from_args(request.args, page, per_page)
