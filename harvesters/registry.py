"""Source kind -> harvester class."""

from __future__ import annotations

from typing import Any

from catalog.models import HarvestSource
from harvesters.base import Harvester
from harvesters.ckan import CkanHarvester
from harvesters.dcat_us import DcatUsHarvester
from harvesters.http import HttpClient
from harvesters.inventory import InventoryHarvester
from harvesters.socrata import SocrataHarvester

REGISTRY: dict[str, type[Harvester]] = {
    cls.kind: cls for cls in (SocrataHarvester, DcatUsHarvester, CkanHarvester, InventoryHarvester)
}


def harvester_for(
    source: HarvestSource,
    http: HttpClient | None = None,
    config: Any = None,
    *,
    location: str | None = None,
) -> Harvester:
    """The harvester for ``source``. ``location`` (inventories only) reads another file."""
    try:
        cls = REGISTRY[source.kind]
    except KeyError:
        raise ValueError(
            f"Unknown source kind {source.kind!r}; one of {', '.join(REGISTRY)}"
        ) from None
    if location is None:
        return cls(source, http=http, config=config)
    if not issubclass(cls, InventoryHarvester):
        raise ValueError(f"Only inventory sources read a given file, not {source.kind!r} ones.")
    return cls(source, http=http, config=config, location=location)
