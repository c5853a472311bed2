"""The JSON API for machines, under /api/v1."""

from __future__ import annotations

from flask import Flask

from catalog.api import errors
from catalog.api.blueprint import api_v1
from catalog.extensions import csrf


def init_app(app: Flask) -> None:
    # Import the views so their routes attach to the blueprint.
    from catalog.api import (  # noqa: F401
        agencies,
        conformance,
        datasets,
        harvest,
        openapi,
        plan_work,
        progress,
        reviews,
        search,
    )

    csrf.exempt(api_v1)  # bearer tokens, not cookies, authorise API writes
    app.register_blueprint(api_v1)
    errors.init_app(app)
    from catalog.ckan import init_app as init_ckan

    init_ckan(app)
    from catalog.api.docs import bp as docs_bp

    app.register_blueprint(docs_bp)
