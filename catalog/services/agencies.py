from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import InvalidInput, NotFound
from catalog.models import UNASSIGNED_CODE, Agency


def load_agencies(session: Session, path: Path) -> tuple[int, int]:
    """Create or update agencies from a TOML file (matched by code; none deleted).

    Returns (added, updated).
    """
    with path.open("rb") as handle:
        entries = tomllib.load(handle).get("agency", [])
    existing = {agency.code: agency for agency in session.scalars(select(Agency))}
    added = updated = 0
    for entry in entries:
        code = str(entry["code"]).strip().upper()
        values = {
            "name": entry["name"],
            "aliases": list(entry.get("aliases", [])),
            "data_officer_name": entry.get("data_officer_name"),
            "data_officer_email": entry.get("data_officer_email"),
        }
        agency = existing.get(code)
        if agency is None:
            session.add(Agency(code=code, **values))
            added += 1
        elif any(getattr(agency, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(agency, key, value)
            updated += 1
    session.flush()
    return added, updated


def get_agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code.strip().upper()))
    if agency is None:
        raise NotFound(f"No agency with code {code!r}.")
    return agency


def find_agency(session: Session, code: str, field: str = "agency") -> Agency:
    """Like ``get_agency`` but a bad code is a field error (422), as in a form or API body."""
    try:
        return get_agency(session, code)
    except NotFound:
        raise InvalidInput({field: [f"Unknown agency code {code!r}."]}) from None


def unassigned_agency(session: Session) -> Agency:
    return get_agency(session, UNASSIGNED_CODE)


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.name)))
