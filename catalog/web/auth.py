"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from catalog.db import db
from catalog.extensions import limiter
from catalog.services.users import authenticate, end_sessions
from catalog.web.forms import LoginForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            flash(f"Signed in as {user.email}.", "success")
            return redirect(_safe_next(request.args.get("next")))
        flash("Email or password not recognised.", "error")
    status = 200
    if form.is_submitted():
        status = 400 if form.errors else 401
    return render_template("login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    # A copy of this session's cookie, wherever it went, must stop working too.
    end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash("Signed out.", "success")
    return redirect(url_for("pages.index"))


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login form cannot redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("pages.index")
