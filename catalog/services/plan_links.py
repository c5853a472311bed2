"""What each plan element links to: standards rules (read from ``config/standards/*.toml``) and
datasets (declared on the element by id, identifier or theme).

The standards files belong to the conformance area. This module only reads them, defensively:
a missing folder, an unreadable file or an unexpected shape yields no links, never an error.
A rule is any table with a ``principle`` key; its plan is the nearest enclosing ``plan`` value.
"""

from __future__ import annotations

import logging
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog.models import STATUS_ACTIVE, Dataset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleLink:
    rule_set: str
    rule: str
    title: str
    source: str


def standards_by_principle(standards_dir: Path, plan_key: str) -> dict[str, list[RuleLink]]:
    """Rules per principle id for ``plan_key``; empty when the folder is absent."""
    result: dict[str, list[RuleLink]] = defaultdict(list)
    if not standards_dir.is_dir():
        return {}
    for path in sorted(standards_dir.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            log.warning("plan page: skipping unreadable standards file %s: %s", path, exc)
            continue
        plans = _plan_values(data)
        default_plan = plans.pop() if len(plans) == 1 else None
        for rule_set, rule in _rules(data, plan=default_plan, rule_set=path.stem):
            if rule["plan"] != plan_key:
                continue
            result[rule["principle"]].append(
                RuleLink(
                    rule_set=rule_set,
                    rule=rule["id"],
                    title=rule["title"],
                    source=path.name,
                )
            )
    return dict(result)


def _plan_values(node: Any) -> set[str]:
    """Every ``plan`` string on a non-rule table: one value is the whole file's plan, so a
    ``[rule_set] plan = ...`` table also covers sibling ``[[rule]]`` tables."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _plan_values(item)
    elif isinstance(node, dict):
        if isinstance(node.get("plan"), str) and "principle" not in node:
            found.add(node["plan"])
        for value in node.values():
            if isinstance(value, dict | list):
                found |= _plan_values(value)
    return found


def _rules(node: Any, plan: str | None, rule_set: str) -> list[tuple[str, dict[str, str]]]:
    found: list[tuple[str, dict[str, str]]] = []
    if isinstance(node, list):
        for item in node:
            found += _rules(item, plan, rule_set)
        return found
    if not isinstance(node, dict):
        return found
    if isinstance(node.get("plan"), str):
        plan = node["plan"]
    for name in ("key", "id", "name"):
        if isinstance(node.get(name), str) and "principle" not in node:
            rule_set = node[name]
            break
    principles = node.get("principle")
    if isinstance(principles, str):
        principles = [principles]
    if isinstance(principles, list) and plan is not None:
        rule_id = str(node.get("id") or node.get("key") or node.get("name") or "rule")
        title = str(node.get("title") or node.get("name") or node.get("description") or rule_id)
        for principle in principles:
            if isinstance(principle, str):
                found.append(
                    (
                        rule_set,
                        {"plan": plan, "principle": principle, "id": rule_id, "title": title},
                    )
                )
    for key, value in node.items():
        if key != "principle" and isinstance(value, dict | list):
            found += _rules(value, plan, rule_set)
    return found


def datasets_for(
    session: Session, refs: list[str], themes: list[str], limit: int = 20
) -> list[Dataset]:
    """Active datasets a plan element names by id or identifier (themes link to searches)."""
    refs = [ref for ref in refs if isinstance(ref, str) and ref]
    if not refs:
        return []
    query = (
        select(Dataset)
        .where(Dataset.status == STATUS_ACTIVE)
        .where(or_(Dataset.id.in_(refs), Dataset.identifier.in_(refs)))
        .order_by(Dataset.title)
        .limit(limit)
    )
    return list(session.scalars(query))
