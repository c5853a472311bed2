"""The signed-in user's account: their API tokens (with last use and expiry) and password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user

from catalog.db import db
from catalog.errors import InvalidInput
from catalog.models._common import utcnow
from catalog.services.users import change_password, list_tokens, revoke_token
from catalog.web.forms import PasswordChangeForm

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(form: PasswordChangeForm | None = None, status: int = 200):
    user = current_user._get_current_object()
    return (
        render_template(
            "account.html",
            user=user,
            tokens=list_tokens(db.session, user),
            form=form or PasswordChangeForm(),
            now=utcnow(),
        ),
        status,
    )


@bp.get("/")
@login_required
def page():
    return _page()


@bp.post("/password")
@login_required
def password():
    """Change one's password: every other session of the account ends; this one goes on."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(db.session, user, form.current_password.data, form.new_password.data)
        except InvalidInput as exc:
            db.session.rollback()
            for name, messages in exc.errors.items():
                target = form.current_password if name == "current_password" else form.new_password
                target.errors = [*target.errors, *messages]
        else:
            db.session.commit()
            login_user(user)  # this browser signs in again with the new session version
            flash("Password changed. Every other session of your account has ended.", "success")
            return redirect(url_for("account.page"))
    return _page(form, 422)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    record = revoke_token(db.session, token_id, current_user._get_current_object())
    db.session.commit()
    flash(f"Token {record.prefix}… revoked.", "success")
    return redirect(url_for("account.page"))
