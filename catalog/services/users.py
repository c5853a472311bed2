"""Accounts, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from marshmallow import ValidationError, validate
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models import ROLES, ApiToken, User
from catalog.models._common import utcnow
from catalog.services.agencies import find_agency
from catalog.services.audit import record_event

TOKEN_PREFIX = "ctdc_"  # noqa: S105 (a public prefix, not a secret)
MIN_PASSWORD_LENGTH = 12
# werkzeug's default (scrypt). The test suite swaps in a cheaper method to stay fast.
PASSWORD_METHOD = "scrypt"  # noqa: S105 (a hash method name, not a secret)
# A hash to compare against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def create_user(
    session: Session,
    email: str,
    role: str,
    *,
    agency_codes: list[str] = (),
    name: str | None = None,
    password: str | None = None,
    actor: User | str | None = "cli",
) -> User:
    """Create an account. Stewards need at least one agency."""
    email = email.strip().lower()
    try:
        validate.Email()(email)
    except ValidationError:
        raise InvalidInput({"email": ["Not a valid email address."]}) from None
    if role not in ROLES:
        raise InvalidInput({"role": [f"Must be one of: {', '.join(ROLES)}."]})
    if role == "steward" and not agency_codes:
        raise InvalidInput({"agency": ["A steward needs at least one agency (--agency CODE)."]})
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"A user with email {email} exists.", {"email": ["Already registered."]})
    user = User(email=email, role=role, name=name)
    user.agencies = [find_agency(session, code) for code in agency_codes]
    if password is not None:
        set_password(user, password)
    session.add(user)
    session.flush()
    record_event(
        session, actor, "user.create", "user", user.id, None,
        {"email": email, "role": role, "agencies": [a.code for a in user.agencies]},
    )  # fmt: skip
    return user


DEMO_ACCOUNTS = (
    ("steward@dph.ct.gov", "steward", ("DPH",), "DPH data steward (demo)"),
    ("cdo@ct.gov", "cdo", (), "Chief Data Officer (demo)"),
    ("admin@ct.gov", "admin", (), "Administrator (demo)"),
)


def ensure_demo_accounts(session: Session) -> list[tuple[str, str, str]]:
    """The demo's steward, CDO and admin, each with a new random password.

    Returns ``(email, role, password)`` for the caller to show once; running the demo again
    replaces the passwords, since the earlier ones were shown only once.
    """
    accounts = []
    for email, role, agencies, name in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            create_user(session, email, role, agency_codes=list(agencies), name=name,
                        password=password, actor="demo")  # fmt: skip
        else:
            set_password(user, password)
            record_event(session, "demo", "user.password", "user", user.id, None, None)
        accounts.append((email, role, password))
    return accounts


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            {"password": [f"Must be at least {MIN_PASSWORD_LENGTH} characters long."]}
        )
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, else None."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No user with email {email}.")
    return user


def issue_token(session: Session, user: User, actor: User | str | None = "cli") -> str:
    """A new API token for ``user``. Only its digest is stored: the caller shows it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user=user, token_hash=_digest(token), prefix=token[:12])
    session.add(record)
    session.flush()
    record_event(session, actor, "token.issue", "user", user.id, None, {"prefix": record.prefix})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if record is None or record.revoked_at is not None or not record.user.is_active:
        return None
    record.last_used_at = utcnow()
    return record.user


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is safe (no dictionary to attack).
    return hashlib.sha256(token.encode()).hexdigest()
