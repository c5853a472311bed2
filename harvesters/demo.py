"""The demo's harvest sources: small samples of real public metadata shipped in samples/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import ServiceError
from catalog.models import HarvestSource
from catalog.services.harvest import add_source
from harvesters.runner import run_harvest

ACTOR = "demo"


def demo_sources(samples_dir: Path, config_dir: Path) -> list[dict[str, Any]]:
    return [
        {
            "name": "demo-cdc",
            "kind": "dcat-us",
            "url": str(samples_dir / "demo-datasets.json"),
            "agency_code": "DPH",
        },
        {
            "name": "demo-wa-2013",
            "kind": "dcat-us",
            "url": str(samples_dir / "harvest" / "data.wa.gov-data-v1.0-2013.json"),
        },
        {
            "name": "demo-dayton-inventory",
            "kind": "inventory",
            "url": str(samples_dir / "harvest" / "dayton-montgomery-oh-inventory.csv"),
            "agency_code": "OPM",
            "mapping_path": config_dir / "inventory_mappings" / "dayton-montgomery-oh.toml",
        },
    ]


def harvest_demo_sources(session: Session, config: Any, samples_dir: Path) -> list[str]:
    """Register the demo sources (once) and harvest each. Returns one summary line per source."""
    lines = []
    for spec in demo_sources(samples_dir, Path(config["CONFIG_DIR"])):
        source = session.scalar(select(HarvestSource).where(HarvestSource.name == spec["name"]))
        if source is None:
            source = add_source(session, actor=ACTOR, **spec)
        elif source.url != spec["url"]:
            source.url = spec["url"]  # the checkout moved
        session.commit()
        job = run_harvest(session, source, config)
        counts = ", ".join(f"{v} {k}" for k, v in job.counts.items())
        lines.append(f"Harvested {source.name}: {job.status} ({counts}).")
        if job.status != "succeeded":
            raise ServiceError(f"Demo harvest of {source.name} failed: {job.error}")
    return lines
