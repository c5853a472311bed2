"""Declared data for sharing reviews: legal authorities, agreement clauses and the review timeline.

Authorities are loaded into the database by ``init`` (reviews link to them). The timeline and the
CGS § 4-67aa clause checklist are read from ``config/`` when used and checked when read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import LegalAuthority
from catalog.models.review import OBSTACLE_KINDS, OPEN_STATES
from config.settings import CONFIG_DIR

AUTHORITIES_FILE = "authorities.toml"
TIMELINE_FILE = "review_timeline.toml"


class DeclaredDataError(ValueError):
    """A file under config/ does not have the expected shape; the message says where."""


@dataclass(frozen=True)
class Stage:
    state: str
    days: int
    label: str
    description: str


@dataclass(frozen=True)
class Timeline:
    stages: dict[str, Stage]
    agreement_expiry_warning_days: int

    def days_for(self, state: str) -> int | None:
        stage = self.stages.get(state)
        return stage.days if stage else None


@dataclass(frozen=True)
class Clause:
    code: str
    text: str


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DeclaredDataError(f"{path}: {exc}") from exc


def parse_authorities(data: dict[str, Any], source: str = AUTHORITIES_FILE) -> list[dict]:
    """Check and normalise the ``[[authority]]`` entries."""
    entries = data.get("authority")
    if not isinstance(entries, list) or not entries:
        raise DeclaredDataError(f"{source}: no [[authority]] entries")
    seen: set[str] = set()
    result = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source}: authority #{number}"
        for key in ("code", "citation", "name", "summary"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise DeclaredDataError(f"{where}: {key!r} must be a non-empty string")
        code = entry["code"].strip().upper()
        if code in seen:
            raise DeclaredDataError(f"{where}: duplicate code {code!r}")
        seen.add(code)
        kinds = list(entry.get("obstacle_kinds", []))
        unknown = sorted(set(kinds) - set(OBSTACLE_KINDS))
        if unknown:
            raise DeclaredDataError(f"{where}: unknown obstacle kinds {unknown}")
        resolutions = entry.get("resolutions", [])
        if not isinstance(resolutions, list) or not all(isinstance(r, str) for r in resolutions):
            raise DeclaredDataError(f"{where}: 'resolutions' must be a list of strings")
        result.append(
            {
                "code": code,
                "citation": entry["citation"].strip(),
                "name": entry["name"].strip(),
                "summary": " ".join(entry["summary"].split()),
                "obstacle_kinds": kinds,
                "resolutions": list(resolutions),
            }
        )
    return result


def load_authorities(session: Session, path: Path) -> tuple[int, int]:
    """Create or update legal authorities from TOML (matched by code; none deleted).

    Returns (added, updated).
    """
    entries = parse_authorities(_read(path), str(path))
    existing = {a.code: a for a in session.scalars(select(LegalAuthority))}
    added = updated = 0
    for entry in entries:
        authority = existing.get(entry["code"])
        if authority is None:
            session.add(LegalAuthority(**entry))
            added += 1
            continue
        changed = {k: v for k, v in entry.items() if getattr(authority, k) != v}
        for key, value in changed.items():
            setattr(authority, key, value)
        updated += bool(changed)
    session.flush()
    return added, updated


def parse_clauses(data: dict[str, Any], source: str = AUTHORITIES_FILE) -> list[Clause]:
    entries = data.get("agreement_clause", [])
    clauses = []
    for number, entry in enumerate(entries, start=1):
        code, text = entry.get("code"), entry.get("text")
        if not isinstance(code, str) or not isinstance(text, str) or not code or not text:
            raise DeclaredDataError(f"{source}: agreement_clause #{number} needs code and text")
        clauses.append(Clause(code, text))
    if len({c.code for c in clauses}) != len(clauses):
        raise DeclaredDataError(f"{source}: agreement clause codes must be unique")
    return clauses


def parse_timeline(data: dict[str, Any], source: str = TIMELINE_FILE) -> Timeline:
    stages_data = data.get("stage", {})
    stages = {}
    for state in OPEN_STATES:
        entry = stages_data.get(state)
        if not isinstance(entry, dict):
            raise DeclaredDataError(f"{source}: [stage.{state}] is missing")
        days = entry.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise DeclaredDataError(f"{source}: stage.{state}.days must be a whole number >= 1")
        stages[state] = Stage(
            state, days, str(entry.get("label", state)), str(entry.get("description", ""))
        )
    unknown = sorted(set(stages_data) - set(OPEN_STATES))
    if unknown:
        raise DeclaredDataError(f"{source}: only open stages have days, not {unknown}")
    warning = data.get("agreement_expiry_warning_days", 60)
    if not isinstance(warning, int) or warning < 0:
        raise DeclaredDataError(f"{source}: agreement_expiry_warning_days must be >= 0")
    return Timeline(stages, warning)


@lru_cache(maxsize=4)
def _timeline_cached(path: str, _mtime: float) -> Timeline:
    return parse_timeline(_read(Path(path)), path)


@lru_cache(maxsize=4)
def _clauses_cached(path: str, _mtime: float) -> tuple[Clause, ...]:
    return tuple(parse_clauses(_read(Path(path)), path))


def get_timeline(config_dir: Path = CONFIG_DIR) -> Timeline:
    """The review timeline, re-read when the file changes."""
    path = config_dir / TIMELINE_FILE
    return _timeline_cached(str(path), path.stat().st_mtime)


def get_clauses(config_dir: Path = CONFIG_DIR) -> tuple[Clause, ...]:
    """The clauses CGS § 4-67aa requires, as a checklist for agreements."""
    path = config_dir / AUTHORITIES_FILE
    return _clauses_cached(str(path), path.stat().st_mtime)
