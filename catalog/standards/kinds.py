"""The closed set of rule kinds. A rule file picks one by name and gives its parameters.

Each kind is a class with a marshmallow schema for its parameters and a ``check(record)`` method
that returns ``(status, message)``. A record is a plain dict built by the evaluator from database
rows (model attribute names, plus ``distributions``, ``link_status`` and ``agency_name``), so
checking 100,000 datasets needs no ORM objects.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

PASS = "pass"  # noqa: S105 - a status, not a password
FAIL = "fail"
NOT_APPLICABLE = "not_applicable"
STATUSES = (PASS, FAIL, NOT_APPLICABLE)

Outcome = tuple[str, str]

# Dataset attributes a rule may name (model attribute names).
CHECKABLE_FIELDS = (
    "identifier", "title", "description", "keyword", "modified", "publisher_name", "contact_name",
    "contact_email", "access_level", "rights", "license", "spatial", "temporal",
    "accrual_periodicity", "theme", "landing_page", "described_by", "described_by_type", "issued",
    "system_of_records", "language", "conforms_to", "references", "bureau_code", "program_code",
    "steward_name", "steward_email", "classification", "columns", "review_status",
)  # fmt: skip


class _Params(Schema):
    class Meta:
        unknown = RAISE


class RuleKind:
    """Base class: ``name`` is what rule files write as ``kind``."""

    name: ClassVar[str]
    params_schema: ClassVar[type[Schema]] = _Params

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        self.params = params

    def check(self, record: dict[str, Any]) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    # The record keys a rule's outcome depends on; None: the whole record. What a viewer may
    # not see of a dataset, no outcome built on it may tell them (catalog.services.conformance).
    reads_fields: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def reads(cls, params: dict[str, Any]) -> set[str] | None:
        return None if cls.reads_fields is None else set(cls.reads_fields)


def _label(params: dict[str, Any]) -> str:
    return params.get("label") or params["field"].replace("_", " ").capitalize()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


class _FieldParams(_Params):
    field = fields.String(required=True, validate=validate.OneOf(CHECKABLE_FIELDS))
    label = fields.String()


class RequiredParams(_FieldParams):
    min_length = fields.Integer(load_default=1, validate=validate.Range(min=1))
    min_items = fields.Integer(load_default=1, validate=validate.Range(min=1))
    differs_from = fields.String(validate=validate.OneOf(CHECKABLE_FIELDS))


class _FieldRule(RuleKind):
    @classmethod
    def reads(cls, params: dict[str, Any]) -> set[str] | None:
        return {params["field"], *([params["differs_from"]] if params.get("differs_from") else [])}


class Required(_FieldRule):
    """The field has a value: text of at least ``min_length`` characters, ``min_items`` entries."""

    name = "required"
    params_schema = RequiredParams

    def check(self, record: dict[str, Any]) -> Outcome:
        label = _label(self.params)
        value = record.get(self.params["field"])
        if _is_blank(value):
            return FAIL, f"{label} is missing."
        if isinstance(value, list):
            items = [item for item in value if not _is_blank(item)]
            if len(items) < self.params["min_items"]:
                return (
                    FAIL,
                    f"{label} has {len(items)} entries; "
                    f"at least {self.params['min_items']} expected.",
                )
            return PASS, f"{label}: {len(items)} entries."
        text = str(value).strip()
        if len(text) < self.params["min_length"]:
            return FAIL, (
                f"{label} is {len(text)} characters long; "
                f"at least {self.params['min_length']} expected."
            )
        other = self.params.get("differs_from")
        if other and text.casefold() == str(record.get(other) or "").strip().casefold():
            return FAIL, f"{label} only repeats the {other.replace('_', ' ')}."
        return PASS, f"{label} is present."


class PatternParams(_FieldParams):
    regex = fields.String(required=True)
    description = fields.String(load_default="the expected form")
    missing = fields.String(load_default=FAIL, validate=validate.OneOf((FAIL, NOT_APPLICABLE)))

    @validates("regex")
    def _compiles(self, value: str, **_kwargs: Any) -> None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValidationError(f"Not a valid regular expression: {exc}.") from None


class Pattern(_FieldRule):
    """The field's value matches a regular expression (whole value)."""

    name = "pattern"
    params_schema = PatternParams

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        self.regex = re.compile(params["regex"])

    def check(self, record: dict[str, Any]) -> Outcome:
        label = _label(self.params)
        value = record.get(self.params["field"])
        if _is_blank(value):
            if self.params["missing"] == NOT_APPLICABLE:
                return NOT_APPLICABLE, f"{label} is not given."
            return FAIL, f"{label} is missing."
        values = value if isinstance(value, list) else [value]
        bad = [str(item) for item in values if not self.regex.fullmatch(str(item).strip())]
        if bad:
            return FAIL, f"{label} {bad[0]!r} is not {self.params['description']}."
        return PASS, f"{label} is {self.params['description']}."


