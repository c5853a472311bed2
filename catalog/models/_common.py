"""Small helpers shared by the model modules."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now: SQLite keeps no time zone, so every stored time is UTC without one."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_public_id() -> str:
    """A short random id for URLs; 64 bits make collisions negligible at millions of rows."""
    return secrets.token_hex(8)
