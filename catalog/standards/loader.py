"""Load and check the rule sets in ``config/standards/*.toml``.

A rule file declares one standard (key, title, version, the plan it implements) and its rules. Every
file is validated when loaded; any problem raises ``StandardsError`` naming the file and the
problem, which stops the app from starting.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from catalog.models._common import utcnow
from catalog.standards.kinds import KINDS, RuleKind
from config.settings import ConfigError

ACCESS_LEVELS = ("public", "restricted public", "non-public")
KEY = validate.Regexp(
    r"^[a-z0-9][a-z0-9._-]{0,63}$", error="Use 1-64 lower-case letters, digits, '.', '_' or '-'."
)


class StandardsError(ConfigError):
    """A rule file is missing, unreadable or invalid; the message names the file and problem."""


class StandardHeaderSchema(Schema):
    class Meta:
        unknown = RAISE

    key = fields.String(required=True, validate=KEY)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    version = fields.String(required=True, validate=validate.Length(min=1, max=32))
    plan = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(load_default="")
    # False for a preview (e.g. readiness for a coming standard): results are stored and shown
    # per agency, but do not count in the datasets' scores.
    scored = fields.Boolean(load_default=True)


class RuleSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=KEY)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    principle = fields.String(
        required=True,
        validate=validate.Regexp(r"^P[0-9]{1,3}$", error="Use a plan principle id such as 'P3'."),
    )
    weight = fields.Integer(required=True, validate=validate.Range(min=1, max=100))
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            sorted(KINDS), error="Unknown kind {input!r}; use one of: {choices}."
        ),
    )
    parameters = fields.Dict(keys=fields.String(), load_default=dict)
    how_to_fix = fields.String(required=True, validate=validate.Length(min=1))
    description = fields.String(load_default="")
    when_access_level = fields.List(
        fields.String(validate=validate.OneOf(ACCESS_LEVELS)), load_default=list
    )


class RuleFileSchema(Schema):
    class Meta:
        unknown = RAISE

    standard = fields.Nested(StandardHeaderSchema, required=True)
    rule = fields.List(fields.Nested(RuleSchema), required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    principle: str
    weight: int
    kind: str
    parameters: dict[str, Any]
    how_to_fix: str
    description: str
    when_access_level: tuple[str, ...]
    standard: str
    standard_version: str
    checker: RuleKind = field(compare=False, repr=False)
    scored: bool = True

    def applies_to(self, access_level: str | None) -> bool:
        return not self.when_access_level or access_level in self.when_access_level


@dataclass(frozen=True)
class Standard:
    key: str
    title: str
    version: str
    plan: str
    description: str
    path: str
    rules: tuple[Rule, ...]
    scored: bool = True

    @property
    def tag(self) -> str:
        return f"{self.key}@{self.version}"


@dataclass(frozen=True)
class RuleSet:
    """Every standard loaded from one folder; ``version`` names the combination of versions."""

    standards: tuple[Standard, ...]
    context: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for standard in self.standards for rule in standard.rules)

    @property
    def version(self) -> str:
        return "+".join(standard.tag for standard in self.standards)[:255]

    def rule(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def standard(self, key: str) -> Standard | None:
        return next((s for s in self.standards if s.key == key), None)


def load_rule_sets(standards_dir: Path, schemas_dir: Path) -> RuleSet:
    """Load every ``*.toml`` in ``standards_dir``; raise ``StandardsError`` at the first problem."""
    standards_dir = Path(standards_dir)
    files = sorted(standards_dir.glob("*.toml"))
    if not files:
        raise StandardsError(f"{standards_dir}: no rule files (*.toml) found.")
    standards: list[Standard] = []
    seen_rules: dict[str, Path] = {}
    seen_keys: dict[str, Path] = {}
    context: dict[str, Any] = {"schemas_dir": Path(schemas_dir), "now": utcnow()}
    for path in files:
        standard = _load_file(path, context)
        if standard.key in seen_keys:
            raise StandardsError(
                f"{path}: standard key {standard.key!r} is also used in {seen_keys[standard.key]}."
            )
        seen_keys[standard.key] = path
        for rule in standard.rules:
            if rule.id in seen_rules:
                raise StandardsError(
                    f"{path}: rule id {rule.id!r} is also used in {seen_rules[rule.id]}."
                )
            seen_rules[rule.id] = path
        standards.append(standard)
    return RuleSet(tuple(standards), context)


def _load_file(path: Path, context: dict[str, Any]) -> Standard:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise StandardsError(f"{path}: cannot be read: {exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise StandardsError(f"{path}: not valid TOML: {exc}.") from None
    try:
        data = RuleFileSchema().load(raw)
    except ValidationError as exc:
        raise StandardsError(f"{path}: {_format(exc.messages, raw)}") from None
    header = data["standard"]
    rules = []
    for index, entry in enumerate(data["rule"]):
        kind = KINDS[entry["kind"]]
        where = f"rule {entry['id']!r} (rule #{index + 1})"
        try:
            params = kind.params_schema().load(entry["parameters"])
            checker = kind(params, context)
        except ValidationError as exc:
            raise StandardsError(f"{path}: {where} parameters: {_flat(exc.messages)}") from None
        rules.append(
            Rule(
                id=entry["id"],
                title=entry["title"],
                principle=entry["principle"],
                weight=entry["weight"],
                kind=entry["kind"],
                parameters=params,
                how_to_fix=entry["how_to_fix"].strip(),
                description=entry["description"].strip(),
                when_access_level=tuple(entry["when_access_level"]),
                standard=header["key"],
                standard_version=f"{header['key']}@{header['version']}",
                checker=checker,
                scored=header["scored"],
            )
        )
    return Standard(
        key=header["key"],
        title=header["title"],
        version=header["version"],
        plan=header["plan"],
        description=header["description"].strip(),
        path=str(path),
        rules=tuple(rules),
        scored=header["scored"],
    )


def _format(messages: Any, raw: dict) -> str:
    """marshmallow messages with rule numbers turned into 'rule 'id' (rule #n)'."""
    if isinstance(messages, dict) and isinstance(messages.get("rule"), dict):
        rules = raw.get("rule") if isinstance(raw.get("rule"), list) else []
        parts = []
        for index, problem in messages["rule"].items():
            if isinstance(index, int):
                rule_id = (
                    rules[index].get("id")
                    if index < len(rules) and isinstance(rules[index], dict)
                    else None
                )
                parts.append(f"rule {rule_id!r} (rule #{index + 1}): {_flat(problem)}")
            else:
                parts.append(f"rule: {_flat(problem)}")
        rest = {k: v for k, v in messages.items() if k != "rule"}
        return "; ".join(parts + ([_flat(rest)] if rest else []))
    return _flat(messages)


def _flat(messages: Any, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flat(value, f"{prefix}{key}.") for key, value in messages.items())
    if isinstance(messages, list):
        return (
            f"{prefix.rstrip('.')}: {' '.join(map(str, messages))}"
            if prefix
            else " ".join(map(str, messages))
        )
    return f"{prefix.rstrip('.')}: {messages}"
