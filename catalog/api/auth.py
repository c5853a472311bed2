"""Who is calling the API: a bearer token, else the signed-in browser session (reads only)."""

from __future__ import annotations

from flask import abort, g, request
from flask_login import current_user

from catalog.db import db
from catalog.models import User
from catalog.services.users import user_for_token


def api_user() -> User | None:
    """The caller for reads: token user, session user, or None for anonymous."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        if header:
            g.api_user = _token_user(header)
        elif current_user.is_authenticated:
            g.api_user = current_user._get_current_object()
        else:
            g.api_user = None
    return g.api_user


def require_token_user() -> User:
    """The caller for writes: a valid bearer token is required (401 otherwise)."""
    header = request.headers.get("Authorization", "")
    if not header:
        abort(401, description="Send an API token: Authorization: Bearer <token>.")
    return _token_user(header)


def _token_user(header: str) -> User:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, description="Use the Bearer scheme: Authorization: Bearer <token>.")
    user = user_for_token(db.session, token.strip())
    if user is None:
        abort(401, description="The API token is not valid, has expired or has been revoked.")
    if db.session.dirty:  # the token's last use, shown to its owner (at most once a minute)
        db.session.commit()
    return user
