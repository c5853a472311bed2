"""``/data.json`` and the CSV/XLSX listings ``/datasets.csv`` and ``/datasets.xlsx``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from flask import Blueprint, Response, current_app, request, stream_with_context
from flask_login import current_user

from catalog.db import db
from catalog.exports.cache import cache_key, cached_path, tee_to_cache
from catalog.exports.datajson import inventory_fingerprint, iter_data_json
from catalog.exports.selection import select_datasets
from catalog.exports.tables import iter_csv, write_xlsx
from catalog.models import User
from search_index import get_store
from search_index.params import from_args

bp = Blueprint("exports", __name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _page_url(base: str):
    return lambda dataset: f"{base}datasets/{dataset.id}"


@bp.get("/data.json")
def data_json() -> Response:
    """The public inventory as a DCAT-US 1.1 catalog: streamed once, then sent from a file."""
    base = request.host_url
    key = cache_key(inventory_fingerprint(db.session), base)
    path = cached_path(Path(current_app.instance_path) / "exports", "data", key, ".json")
    if request.if_none_match.contains_weak(key):
        response = Response(status=304)
    else:
        try:
            handle = path.open("rb")
        except FileNotFoundError:  # not generated yet (or replaced meanwhile): stream and save
            chunks = iter_data_json(db.session, f"{base}data.json", _page_url(base))
            response = Response(
                stream_with_context(tee_to_cache(chunks, path)), mimetype="application/json"
            )
        else:
            size = os.fstat(handle.fileno()).st_size
            response = Response(_read_and_close(handle), mimetype="application/json")
            response.headers["Content-Length"] = str(size)
    response.set_etag(key, weak=True)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _filename(extension: str) -> str:
    return f"ct-datasets-{datetime.now(UTC):%Y%m%d}.{extension}"


@bp.get("/datasets.csv")
def datasets_csv() -> Response:
    """A CSV of the datasets a search with the same query string finds, in its order."""
    viewer = _viewer()
    datasets = _selection(viewer)
    rows = iter_csv(datasets, viewer)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/datasets.xlsx")
def datasets_xlsx() -> Response:
    """An XLSX workbook of the datasets a search with the same query string finds."""
    viewer = _viewer()
    datasets = _selection(viewer)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        write_xlsx(datasets, viewer, out)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    response = Response(_read_and_close(out), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _selection(viewer: User | None):
    """Every match of the search these arguments describe. The ids are found here, so a bad
    query is a 400 before any byte is sent; rows are read as the file is written."""
    return select_datasets(db.session, get_store(current_app), from_args(request.args), viewer)


def _read_and_close(handle: IO[bytes], chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(chunk_size):
            yield chunk
