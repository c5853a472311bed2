"""Forms of the governance pages (rendering and CSRF; services validate the values)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional


class CsrfForm(FlaskForm):
    """A form whose fields are read from ``request.form``; only the token is checked here."""


class OpenCycleForm(FlaskForm):
    year = IntegerField("Year", validators=[Optional()])
    due_on = DateField("Due on", validators=[Optional()], description="December 31 if empty.")
    note = TextAreaField("Note to agency data officers (optional)")


class SubmitInventoryForm(FlaskForm):
    method = SelectField(
        "How",
        choices=[],
        validate_choice=False,
    )
    note = TextAreaField("Note (optional)")


class AccessPlanForm(FlaskForm):
    q = StringField("Find a dataset", description="Words from its title or description.")
    target_date = DateField("To publish by", validators=[Optional()])


class AccessRequestForm(FlaskForm):
    agency = SelectField("On behalf of", choices=[], validate_choice=False)
    purpose = TextAreaField("What the data is needed for")
    fields = StringField(
        "Fields needed (optional)", description="Separate field names with commas; empty: all."
    )
    period_start = DateField("Period from (optional)", validators=[Optional()])
    period_end = DateField("to (optional)", validators=[Optional()])
