"""Which agency a harvested record belongs to.

In order: ``config/attribution_agencies.toml`` (publisher or attribution strings to agency codes),
an agency's code, name or ``aliases``, the source's default agency, else the UNASSIGNED agency.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import UNASSIGNED_CODE, Agency

MAPPING_FILE = "attribution_agencies.toml"


def load_attribution_map(config_dir: Path | str | None) -> dict[str, str]:
    if config_dir is None:
        return {}
    path = Path(config_dir) / MAPPING_FILE
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        table = tomllib.load(handle).get("attribution", {})
    return {_key(name): str(code).strip().upper() for name, code in table.items()}


class AgencyResolver:
    def __init__(
        self, session: Session, config_dir: Path | str | None, default_code: str | None
    ) -> None:
        agencies = list(session.scalars(select(Agency)))
        self.by_code = {agency.code: agency.id for agency in agencies}
        self.codes = {agency.id: agency.code for agency in agencies}
        self.by_name: dict[str, int] = {}
        for agency in agencies:
            self.by_name[_key(agency.code)] = agency.id
            self.by_name[_key(agency.name)] = agency.id
            for alias in agency.aliases or []:
                self.by_name[_key(str(alias))] = agency.id
        for name, code in load_attribution_map(config_dir).items():
            if code in self.by_code:
                self.by_name[name] = self.by_code[code]
        default = (default_code or "").strip().upper()
        self.default_id = self.by_code.get(default) or self.by_code.get(UNASSIGNED_CODE)
        if self.default_id is None:
            raise LookupError("No UNASSIGNED agency: run `python manage.py init` first.")

    def resolve(self, *names: str | None) -> int:
        for name in names:
            if name:
                found = self.by_name.get(_key(name))
                if found:
                    return found
        return self.default_id

    def code(self, agency_id: int) -> str:
        return self.codes[agency_id]


def _key(text: str) -> str:
    return " ".join(text.casefold().replace("&", "and").split())
