"""``/api/3/action/<name>`` and ``/api/action/<name>``: CKAN's envelope around the actions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from catalog.ckan import actions, groups
from catalog.db import db
from search_index import get_store

bp = Blueprint("ckan_api", __name__)

ACTIONS = (
    "package_search", "package_show", "package_list", "package_autocomplete",
    "organization_list", "organization_show", "group_list", "group_show", "resource_show",
    "license_list", "tag_list", "status_show", "help_show",
)  # fmt: skip


def _params() -> dict[str, Any]:
    """Query-string values, overlaid by a JSON body (CKAN clients POST JSON)."""
    params: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        params[key] = values if key == "facet.field" and len(values) > 1 else values[0]
    if request.method == "POST":
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            params.update(body)
        elif request.form:
            params.update(request.form.to_dict())
    return params


def _envelope(action: str, status: int = 200, **body: Any) -> tuple[Response, int]:
    help_url = f"{request.host_url}api/3/action/help_show?name={action}"
    return jsonify({"help": help_url, **body}), status


@bp.route("/api/action/<action>", methods=["GET", "POST"])  # the path ckanapi calls
@bp.route("/api/3/action/<action>", methods=["GET", "POST"])  # registered first: url_for uses it
def call_action(action: str):
    if action not in ACTIONS:
        return _envelope(
            action,
            400,
            success=False,
            error={"__type": "Bad request", "message": f"Action name not known: {action}"},
        )
    try:
        result = _dispatch(action, _params())
    except actions.CkanError as exc:
        return _envelope(action, exc.status, success=False, error=exc.body())
    return _envelope(action, success=True, result=result)


def _dispatch(action: str, params: dict[str, Any]) -> Any:
    site = request.host_url
    session = db.session
    if action == "package_search":
        return actions.package_search(session, get_store(current_app), params, site)
    if action == "package_show":
        return actions.package_show(session, params, site)
    if action == "package_list":
        return actions.package_list(session, params)
    if action == "organization_list":
        return actions.organization_list(session, params)
    if action == "organization_show":
        return actions.organization_show(session, params, site)
    if action == "tag_list":
        return actions.tag_list(session, params)
    if action == "group_list":
        return groups.group_list(session, params)
    if action == "group_show":
        return groups.group_show(session, params, site)
    if action == "resource_show":
        return groups.resource_show(session, params, site)
    if action == "license_list":
        return groups.license_list(session, params)
    if action == "package_autocomplete":
        return groups.package_autocomplete(session, params)
    if action == "status_show":
        return actions.status_show(site, "Connecticut State Data Catalog")
    return _help(str(params.get("name") or ""))


def _help(name: str) -> str:
    docs = {
        "package_search": "Search datasets: q, fq (organization:, tags:, groups:, res_format:, "
        "license_id:), rows (≤1000), start, sort, facet.field, facet.limit.",
        "package_show": "One dataset by id or name.",
        "package_list": "Names of active datasets (all, or limit and offset).",
        "package_autocomplete": "Datasets whose title or name starts with q: q, limit.",
        "group_list": "Theme groups: all_fields, sort (name, title, package_count), limit, "
        "offset, groups.",
        "group_show": "One theme group by name; include_datasets=false leaves packages out.",
        "resource_show": "One resource (distribution) by the id package_show gives it.",
        "license_list": "The licenses datasets may name (id = the license URL).",
        "organization_list": "Agency names; all_fields=true for details.",
        "organization_show": "One agency by id or name; include_datasets=true for a sample.",
        "tag_list": "Keywords in use; query filters them.",
        "status_show": "Site information.",
    }
    if name not in docs:
        raise actions.not_found("Action")
    return docs[name]
