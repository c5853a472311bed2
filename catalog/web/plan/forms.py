"""Flask-WTF forms for the plan pages: rendering and CSRF. Values are validated by the services'
marshmallow schemas, so choices are not re-checked here."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from catalog.models.plan import FEEDBACK_STATUSES, REPORT_STATUSES
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
        description="Only the Chief Data Officer's team sees your name, email and organisation.",
        render_kw={"autocomplete": "email"},
    )
    organisation = StringField(
        "Organisation (optional)", render_kw={"autocomplete": "organization"}
    )
    website = StringField(
        "Leave this field empty",
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )


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


class ObjectiveForm(FlaskForm):
    text = TextAreaField("Objective")
    metric = StringField("Metric")
    target = StringField("Target (a number)")
    unit = StringField("Unit (optional)")
    due = DateField("Due date", validators=[Optional(), sane_date])


class WindowForm(FlaskForm):
    opens = DateField("Comments open on", validators=[Optional(), sane_date])
    closes = DateField("Comments close after", validators=[Optional(), sane_date])