class VocabularyParams(_FieldParams):
    allowed = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    missing = fields.String(load_default=FAIL, validate=validate.OneOf((FAIL, NOT_APPLICABLE)))


def _normalise_term(value: str) -> str:
    text = value.strip().casefold().rstrip("/")
    return re.sub(r"^https?://(www\.)?", "", text)


class Vocabulary(_FieldRule):
    """The field's value is one of an allowed list (case, scheme and trailing slash ignored)."""

    name = "vocabulary"
    params_schema = VocabularyParams

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        self.allowed = {_normalise_term(term) for term in params["allowed"]}

    def check(self, record: dict[str, Any]) -> Outcome:
        label = _label(self.params)
        value = record.get(self.params["field"])
        if _is_blank(value):
            if self.params["missing"] == NOT_APPLICABLE:
                return NOT_APPLICABLE, f"{label} is not given."
            return FAIL, f"{label} is missing."
        values = value if isinstance(value, list) else [value]
        bad = [str(item) for item in values if _normalise_term(str(item)) not in self.allowed]
        if bad:
            return FAIL, f"{label} {bad[0]!r} is not on the allowed list."
        return PASS, f"{label} is on the allowed list."


# accrualPeriodicity (ISO 8601 repeating durations) in days.
PERIODICITY_DAYS = {
    "R/P10Y": 3653, "R/P4Y": 1461, "R/P3Y": 1096, "R/P2Y": 731, "R/P1Y": 366, "R/P6M": 183,
    "R/P4M": 122, "R/P3M": 92, "R/P2M": 62, "R/P1M": 31, "R/P0.5M": 16, "R/P2W": 14,
    "R/P1W": 7, "R/P0.33W": 3, "R/P0.5W": 4, "R/P3.5D": 4, "R/P1D": 1,
}  # fmt: skip
# Words some portals write instead of ISO 8601 durations.
PERIODICITY_WORDS = {
    "daily": "R/P1D", "weekly": "R/P1W", "biweekly": "R/P2W", "monthly": "R/P1M",
    "bimonthly": "R/P2M", "quarterly": "R/P3M", "semiannual": "R/P6M", "annual": "R/P1Y",
    "annually": "R/P1Y", "yearly": "R/P1Y", "biennial": "R/P2Y",
}  # fmt: skip
CONTINUOUS = ("R/PT1S", "R/PT1H", "R/PT1M")


class TimelinessParams(_Params):
    grace = fields.Float(load_default=1.5, validate=validate.Range(min=1))
    min_days = fields.Integer(load_default=7, validate=validate.Range(min=0))


