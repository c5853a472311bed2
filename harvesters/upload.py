"""A steward's inventory spreadsheet uploaded from the web: checked, kept, then harvested.

The file is kept under ``INSTANCE_DIR/uploads/<source>/`` with a generated name (the steward's
file name is only displayed) and the source is harvested from it once, through the runner's
``location`` override: the source's own address stays as registered. Who uploaded which file is
an audit event on the job (``harvest_job.upload``).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog.errors import Conflict, InvalidInput, PermissionDenied
from catalog.guards.uploads import Limits, SpreadsheetRefused, check_spreadsheet
from catalog.models import HarvestJob, HarvestSource, User
from catalog.models._common import utcnow
from catalog.permissions import can_manage_source
from catalog.services.audit import record_event
from catalog.services.harvest import UPLOAD_EVENT, original_name
from harvesters.base import HarvestFailed
from harvesters.inventory import missing_columns, read_table, without_annotations
from harvesters.runner import run_harvest

UPLOAD_EXTENSIONS = ("csv", "xlsx")


def harvest_upload(
    session: Session,
    source: HarvestSource,
    data: bytes,
    filename: str,
    actor: User,
    config: Any,
) -> HarvestJob:
    """Harvest ``source`` from an uploaded CSV/XLSX. A file pandas cannot read, or one without
    the mapped columns, is refused with ``InvalidInput`` and nothing is kept or run."""
    if not can_manage_source(actor, source):
        raise PermissionDenied(
            f"Only stewards of {source.agency_code or 'the source agency'} and the CDO may "
            f"upload to {source.name}."
        )
    display_name = original_name(filename)
    extension = Path(display_name).suffix.lower().lstrip(".")
    if source.kind != "inventory" or not source.mapping.get("columns"):
        raise InvalidInput({"file": [f"{source.name} is not an inventory source with a mapping."]})
    if extension not in UPLOAD_EXTENSIONS:
        raise InvalidInput({"file": ["Upload a CSV or XLSX file."]})
    try:
        check_spreadsheet(data, f"upload.{extension}", Limits.from_config(config))
    except SpreadsheetRefused as exc:
        raise InvalidInput({"file": [f"{display_name}: {exc} Nothing was harvested."]}) from None
    _check_readable(data, extension, display_name, source)
    path = _keep(data, extension, source, config)
    # Inside a web request: validate in this process rather than fork a pool from a threaded
    # server (inventories are small).
    settings = {**config, "HARVEST_WORKERS": 0}
    try:
        job = run_harvest(
            session,
            source,
            settings,
            location=str(path),
            trigger="upload",
            requested_by=actor.email,
        )
    except HarvestFailed as exc:  # another job of this source is running
        path.unlink(missing_ok=True)
        raise Conflict(str(exc)) from exc
    record_event(
        session,
        actor,
        UPLOAD_EVENT,
        "harvest_job",
        job.id,
        None,
        {
            "source": source.name,
            "filename": display_name,
            "stored_as": str(path.relative_to(Path(config["INSTANCE_DIR"]))),
            "bytes": len(data),
        },
    )
    return job


def _check_readable(data: bytes, extension: str, display_name: str, source: HarvestSource) -> None:
    try:
        frame = read_table(data, f"upload.{extension}")
    except Exception as exc:  # pandas and openpyxl raise many types for a damaged file
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InvalidInput(
            {
                "file": [
                    f"{display_name} could not be read as {extension.upper()} ({reason}). "
                    "Nothing was harvested."
                ]
            }
        ) from exc
    missing = missing_columns(without_annotations(frame, source.mapping), source.mapping)
    if missing:
        raise InvalidInput(
            {
                "file": [
                    f"{display_name} lacks the columns the mapping of {source.name} needs: "
                    f"{', '.join(missing)}. Nothing was harvested."
                ]
            }
        )


def _keep(data: bytes, extension: str, source: HarvestSource, config: Any) -> Path:
    # Source names allow dots; never let one ("..") climb out of the uploads folder.
    folder = source.name if source.name.strip(".") else f"source-{source.id}"
    directory = Path(config["INSTANCE_DIR"]) / "uploads" / folder
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(8)}.{extension}"
    path.write_bytes(data)
    return path
