"""A dataset's history, the CDO's audit log (and CSV), and the public change feed (Atom)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, render_template, request, url_for
from flask_login import login_required

from catalog.db import db
from catalog.errors import PermissionDenied
from catalog.models._common import utcnow
from catalog.services import history as history_service
from catalog.services.datasets import get_dataset
from catalog.web.governance import bp
from catalog.web.governance.common import viewer

PER_PAGE = 50


@bp.get("/datasets/<dataset_id>/history")
@login_required
def dataset_history(dataset_id: str):
    dataset = get_dataset(db.session, dataset_id)
    changes = history_service.dataset_history(db.session, dataset, viewer())
    return render_template(
        "governance/dataset_history.html", dataset=dataset, changes=changes,
        labels=history_service.ACTION_LABELS,
    )  # fmt: skip


def _require_cdo() -> None:
    user = viewer()
    if user is None or not user.is_cdo_or_admin:
        raise PermissionDenied("The audit log is for the CDO and admins.")


@bp.get("/audit")
@login_required
def audit_log():
    _require_cdo()
    filters = history_service.parse_filters(request.args)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)
    rows, total = history_service.audit_page(db.session, viewer(), filters, page, PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "governance/audit.html", rows=rows, total=total, page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), filters=filters,
        actions=history_service.audit_actions(db.session),
        page_url=lambda n: url_for("governance.audit_log") + "?" + urlencode({**args, "page": n}),
        csv_url=url_for("governance.audit_csv") + ("?" + urlencode(args) if args else ""),
        changes=history_service.field_changes,
    )  # fmt: skip


@bp.get("/audit.csv")
@login_required
def audit_csv():
    _require_cdo()
    filters = history_service.parse_filters(request.args)
    return Response(
        history_service.audit_csv(db.session, viewer(), filters),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


@bp.get("/changes.atom")
def changes_feed():
    """The latest changes to datasets' public fields, for feed readers."""
    entries = history_service.public_changes(db.session)
    body = render_template(
        "governance/changes.atom.xml", entries=entries, labels=history_service.ACTION_LABELS,
        updated=entries[0][0].occurred_at if entries else utcnow(),
    )  # fmt: skip
    return Response(body, mimetype="application/atom+xml")