class Timeliness(RuleKind):
    """``modified`` is recent enough for the declared ``accrualPeriodicity`` (times ``grace``)."""

    name = "timeliness"
    params_schema = TimelinessParams
    reads_fields = ("accrual_periodicity", "modified_at")

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        self.context = context  # the evaluator sets context["now"] before each run

    def allowed_days(self, periodicity: str) -> int | None:
        days = PERIODICITY_DAYS.get(PERIODICITY_WORDS.get(periodicity.lower(), periodicity))
        if days is None:
            return None
        return max(int(days * self.params["grace"]), self.params["min_days"])

    def check(self, record: dict[str, Any]) -> Outcome:
        periodicity = (record.get("accrual_periodicity") or "").strip()
        if not periodicity or periodicity.lower() == "irregular":
            return NOT_APPLICABLE, "No regular update frequency is declared."
        if periodicity in CONTINUOUS:
            return NOT_APPLICABLE, "Updated continuously."
        allowed = self.allowed_days(periodicity)
        if allowed is None:
            return NOT_APPLICABLE, f"Update frequency {periodicity!r} is not one this rule knows."
        modified_at = record.get("modified_at")
        if modified_at is None:
            return FAIL, f"No last-modified date, but updates are declared every {periodicity}."
        now: datetime = self.context["now"]
        age = (now - modified_at).days
        if age > allowed:
            return FAIL, (
                f"Last modified {age} days ago; "
                f"the declared frequency {periodicity} allows {allowed}."
            )
        return PASS, f"Last modified {max(age, 0)} days ago (within {allowed})."


PROFILES = {"dcat-us-1.1": "DCAT-US 1.1", "dcat-us-3.0": "DCAT-US 3.0"}


class JsonSchemaParams(_Params):
    schema = fields.String(required=True)
    max_errors = fields.Integer(load_default=3, validate=validate.Range(min=1))
    # Which DCAT-US form of the dataset (from catalog.dcat) is checked against the schema.
    profile = fields.String(load_default="dcat-us-1.1", validate=validate.OneOf(PROFILES))
    # Only errors at these top-level properties count (all when empty).
    properties = fields.List(fields.String(), load_default=list)


