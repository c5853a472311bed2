"""/api/v1/standards, /api/v1/agencies/<code>/conformance, and a dataset's ``conformance``."""

from __future__ import annotations

from flask import jsonify

from catalog.api.auth import api_user
from catalog.api.blueprint import api_v1
from catalog.db import db
from catalog.permissions import can_edit_agency
from catalog.services import scorecards
from catalog.services.agencies import get_agency
from catalog.standards import current_rule_set


@api_v1.get("/standards")
def list_standards():
    """The standards (rule sets) in force.
    ---
    get:
      summary: Standards, their versions and rules, each linked to a plan principle
      responses:
        200:
          description: Standards and the combined rule-set version
          content:
            application/json:
              schema:
                type: object
                properties:
                  rule_set_version: {type: string}
                  items: {type: array, items: {type: object}}
    """
    rule_set = current_rule_set()
    return jsonify(
        rule_set_version=rule_set.version,
        items=[
            {
                "key": s.key,
                "title": s.title,
                "version": s.version,
                "plan": s.plan,
                "description": s.description,
                "scored": s.scored,
                "rules": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "principle": r.principle,
                        "weight": r.weight,
                        "kind": r.kind,
                        "parameters": r.parameters,
                        "when_access_level": list(r.when_access_level),
                        "how_to_fix": r.how_to_fix,
                    }
                    for r in s.rules
                ],
            }
            for s in rule_set.standards
        ],
    )


@api_v1.get("/agencies/<code>/conformance")
def agency_conformance(code: str):
    """An agency's conformance.
    ---
    get:
      summary: Score, per-standard, per-principle and per-rule figures, and the trend from snapshots
      description: >
        Anonymous callers and other agencies' stewards get figures over the agency's public datasets
        only (`public_only` true); the agency's stewards, the CDO and admins get every dataset.
      parameters:
        - {in: path, name: code, required: true, schema: {type: string}}
      responses:
        200:
          description: The agency's figures
          content:
            application/json:
              schema:
                type: object
                properties:
                  agency: {type: string}
                  score: {type: number, nullable: true}
                  datasets: {type: integer}
                  public_only: {type: boolean}
                  standards: {type: array, items: {type: object}}
                  principles: {type: array, items: {type: object}}
                  rules: {type: array, items: {type: object}}
                  trend: {type: array, items: {type: object}}
        404:
          description: No such agency
          content: {application/json: {schema: Errors}}
    """
    agency = get_agency(db.session, code)
    public_only = not can_edit_agency(api_user(), agency.id)
    card = scorecards.agency_scorecard(
        db.session, agency, current_rule_set(), public_only=public_only
    )
    card["trend"] = scorecards.agency_trend(db.session, agency.code, public_only=public_only)
    return jsonify(card)
