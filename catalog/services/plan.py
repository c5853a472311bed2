"""Plan versions: load ``config/plan/*.toml``, read versions, edit objectives and windows."""

from __future__ import annotations

import hashlib
import logging
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from catalog.models import (
    PlanFocalPoint,
    PlanGoal,
    PlanObjective,
    PlanPrinciple,
    PlanVersion,
    User,
)
from catalog.models.plan import EXAMPLE_MARKER
from catalog.schemas.plan import ObjectiveSchema, PlanFileSchema
from catalog.services.audit import record_event

log = logging.getLogger(__name__)

try:
    PLAN_TZ: Any = ZoneInfo("America/New_York")
except ZoneInfoNotFoundError:  # pragma: no cover - systems without tz data
    PLAN_TZ = UTC


class PlanFileError(ServiceError):
    """A plan file is unreadable or invalid; ``errors`` maps the file's path to the problem, so
    the CLI prints one line: ``Invalid plan file. config/plan/x.toml: goal[0].due: ...``."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__("Invalid plan file.", {str(path): [problem]})
        self.path, self.problem = path, problem

    def __str__(self) -> str:
        return f"Invalid plan file {self.path}: {self.problem}"


def can_manage_plan(user: User | None) -> bool:
    """The CDO and admins edit the plan, triage feedback and read every progress report."""
    return user is not None and user.is_active and user.is_cdo_or_admin


class Clock:
    """Where "today" comes from; tests replace ``CLOCK.today`` to freeze it."""

    def today(self) -> date:
        return datetime.now(PLAN_TZ).date()


CLOCK = Clock()


def plan_today() -> date:
    """Today in Connecticut: comment windows open and close on Connecticut dates."""
    return CLOCK.today()


# ---------------------------------------------------------------------------- loading


def read_plan_file(path: Path) -> dict[str, Any]:
    """Parse and validate one plan file; problems raise ``PlanFileError`` naming the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PlanFileError(path, f"cannot be read: {exc}") from None
    try:
        data = PlanFileSchema().load(raw)
    except ValidationError as exc:
        raise PlanFileError(path, _describe(exc.messages)) from None
    if data["key"] != path.stem:
        raise PlanFileError(path, f"key {data['key']!r} must match the file name ({path.stem!r}).")
    return data


def load_plan_versions(session: Session, plan_dir: Path) -> tuple[int, int]:
    """Create or update plan versions from every ``*.toml`` in ``plan_dir`` (matched by key).

    All files are validated before anything is written. A file identical to the one last loaded
    is skipped, so edits the CDO made on the admin page stay until the file itself changes.
    Versions whose file disappeared are marked retired, never deleted. Returns (added, updated).
    """
    files = sorted(plan_dir.glob("*.toml")) if plan_dir.is_dir() else []
    parsed = [(path, read_plan_file(path)) for path in files]
    existing = {v.key: v for v in session.scalars(select(PlanVersion))}
    added = updated = 0
    for path, data in parsed:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        version = existing.pop(data["key"], None)
        if version is not None and version.source_hash == digest and not version.retired:
            continue
        if version is None:
            version = PlanVersion(key=data["key"])
            session.add(version)
            added += 1
        else:
            updated += 1
        _apply_version(version, data)
        version.source_hash = digest
        version.source_file = path.name
        session.flush()
    for version in existing.values():
        if not version.retired:
            version.retired = True
            updated += 1
    session.flush()
    return added, updated


def _apply_version(version: PlanVersion, data: dict[str, Any]) -> None:
    window = data.get("comment_window") or {}
    version.title = data["title"]
    version.status = data["status"]
    version.issued = data.get("issued")
    version.issued_note = data.get("issued_note")
    version.summary = data.get("summary")
    version.source_url = data.get("source_url")
    version.comment_opens = window.get("opens")
    version.comment_closes = window.get("closes")
    version.comment_note = window.get("note")
    version.groups = [{"key": g["key"], "title": g["title"]} for g in data["group"]]
    version.retired = False

    principles = _sync(version.principles, PlanPrinciple, data["principle"])
    for row, entry in principles:
        row.group_key = entry.get("group")
        row.text = entry["text"]
    focal_points = _sync(version.focal_points, PlanFocalPoint, data["focal_point"])
    for row, entry in focal_points:
        row.title, row.description = entry["title"], entry.get("description")
    for goal, entry in _sync(version.goals, PlanGoal, data["goal"]):
        goal.term, goal.title, goal.description = (
            entry["term"],
            entry["title"],
            entry.get("description"),
        )
        for objective, item in _sync(goal.objectives, PlanObjective, entry["objective"]):
            for name in ("text", "metric", "target", "unit", "due"):
                setattr(objective, name, item.get(name))


def _sync(rows: list, model: type, entries: list[dict[str, Any]]) -> list[tuple[Any, dict]]:
    """Match ``rows`` to ``entries`` by key: update, add, and retire rows no longer declared."""
    by_key = {row.key: row for row in rows}
    pairs = []
    for position, entry in enumerate(entries):
        row = by_key.pop(entry["id"], None)
        if row is None:
            row = model(key=entry["id"])
            rows.append(row)
        row.position, row.example, row.retired = position, entry.get("example", False), False
        if hasattr(row, "datasets"):
            row.datasets, row.themes = (
                list(entry.get("datasets", [])),
                list(entry.get("themes", [])),
            )
        pairs.append((row, entry))
    for row in by_key.values():
        row.retired = True
    return pairs


