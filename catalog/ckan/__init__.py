"""A read-only subset of the CKAN Action API, so CKAN clients and harvesters read this catalog.

``/api/3/action/<name>`` and ``/api/action/<name>`` (the path ``ckanapi`` uses) answer
``package_search``, ``package_show``, ``organization_list``, ``organization_show``, ``tag_list``
and ``status_show`` in CKAN's envelope ``{"help", "success", "result"}``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from catalog.ckan.views import bp
    from catalog.extensions import csrf

    csrf.exempt(bp)  # read-only actions; CKAN clients POST JSON without a CSRF token
    app.register_blueprint(bp)
