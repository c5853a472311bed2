"""/api/v1/openapi.json, generated from the marshmallow schemas and the views' docstrings."""

from __future__ import annotations

import copy

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app, jsonify
from marshmallow import Schema, fields, validate

from catalog.api.blueprint import api_v1
from catalog.schemas.dataset import DatasetInputSchema, DatasetOutputSchema
from catalog.schemas.plan import ProgressReportInputSchema, ProgressReportOutputSchema


class ErrorsSchema(Schema):
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)


class FacetValueSchema(Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)


class DatasetPageSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    items = fields.List(fields.Nested(DatasetOutputSchema), required=True)
    facets = fields.Dict(
        keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)), required=True
    )
    snippets = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "highlighted HTML snippet per dataset id"},
    )
    suggestion = fields.String(
        allow_none=True, metadata={"description": "'did you mean' spelling suggestion"}
    )
    relaxed = fields.Boolean(
        metadata={
            "description": "true when no dataset matched every word and any-word matches are shown"
        }
    )


class DatasetDetailSchema(DatasetOutputSchema):
    """One dataset with its conformance checklist and sharing reviews."""

    conformance = fields.Dict(metadata={"description": "score (0-100) and per-rule results"})
    sharing_reviews = fields.List(fields.Dict())
    pending_changes = fields.List(
        fields.Nested(lambda: PendingChangeSchema()),
        metadata={"description": "changes the source proposes, awaiting sign-off (stewards, CDO)"},
    )
    overrides = fields.List(
        fields.Nested(lambda: OverrideSchema()),
        metadata={"description": "fields a steward set locally over the source (stewards, CDO)"},
    )


class PendingChangeSchema(Schema):
    field = fields.String(required=True, metadata={"description": "accessLevel, rights, ..."})
    current = fields.Raw(allow_none=True)
    proposed = fields.Raw(allow_none=True)
    source = fields.String(allow_none=True)
    job = fields.Integer(allow_none=True)
    detected = fields.String(required=True)


class OverrideSchema(Schema):
    field = fields.String(required=True)
    value = fields.Raw(allow_none=True)
    source_value = fields.Raw(allow_none=True, metadata={"description": "what the source says"})
    source = fields.String(allow_none=True)
    since = fields.String(required=True)
    by = fields.String(required=True)


class PendingDecisionSchema(Schema):
    field = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "reject")))


class AgencyOutputSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class HarvestCountsSchema(Schema):
    added = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    withdrawn = fields.Integer(required=True)
    failed = fields.Integer(required=True)


class HarvestProgressSchema(Schema):
    read = fields.Integer(required=True)
    expected = fields.Integer(allow_none=True)
    percent = fields.Integer(allow_none=True)


class HarvestJobSummarySchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(("queued", "running", "succeeded", "failed"))
    )
    counts = fields.Nested(HarvestCountsSchema, required=True)
    queued = fields.String(allow_none=True)
    started = fields.String(allow_none=True)
    finished = fields.String(allow_none=True)
    error = fields.String(
        allow_none=True, metadata={"description": "For the source's stewards and the CDO only"}
    )
    trigger = fields.String()
    attempts = fields.Integer()
    progress = fields.Nested(HarvestProgressSchema)


class HarvestJobQueuedSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    new = fields.Boolean(required=True)


class HarvestSourceSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": ["inventory", "portal"]})
    url = fields.String(
        allow_none=True,
        metadata={"description": "Null except for the source's stewards and the CDO"},
    )
    agency = fields.String(allow_none=True)
    schedule = fields.String(allow_none=True)
    last_job = fields.Nested(HarvestJobSummarySchema, allow_none=True)


class HarvestSourceListSchema(Schema):
    items = fields.List(fields.Nested(HarvestSourceSchema), required=True)


class HarvestRecordSchema(Schema):
    identifier = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    dataset_id = fields.String(allow_none=True)
    outcome = fields.String(required=True)
    hash = fields.String(allow_none=True)
    errors = fields.List(fields.Dict(), required=True)
    raw = fields.Dict(allow_none=True)


class HarvestRecordPageSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    items = fields.List(fields.Nested(HarvestRecordSchema), required=True)


class HarvestJobOutputSchema(HarvestJobSummarySchema):
    source = fields.String(required=True)
    errors_csv = fields.String(required=True)
    records = fields.Nested(HarvestRecordPageSchema, required=True)


