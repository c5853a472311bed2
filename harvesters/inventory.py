"""Agency inventory spreadsheets (CSV or XLSX) read with pandas, mapped by a TOML file per agency.

A mapping names, for each DCAT-US field, the source column (``[columns]``), value vocabularies
(``[vocabularies.<field>]``, matched case-insensitively on the whole value or its start), defaults
(``[defaults]``) and the column(s) that make the identifier (``[source] identifier``). Row errors go
into an annotated copy of the spreadsheet (XLSX with ``errors`` and ``severity`` columns) that the
steward fixes and uploads again.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from catalog.dcat.values import frequency
from catalog.guards.cells import text_cell
from catalog.guards.uploads import Limits, SpreadsheetRefused, check_spreadsheet
from catalog.models import HarvestJob
from harvesters.base import Harvester, SourceRecord

ERRORS_COLUMN = "errors"
SEVERITY_COLUMN = "severity"
LIST_SPLIT = re.compile(r"\s*[;,|]\s*")
LIST_FIELDS = ("keyword", "theme", "language", "references", "bureauCode", "programCode")
# Common inventory headers (normalised) -> DCAT-US field, for the suggested mapping.
COMMON_HEADERS = {
    "identifier": ("identifier", "id", "dataset id", "unique identifier", "uid"),
    "title": ("title", "name", "dataset name", "dataset title", "dataset"),
    "description": ("description", "notes", "summary", "abstract", "dataset description"),
    "keyword": ("keyword", "keywords", "tags", "tag"),
    "modified": ("modified", "last updated", "updated", "last modified", "date updated"),
    "publisher": ("publisher", "agency", "department", "organization", "owner agency"),
    "contactPoint.fn": ("contact", "contact name", "steward", "data steward", "owner"),
    "contactPoint.hasEmail": ("email", "contact email", "steward email"),
    "accessLevel": ("access level", "access", "public", "is public", "public?", "accesslevel"),
    "rights": ("rights", "restrictions", "access restrictions"),
    "license": ("license", "licence"),
    "spatial": ("spatial", "geography", "geographic coverage"),
    "temporal": ("temporal", "time period", "temporal coverage"),
    "accrualPeriodicity": ("frequency", "update frequency", "cadence", "accrual periodicity"),
    "theme": ("theme", "category", "topic"),
    "landingPage": ("landing page", "item page", "webpage", "web page", "link"),
    "distribution.accessURL": ("url", "access url", "download url", "endpoint"),
    "distribution.format": ("format", "formats", "file format"),
}
ACCESS_VOCABULARY = {
    "yes": "public",
    "public": "public",
    "no": "non-public",
    "restricted": "restricted public",
    "non-public": "non-public",
    "restricted public": "restricted public",
}


def load_mapping(path: Path | str) -> dict[str, Any]:
    with Path(path).open("rb") as handle:
        mapping = tomllib.load(handle)
    if not isinstance(mapping.get("columns"), dict) or "title" not in mapping["columns"]:
        raise ValueError(f"{path}: a mapping needs a [columns] table with at least `title`.")
    return mapping


def suggest_mapping(headers: list[str]) -> dict[str, Any]:
    """A mapping guessed from common header names; the steward checks and saves it as TOML."""
    columns: dict[str, str] = {}
    for header in headers:
        key = _norm(header)
        for field_name, names in COMMON_HEADERS.items():
            if key in names and field_name not in columns:
                columns[field_name] = header
                break
    mapping: dict[str, Any] = {"columns": columns, "defaults": {}}
    if "accessLevel" in columns:
        mapping["vocabularies"] = {"accessLevel": dict(ACCESS_VOCABULARY)}
    if "identifier" not in columns and "title" in columns:
        mapping["source"] = {
            "identifier": [
                columns.get("distribution.accessURL", columns["title"]),
                columns["title"],
            ]
        }
    return mapping


def mapping_to_toml(mapping: dict[str, Any]) -> str:
    lines = []
    for table in ("source", "columns", "defaults"):
        if table in mapping:
            lines.append(f"[{table}]")
            for key, value in mapping[table].items():
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
            lines.append("")
    for field_name, vocabulary in (mapping.get("vocabularies") or {}).items():
        lines.append(f"[vocabularies.{_toml_key(field_name)}]")
        for key, value in vocabulary.items():
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def read_table(data: bytes, name: str) -> pd.DataFrame:
    if name.lower().endswith((".xlsx", ".xlsm")):
        frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)
    else:
        frame = pd.read_csv(
            io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    frame.columns = [str(c) for c in frame.columns]
    return frame


class InventoryHarvester(Harvester):
    kind = "inventory"
    version = "1"

    def __init__(self, *args: Any, location: str | None = None, **kwargs: Any) -> None:
        """``location``: read this run from that file (a steward's upload), not the source's url."""
        super().__init__(*args, **kwargs)
        self.mapping = self.source.mapping or {}
        self.location = location or self.source.url
        self.frame: pd.DataFrame | None = None

    def hashed_form(self, raw: dict[str, Any]) -> Any:
        return {"row": raw, "mapping": self.mapping}

    def gather(self) -> Iterator[SourceRecord]:
        if not self.mapping.get("columns"):
            from harvesters.base import HarvestFailed

            raise HarvestFailed(
                f"Source {self.source.name!r} has no column mapping: add one with --mapping FILE "
                "(see config/inventory_mappings/)."
            )
        location = self.location
        if re.match(r"^https?://", location):
            data = self.http.get_bytes(location)
        else:
            data = Path(location).expanduser().read_bytes()
        try:
            check_spreadsheet(data, location.split("?")[0], Limits.from_config(self.config))
        except SpreadsheetRefused as exc:
            from harvesters.base import HarvestFailed

            raise HarvestFailed(f"{location}: {exc}") from None
        self.frame = without_annotations(read_table(data, location.split("?")[0]), self.mapping)
        id_columns = identifier_columns(self.mapping)
        missing = missing_columns(self.frame, self.mapping)
        if missing:
            from harvesters.base import HarvestFailed

            raise HarvestFailed(
                f"Columns named in the mapping are missing from the file: {missing}"
            )
        hidden = address_columns(self.mapping)
        for position, row in enumerate(self.frame.to_dict("records")):
            raw = {key: _cell(value) for key, value in row.items()}
            parts = [_id_part(raw.get(c, ""), c in hidden) for c in id_columns if c]
            identifier = " #".join(p for p in parts if p) or None
            yield SourceRecord(identifier, raw, row=position)

    def transform(self, raw: dict[str, Any]) -> dict[str, Any]:
        return transform_row(raw, self.mapping)

    def finish(self, job: HarvestJob, failures: dict[int, list[dict]]) -> None:
        if self.frame is None:
            return
        out_dir = Path(self.config.get("INSTANCE_DIR", "instance")) / "harvest"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{self.source.name}-job{job.id}-annotated.xlsx"
        write_annotated(self.frame, failures, path)
        job.annotated_path = str(path)


def identifier_columns(mapping: dict[str, Any]) -> list[str]:
    columns = mapping.get("source", {}).get("identifier") or [mapping["columns"].get("identifier")]
    return [columns] if isinstance(columns, str) else columns


# Fields whose values a non-public dataset keeps from the public (its access paths and data
# dictionary): an identifier, which everyone sees, never carries them as they are.
ADDRESS_FIELDS = ("distribution.accessURL", "distribution.downloadURL", "describedBy")


def address_columns(mapping: dict[str, Any]) -> set[str]:
    columns = mapping.get("columns") or {}
    return {columns[f] for f in ADDRESS_FIELDS if columns.get(f)}


def _id_part(value: str, hidden: bool) -> str:
    """An identifier part; an address becomes a short digest of itself (stable, and one-way)."""
    if not hidden or not value:
        return value
    return "url-" + hashlib.sha256(value.encode()).hexdigest()[:16]


def missing_columns(frame: pd.DataFrame, mapping: dict[str, Any]) -> list[str]:
    """Columns the mapping names that the spreadsheet lacks."""
    named = list(mapping["columns"].values()) + identifier_columns(mapping)
    return [c for c in named if c and c not in frame.columns]


def without_annotations(frame: pd.DataFrame, mapping: dict[str, Any]) -> pd.DataFrame:
    """Drop the ``errors`` and ``severity`` columns of an annotated copy uploaded again (unless
    the mapping uses them): they are part of each row's hash, so keeping them would make every
    row of a re-uploaded copy look changed."""
    used = set(mapping.get("columns", {}).values()) | set(identifier_columns(mapping))
    drop = [c for c in (ERRORS_COLUMN, SEVERITY_COLUMN) if c in frame.columns and c not in used]
    return frame.drop(columns=drop) if drop else frame


def transform_row(raw: dict[str, Any], mapping: dict[str, Any]) -> dict[str, Any]:
    columns = mapping["columns"]
    vocabularies = {
        k: {_norm(a): b for a, b in v.items()}
        for k, v in (mapping.get("vocabularies") or {}).items()
    }
    defaults = mapping.get("defaults") or {}
    values: dict[str, Any] = dict(defaults)
    for field_name, column in columns.items():
        value = raw.get(column, "")
        if value == "":
            continue
        if field_name in vocabularies:
            value = _lookup(vocabularies[field_name], value, field_name)
        elif field_name == "accrualPeriodicity":
            value = frequency(value) or value
        values[field_name] = value
    payload: dict[str, Any] = {}
    contact: dict[str, str] = {}
    distribution: dict[str, str] = {}
    for field_name, value in values.items():
        if field_name.startswith("contactPoint."):
            contact[field_name.split(".", 1)[1]] = value
        elif field_name.startswith("distribution."):
            distribution[field_name.split(".", 1)[1]] = value
        elif field_name == "publisher":
            payload["publisher"] = {"name": value}
        elif field_name in LIST_FIELDS:
            payload[field_name] = (
                [v for v in LIST_SPLIT.split(value) if v] if isinstance(value, str) else value
            )
        elif field_name == "dataQuality":
            payload[field_name] = str(value).strip().lower() in ("yes", "true", "y", "1")
        else:
            payload[field_name] = value
    if contact:
        if contact.get("hasEmail") and not contact["hasEmail"].startswith("mailto:"):
            contact["hasEmail"] = f"mailto:{contact['hasEmail']}"
        contact.setdefault("fn", contact.get("hasEmail", "").removeprefix("mailto:"))
        payload["contactPoint"] = contact
    if distribution.get("accessURL") or distribution.get("downloadURL"):
        payload["distribution"] = [distribution]
    if "modified" in payload:
        payload["modified"] = _date_text(payload["modified"])
    return payload


class VocabularyError(ValueError):
    error_type = "vocabulary"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _lookup(vocabulary: dict[str, str], value: str, field_name: str) -> str:
    key = _norm(value)
    if key in vocabulary:
        return vocabulary[key]
    for prefix in sorted(vocabulary, key=len, reverse=True):
        if key.startswith(prefix):
            return vocabulary[prefix]
    raise VocabularyError(
        f"{field_name}: {value!r} is not in the mapping's vocabulary "
        f"({', '.join(sorted(set(vocabulary.values())))}).",
        field_name,
    )


def write_annotated(frame: pd.DataFrame, failures: dict[int, list[dict]], path: Path) -> None:
    """The spreadsheet as read, plus what is wrong with each row, ready to fix and upload again.

    Every cell is written as text. openpyxl (and pandas' ``to_excel``) would store a cell that
    starts with ``=`` as a live formula, so a hostile inventory could run formulas in the
    steward's Excel. Text that a spreadsheet could read as a formula also gets Excel's own
    "quote prefix" style (what typing a leading apostrophe does), so it stays text even when the
    steward edits the cell, and reads back unchanged: the next upload sees the same row.
    """
    from openpyxl import Workbook

    errors = [
        "; ".join(
            f"{p['field']}: {p['message']}" if p.get("field") else p["message"]
            for p in failures.get(i, [])
        )
        for i in range(len(frame))
    ]
    severities = [
        "error"
        if any(p["severity"] == "error" for p in failures.get(i, []))
        else ("warning" if failures.get(i) else "")
        for i in range(len(frame))
    ]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Inventory")
    sheet.append([text_cell(sheet, c) for c in [*frame.columns, ERRORS_COLUMN, SEVERITY_COLUMN]])
    for i, row in enumerate(frame.itertuples(index=False, name=None)):
        values = [*row, errors[i], severities[i]]
        sheet.append([text_cell(sheet, value) for value in values])
    workbook.save(path)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _date_text(value: str) -> str:
    match = re.match(r"^(\d{4}-\d{2}-\d{2})", value)
    if match:
        return match.group(1)
    match = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if match:
        month, day, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def _norm(text: str) -> str:
    return " ".join(str(text).casefold().replace("_", " ").split())


def _toml_key(key: str) -> str:
    return key if re.match(r"^[A-Za-z0-9_-]+$", key) else '"' + key.replace('"', '\\"') + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
