"""The application factory."""

from __future__ import annotations

import logging
from itertools import chain
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, request
from werkzeug.routing import IntegerConverter

from catalog.db import db
from catalog.errors import ServiceError
from catalog.extensions import csrf, limiter, login_manager
from catalog.guards.text import find_bad_text
from config.settings import PROJECT_DIR, load_settings

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides settings read from ``CATALOG_*`` variables."""
    overrides = dict(config or {})
    settings = load_settings(overrides.pop("ENV_NAME", None))
    settings.update(overrides)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_DIR"],
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder="static",
    )
    app.config.update(settings)
    app.url_map.converters["int"] = DatabaseInt
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    try:
        _init_extensions_and_areas(app)
    except BaseException:
        app.extensions["catalog_db"].dispose()  # no connection left open by a failed start
        raise
    return app


def _init_extensions_and_areas(app: Flask) -> None:
    login_manager.init_app(app)
    limiter.init_app(app)  # before CSRF, so refused requests still count against the limit
    app.before_request(_refuse_invalid_text)  # before CSRF, so forms get the plain reason
    csrf.init_app(app)

    from catalog.api import init_app as init_api
    from catalog.services import changes
    from catalog.standards import init_app as init_standards
    from catalog.web import init_app as init_web
    from search_index import init_app as init_search

    changes.connect()  # every dataset write stamps the change sequence the index follows
    init_standards(app)
    from catalog.exports.fragments import init_app as init_fragments

    init_fragments(app)

    init_web(app)
    init_api(app)
    _register_commands(app)
    init_search(app)
    _wire_harvesters(app)
    app.after_request(_security_headers)


class DatabaseInt(IntegerConverter):
    """``<int:...>`` limited to what an integer key column holds: larger ids are a 404."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)  # integer primary keys are 32-bit on PostgreSQL
        super().__init__(url_map, *args, **kwargs)


def _wire_harvesters(app: Flask) -> None:
    """Pages reach the harvesters only through what the factory hands them (web and services
    never import ``harvesters``; harvesters call services)."""
    from harvesters.upload import harvest_upload
    from jobs import init_app as init_jobs

    app.extensions["harvest_upload"] = harvest_upload
    init_jobs(app)


def _register_commands(app: Flask) -> None:
    from catalog.cli import all_commands

    for command in all_commands():
        app.cli.add_command(command)


def _refuse_invalid_text() -> None:
    """NUL can't be stored in PostgreSQL text, and a lone UTF-16 surrogate (``"\\ud800"`` in
    JSON) can't even be encoded: refuse them with a 400 before any view runs, on every
    database. NUL in the path, the query string or form fields; both in JSON bodies, naming the
    field. (Forms and query strings decode invalid UTF-8 to U+FFFD, never to a surrogate.)"""
    suspects = [request.path, *chain.from_iterable(request.args.listvalues())]
    if request.form:
        suspects += chain.from_iterable(request.form.listvalues())
    if any("\x00" in value for value in suspects):
        abort(400, description="NUL characters are not allowed in requests.")
    if request.is_json:
        body = request.get_json(silent=True, cache=True)
        found = find_bad_text(body) if body is not None else None
        if found:
            field, problem = found
            raise ServiceError(f"{field}: {problem}", {field: [problem]})


def _security_headers(response: Any) -> Any:
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    seconds = current_app.config.get("HSTS_SECONDS")
    if seconds:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={int(seconds)}; includeSubDomains"
        )
    return response
