"""/api/v1/suggest: autocomplete over dataset titles and keywords."""

from __future__ import annotations

from flask import current_app, jsonify, request

from catalog.api.blueprint import api_v1
from catalog.db import db
from search_index import get_store, suggest


@api_v1.get("/suggest")
def suggest_view():
    """Autocomplete.
    ---
    get:
      summary: Titles and keywords that complete what was typed
      parameters:
        - {in: query, name: q, required: true, schema: {type: string, maxLength: 200}}
      responses:
        200:
          description: Suggestions, titles first
          content:
            application/json:
              schema:
                type: object
                properties:
                  q: {type: string}
                  suggestions:
                    type: array
                    items:
                      type: object
                      properties:
                        value: {type: string}
                        kind: {type: string, enum: [title, keyword]}
                        id: {type: string}
    """
    text = (request.args.get("q") or "")[:200]
    return jsonify(q=text, suggestions=suggest(get_store(current_app), db.session, text))
