"""/reconciliation: inventories against portals, for stewards (their agencies) and the CDO."""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from catalog.db import db
from catalog.services.reconciliation import LISTS, reconcile
from catalog.web.governance import bp
from catalog.web.governance.common import agency_choices, viewer

TITLES = {
    "inventoried_not_published": "Inventoried as public, on no portal",
    "published_not_inventoried": "On a portal, in no agency's inventory",
    "access_mismatch": "On a portal, but not public in the inventory",
}


@bp.get("/reconciliation")
@login_required
def reconciliation():
    user = viewer()
    codes = [c for c in request.args.getlist("agency") if c]
    result = reconcile(db.session, user, agency_codes=codes, limit=500)
    return render_template(
        "governance/reconciliation.html",
        result=result,
        lists=LISTS,
        titles=TITLES,
        agencies=agency_choices(user),
        selected=[c.upper() for c in codes],
    )
