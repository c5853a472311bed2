"""/api/v1/datasets: list, read, register and edit datasets."""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for

from catalog.api.auth import api_user, require_token_user
from catalog.api.blueprint import api_v1
from catalog.api.params import page_params
from catalog.api.search_params import search_params
from catalog.db import db
from catalog.errors import InvalidInput, ServiceError
from catalog.permissions import can_see_internal
from catalog.schemas.present import present_dataset
from catalog.schemas.review import sharing_reviews_for
from catalog.services import datasets as dataset_service
from catalog.services import pending_changes
from catalog.services.conformance import conformance_for
from search_index import get_store, search_datasets


@api_v1.get("/datasets")
def list_datasets():
    """List datasets.
    ---
    get:
      summary: Search and list datasets
      parameters:
        - in: query
          name: q
          description: >
            Words (all must match, in any form), "a phrase", prefix*, OR, AND, NOT or -word,
            brackets, and field:value on agency, theme, access_level, format, conformance,
            review_status, keyword and license. A query too long, too deep or too broad is
            refused with 400 and a plain reason under errors.q.
          schema: {type: string, maxLength: 500}
        - {in: query, name: agency, schema: {type: string}}
        - {in: query, name: theme, schema: {type: string}}
        - {in: query, name: access_level, schema: {type: string}}
        - {in: query, name: format, schema: {type: string}}
        - in: query
          name: conformance
          schema: {type: string, enum: [high, medium, low, unscored]}
        - {in: query, name: review_status, schema: {type: string}}
        - {in: query, name: sort, schema: {type: string, enum: [relevance, modified, title, score]}}
        - {in: query, name: include_withdrawn, schema: {type: boolean}}
        - {in: query, name: page, schema: {type: integer, minimum: 1, maximum: 10000}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200:
          description: A page of datasets with facet counts
          content:
            application/json:
              schema: DatasetPage
        400:
          description: Bad query parameters
          content: {application/json: {schema: Errors}}
    """
    page, per_page = page_params()
    viewer = api_user()
    result = search_datasets(
        get_store(current_app), db.session, search_params(page, per_page), viewer
    )
    return jsonify(
        total=result.total,
        page=page,
        per_page=per_page,
        items=[present_dataset(hit.dataset, viewer) for hit in result.hits],
        facets=result.facets,
        snippets={hit.dataset.id: str(hit.snippet) for hit in result.hits},
        suggestion=result.suggestion,
        relaxed=result.relaxed,
    )


@api_v1.get("/datasets/<dataset_id>")
def get_dataset(dataset_id: str):
    """Read one dataset.
    ---
    get:
      summary: One dataset, withdrawn ones included
      parameters:
        - {in: path, name: dataset_id, required: true, schema: {type: string}}
      responses:
        200:
          description: The dataset, its conformance and its sharing reviews
          content: {application/json: {schema: DatasetDetail}}
        404:
          description: No such dataset
          content: {application/json: {schema: Errors}}
    """
    return _detail(dataset_service.get_dataset(db.session, dataset_id), api_user())


def _detail(dataset, viewer):
    body = present_dataset(dataset, viewer)
    body["conformance"] = conformance_for(db.session, dataset, viewer)
    body["sharing_reviews"] = sharing_reviews_for(db.session, dataset, viewer)
    if can_see_internal(viewer, dataset):  # proposed rights may say what is not public
        body["pending_changes"] = pending_changes.pending_changes_of(db.session, dataset)
        body["overrides"] = pending_changes.overrides_of_dataset(db.session, dataset)
    return jsonify(body)


@api_v1.post("/datasets")
def create_dataset():
    """Register a dataset.
    ---
    post:
      summary: Register a dataset for an agency you steward
      security: [{bearerAuth: []}]
      requestBody:
        required: true
        content: {application/json: {schema: DatasetInput}}
      responses:
        201:
          description: Created
          content: {application/json: {schema: DatasetOutput}}
        400: {description: Not JSON, content: {application/json: {schema: Errors}}}
        401: {description: No or bad token, content: {application/json: {schema: Errors}}}
        403:
          description: Not a steward of that agency
          content: {application/json: {schema: Errors}}
        409: {description: Identifier taken, content: {application/json: {schema: Errors}}}
        422: {description: Invalid fields, content: {application/json: {schema: Errors}}}
    """
    actor = require_token_user()
    payload = _json_body()
    dataset = dataset_service.create_dataset(db.session, payload, actor)
    db.session.commit()
    response = jsonify(present_dataset(dataset, actor))
    response.status_code = 201
    response.headers["Location"] = url_for("api_v1.get_dataset", dataset_id=dataset.id)
    return response


