"""Plan versions: who manages them, the plan clock, and reads (in force, public, periods).

Writes live in ``plan_authoring`` (the CDO's edits) and ``plan_io`` (TOML import and export).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.errors import InvalidInput, NotFound, ServiceError
from catalog.models import (
    PlanGoal,
    PlanObjective,
    PlanPrinciple,
    PlanVersion,
    User,
)

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
    """The CDO and admins write the plan, answer feedback and read every progress report."""
    return user is not None and user.is_active and user.is_cdo_or_admin


class Clock:
    """Where "today" comes from; tests replace ``CLOCK.today`` to freeze it."""

    def today(self) -> date:
        return datetime.now(PLAN_TZ).date()


CLOCK = Clock()


def plan_today() -> date:
    """Today in Connecticut: comment windows open and close on Connecticut dates."""
    return CLOCK.today()


def accepts_comments(version: PlanVersion, day: date) -> bool:
    """Public comments are taken while the window is open, on any version the public sees."""
    return version.is_public and version.window_open_on(day)


# ---------------------------------------------------------------------------- reading


def list_versions(
    session: Session, *, include_retired: bool = False, public_only: bool = False
) -> list[PlanVersion]:
    """Plan versions, newest first (by issue date, undated ones by key)."""
    query = select(PlanVersion)
    if not include_retired:
        query = query.where(PlanVersion.retired.is_(False))
    versions = list(session.scalars(query))
    if public_only:
        versions = [v for v in versions if v.is_public]
    # Undated versions (a new draft) sort as the newest, unless their period says otherwise.
    return sorted(
        versions, key=lambda v: (v.issued or v.period_starts or date.max, v.key), reverse=True
    )


def visible_versions(session: Session, viewer: User | None) -> list[PlanVersion]:
    """What a viewer may open: drafts are the CDO's until they go out for comment."""
    return list_versions(session, public_only=not can_manage_plan(viewer))


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
    if version is None or version.retired:
        raise NotFound(f"No plan version {key!r}.")
    return version


def get_visible_version(session: Session, key: str, viewer: User | None) -> PlanVersion:
    """A version the viewer may see; a draft is "not found" to everyone but the CDO."""
    version = get_version(session, key)
    if not version.is_public and not can_manage_plan(viewer):
        raise NotFound(f"No plan version {key!r}.")
    return version


def current_version(session: Session, today: date | None = None) -> PlanVersion | None:
    """The plan in force: the newest final version issued by ``today``, else the newest public
    version (None when nothing is public yet)."""
    today = today or plan_today()
    versions = list_versions(session, public_only=True)
    for version in versions:
        if version.status == "final" and version.issued is not None and version.issued <= today:
            return version
    return versions[0] if versions else None


def open_versions(session: Session, today: date | None = None) -> list[PlanVersion]:
    """Versions accepting comments on ``today``, newest first."""
    today = today or plan_today()
    return [v for v in list_versions(session, public_only=True) if accepts_comments(v, today)]


def version_period(
    version: PlanVersion, versions: list[PlanVersion]
) -> tuple[date | None, date | None]:
    """The period a version covers: as set by the CDO, else from its issue date to the day
    before the next final version was issued (open-ended when there is none)."""
    if version.period_starts and version.period_ends:
        return version.period_starts, version.period_ends
    starts = version.period_starts or version.issued
    ends = version.period_ends
    if ends is None and starts is not None:
        later = sorted(
            v.issued
            for v in versions
            if v.key != version.key
            and v.status in ("final", "superseded")
            and v.issued is not None
            and v.issued > starts
        )
        if later:
            ends = later[0] - timedelta(days=1)
    return starts, ends


def find_objective(session: Session, version_key: str, objective_key: str) -> PlanObjective:
    objective = session.scalar(
        select(PlanObjective)
        .join(PlanGoal)
        .join(PlanVersion)
        .where(
            PlanVersion.key == version_key,
            PlanObjective.key == objective_key,
            PlanObjective.retired.is_(False),
            PlanGoal.retired.is_(False),
        )
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


def has_content(version: PlanVersion) -> bool:
    """Whether any of the version's text (principles, goals, focal points) is written yet."""
    return any(
        not element.retired
        for element in (*version.principles, *version.goals, *version.focal_points)
    )