class JsonSchema(RuleKind):
    """The dataset's DCAT-US JSON (the catalog's one mapping, ``catalog.dcat``) validates against a
    JSON Schema under ``config/schemas``; for 3.0, as the record itself says it, without what
    exports fill in for a missing value."""

    name = "json_schema"
    params_schema = JsonSchemaParams

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        self.validator = _load_validator(Path(context["schemas_dir"]) / params["schema"])
        self.label = PROFILES[params["profile"]]

    def document(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.params["profile"] == "dcat-us-3.0":
            from catalog.dcat.records import ExportContext
            from catalog.dcat.v3 import to_v3

            return to_v3(record, ExportContext(contact_email=None), complete=False)
        from catalog.dcat.v11 import to_v11

        return to_v11(record)

    def check(self, record: dict[str, Any]) -> Outcome:
        errors = self.validator.errors(self.document(record))
        wanted = self.params["properties"]
        if wanted:
            errors = [e for e in errors if e.split("/")[0].split(":")[0] in wanted]
        if not errors:
            return PASS, f"Valid {self.label}." if not wanted else f"Ready for {self.label}."
        limit = self.params["max_errors"]
        shown = "; ".join(errors[:limit])
        more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
        return FAIL, f"Not valid {self.label}: {shown}{more}."


def _where(path: Any) -> str:
    return "/".join(str(part) for part in path) or "dataset"


def _short(message: str) -> str:
    return message if len(message) < 160 else message[:157] + "..."


class _SchemaValidator:
    """A draft-4 validator for one schema file with its sibling files registered, so ``$ref``s
    resolve offline. Uses ``jsonschema_rs`` (Rust, about 50x faster) when installed, otherwise
    ``jsonschema``; both give ``path: message`` strings sorted by path."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise ValidationError(f"Schema file {path} does not exist.")
        schema = json.loads(path.read_text())
        resources = []
        for sibling in sorted(path.parent.glob("*.json")):
            contents = json.loads(sibling.read_text())
            resources.append(
                (contents.get("id") or contents.get("$id") or sibling.as_uri(), contents)
            )
        try:
            import jsonschema_rs
        except ImportError:  # pragma: no cover - the fallback
            jsonschema_rs = None
        if jsonschema_rs is not None:
            registry = jsonschema_rs.Registry(resources)
            self._rs = jsonschema_rs.validator_for(schema, registry=registry)
            self._py = None
        else:  # pragma: no cover
            from jsonschema import validators
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT4

            registry = Registry().with_resources(
                (uri, Resource.from_contents(c, default_specification=DRAFT4))
                for uri, c in resources
            )
            self._rs = None
            self._py = validators.validator_for(schema)(schema, registry=registry)

    def errors(self, document: dict[str, Any]) -> list[str]:
        if self._rs is not None:
            found = [(list(e.instance_path), e.message) for e in self._rs.iter_errors(document)]
        else:  # pragma: no cover
            found = [(list(e.path), e.message) for e in self._py.iter_errors(document)]
        found.sort(key=lambda item: [str(part) for part in item[0]])
        return [f"{_where(path)}: {_short(message)}" for path, message in found]


_VALIDATORS: dict[Path, _SchemaValidator] = {}


def _load_validator(path: Path) -> _SchemaValidator:
    path = path.resolve()
    if path not in _VALIDATORS:
        _VALIDATORS[path] = _SchemaValidator(path)
    return _VALIDATORS[path]


class LinkCheckParams(_Params):
    pass


class LinkCheck(RuleKind):
    """Every distribution URL answered the last link check (run on demand; results cached)."""

    name = "link_check"
    params_schema = LinkCheckParams
    reads_fields = ("distributions", "link_status")

    def check(self, record: dict[str, Any]) -> Outcome:
        urls = [
            u
            for d in record["distributions"]
            if (u := d.get("download_url") or d.get("access_url"))
        ]
        if not urls:
            return NOT_APPLICABLE, "No distribution links to check."
        status = record.get("link_status") or {}
        unchecked = [u for u in urls if u not in status]
        broken = [(u, status[u]) for u in urls if u in status and not status[u][0]]
        if broken:
            url, (_ok, detail) = broken[0]
            others = f" ({len(broken) - 1} more broken)" if len(broken) > 1 else ""
            return FAIL, f"Link {url} did not answer: {detail}{others}."
        if unchecked:
            return NOT_APPLICABLE, f"{len(unchecked)} link(s) not checked yet."
        return PASS, f"All {len(urls)} link(s) answered."


class ReviewStateParams(_Params):
    completed = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class ReviewState(RuleKind):
    """The dataset's sharing review (``review_status``) has reached a completed state."""

    name = "review_state"
    params_schema = ReviewStateParams
    reads_fields = ("review_status",)

    def check(self, record: dict[str, Any]) -> Outcome:
        state = record.get("review_status")
        if not state:
            return FAIL, "No sharing review has been started."
        if state in self.params["completed"]:
            return PASS, f"Sharing review completed ({state.replace('_', ' ')})."
        return FAIL, f"Sharing review not completed (state: {state.replace('_', ' ')})."


class StewardAssigned(RuleKind):
    """A steward (name or email) is recorded for the dataset."""

    name = "steward_assigned"
    reads_fields = ("steward_name", "steward_email")

    def check(self, record: dict[str, Any]) -> Outcome:
        if record.get("steward_name") or record.get("steward_email"):
            return PASS, "A steward is assigned."
        return FAIL, "No steward is assigned."


class DataDictionaryParams(_Params):
    min_columns = fields.Integer(load_default=1, validate=validate.Range(min=1))


class DataDictionary(RuleKind):
    """A data dictionary is linked (``describedBy``) or the columns are described."""

    name = "data_dictionary"
    params_schema = DataDictionaryParams
    reads_fields = ("described_by", "columns")

    def check(self, record: dict[str, Any]) -> Outcome:
        if record.get("described_by"):
            return PASS, "A data dictionary is linked."
        columns = record.get("columns") or []
        if len(columns) >= self.params["min_columns"]:
            return PASS, f"{len(columns)} columns are described."
        return FAIL, "No data dictionary: neither describedBy nor column descriptions."


KINDS: dict[str, type[RuleKind]] = {
    kind.name: kind
    for kind in (
        Required,
        Pattern,
        Vocabulary,
        Timeliness,
        JsonSchema,
        LinkCheck,
        ReviewState,
        StewardAssigned,
        DataDictionary,
    )
}
