"""Sign-off pages: the queue of changes sources propose, a decision on one, and following the
source again where a steward's value overrides it. The services check who may decide."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from catalog.db import db
from catalog.errors import InvalidInput
from catalog.services import pending_changes
from catalog.services.ownership import label
from catalog.web.auth import _safe_next

bp = Blueprint("pending", __name__)


@bp.get("/pending-changes")
@login_required
def queue():
    user = current_user._get_current_object()
    return render_template(
        "pending_changes.html", changes=pending_changes.pending_queue(db.session, user)
    )


@bp.post("/datasets/<dataset_id>/pending-changes")
@login_required
def decide(dataset_id: str):
    field = request.form.get("field", "")
    decision = request.form.get("decision", "")
    try:
        pending_changes.decide_pending_change(
            db.session, dataset_id, field, decision, current_user._get_current_object()
        )
    except InvalidInput as exc:
        db.session.rollback()
        flash(" ".join(str(m) for messages in exc.errors.values() for m in messages), "error")
    else:
        db.session.commit()
        verb = "accepted" if decision == "accept" else "rejected"
        flash(f"The proposed {label(field)} was {verb}.", "success")
    return redirect(_back(dataset_id))


@bp.post("/datasets/<dataset_id>/overrides/<field>/follow")
@login_required
def follow(dataset_id: str, field: str):
    try:
        pending_changes.follow_source(
            db.session, dataset_id, field, current_user._get_current_object()
        )
    except InvalidInput as exc:
        db.session.rollback()
        flash(" ".join(str(m) for messages in exc.errors.values() for m in messages), "error")
    else:
        db.session.commit()
        flash(f"{label(field)} follows the source again.", "success")
    return redirect(_back(dataset_id))


def _back(dataset_id: str) -> str:
    target = request.form.get("next") or request.args.get("next")
    return _safe_next(target) if target else url_for("pages.dataset", dataset_id=dataset_id)
