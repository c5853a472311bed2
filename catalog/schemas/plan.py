"""Schemas for plan files (``config/plan/*.toml``), progress reports and feedback."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from catalog.models.plan import (
    FEEDBACK_STATUSES,
    FEEDBACK_TARGETS,
    GOAL_TERMS,
    PLAN_STATUSES,
    REPORT_STATUSES,
)
from catalog.schemas.dates import SaneDate, SaneDateTime
from catalog.schemas.fields import Text

ELEMENT_ID = validate.Regexp(
    r"^[A-Za-z][A-Za-z0-9.\-]{0,31}$", error="Use letters, digits, '.', '-'."
)
PERIOD_RE = re.compile(r"^(?P<year>\d{4})-(?P<part>H[12]|Q[1-4])$")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class GroupSchema(_Strict):
    key = fields.String(required=True, validate=ELEMENT_ID)
    title = Text(required=True)


class _ElementSchema(_Strict):
    id = fields.String(required=True, validate=ELEMENT_ID)
    datasets = fields.List(fields.String(), load_default=list)
    themes = fields.List(fields.String(), load_default=list)


class PrincipleSchema(_ElementSchema):
    group = fields.String(load_default=None)
    text = Text(required=True, validate=validate.Length(max=5_000))


class ObjectiveSchema(_Strict):
    id = fields.String(required=True, validate=ELEMENT_ID)
    text = Text(required=True, validate=validate.Length(max=5_000))
    metric = Text(required=True, validate=validate.Length(max=1_000))
    target = fields.Float(
        required=True, allow_nan=False, validate=validate.Range(min=-1e12, max=1e12)
    )
    unit = Text(load_default=None, validate=validate.Length(max=64))
    due = SaneDate(required=True)


class GoalSchema(_ElementSchema):
    term = fields.String(required=True, validate=validate.OneOf(GOAL_TERMS))
    title = Text(required=True, validate=validate.Length(max=1_000))
    description = Text(load_default=None, validate=validate.Length(max=10_000))
    objective = fields.List(fields.Nested(ObjectiveSchema), load_default=list)

    @validates_schema
    def _checks(self, data: dict, **_kwargs: Any) -> None:
        _unique([o["id"] for o in data.get("objective", [])], "objective")


class FocalPointSchema(_ElementSchema):
    title = Text(required=True, validate=validate.Length(max=1_000))
    description = Text(load_default=None, validate=validate.Length(max=10_000))


class CommentWindowSchema(_Strict):
    opens = SaneDate(load_default=None)
    closes = SaneDate(load_default=None)
    note = Text(load_default=None)

    @validates_schema
    def _order(self, data: dict, **_kwargs: Any) -> None:
        if data.get("opens") and data.get("closes") and data["closes"] < data["opens"]:
            raise ValidationError("closes must not be before opens.", "closes")


class PeriodSchema(_Strict):
    starts = SaneDate(required=True)
    ends = SaneDate(required=True)

    @validates_schema
    def _order(self, data: dict, **_kwargs: Any) -> None:
        if data.get("starts") and data.get("ends") and data["ends"] < data["starts"]:
            raise ValidationError("ends must not be before starts.", "ends")


class PlanFileSchema(_Strict):
    """One plan version file. Element ids are unique within the version."""

    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9\-]{0,63}$"))
    title = Text(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PLAN_STATUSES))
    issued = SaneDate(load_default=None)
    issued_note = Text(load_default=None)
    summary = Text(load_default=None)
    source_url = Text(load_default=None, validate=validate.URL(schemes={"http", "https"}))
    comment_window = fields.Nested(CommentWindowSchema, load_default=None)
    period = fields.Nested(PeriodSchema, load_default=None)
    group = fields.List(fields.Nested(GroupSchema), load_default=list)
    principle = fields.List(fields.Nested(PrincipleSchema), load_default=list)
    goal = fields.List(fields.Nested(GoalSchema), load_default=list)
    focal_point = fields.List(fields.Nested(FocalPointSchema), load_default=list)

    @validates_schema
    def _consistent(self, data: dict, **_kwargs: Any) -> None:
        groups = [g["key"] for g in data.get("group", [])]
        _unique(groups, "group")
        _unique([p["id"] for p in data.get("principle", [])], "principle")
        _unique([g["id"] for g in data.get("goal", [])], "goal")
        _unique([f["id"] for f in data.get("focal_point", [])], "focal_point")
        for principle in data.get("principle", []):
            if principle.get("group") is not None and principle["group"] not in groups:
                raise ValidationError(
                    f"Principle {principle['id']} names group {principle['group']!r}, "
                    "which is not declared in a [[group]] table.",
                    "principle",
                )


def _unique(ids: list[str], field: str) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise ValidationError(f"Duplicate id {value!r}.", field)
        seen.add(value)


def validate_period(value: str) -> None:
    if not PERIOD_RE.match(value or ""):
        raise ValidationError("Use a half-year or quarter such as 2026-H2 or 2026-Q3.")


class ProgressReportInputSchema(_Strict):
    """A progress report from a form or the API."""

    plan = fields.String(load_default=None)
    objective = fields.String(required=True)
    agency = fields.String(required=True)
    period = fields.String(required=True, validate=validate_period)
    status = fields.String(required=True, validate=validate.OneOf(REPORT_STATUSES))
    narrative = Text(load_default=None, validate=validate.Length(max=10_000))
    metric_value = fields.Float(load_default=None, allow_none=True, allow_nan=False)


class ProgressReportOutputSchema(Schema):
    id = fields.Integer()
    plan = fields.Function(lambda r: r.objective.goal.version.key)
    objective = fields.Function(lambda r: r.objective.key)
    agency = fields.Function(lambda r: r.agency.code)
    period = fields.String()
    status = fields.String()
    narrative = fields.String()
    metric_value = fields.Float(allow_none=True)
    submitted_by = fields.Function(lambda r: r.submitted_by.email if r.submitted_by else None)
    submitted_at = SaneDateTime()


class FeedbackInputSchema(Schema):
    """Public feedback: every field optional. Unknown keys (CSRF token, buttons) are dropped."""

    class Meta:
        unknown = "exclude"

    plan = fields.String(load_default=None)
    target = fields.String(load_default="general")
    name = Text(load_default=None, validate=validate.Length(max=255))
    email = Text(load_default=None, validate=[validate.Length(max=255), validate.Email()])
    organisation = Text(load_default=None, validate=validate.Length(max=255))
    comment = Text(load_default=None, validate=validate.Length(max=10_000))
    publish_consent = fields.Boolean(load_default=False)
    publish_name = fields.Boolean(load_default=False)

    @validates_schema
    def _target(self, data: dict, **_kwargs: Any) -> None:
        kind, _, _key = (data.get("target") or "general").partition(":")
        if kind not in FEEDBACK_TARGETS:
            raise ValidationError(
                "Choose the plan as a whole, a plan element or a dataset.", "target"
            )


FEEDBACK_STATUS_CHOICES = FEEDBACK_STATUSES


VERSION_KEY = validate.Regexp(
    r"^[a-z0-9][a-z0-9\-]{0,63}$", error="Use lowercase letters, digits and '-' (e.g. 2027-2028)."
)


class NewVersionSchema(_Strict):
    key = fields.String(required=True, validate=VERSION_KEY)
    title = Text(required=True, validate=validate.Length(max=255))
    copy_from = fields.String(load_default=None, allow_none=True)


class VersionEditSchema(_Strict):
    """What the CDO edits about a version besides its elements, status and comment window."""

    title = Text(required=True, validate=validate.Length(max=255))
    summary = Text(load_default=None, validate=validate.Length(max=10_000))
    issued = SaneDate(load_default=None, allow_none=True)
    issued_note = Text(load_default=None, validate=validate.Length(max=2_000))
    source_url = Text(
        load_default=None,
        validate=[validate.Length(max=512), validate.URL(schemes={"http", "https"})],
    )
    period_starts = SaneDate(load_default=None, allow_none=True)
    period_ends = SaneDate(load_default=None, allow_none=True)

    @validates_schema
    def _period(self, data: dict, **_kwargs: Any) -> None:
        starts, ends = data.get("period_starts"), data.get("period_ends")
        if (starts is None) != (ends is None):
            raise ValidationError("Give both ends of the period, or neither.", "period_ends")
        if starts and ends and ends < starts:
            raise ValidationError("The period cannot end before it starts.", "period_ends")


class GroupEditSchema(_Strict):
    key = fields.String(required=True, validate=ELEMENT_ID)
    title = Text(required=True, validate=validate.Length(max=500))
