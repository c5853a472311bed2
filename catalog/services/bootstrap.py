"""Create or upgrade the catalog: schema, agencies and (as they land) plan and standards."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from catalog.migrate import upgrade_database
from catalog.services.agencies import load_agencies
from catalog.services.plan_io import load_plan_versions
from catalog.services.review_config import load_authorities


def init_catalog(session: Session, config_dir: Path) -> dict[str, tuple[int, int]]:
    """Upgrade the schema to head and load declared data. Idempotent.

    Returns what was loaded: ``{"agencies": (added, updated), ...}``.
    """
    upgrade_database(session.get_bind())
    loaded = {"agencies": load_agencies(session, config_dir / "agencies.toml")}
    loaded["plan versions"] = load_plan_versions(session, config_dir / "plan")
    loaded["legal authorities"] = load_authorities(session, config_dir / "authorities.toml")
    return loaded
