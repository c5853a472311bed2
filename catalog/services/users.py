"""Accounts, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from marshmallow import ValidationError, validate
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models import ROLES, ApiToken, User
from catalog.models._common import utcnow
from catalog.services.agencies import find_agency
from catalog.services.audit import record_event

TOKEN_PREFIX = "ctdc_"  # noqa: S105 (a public prefix, not a secret)
MIN_PASSWORD_LENGTH = 12
# zxcvbn's 0-4 scale: 3 is "safely unguessable: moderate protection from offline attacks".
MIN_PASSWORD_SCORE = 3
# A token's last use is written at most this often (not on every API call).
LAST_USED_RESOLUTION = timedelta(minutes=1)
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


def check_password(password: str, user: User | None = None) -> None:
    """Long enough and not guessable: zxcvbn scores it against lists of common passwords, words,
    names, keyboard patterns and repeats (and the account's own email and name)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            {"password": [f"Must be at least {MIN_PASSWORD_LENGTH} characters long."]}
        )
    hints = [user.email, *user.email.split("@")[0].split("."), user.name or ""] if user else []
    # zxcvbn's cost grows with length; what follows the first 100 characters only adds strength.
    verdict = zxcvbn(password[:100], user_inputs=[h for h in hints if h])
    if verdict["score"] < MIN_PASSWORD_SCORE:
        feedback = verdict["feedback"]
        advice = " ".join(filter(None, [feedback.get("warning"), *feedback.get("suggestions", [])]))
        raise InvalidInput({"password": [f"Too easy to guess. {advice}".strip()]})


def set_password(user: User, password: str) -> None:
    """Set a password the policy accepts; every session signed in before ends."""
    check_password(password, user)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    end_sessions(user)


def change_password(
    session: Session, user: User, current: str, new: str, actor: User | str | None = None
) -> None:
    """The user's own change: the current password first."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise InvalidInput({"current_password": ["Not your current password."]})
    set_password(user, new)
    record_event(session, actor or user, "user.password", "user", user.id, None, None)


def end_sessions(user: User) -> None:
    """Sign ``user`` out everywhere: sessions carry the version they were signed with."""
    user.session_version = (user.session_version or 0) + 1


def deactivate_user(session: Session, user: User, actor: User | str | None = "cli") -> int:
    """Deactivate an account: its sessions end and its tokens are revoked. Returns how many
    tokens were revoked."""
    user.active = False
    end_sessions(user)
    revoked = revoke_tokens(session, user, actor)
    record_event(session, actor, "user.deactivate", "user", user.id, {"active": True},
                 {"active": False})  # fmt: skip
    return revoked


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


def issue_token(
    session: Session,
    user: User,
    actor: User | str | None = "cli",
    lifetime: timedelta | None = None,
) -> str:
    """A new API token for ``user``, valid for ``lifetime`` (None: until revoked). Only its
    digest is stored: the caller shows it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + lifetime if lifetime else None
    record = ApiToken(user=user, token_hash=_digest(token), prefix=token[:12], expires_at=expires)
    session.add(record)
    session.flush()
    after = {"prefix": record.prefix, "expires": expires.isoformat() if expires else None}
    record_event(session, actor, "token.issue", "user", user.id, None, after)
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a live (not revoked, not expired) bearer token belongs to, or None."""
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    now = utcnow()
    if record is None or record.revoked_at is not None or not record.user.is_active:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
        record.last_used_at = now
    return record.user


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (prefix, created, last used, expiry, revoked)."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_tokens(session: Session, user: User, actor: User | str | None = "cli") -> int:
    """Revoke every live token of ``user``; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    count = result.rowcount or 0
    record_event(session, actor, "token.revoke_all", "user", user.id, None, {"revoked": count})
    return count


def revoke_token(session: Session, token_id: int, actor: User) -> ApiToken:
    """Revoke one token: its owner's (or an admin's) action."""
    record = session.get(ApiToken, token_id)
    if record is None or (record.user_id != actor.id and actor.role != "admin"):
        raise NotFound(f"No token {token_id} of yours.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        record_event(session, actor, "token.revoke", "user", record.user_id, None,
                     {"prefix": record.prefix})  # fmt: skip
    return record


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is safe (no dictionary to attack).
    return hashlib.sha256(token.encode()).hexdigest()
