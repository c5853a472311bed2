"""Harvesters: one module per source kind behind a small base class (``harvesters.base``).

``REGISTRY`` maps a source kind to its harvester class; ``run_harvest`` runs one source.
"""

from harvesters.base import Harvester, HarvestFailed, Outcome
from harvesters.registry import REGISTRY, harvester_for
from harvesters.runner import run_harvest

__all__ = ["REGISTRY", "HarvestFailed", "Harvester", "Outcome", "harvester_for", "run_harvest"]
