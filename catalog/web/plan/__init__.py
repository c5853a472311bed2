"""The plan pages: /plan, /plan/print, /feedback, and the CDO's progress, triage and edit pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("plan", __name__)

# The views attach their routes to ``bp``.
from catalog.web.plan import admin, feedback, pages, progress, report, timeline  # noqa: E402, F401