class ReconciliationItemSchema(Schema):
    id = fields.String(required=True)
    identifier = fields.String(required=True)
    title = fields.String(required=True)
    agency = fields.String(required=True)
    access_level = fields.String(required=True)


class ReconciliationSchema(Schema):
    inventoried_not_published = fields.List(fields.Nested(ReconciliationItemSchema), required=True)
    published_not_inventoried = fields.List(fields.Nested(ReconciliationItemSchema), required=True)
    access_mismatch = fields.List(fields.Nested(ReconciliationItemSchema), required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class AccessPlanInputSchema(Schema):
    identifier = fields.String(required=True)
    target_date = fields.Date(required=True)


class AccessPlanEntrySchema(Schema):
    id = fields.String(required=True)
    identifier = fields.String(required=True)
    title = fields.String(required=True)
    target_date = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": ["published", "due", "late"]})


class AccessPlanSchema(Schema):
    agency = fields.String(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    items = fields.List(fields.Nested(AccessPlanEntrySchema), required=True)


SCHEMAS = {
    "Reconciliation": ReconciliationSchema,
    "AccessPlanInput": AccessPlanInputSchema,
    "AccessPlanEntry": AccessPlanEntrySchema,
    "AccessPlan": AccessPlanSchema,
    "HarvestSourceList": HarvestSourceListSchema,
    "HarvestJobOutput": HarvestJobOutputSchema,
    "HarvestJobQueued": HarvestJobQueuedSchema,
    "Errors": ErrorsSchema,
    "DatasetInput": DatasetInputSchema,
    "DatasetPatch": DatasetInputSchema(partial=True),
    "DatasetOutput": DatasetOutputSchema,
    "DatasetDetail": DatasetDetailSchema,
    "DatasetPage": DatasetPageSchema,
    "PendingDecision": PendingDecisionSchema,
    "AgencyOutput": AgencyOutputSchema,
    "ProgressReportInput": ProgressReportInputSchema,
    "ProgressReportOutput": ProgressReportOutputSchema,
}


def build_spec() -> dict:
    """The OpenAPI 3 document for every /api/v1 view that documents itself."""
    spec = APISpec(
        title="Connecticut State Data Catalog API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    documented = set()
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions[rule.endpoint]
        if rule.endpoint in documented or rule.endpoint.startswith("ckan_api."):
            continue
        if view.__doc__ and "---" in view.__doc__:
            spec.path(view=view, app=current_app)
            documented.add(rule.endpoint)
    document = spec.to_dict()
    # FlaskPlugin documents one rule per view; the CKAN view answers two paths.
    for path in ("/api/3/action/{action}", "/api/action/{action}"):
        document["paths"][path] = copy.deepcopy(CKAN_OPERATIONS)
    # Every request may be refused as malformed before its view runs (NUL characters, say).
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                operation.setdefault("responses", {}).setdefault("400", MALFORMED)
    return document


MALFORMED = {
    "description": "Malformed request, e.g. NUL characters in a parameter or the body",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}},
}


_CKAN_RESPONSE = {
    "200": {
        "description": "CKAN's envelope: help, success and result",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    "400": {"description": "Unknown action (CKAN's 'Action name not known')"},
    "404": {"description": "Not Found Error (CKAN's shape)"},
    "409": {"description": "Validation Error (CKAN's shape)"},
}
CKAN_OPERATIONS = {
    method: {
        "summary": "The CKAN Action API subset (read-only), for CKAN clients and harvesters",
        "description": "Actions: package_search, package_show, package_list, "
        "package_autocomplete, organization_list, organization_show, group_list, group_show, "
        "resource_show, license_list, tag_list, status_show, help_show. Parameters as CKAN "
        "takes them, in the query string or (POST) a JSON body.",
        "tags": ["CKAN"],
        "parameters": [
            {"in": "path", "name": "action", "required": True, "schema": {"type": "string"}}
        ],
        "responses": _CKAN_RESPONSE,
    }
    for method in ("get", "post")
}


@api_v1.get("/openapi.json")
def openapi_document():
    """This document.
    ---
    get:
      summary: The OpenAPI document of every JSON route (browsable at /api/docs)
      responses:
        200:
          description: OpenAPI 3.0
          content:
            application/json:
              schema: {type: object}
    """
    return jsonify(build_spec())
