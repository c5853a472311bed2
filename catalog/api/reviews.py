"""/api/v1/reviews and /api/v1/agreements: sharing reviews and data-sharing agreements.

Anonymous callers see the public side of each review (state, dates, authorities, the public
reason and decision); internal notes, comments, the reviewer and transition reasons only go to
those allowed to see them.
"""

from __future__ import annotations

from flask import jsonify, request

from catalog.api.auth import api_user, require_token_user
from catalog.api.blueprint import api_v1
from catalog.api.params import page_params
from catalog.db import db
from catalog.errors import InvalidInput, ServiceError
from catalog.schemas.review import present_review
from catalog.services import agreements as agreement_service
from catalog.services import review_queries
from catalog.services import reviews as review_service


@api_v1.get("/reviews")
def list_reviews():
    """List sharing reviews.
    ---
    get:
      summary: Sharing reviews, most urgent first
      parameters:
        - {in: query, name: state, schema: {type: string}, description: "a state, or open / closed"}
        - {in: query, name: agency, schema: {type: string}, description: agency holding the data}
        - {in: query, name: requesting_agency, schema: {type: string}}
        - {in: query, name: authority, schema: {type: string}, description: "e.g. HIPAA"}
        - {in: query, name: obstacle, schema: {type: string}}
        - {in: query, name: dataset, schema: {type: string}}
        - {in: query, name: overdue, schema: {type: boolean}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200:
          description: A page of reviews
          content: {application/json: {schema: {type: object}}}
        400:
          description: Bad query parameters
          content: {application/json: {schema: Errors}}
    """
    page, per_page = page_params()
    filters = review_queries.validate_filters(request.args)
    today = review_service.clock()
    total, rows = review_queries.list_reviews(
        db.session, filters, page=page, per_page=per_page, today=today
    )
    viewer = api_user()
    return jsonify(
        total=total,
        page=page,
        per_page=per_page,
        items=[present_review(r, viewer, today=today) for r in rows],
    )


@api_v1.get("/reviews/<int:review_id>")
def get_review(review_id: int):
    """Read one sharing review with its history.
    ---
    get:
      summary: One review with its history (and, for those allowed, comments and reasons)
      parameters:
        - {in: path, name: review_id, required: true, schema: {type: integer}}
      responses:
        200:
          description: The review
          content: {application/json: {schema: {type: object}}}
        404:
          description: No such review
          content: {application/json: {schema: Errors}}
    """
    review = review_service.get_review(db.session, review_id)
    return jsonify(present_review(review, api_user(), detail=True))


@api_v1.post("/reviews/<int:review_id>/transitions")
def transition_review(review_id: int):
    """Move a review to another state.
    ---
    post:
      summary: Move a review along its state machine (assigned reviewer, CDO or admin)
      description: >
        Send `to` (the new state) and `reason` (required). Closing a review records `decision`
        (defaults to the reason); a resolution by agreement may send `agreement_id`. A move the
        state machine does not allow is refused with 409 naming the allowed states in
        `errors.allowed`.
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: review_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [to, reason]
              properties:
                to: {type: string}
                reason: {type: string}
                decision: {type: string}
                agreement_id: {type: integer}
      responses:
        201:
          description: The review after the move
          content: {application/json: {schema: {type: object}}}
        401:
          description: No or bad token
          content: {application/json: {schema: Errors}}
        403:
          description: Not the assigned reviewer or the CDO
          content: {application/json: {schema: Errors}}
        404:
          description: No such review
          content: {application/json: {schema: Errors}}
        409:
          description: Not allowed from the current state; errors.allowed names the allowed ones
          content: {application/json: {schema: Errors}}
        422:
          description: Missing reason or unknown state
          content: {application/json: {schema: Errors}}
    """
    actor = require_token_user()
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ServiceError(
            "The body must be a JSON object.", {"_body": ['Send {"to": ..., "reason": ...}.']}
        )
    to_state = payload.get("to")
    if not isinstance(to_state, str) or not to_state:
        raise InvalidInput({"to": ["Give the state to move to."]})
    agreement_id = payload.get("agreement_id")
    if agreement_id is not None and (not isinstance(agreement_id, int) or agreement_id < 1):
        raise InvalidInput({"agreement_id": ["Must be an agreement id (a whole number)."]})
    review = review_service.transition_review(
        db.session,
        review_id,
        to_state,
        str(payload.get("reason") or ""),
        actor,
        decision=payload.get("decision") if isinstance(payload.get("decision"), str) else None,
        agreement_id=agreement_id,
    )
    db.session.commit()
    return jsonify(present_review(review, actor, detail=True)), 201


@api_v1.get("/agreements")
def list_agreements():
    """List data-sharing agreements.
    ---
    get:
      summary: Data-sharing agreements with their CGS § 4-67aa checklist and expiry flag
      parameters:
        - {in: query, name: agency, schema: {type: string}, description: a party's code}
        - {in: query, name: expiring, schema: {type: boolean}, description: expiring soon}
      responses:
        200:
          description: Agreements, soonest expiry first
          content: {application/json: {schema: {type: object}}}
    """
    viewer = api_user()
    today = review_service.clock()
    rows = agreement_service.list_agreements(
        db.session,
        agency=(request.args.get("agency") or "").strip() or None,
        expiring=request.args.get("expiring") in ("1", "true"),
        today=today,
    )
    internal = viewer is not None and viewer.is_active
    items = [
        agreement_service.present_agreement(
            a,
            internal=internal
            and (viewer.is_cdo_or_admin or bool({p.id for p in a.parties} & viewer.agency_ids)),
            today=today,
        )
        for a in rows
    ]
    return jsonify(total=len(items), items=items)