def _describe(messages: Any, prefix: str = "") -> str:
    """marshmallow's nested messages as ``goal[1].objective[0].due: Not a valid date.``"""
    parts: list[str] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                name = f"{prefix}[{key}]"
            elif key == "_schema":
                name = prefix or "file"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            parts.append(_describe(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        parts.append(f"{prefix}: {' '.join(messages)}")
    elif isinstance(messages, list):
        parts += [_describe(m, prefix) for m in messages]
    else:
        parts.append(f"{prefix}: {messages}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------- reading


def list_versions(session: Session, *, include_retired: bool = False) -> list[PlanVersion]:
    """Plan versions, newest first (by issue date, undated ones by key)."""
    query = select(PlanVersion)
    if not include_retired:
        query = query.where(PlanVersion.retired.is_(False))
    versions = list(session.scalars(query))
    return sorted(versions, key=lambda v: (v.issued or date.min, v.key), reverse=True)


def get_version(session: Session, key: str) -> PlanVersion:
    version = session.scalar(
        select(PlanVersion)
        .where(PlanVersion.key == key)
        .options(
            selectinload(PlanVersion.principles),
            selectinload(PlanVersion.focal_points),
            selectinload(PlanVersion.goals).selectinload(PlanGoal.objectives),
        )
    )
    if version is None:
        raise NotFound(f"No plan version {key!r}.")
    return version


def current_version(session: Session, today: date | None = None) -> PlanVersion | None:
    """The plan in force: the newest final version issued by ``today``, else the newest one."""
    today = today or plan_today()
    versions = list_versions(session)
    for version in versions:
        if version.status == "final" and version.issued is not None and version.issued <= today:
            return version
    return versions[0] if versions else None


def open_versions(session: Session, today: date | None = None) -> list[PlanVersion]:
    """Versions accepting comments on ``today``, newest first."""
    today = today or plan_today()
    return [v for v in list_versions(session) if v.window_open_on(today)]


def find_objective(session: Session, version_key: str, objective_key: str) -> PlanObjective:
    objective = session.scalar(
        select(PlanObjective)
        .join(PlanGoal)
        .join(PlanVersion)
        .where(PlanVersion.key == version_key, PlanObjective.key == objective_key)
    )
    if objective is None:
        raise InvalidInput(
            {"objective": [f"Plan {version_key!r} has no objective {objective_key!r}."]}
        )
    return objective


def principle_keys(session: Session, version_key: str) -> set[str]:
    """The principle ids of a version (empty if unknown): for rule files that name principles."""
    return set(
        session.scalars(
            select(PlanPrinciple.key)
            .join(PlanVersion)
            .where(PlanVersion.key == version_key, PlanPrinciple.retired.is_(False))
        )
    )


def active_objectives(version: PlanVersion) -> list[PlanObjective]:
    return [
        objective
        for goal in version.goals
        if not goal.retired
        for objective in goal.objectives
        if not objective.retired
    ]


# ---------------------------------------------------------------------------- CDO edits


def update_objective(
    session: Session, objective_id: int, changes: dict[str, Any], actor: User
) -> PlanObjective:
    """Change an objective's text, metric, target, unit or due date (CDO and admins)."""
    if not can_manage_plan(actor):
        raise PermissionDenied("Only the CDO or an admin edits plan objectives.")
    objective = session.get(PlanObjective, objective_id)
    if objective is None:
        raise NotFound(f"No objective {objective_id}.")
    # Text the CDO writes is the plan's own: an objective stays an example only while it says so.
    payload = {"id": objective.key, **changes}
    payload["example"] = EXAMPLE_MARKER in str(changes.get("text") or "")
    try:
        data = ObjectiveSchema().load(payload)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None  # type: ignore[arg-type]
    fields = ("text", "metric", "target", "unit", "due", "example")
    before = {name: getattr(objective, name) for name in fields}
    for name in fields:
        setattr(objective, name, data.get(name))
    after = {name: getattr(objective, name) for name in fields}
    record_event(
        session, actor, "plan.objective.update", "plan_objective", objective.id, before, after
    )
    session.flush()
    return objective


def update_comment_window(
    session: Session,
    version_key: str,
    opens: date | None,
    closes: date | None,
    actor: User,
) -> PlanVersion:
    """Open, move or close a version's public comment window (CDO and admins)."""
    if not can_manage_plan(actor):
        raise PermissionDenied("Only the CDO or an admin sets comment windows.")
    if opens and closes and closes < opens:
        raise InvalidInput({"closes": ["The window cannot close before it opens."]})
    version = get_version(session, version_key)
    before = {"opens": version.comment_opens, "closes": version.comment_closes}
    version.comment_opens, version.comment_closes = opens, closes
    record_event(
        session,
        actor,
        "plan.window.update",
        "plan_version",
        version.key,
        before,
        {"opens": opens, "closes": closes},
    )
    session.flush()
    return version
