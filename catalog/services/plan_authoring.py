"""The CDO writes the plan: versions (from a copy of the previous one), their principles,
goals with measurable objectives, focal points and groups, and their moves from draft to
consultation to final to superseded. Every change is an audit event on the version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalog.models import (
    PlanFocalPoint,
    PlanGoal,
    PlanObjective,
    PlanPrinciple,
    PlanVersion,
    User,
)
from catalog.models.plan import PLAN_TRANSITIONS, STATUS_LABELS
from catalog.schemas.plan import (
    FocalPointSchema,
    GoalSchema,
    GroupEditSchema,
    NewVersionSchema,
    ObjectiveSchema,
    PrincipleSchema,
    VersionEditSchema,
)
from catalog.services.audit import diff, record_event
from catalog.services.plan import can_manage_plan, get_version, plan_today


@dataclass(frozen=True)
class ElementKind:
    name: str
    label: str
    model: type
    schema: Schema
    # Payload keys the form sends -> model attributes.
    fields: dict[str, str]


KINDS = {
    "principle": ElementKind(
        "principle", "principle", PlanPrinciple,
        PrincipleSchema(exclude=("datasets", "themes")), {"group": "group_key", "text": "text"},
    ),
    "goal": ElementKind(
        "goal", "goal", PlanGoal, GoalSchema(exclude=("datasets", "themes", "objective")),
        {"term": "term", "title": "title", "description": "description"},
    ),
    "objective": ElementKind(
        "objective", "objective", PlanObjective, ObjectiveSchema(),
        {"text": "text", "metric": "metric", "target": "target", "unit": "unit", "due": "due"},
    ),
    "focal_point": ElementKind(
        "focal_point", "focal point", PlanFocalPoint,
        FocalPointSchema(exclude=("datasets", "themes")),
        {"title": "title", "description": "description"},
    ),
}  # fmt: skip


def _require_cdo(actor: User) -> None:
    if not can_manage_plan(actor):
        raise PermissionDenied("Only the CDO or an admin writes the plan.")


def _load(schema: Schema, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidInput(
            {k: v if isinstance(v, list) else [str(v)] for k, v in exc.messages.items()}  # type: ignore[union-attr]
        ) from None


def _audit(session: Session, actor: User, action: str, version: PlanVersion, before, after) -> None:
    record_event(session, actor, action, "plan_version", version.key, before, after)


# ---------------------------------------------------------------------------- versions


def create_version(
    session: Session, actor: User, *, key: str, title: str, copy_from: str | None = None
) -> PlanVersion:
    """A new draft, empty or starting from a copy of another version's live elements."""
    _require_cdo(actor)
    data = _load(NewVersionSchema(), {"key": key, "title": title, "copy_from": copy_from or None})
    if session.scalar(select(PlanVersion.id).where(PlanVersion.key == data["key"])):
        raise Conflict(f"A plan version {data['key']!r} exists.", {"key": ["Already used."]})
    version = PlanVersion(key=data["key"], title=data["title"], status="draft", groups=[])
    session.add(version)
    if data["copy_from"]:
        source = get_version(session, data["copy_from"])
        version.based_on = source.key
        _copy_elements(source, version)
    session.flush()
    after = {
        "key": version.key, "title": version.title, "status": version.status,
        "based_on": version.based_on, "principles": len(version.principles),
        "goals": len(version.goals), "focal_points": len(version.focal_points),
    }  # fmt: skip
    _audit(session, actor, "plan.version.create", version, None, after)
    return version


def _copy_elements(source: PlanVersion, target: PlanVersion) -> None:
    target.groups = [dict(g) for g in source.groups]
    shared = ("key", "position", "datasets", "themes")
    for p in (p for p in source.principles if not p.retired):
        target.principles.append(
            PlanPrinciple(**{n: getattr(p, n) for n in shared}, group_key=p.group_key, text=p.text)
        )
    for f in (f for f in source.focal_points if not f.retired):
        target.focal_points.append(
            PlanFocalPoint(
                **{n: getattr(f, n) for n in shared}, title=f.title, description=f.description
            )
        )
    for g in (g for g in source.goals if not g.retired):
        goal = PlanGoal(
            **{n: getattr(g, n) for n in shared},
            term=g.term,
            title=g.title,
            description=g.description,
        )
        for o in (o for o in g.objectives if not o.retired):
            goal.objectives.append(
                PlanObjective(
                    **{n: getattr(o, n) for n in ("key", "position", "text", "metric", "target")},
                    unit=o.unit,
                    due=o.due,
                )
            )
        target.goals.append(goal)


VERSION_FIELDS = (
    "title", "summary", "issued", "issued_note", "source_url", "period_starts", "period_ends",
)  # fmt: skip


