"""Standards: rule sets declared as TOML in ``config/standards/`` and the closed set of rule kinds.

``init_app(app)`` loads and checks every rule file (a bad file stops start-up with a
``StandardsError`` naming the file and the problem), keeps the rule set in
``app.extensions["standards"]`` and connects the evaluator to ``catalog.events.datasets_changed``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context

from catalog.standards.kinds import FAIL, KINDS, NOT_APPLICABLE, PASS, STATUSES
from catalog.standards.loader import Rule, RuleSet, Standard, StandardsError, load_rule_sets

__all__ = [
    "FAIL",
    "KINDS",
    "NOT_APPLICABLE",
    "PASS",
    "STATUSES",
    "Rule",
    "RuleSet",
    "Standard",
    "StandardsError",
    "current_rule_set",
    "init_app",
    "load_rule_sets",
]


def init_app(app: Flask) -> None:
    config_dir = Path(app.config["CONFIG_DIR"])
    standards_dir = app.config.get("STANDARDS_DIR") or os.environ.get("CATALOG_STANDARDS_DIR")
    app.config["STANDARDS_DIR"] = str(standards_dir or config_dir / "standards")
    app.config.setdefault("SCHEMAS_DIR", str(config_dir / "schemas"))
    app.extensions["standards"] = load_rule_sets(
        Path(app.config["STANDARDS_DIR"]), Path(app.config["SCHEMAS_DIR"])
    )
    from catalog import events

    events.datasets_changed.connect(_evaluate_changed)


def current_rule_set() -> RuleSet:
    return current_app.extensions["standards"]


def _evaluate_changed(
    _sender: Any, ids: list[str] | None = None, session: Any = None, **_kwargs: Any
) -> None:
    """Evaluate the changed datasets in the session that changed them (the caller commits).

    Senders that work in a session other than ``db.session`` pass it as ``session=``.
    """
    if not ids or not has_app_context() or "standards" not in current_app.extensions:
        return
    from catalog.db import db
    from catalog.services.conformance import evaluate_datasets

    evaluate_datasets(session if session is not None else db.session, list(ids), current_rule_set())
