"""Which agency a harvested record lands under."""

from __future__ import annotations

from catalog.db import db
from config.settings import CONFIG_DIR
from harvesters.agencies import AgencyResolver, load_attribution_map


def test_mapping_file_names_aliases_default_then_unassigned(session) -> None:
    resolver = AgencyResolver(db.session, CONFIG_DIR, "DOT")
    code = resolver.code
    assert code(resolver.resolve("CT Department of Public Health")) == "DPH"  # mapping file
    assert code(resolver.resolve("office of policy & management")) == "OPM"  # an alias
    assert code(resolver.resolve("Department of Revenue Services")) == "DRS"  # agency name
    assert code(resolver.resolve("dmv")) == "DMV"  # agency code
    assert code(resolver.resolve(None, "Nobody We Know", "Department of Labor")) == "DOL"
    assert code(resolver.resolve("City of Dayton")) == "DOT"  # the source's default
    assert (
        code(AgencyResolver(db.session, CONFIG_DIR, None).resolve("City of Dayton")) == "UNASSIGNED"
    )


def test_every_mapped_code_is_a_known_agency(session) -> None:
    from sqlalchemy import select

    from catalog.models import Agency

    codes = set(db.session.scalars(select(Agency.code)))
    assert set(load_attribution_map(CONFIG_DIR).values()) <= codes