def update_version(
    session: Session, version_key: str, changes: dict[str, Any], actor: User
) -> PlanVersion:
    """Title, summary, issue date and note, source address and the period it covers."""
    _require_cdo(actor)
    version = get_version(session, version_key)
    data = _load(VersionEditSchema(), {name: changes.get(name) for name in VERSION_FIELDS})
    before = {name: getattr(version, name) for name in VERSION_FIELDS}
    for name in VERSION_FIELDS:
        setattr(version, name, data.get(name))
    old, new = diff(before, {name: getattr(version, name) for name in VERSION_FIELDS})
    if new:
        session.flush()
        _audit(session, actor, "plan.version.update", version, old, new)
    return version


def update_comment_window(
    session: Session,
    version_key: str,
    opens: date | None,
    closes: date | None,
    actor: User,
    note: str | None = None,
) -> PlanVersion:
    """Open, move or close a version's public comment window."""
    _require_cdo(actor)
    if opens and closes and closes < opens:
        raise InvalidInput({"closes": ["The window cannot close before it opens."]})
    version = get_version(session, version_key)
    before = {"opens": version.comment_opens, "closes": version.comment_closes}
    version.comment_opens, version.comment_closes = opens, closes
    if note is not None:
        version.comment_note = note.strip() or None
    session.flush()
    _audit(
        session, actor, "plan.window.update", version, before, {"opens": opens, "closes": closes}
    )
    return version


def set_status(
    session: Session,
    version_key: str,
    status: str,
    actor: User,
    *,
    opens: date | None = None,
    closes: date | None = None,
    issued: date | None = None,
) -> PlanVersion:
    """Move a version along draft -> consultation -> final -> superseded.

    Going out for comment needs the window's dates. Going final needs an issue date (today by
    default) and supersedes the final versions issued before it, so one plan is in force."""
    _require_cdo(actor)
    version = get_version(session, version_key)
    allowed = PLAN_TRANSITIONS.get(version.status, ())
    if status not in allowed:
        names = ", ".join(STATUS_LABELS[s].lower() for s in allowed) or "none"
        raise Conflict(
            f"A version that is {STATUS_LABELS[version.status].lower()} cannot become "
            f"{STATUS_LABELS.get(status, status).lower()}. Allowed: {names}.",
            {"status": [f"Allowed: {', '.join(allowed)}."]},
        )
    before = {"status": version.status}
    if status == "consultation":
        opens = opens or version.comment_opens
        closes = closes or version.comment_closes
        if opens is None or closes is None:
            raise InvalidInput({"closes": ["Give the dates the comment window opens and closes."]})
        if closes < opens:
            raise InvalidInput({"closes": ["The window cannot close before it opens."]})
        before |= {"opens": version.comment_opens, "closes": version.comment_closes}
        version.comment_opens, version.comment_closes = opens, closes
    if status == "final":
        before["issued"] = version.issued
        version.issued = issued or version.issued or plan_today()
    version.status = status
    session.flush()
    after = {name: getattr(version, name) for name in ("status", "issued", "comment_opens")}
    _audit(session, actor, "plan.version.status", version, before, after)
    if status == "final":
        for other in session.scalars(
            select(PlanVersion).where(
                PlanVersion.status == "final",
                PlanVersion.id != version.id,
                PlanVersion.retired.is_(False),
            )
        ):
            if other.issued is None or other.issued <= version.issued:
                other.status = "superseded"
                _audit(
                    session, actor, "plan.version.status", other, {"status": "final"},
                    {"status": "superseded", "superseded_by": version.key},
                )  # fmt: skip
        session.flush()
    return version


# ---------------------------------------------------------------------------- elements


def _rows(version: PlanVersion, kind: str, goal_key: str | None) -> list:
    if kind == "objective":
        return _goal(version, goal_key).objectives
    return getattr(version, {"principle": "principles", "goal": "goals"}.get(kind, "focal_points"))


def _goal(version: PlanVersion, goal_key: str | None) -> PlanGoal:
    goal = next((g for g in version.goals if g.key == goal_key and not g.retired), None)
    if goal is None:
        raise NotFound(f"{version.title} has no goal {goal_key!r}.")
    return goal


def _values(row: Any, spec: ElementKind) -> dict[str, Any]:
    return {"key": row.key, **{name: getattr(row, attr) for name, attr in spec.fields.items()}}


