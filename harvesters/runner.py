"""Run a source's harvest with the app's settings: the entry point the CLI and demo call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from catalog.db import analyze
from catalog.models import HarvestJob, HarvestSource
from catalog.services.conformance import take_snapshot
from harvesters.http import HttpClient, HttpSettings
from harvesters.writer import ANALYZED_TABLES


def run_harvest(
    session: Session,
    source: HarvestSource,
    config: Any,
    *,
    progress: Callable[[int, int | None], None] | None = None,
    http: HttpClient | None = None,
    location: str | None = None,
) -> HarvestJob:
    """Harvest ``source`` once. ``config`` is the app config (HARVEST_* settings, CONFIG_DIR).
    ``location`` makes an inventory source read that file this once (a steward's upload)."""
    from harvesters.registry import harvester_for

    client = http or HttpClient(HttpSettings.from_config(config))
    try:
        harvester = harvester_for(source, http=client, config=config, location=location)
        job = harvester.run(session, config_dir=config.get("CONFIG_DIR"), progress=progress)
    finally:
        if http is None:
            client.close()
    if job.added or job.updated or job.withdrawn:
        analyze(session, *ANALYZED_TABLES, "harvest_record", "audit_event")
        # Conformance adoption is charted from snapshots: record where this harvest left it.
        take_snapshot(session)
        session.commit()
    return job
