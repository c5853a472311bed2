"""Plan versions as TOML: ``init`` imports the shipped files once, the CDO exports and imports.

After a version is in the database, the database is its source of truth: ``init`` never loads
its file again, and an import over an existing version needs ``replace``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import Conflict, InvalidInput
from catalog.models import PlanFocalPoint, PlanGoal, PlanObjective, PlanPrinciple, PlanVersion, User
from catalog.schemas.plan import PlanFileSchema
from catalog.services.audit import record_event
from catalog.services.plan import PlanFileError, can_manage_plan, get_version


def read_plan_file(path: Path) -> dict[str, Any]:
    """Parse and validate one plan file; problems raise ``PlanFileError`` naming the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PlanFileError(path, f"cannot be read: {exc}") from None
    try:
        data = PlanFileSchema().load(raw)
    except ValidationError as exc:
        raise PlanFileError(path, describe(exc.messages)) from None
    if data["key"] != path.stem:
        raise PlanFileError(path, f"key {data['key']!r} must match the file name ({path.stem!r}).")
    return data


def load_plan_versions(session: Session, plan_dir: Path) -> tuple[int, int]:
    """Import every ``*.toml`` in ``plan_dir`` whose version is not in the database yet.

    All files are validated before anything is written. Versions already in the database are
    left alone, whatever their file says: the CDO edits the plan in the catalog. Returns
    (added, updated); nothing is ever updated here.
    """
    files = sorted(plan_dir.glob("*.toml")) if plan_dir.is_dir() else []
    parsed = [read_plan_file(path) for path in files]
    existing = set(session.scalars(select(PlanVersion.key)))
    added = 0
    for data in parsed:
        if data["key"] in existing:
            continue
        _write_version(session, PlanVersion(key=data["key"]), data)
        record_event(
            session, "init", "plan.version.import", "plan_version", data["key"], None,
            {"key": data["key"], "title": data["title"], "status": data["status"]},
        )  # fmt: skip
        added += 1
    session.flush()
    return added, 0


def import_plan(
    session: Session, text: str, actor: User | str, *, replace: bool = False
) -> PlanVersion:
    """Import a version from TOML text. An existing version is replaced only with ``replace``:
    its elements are matched by key, so feedback and progress reports keep their targets."""
    if isinstance(actor, User) and not can_manage_plan(actor):
        raise InvalidInput({"file": ["Only the CDO or an admin imports plan versions."]})
    try:
        data = PlanFileSchema().load(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput({"file": [f"Not valid TOML: {exc}"]}) from None
    except ValidationError as exc:
        raise InvalidInput({"file": [describe(exc.messages)]}) from None
    version = session.scalar(select(PlanVersion).where(PlanVersion.key == data["key"]))
    before = None
    if version is not None:
        if not replace:
            raise Conflict(
                f"Plan version {data['key']!r} exists; import with replace to overwrite it.",
                {"key": ["Already in the catalog."]},
            )
        before = export_data(get_version(session, version.key))
    else:
        version = PlanVersion(key=data["key"])
    _write_version(session, version, data)
    session.flush()
    record_event(
        session, actor, "plan.version.import", "plan_version", version.key, before,
        export_data(get_version(session, version.key)),
    )  # fmt: skip
    return version


def _write_version(session: Session, version: PlanVersion, data: dict[str, Any]) -> None:
    window = data.get("comment_window") or {}
    period = data.get("period") or {}
    version.title = data["title"]
    version.status = data["status"]
    version.issued = data.get("issued")
    version.issued_note = data.get("issued_note")
    version.summary = data.get("summary")
    version.source_url = data.get("source_url")
    version.comment_opens = window.get("opens")
    version.comment_closes = window.get("closes")
    version.comment_note = window.get("note")
    version.period_starts = period.get("starts")
    version.period_ends = period.get("ends")
    version.groups = [{"key": g["key"], "title": g["title"]} for g in data["group"]]
    version.retired = False
    if version.id is None:
        session.add(version)
    for row, entry in _sync(version.principles, PlanPrinciple, data["principle"]):
        row.group_key, row.text = entry.get("group"), entry["text"]
    for row, entry in _sync(version.focal_points, PlanFocalPoint, data["focal_point"]):
        row.title, row.description = entry["title"], entry.get("description")
    for goal, entry in _sync(version.goals, PlanGoal, data["goal"]):
        goal.term, goal.title = entry["term"], entry["title"]
        goal.description = entry.get("description")
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
        row.position, row.retired = position, False
        if hasattr(row, "datasets"):
            row.datasets = list(entry.get("datasets", []))
            row.themes = list(entry.get("themes", []))
        pairs.append((row, entry))
    for row in by_key.values():
        row.retired = True
    return pairs


def export_data(version: PlanVersion) -> dict[str, Any]:
    """A version as the plan file's structure (what ``import_plan`` reads back)."""
    data: dict[str, Any] = {"key": version.key, "title": version.title, "status": version.status}
    for name in ("issued", "issued_note", "summary", "source_url"):
        if getattr(version, name) is not None:
            data[name] = getattr(version, name)
    window = {
        name: value
        for name, value in (
            ("opens", version.comment_opens),
            ("closes", version.comment_closes),
            ("note", version.comment_note),
        )
        if value is not None
    }
    if window:
        data["comment_window"] = window
    if version.period_starts and version.period_ends:
        data["period"] = {"starts": version.period_starts, "ends": version.period_ends}
    data["group"] = [dict(g) for g in version.groups]
    data["principle"] = [
        _links(p, {"id": p.key, **({"group": p.group_key} if p.group_key else {}), "text": p.text})
        for p in _live(version.principles)
    ]
    data["goal"] = [
        _links(
            g,
            {
                "id": g.key,
                "term": g.term,
                "title": g.title,
                **({"description": g.description} if g.description else {}),
                "objective": [
                    {
                        "id": o.key,
                        "text": o.text,
                        "metric": o.metric,
                        "target": o.target,
                        **({"unit": o.unit} if o.unit else {}),
                        "due": o.due,
                    }
                    for o in _live(g.objectives)
                ],
            },
        )
        for g in _live(version.goals)
    ]
    data["focal_point"] = [
        _links(
            f,
            {
                "id": f.key,
                "title": f.title,
                **({"description": f.description} if f.description else {}),
            },
        )
        for f in _live(version.focal_points)
    ]
    return {key: value for key, value in data.items() if value != []}


def export_toml(version: PlanVersion) -> str:
    """The version as a TOML plan file (the shape of ``config/plan/*.toml``)."""
    return tomli_w.dumps(export_data(version), multiline_strings=True)


def _live(rows: list) -> list:
    return [row for row in rows if not row.retired]


def _links(element: Any, data: dict[str, Any]) -> dict[str, Any]:
    if element.datasets:
        data["datasets"] = list(element.datasets)
    if element.themes:
        data["themes"] = list(element.themes)
    return data


def describe(messages: Any, prefix: str = "") -> str:
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
            parts.append(describe(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        parts.append(f"{prefix}: {' '.join(messages)}")
    elif isinstance(messages, list):
        parts += [describe(m, prefix) for m in messages]
    else:
        parts.append(f"{prefix}: {messages}")
    return "; ".join(parts)
