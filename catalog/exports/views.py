"""The catalog files (``/data.json``, ``/catalog/dcat-us-3.json``, ``/catalog.ttl``,
``/catalog.jsonld``), one dataset as RDF, and the CSV/XLSX listings."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from flask import Blueprint, Response, abort, current_app, request, stream_with_context
from flask_login import current_user

from catalog.db import db
from catalog.dcat import rdf
from catalog.dcat.records import ExportContext, record_of, series_of
from catalog.exports.cache import cache_key, cached_path, tee_to_cache
from catalog.exports.catalogs import CATALOGS, inventory_fingerprint, iter_catalog, prepare
from catalog.exports.catalogs import export_context as configured_context
from catalog.exports.selection import select_datasets
from catalog.exports.tables import iter_csv, write_xlsx
from catalog.models import STATUS_ACTIVE, Dataset, User
from search_index import get_store
from search_index.params import from_args

bp = Blueprint("exports", __name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def export_context() -> ExportContext:
    """The site's public address (``CATALOG_PUBLIC_URL``, else this request's host) and the
    catalog's fallback contact."""
    return configured_context(
        current_app.config, current_app.config.get("PUBLIC_URL") or request.host_url
    )


@bp.get("/data.json")
def data_json() -> Response:
    """The public inventory as a DCAT-US 1.1 catalog.
    ---
    get:
      summary: The public inventory as DCAT-US 1.1 (valid against the official non-federal schema)
      tags: [catalog files]
      responses:
        200:
          description: DCAT-US 1.1 catalog
          content:
            application/json:
              schema: {type: object}
        304:
          description: Not modified since the ETag given in If-None-Match
    """
    return _catalog_response("data.json")


@bp.get("/catalog/dcat-us-3.json")
def dcat_us_3() -> Response:
    """The public inventory as a DCAT-US 3.0 catalog.
    ---
    get:
      summary: The public inventory as DCAT-US 3.0 (valid against GSA's 3.0 schema)
      tags: [catalog files]
      responses:
        200:
          description: DCAT-US 3.0 catalog
          content:
            application/json:
              schema: {type: object}
        304:
          description: Not modified since the ETag given in If-None-Match
    """
    return _catalog_response("dcat-us-3")


@bp.get("/catalog.ttl")
def catalog_turtle() -> Response:
    """The public inventory as W3C DCAT in Turtle.
    ---
    get:
      summary: The public inventory as W3C DCAT (RDF, Turtle)
      tags: [catalog files]
      responses:
        200:
          description: The public inventory as W3C DCAT (RDF, Turtle)
          content:
            text/turtle:
              schema: {type: string}
        304:
          description: Not modified since the ETag given in If-None-Match
    """
    return _catalog_response("ttl")


@bp.get("/catalog.jsonld")
def catalog_jsonld() -> Response:
    """The public inventory as W3C DCAT in JSON-LD.
    ---
    get:
      summary: The public inventory as W3C DCAT (RDF, JSON-LD)
      tags: [catalog files]
      responses:
        200:
          description: The public inventory as W3C DCAT (RDF, JSON-LD)
          content:
            application/ld+json:
              schema: {type: object}
        304:
          description: Not modified since the ETag given in If-None-Match
    """
    return _catalog_response("jsonld")


def _catalog_response(name: str) -> Response:
    """Sent from a file when nothing changed; else assembled from the per-dataset fragments
    (rebuilding only those of changed datasets), streamed and saved."""
    ctx = export_context()
    _fmt, media_type, path_name = CATALOGS[name]
    key = cache_key(inventory_fingerprint(db.session), ctx.key, name)
    stem = path_name.replace("/", "-").rsplit(".", 1)[0]
    suffix = "." + path_name.rsplit(".", 1)[1]
    path = cached_path(Path(current_app.instance_path) / "exports", stem, key, suffix)
    if request.if_none_match.contains_weak(key):
        response = Response(status=304)
    else:
        try:
            handle = path.open("rb")
        except FileNotFoundError:  # not generated yet (or replaced meanwhile): stream and save
            prepare(db.session, name, ctx)
            db.session.commit()
            chunks = iter_catalog(db.session, name, ctx)
            response = Response(
                stream_with_context(tee_to_cache(chunks, path)), mimetype=media_type
            )
        else:
            size = os.fstat(handle.fileno()).st_size
            response = Response(_read_and_close(handle), mimetype=media_type)
            response.headers["Content-Length"] = str(size)
    response.set_etag(key, weak=True)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/datasets/<dataset_id>.<any(ttl, jsonld, rdf):fmt>")
def dataset_rdf(dataset_id: str, fmt: str) -> Response:
    """One dataset as W3C DCAT (what anyone may see of it).
    ---
    get:
      summary: One dataset as W3C DCAT in Turtle (ttl), JSON-LD (jsonld) or RDF/XML (rdf)
      description: The same as GET /datasets/{dataset_id} with an Accept header of text/turtle,
        application/ld+json or application/rdf+xml.
      tags: [catalog files]
      parameters:
        - {in: path, name: dataset_id, required: true, schema: {type: string}}
        - {in: path, name: fmt, required: true, schema: {type: string, enum: [ttl, jsonld, rdf]}}
      responses:
        200:
          description: The dataset's RDF
          content:
            text/turtle: {schema: {type: string}}
            application/ld+json: {schema: {type: object}}
            application/rdf+xml: {schema: {type: string}}
        404:
          description: No active dataset with this id
    """
    return dataset_rdf_response(dataset_id, fmt)


def dataset_rdf_response(dataset_id: str, fmt: str) -> Response:
    dataset = db.session.get(Dataset, dataset_id)
    if dataset is None or dataset.status != STATUS_ACTIVE:
        abort(404, description=f"No active dataset with id {dataset_id!r}.")
    record = record_of(dataset, series_of(db.session, dataset.id))
    text = rdf.serialize(rdf.dataset_graph(record, export_context()), fmt)
    response = Response(text, mimetype=rdf.MEDIA_TYPES[fmt])
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept"
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
