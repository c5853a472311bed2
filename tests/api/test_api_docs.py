"""/api/docs: a browsable page for the OpenAPI document, served without any CDN, and every
JSON route of the app documented in that document."""

from __future__ import annotations

import re

from flask import Flask


def _json_routes(app: Flask) -> set[str]:
    """Paths of every rule that answers JSON: the /api/ routes (not the docs page or CSV) and
    those ending in .json or .jsonld."""
    paths = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        path = re.sub(r"\{any\([^)]*\):(\w+)\}", r"{\1}", path)
        if path.startswith("/api/docs") or path.endswith((".csv", ".xlsx")) or path == "/static":
            continue
        if (
            path.startswith("/api/")
            or rule.rule.endswith((".json", ".jsonld"))
            or "jsonld" in rule.rule
        ):
            paths.add(path)
    return paths


def test_every_json_route_is_in_the_openapi_document(app, client):
    documented = set(client.get("/api/v1/openapi.json").json["paths"])
    missing = _json_routes(app) - documented
    assert not missing, f"JSON routes missing from /api/v1/openapi.json: {sorted(missing)}"
    assert {"/data.json", "/catalog/dcat-us-3.json", "/catalog.jsonld",
            "/api/3/action/{action}", "/datasets/{dataset_id}.{fmt}"} <= documented  # fmt: skip


def test_docs_page_loads_swagger_ui_from_this_site(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    scripts = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'href="([^"]+\.css)"', html)
    assert "/api/docs/assets/swagger-ui-bundle.js" in scripts
    assert all(src.startswith("/") for src in scripts), scripts  # nothing from another host
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200 and b"SwaggerUIBundle" in bundle.get_data()
    with client.get("/api/docs/assets/swagger-ui.css") as css:
        assert css.mimetype == "text/css"
    assert client.get("/api/docs/assets/index.html").status_code == 404
