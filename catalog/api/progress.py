"""/api/v1/progress-reports: agencies report progress on plan objectives."""

from __future__ import annotations

from flask import abort, jsonify, request

from catalog.api.auth import api_user, require_token_user
from catalog.api.blueprint import api_v1
from catalog.db import db
from catalog.errors import InvalidInput
from catalog.schemas.plan import ProgressReportOutputSchema
from catalog.services import progress as progress_service


@api_v1.post("/progress-reports")
def create_progress_report():
    """Report progress on an objective.
    ---
    post:
      summary: Report an agency's progress on a plan objective for a period
      description: >
        `plan` defaults to the plan in force. A second report for the same agency, objective and
        period replaces the first (answered with 200 instead of 201). Stewards report for their
        own agencies only.
      security: [{bearerAuth: []}]
      requestBody:
        required: true
        content: {application/json: {schema: ProgressReportInput}}
      responses:
        201: {description: Created, content: {application/json: {schema: ProgressReportOutput}}}
        200: {description: Replaced, content: {application/json: {schema: ProgressReportOutput}}}
        401: {description: No or bad token, content: {application/json: {schema: Errors}}}
        403:
          description: Not a steward of that agency
          content: {application/json: {schema: Errors}}
        422: {description: Invalid fields, content: {application/json: {schema: Errors}}}
    """
    actor = require_token_user()
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput({"_schema": ["Send a JSON object."]})
    report, created = progress_service.submit_progress_report(db.session, payload, actor)
    db.session.commit()
    return jsonify(ProgressReportOutputSchema().dump(report)), 201 if created else 200


@api_v1.get("/progress-reports")
def list_progress_reports():
    """List progress reports.
    ---
    get:
      summary: Progress reports you may read (stewards their agencies', the CDO all)
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: period, schema: {type: string, example: 2026-H2}}
        - {in: query, name: agency, schema: {type: string}}
        - {in: query, name: plan, schema: {type: string}}
      responses:
        200:
          description: Reports
          content:
            application/json:
              schema:
                type: object
                properties:
                  items: {type: array, items: ProgressReportOutput}
        401: {description: Not signed in, content: {application/json: {schema: Errors}}}
        422: {description: Bad period or agency, content: {application/json: {schema: Errors}}}
    """
    viewer = api_user()
    if viewer is None:
        abort(401, description="Progress reports are for stewards and the CDO; send an API token.")
    reports = progress_service.list_progress_reports(
        db.session,
        viewer,
        period=request.args.get("period") or None,
        agency_code=request.args.get("agency") or None,
        plan_key=request.args.get("plan") or None,
    )
    return jsonify(items=ProgressReportOutputSchema(many=True).dump(reports))
