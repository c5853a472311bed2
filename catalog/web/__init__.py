"""HTML pages for people."""

from __future__ import annotations

from flask import Flask

from catalog.db import db
from catalog.extensions import login_manager
from catalog.models import User


def init_app(app: Flask) -> None:
    from catalog.exports.views import bp as exports_bp
    from catalog.web import harvest_admin  # noqa: F401  (adds source management to harvest_bp)
    from catalog.web.account import bp as account_bp
    from catalog.web.auth import bp as auth_bp
    from catalog.web.conformance import bp as conformance_bp
    from catalog.web.governance import bp as governance_bp
    from catalog.web.harvest import bp as harvest_bp
    from catalog.web.notices import bp as notices_bp
    from catalog.web.pages import bp as pages_bp
    from catalog.web.pending import bp as pending_bp
    from catalog.web.plan import bp as plan_bp
    from catalog.web.reviews import bp as reviews_bp
    from catalog.web.steward import bp as steward_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(steward_bp)
    app.register_blueprint(pending_bp)
    app.register_blueprint(plan_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(harvest_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(conformance_bp)
    app.register_blueprint(governance_bp)

    @login_manager.user_loader
    def _load_user(session_id: str) -> User | None:
        """``id:version`` (``User.get_id``): a session signed with an older version has ended."""
        user_id, _, version = session_id.partition(":")
        if not (user_id.isdigit() and version.isdigit()) or int(user_id) > 2**31 - 1:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.is_active or user.session_version != int(version):
            return None
        return user