def save_element(
    session: Session,
    version_key: str,
    kind: str,
    payload: dict[str, Any],
    actor: User,
    *,
    element_key: str | None = None,
    goal_key: str | None = None,
) -> Any:
    """Add (``element_key`` None) or change a principle, goal, objective or focal point.

    Keys are unique within the version (objectives across goals too, since progress reports
    name them); a new element goes last. Keys do not change once given."""
    _require_cdo(actor)
    spec = KINDS.get(kind)
    if spec is None:
        raise NotFound(f"No plan element kind {kind!r}.")
    version = get_version(session, version_key)
    rows = _rows(version, kind, goal_key)
    key = element_key or str(payload.get("key") or "").strip()
    given = {n: payload[n] for n in spec.fields if payload.get(n) not in (None, "")}
    data = _load(spec.schema, {"id": key, **given})
    if kind == "principle" and data.get("group") not in {None, *(g["key"] for g in version.groups)}:
        raise InvalidInput({"group": [f"No group {data['group']!r} in this version."]})
    if kind == "objective":
        data["target"] = float(data["target"])
    row = next((r for r in rows if r.key == data["id"]), None)
    if element_key is not None and (row is None or row.retired):
        raise NotFound(f"{version.title} has no {spec.label} {element_key!r}.")
    if element_key is None:
        taken = [r.key for r in _all_keys(version, kind) if not r.retired]
        if data["id"] in taken:
            raise Conflict(
                f"{version.title} already has a {spec.label} {data['id']}.",
                {"key": ["Already used in this version."]},
            )
    before = _values(row, spec) if row is not None and not row.retired else None
    if row is None:
        row = spec.model(key=data["id"])
        rows.append(row)
    if row.retired or before is None:
        row.retired = False
        row.position = max((r.position for r in rows if r is not row), default=-1) + 1
    for name, attr in spec.fields.items():
        setattr(row, attr, data.get(name))
    session.flush()
    after = _values(row, spec)
    if before is None:
        _audit(session, actor, f"plan.{kind}.create", version, None, {"element": kind, **after})
    else:
        old, new = diff(before, after)
        if new:
            _audit(
                session, actor, f"plan.{kind}.update", version,
                {"element": kind, "key": row.key, **old}, {"element": kind, "key": row.key, **new},
            )  # fmt: skip
    return row


def _all_keys(version: PlanVersion, kind: str) -> list:
    if kind == "objective":
        return [o for g in version.goals if not g.retired for o in g.objectives]
    return _rows(version, kind, None)


def move_element(
    session: Session,
    version_key: str,
    kind: str,
    element_key: str,
    offset: int,
    actor: User,
    *,
    goal_key: str | None = None,
) -> None:
    """Move an element up (``offset`` -1) or down (+1) among its live siblings."""
    _require_cdo(actor)
    version = get_version(session, version_key)
    rows = sorted((r for r in _rows(version, kind, goal_key) if not r.retired), key=_pos)
    keys = [r.key for r in rows]
    if element_key not in keys:
        raise NotFound(f"{version.title} has no {kind.replace('_', ' ')} {element_key!r}.")
    index = keys.index(element_key)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(rows):
        return
    rows[index], rows[target] = rows[target], rows[index]
    for position, row in enumerate(rows):
        row.position = position
    session.flush()
    _audit(
        session, actor, f"plan.{kind}.move", version, {"element": kind, "order": keys},
        {"element": kind, "order": [r.key for r in rows]},
    )  # fmt: skip


def _pos(row: Any) -> tuple[int, int]:
    return (row.position, row.id or 0)


def remove_element(
    session: Session,
    version_key: str,
    kind: str,
    element_key: str,
    actor: User,
    *,
    goal_key: str | None = None,
) -> None:
    """Take an element out of the version. It is kept (retired), because feedback and progress
    reports may refer to it; adding the key again brings it back with new text."""
    _require_cdo(actor)
    version = get_version(session, version_key)
    row = next(
        (r for r in _rows(version, kind, goal_key) if r.key == element_key and not r.retired),
        None,
    )
    if row is None:
        raise NotFound(f"{version.title} has no {kind.replace('_', ' ')} {element_key!r}.")
    row.retired = True
    session.flush()
    _audit(
        session, actor, f"plan.{kind}.remove", version,
        {"element": kind, **_values(row, KINDS[kind])}, None,
    )  # fmt: skip


# ---------------------------------------------------------------------------- groups


def save_group(
    session: Session,
    version_key: str,
    key: str,
    title: str,
    actor: User,
    *,
    existing: bool = False,
) -> PlanVersion:
    """Add a principle group, or retitle one (``existing``)."""
    _require_cdo(actor)
    version = get_version(session, version_key)
    data = _load(GroupEditSchema(), {"key": key, "title": title})
    groups = [dict(g) for g in version.groups]
    match = next((g for g in groups if g["key"] == data["key"]), None)
    if existing and match is None:
        raise NotFound(f"{version.title} has no group {data['key']!r}.")
    if not existing and match is not None:
        raise Conflict("That group exists.", {"key": ["Already used in this version."]})
    before = dict(match) if match else None
    if match is None:
        groups.append(data)
    else:
        match["title"] = data["title"]
    version.groups = groups
    session.flush()
    _audit(session, actor, "plan.group.save", version, before, data)
    return version


def remove_group(session: Session, version_key: str, key: str, actor: User) -> None:
    _require_cdo(actor)
    version = get_version(session, version_key)
    if any(p.group_key == key and not p.retired for p in version.principles):
        raise Conflict(
            "Move or remove this group's principles first.",
            {"group": ["The group still has principles."]},
        )
    groups = [dict(g) for g in version.groups]
    match = next((g for g in groups if g["key"] == key), None)
    if match is None:
        raise NotFound(f"{version.title} has no group {key!r}.")
    version.groups = [g for g in groups if g["key"] != key]
    session.flush()
    _audit(session, actor, "plan.group.remove", version, match, None)
