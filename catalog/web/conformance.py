"""The CDO dashboard, agency scorecards with their to-do lists, and scorecard exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user, login_required

from catalog.db import db
from catalog.models import User
from catalog.permissions import can_edit_agency
from catalog.services import scorecards
from catalog.services.agencies import get_agency
from catalog.services.plan_dashboard import plan_dashboard
from catalog.services.scorecard_export import to_csv, to_xlsx
from catalog.standards import current_rule_set

bp = Blueprint("conformance", __name__)


def _viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/dashboard")
@login_required
def dashboard():
    user = _viewer()
    if user is None or not user.is_cdo_or_admin:
        abort(403)
    data = scorecards.dashboard(db.session, current_rule_set())
    return render_template("conformance/dashboard.html", **data, **plan_dashboard(db.session))


@bp.get("/agencies/<code>")
def agency(code: str):
    record = get_agency(db.session, code)
    user = _viewer()
    internal = can_edit_agency(user, record.id)
    rule_set = current_rule_set()
    card = scorecards.agency_scorecard(db.session, record, rule_set, public_only=not internal)
    return render_template(
        "conformance/agency.html",
        agency=record,
        card=card,
        internal=internal,
        trend=scorecards.agency_trend(db.session, record.code, public_only=not internal),
        todo=scorecards.agency_todo(db.session, record, rule_set) if internal else [],
    )


@bp.get("/agencies/<code>/scorecard.<fmt>")
def scorecard_export(code: str, fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    record = get_agency(db.session, code)
    internal = can_edit_agency(_viewer(), record.id)
    header, rows = scorecards.scorecard_table(
        db.session, record, current_rule_set(), public_only=not internal
    )
    name = f"{record.code.lower()}-scorecard.{fmt}"
    if fmt == "csv":
        body, mimetype = to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(header, rows, f"{record.code} scorecard")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
