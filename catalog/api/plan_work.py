"""/api/v1/reconciliation and /api/v1/agencies/<code>/access-plan."""

from __future__ import annotations

from flask import abort, jsonify, request

from catalog.api.auth import api_user, require_token_user
from catalog.api.blueprint import api_v1
from catalog.db import db
from catalog.errors import InvalidInput
from catalog.services import access_plans
from catalog.services.agencies import get_agency
from catalog.services.reconciliation import reconcile


@api_v1.get("/reconciliation")
def reconciliation_view():
    """Inventories against portals.
    ---
    get:
      summary: What agencies inventory against what the portals publish
      description: >
        Stewards see their agencies, the CDO every agency. A dataset is published when a source
        with the `portal` role brings it, inventoried when an `inventory` source brings it or a
        steward registered it. Each list holds at most `limit` items (default 1000); `counts`
        gives the full numbers.
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: agency, schema: {type: string}, description: "agency code (repeat)"}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 10000}}
      responses:
        200: {description: The three lists, content: {application/json: {schema: Reconciliation}}}
        401: {description: Not signed in, content: {application/json: {schema: Errors}}}
    """
    viewer = api_user()
    if viewer is None:
        abort(401, description="Reconciliation is for stewards and the CDO; send an API token.")
    raw = request.args.get("limit") or "1000"
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise InvalidInput({"limit": ["A whole number from 1 to 10000."]})
    result = reconcile(
        db.session, viewer, agency_codes=request.args.getlist("agency"), limit=int(raw)
    )
    return jsonify(result)


@api_v1.get("/agencies/<code>/access-plan")
def access_plan_view(code: str):
    """An agency's open data access plan.
    ---
    get:
      summary: The datasets an agency will publish, with target dates and status
      description: >
        `status` is `published` once a portal source brings the dataset, otherwise `due` until
        the target date and `late` after it.
      parameters:
        - {in: path, name: code, required: true, schema: {type: string}}
      responses:
        200: {description: The access plan, content: {application/json: {schema: AccessPlan}}}
        404: {description: No such agency, content: {application/json: {schema: Errors}}}
    """
    agency = get_agency(db.session, code)
    entries = access_plans.access_plan(db.session, agency)
    return jsonify(agency=agency.code, counts=access_plans.status_counts(entries), items=entries)


@api_v1.post("/agencies/<code>/access-plan")
def add_access_plan_entry(code: str):
    """Add a dataset to an agency's access plan.
    ---
    post:
      summary: Promise to publish one of the agency's inventoried datasets by a date
      description: The agency's stewards and the CDO. The dataset is named by its identifier.
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: code, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: AccessPlanInput}}
      responses:
        201: {description: Added, content: {application/json: {schema: AccessPlanEntry}}}
        401: {description: No or bad token, content: {application/json: {schema: Errors}}}
        403:
          description: Not a steward of the agency
          content: {application/json: {schema: Errors}}
        404: {description: No such agency, content: {application/json: {schema: Errors}}}
        409: {description: Already in the plan, content: {application/json: {schema: Errors}}}
        422: {description: Invalid fields, content: {application/json: {schema: Errors}}}
    """
    actor = require_token_user()
    agency = get_agency(db.session, code)
    entry = access_plans.add_entry(db.session, agency.code, request.get_json(silent=True), actor)
    db.session.commit()
    item = next(
        e for e in access_plans.access_plan(db.session, agency) if e["id"] == entry.dataset_id
    )
    return jsonify(item), 201
