"""Flask-WTF forms for the plan pages: rendering and CSRF. Values are validated by the services'
marshmallow schemas, so choices are not re-checked here."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from catalog.models.plan import FEEDBACK_STATUSES, GOAL_TERMS, REPORT_STATUSES
from catalog.schemas.dates import sane_date
from catalog.web.forms import choices as as_choices


class FeedbackForm(FlaskForm):
    """Every field is optional. ``website`` is a honeypot: people never see or fill it."""

    plan = HiddenField()
    target = SelectField("What is your comment about?", choices=[], validate_choice=False)
    comment = TextAreaField("Comment")
    name = StringField("Your name (optional)", render_kw={"autocomplete": "name"})
    email = EmailField(
        "Email (optional)",
        description="Only the Chief Data Officer's team sees your email and organisation.",
        render_kw={"autocomplete": "email"},
    )
    organisation = StringField(
        "Organisation (optional)", render_kw={"autocomplete": "organization"}
    )
    publish_consent = BooleanField(
        "You may publish my comment on the plan page, with the answer",
        description="Your email and organisation are never published.",
    )
    publish_name = BooleanField("Publish my name with it (leave unticked to stay anonymous)")
    website = StringField(
        "Leave this field empty",
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )


class FeedbackReplyForm(FlaskForm):
    reply = TextAreaField("Answer")
    publish = BooleanField("Publish the comment and this answer under the plan element")


class FeedbackStatusForm(FlaskForm):
    status = SelectField("Status", choices=as_choices([(s, s) for s in FEEDBACK_STATUSES]))


class ProgressReportForm(FlaskForm):
    agency = SelectField("Agency", choices=[], validate_choice=False)
    objective = SelectField("Objective", choices=[], validate_choice=False)
    period = StringField("Period", description="A half-year or quarter, e.g. 2026-H2 or 2026-Q3.")
    status = SelectField("Status", choices=as_choices([(s, s) for s in REPORT_STATUSES]))
    metric_value = StringField(
        "Metric value (optional)", description="The objective's metric, as measured for the period."
    )
    narrative = TextAreaField("Narrative (optional)")

    def to_payload(self, plan_key: str) -> dict:
        raw_value = (self.metric_value.data or "").strip()
        return {
            "plan": plan_key,
            "agency": self.agency.data,
            "objective": self.objective.data,
            "period": (self.period.data or "").strip(),
            "status": self.status.data,
            "narrative": self.narrative.data,
            "metric_value": raw_value or None,
        }


TERM_LABELS = {"two-year": "Two-year goal", "longer-term": "Longer-term goal"}


class NewVersionForm(FlaskForm):
    key = StringField("Key", description="Lowercase letters, digits and '-', e.g. 2027-2028.")
    title = StringField("Title", description="e.g. State Data Plan 2027-2028.")
    copy_from = SelectField(
        "Start from a copy of", choices=[], validate_choice=False, validators=[Optional()]
    )


class VersionForm(FlaskForm):
    title = StringField("Title")
    summary = TextAreaField("Summary (optional)")
    issued = DateField("Issued on", validators=[Optional(), sane_date])
    issued_note = StringField("Note on the issue date (optional)")
    source_url = StringField("Source address (optional)")
    period_starts = DateField("Period covered: from", validators=[Optional(), sane_date])
    period_ends = DateField("to", validators=[Optional(), sane_date])

    def to_payload(self) -> dict:
        return {name: getattr(self, name).data for name in self._fields if name != "csrf_token"}


class StatusForm(FlaskForm):
    status = HiddenField()
    opens = DateField("Comments open on", validators=[Optional(), sane_date])
    closes = DateField("Comments close after", validators=[Optional(), sane_date])
    issued = DateField("Issued on", validators=[Optional(), sane_date])


class WindowForm(FlaskForm):
    opens = DateField("Comments open on", validators=[Optional(), sane_date])
    closes = DateField("Comments close after", validators=[Optional(), sane_date])


class GroupForm(FlaskForm):
    key = StringField("Group key", description="A letter or short code, e.g. A.")
    title = StringField("Group title")


class PrincipleForm(FlaskForm):
    key = StringField(
        "Key", description="e.g. P3. Standards and comments cite it; it never changes."
    )
    group = SelectField("Group", choices=[], validate_choice=False)
    text = TextAreaField("Principle")


class GoalForm(FlaskForm):
    key = StringField("Key", description="e.g. G1. It never changes.")
    term = SelectField(
        "Term",
        choices=as_choices([(t, TERM_LABELS[t]) for t in GOAL_TERMS]),
        validate_choice=False,
    )
    title = TextAreaField("Goal")
    description = TextAreaField("Description (optional)")


class ObjectiveForm(FlaskForm):
    key = StringField("Key", description="e.g. G1.1. Progress reports name it; it never changes.")
    text = TextAreaField("Objective")
    metric = StringField(
        "Metric", description="What is measured, e.g. percent of datasets with a data dictionary."
    )
    target = StringField("Target (a number)")
    unit = StringField("Unit (optional)")
    due = DateField("Due date", validators=[Optional(), sane_date])


class FocalPointForm(FlaskForm):
    key = StringField("Key", description="e.g. F1. It never changes.")
    title = TextAreaField("Focal point")
    description = TextAreaField("Description (optional)")


ELEMENT_FORMS = {
    "principle": PrincipleForm,
    "goal": GoalForm,
    "objective": ObjectiveForm,
    "focal_point": FocalPointForm,
}
