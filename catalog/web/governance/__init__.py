"""Pages that run the plan's yearly work: reconciliation of inventories with portals, the
inventory cycle and access plans, history and the audit log, the change feed, access requests."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("governance", __name__)

# The views attach their routes to ``bp``.
from catalog.web.governance import (  # noqa: E402, F401
    access,
    cycle,
    history,
    reconciliation,
)
