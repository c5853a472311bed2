"""HTML pages for people."""

from __future__ import annotations

from flask import Flask

from catalog.db import db
from catalog.extensions import login_manager
from catalog.models import User


def init_app(app: Flask) -> None:
    from catalog.exports.views import bp as exports_bp
    from catalog.web.auth import bp as auth_bp
    from catalog.web.conformance import bp as conformance_bp
    from catalog.web.governance import bp as governance_bp
    from catalog.web.harvest import bp as harvest_bp
    from catalog.web.pages import bp as pages_bp
    from catalog.web.plan import bp as plan_bp
    from catalog.web.reviews import bp as reviews_bp
    from catalog.web.steward import bp as steward_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(steward_bp)
    app.register_blueprint(plan_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(harvest_bp)
    app.register_blueprint(conformance_bp)
    app.register_blueprint(governance_bp)

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.is_active else None