@api_v1.patch("/datasets/<dataset_id>")
def update_dataset(dataset_id: str):
    """Change a dataset.
    ---
    patch:
      summary: Change some fields; send the version you read to detect concurrent edits
      description: >
        Send `version` (or an `If-Match` header) with the version you read: a stale version is
        refused with 409. `status` set to `withdrawn` withdraws the dataset, `active` restores it.
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: dataset_id, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: DatasetPatch}}
      responses:
        200:
          description: The changed dataset
          content: {application/json: {schema: DatasetOutput}}
        400: {description: Not JSON, content: {application/json: {schema: Errors}}}
        401: {description: No or bad token, content: {application/json: {schema: Errors}}}
        403:
          description: Not a steward of that agency
          content: {application/json: {schema: Errors}}
        404: {description: No such dataset, content: {application/json: {schema: Errors}}}
        409: {description: Stale version, content: {application/json: {schema: Errors}}}
        422: {description: Invalid fields, content: {application/json: {schema: Errors}}}
    """
    actor = require_token_user()
    payload = _json_body()
    dataset = dataset_service.update_dataset(
        db.session, dataset_id, payload, actor, expected_version=_expected_version(payload)
    )
    db.session.commit()
    return jsonify(present_dataset(dataset, actor))


@api_v1.post("/datasets/<dataset_id>/pending-changes")
def decide_pending_change(dataset_id: str):
    """Accept or reject a change the dataset's source proposes.
    ---
    post:
      summary: Decide one pending change (accessLevel, rights, license or agency)
      description: >
        A harvest holds a source's new `accessLevel`, `rights`, `license` or agency for a
        steward's sign-off (`pending_changes` in the dataset). `accept` applies the proposed
        value; `reject` keeps the dataset's value, and the next harvest does not raise the same
        change again. Each decision is audited.
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: dataset_id, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: PendingDecision}}
      responses:
        200:
          description: The dataset after the decision, with its remaining pending changes
          content: {application/json: {schema: DatasetDetail}}
        400: {description: Not JSON, content: {application/json: {schema: Errors}}}
        401: {description: No or bad token, content: {application/json: {schema: Errors}}}
        403:
          description: Not a steward of the dataset's agency
          content: {application/json: {schema: Errors}}
        404:
          description: No such dataset or no pending change of that field
          content: {application/json: {schema: Errors}}
        422: {description: Invalid decision, content: {application/json: {schema: Errors}}}
    """
    actor = require_token_user()
    payload = _json_body()
    field, decision = payload.get("field"), payload.get("decision")
    if not isinstance(field, str) or not field:
        raise InvalidInput({"field": ["Required: the field of the pending change."]})
    if not isinstance(decision, str):
        raise InvalidInput({"decision": ["Must be one of: accept, reject."]})
    dataset = pending_changes.decide_pending_change(db.session, dataset_id, field, decision, actor)
    db.session.commit()
    return _detail(dataset, actor)


@api_v1.delete("/datasets/<dataset_id>/overrides/<field>")
def follow_source(dataset_id: str, field: str):
    """Drop a local override: the dataset follows its source again.
    ---
    delete:
      summary: Drop the override of one field (the source's value comes back)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: dataset_id, required: true, schema: {type: string}}
        - {in: path, name: field, required: true, schema: {type: string}}
      responses:
        200:
          description: The dataset with the source's value
          content: {application/json: {schema: DatasetDetail}}
        401: {description: No or bad token, content: {application/json: {schema: Errors}}}
        403:
          description: Not a steward of the dataset's agency
          content: {application/json: {schema: Errors}}
        404:
          description: No such dataset or no override of that field
          content: {application/json: {schema: Errors}}
    """
    actor = require_token_user()
    dataset = pending_changes.follow_source(db.session, dataset_id, field, actor)
    db.session.commit()
    return _detail(dataset, actor)


def _json_body() -> dict:
    payload = request.get_json(silent=True)
    if payload is None:
        raise ServiceError(
            "The body must be JSON.",
            {"_body": ["Send a JSON object with Content-Type: application/json."]},
        )
    if not isinstance(payload, dict):
        raise InvalidInput({"_schema": ["Expected a JSON object."]})
    return payload


def _expected_version(payload: dict) -> int | None:
    raw = payload.get("version", request.headers.get("If-Match"))
    if raw is None:
        return None
    try:
        return int(str(raw).strip('"'))
    except ValueError:
        raise InvalidInput({"version": ["Must be a whole number."]}) from None
