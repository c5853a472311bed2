"""/api/v1/agencies."""

from __future__ import annotations

from flask import jsonify

from catalog.api.blueprint import api_v1
from catalog.db import db
from catalog.services.agencies import list_agencies


@api_v1.get("/agencies")
def list_agencies_view():
    """List agencies.
    ---
    get:
      summary: Every agency with its code
      responses:
        200:
          description: Agencies
          content:
            application/json:
              schema:
                type: object
                properties:
                  items: {type: array, items: AgencyOutput}
    """
    return jsonify(items=[{"code": a.code, "name": a.name} for a in list_agencies(db.session)])
