"""A signed-in person's notices: failed harvests, overdue reviews, expiring agreements."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from catalog.db import db
from catalog.services import notices as notice_service

bp = Blueprint("notices", __name__, url_prefix="/notices")


@bp.app_context_processor
def _unread() -> dict:
    """The count shown beside "Notices" in the navigation."""

    def unread_notices() -> int:
        if not current_user.is_authenticated:
            return 0
        return notice_service.unread_count(db.session, current_user._get_current_object())

    return {"unread_notices": unread_notices}


@bp.get("")
@login_required
def index():
    rows = notice_service.list_notices(db.session, current_user._get_current_object())
    return render_template("notices.html", notices=rows)


@bp.post("/read")
@login_required
def mark_read():
    """Mark one notice (``id``) or all of them (no ``id``) read."""
    raw = request.form.get("id", "")
    notice_service.mark_read(
        db.session, current_user._get_current_object(), int(raw) if raw.isdigit() else None
    )
    db.session.commit()
    return redirect(url_for("notices.index"))
