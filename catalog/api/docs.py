"""``/api/docs``: the OpenAPI document in Swagger UI, served from the ``swagger-ui-bundle``
package (no CDN; the page's script is a file, as the CSP forbids inline scripts)."""

from __future__ import annotations

from flask import Blueprint, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("api_docs", __name__)
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")


@bp.get("/api/docs")
def docs():
    """A browsable page for ``/api/v1/openapi.json``."""
    return render_template("api_docs.html")


@bp.get("/api/docs/assets/<any(" + ", ".join(f'"{a}"' for a in ASSETS) + "):name>")
def asset(name: str):
    return send_from_directory(swagger_ui_path, name, max_age=86_400)
