"""The demo's harvest sources: small samples of real public metadata shipped in samples/.

None of the samples was published by a Connecticut agency, so none names a default agency:
their records go to the agency their publisher matches, else to "unassigned" (the CDO's to-do
list), never to a Connecticut agency that did not publish them."""

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
            "role": "portal",
            "url": str(samples_dir / "demo-datasets.json"),
        },
        {
            "name": "demo-wa-2013",
            "kind": "dcat-us",
            "role": "portal",
            "url": str(samples_dir / "harvest" / "data.wa.gov-data-v1.0-2013.json"),
        },
        {
            "name": "demo-dayton-inventory",
            "kind": "inventory",
            "role": "inventory",
            "url": str(samples_dir / "harvest" / "dayton-montgomery-oh-inventory.csv"),
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
        else:
            source.url = spec["url"]  # the checkout moved
            # Demos made before samples were filed honestly: stop filing them under CT agencies.
            source.agency_code, source.role = None, spec["role"]
        session.commit()
        job = run_harvest(session, source, config)
        counts = ", ".join(f"{v} {k}" for k, v in job.counts.items())
        lines.append(f"Harvested {source.name}: {job.status} ({counts}).")
        if job.status != "succeeded":
            raise ServiceError(f"Demo harvest of {source.name} failed: {job.error}")
    return lines
